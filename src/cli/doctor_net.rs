//! The checks of `mcast doctor` between the wire and the socket: who holds the port (and
//! whether a receiver could share it), and firewall rules that drop the traffic.

use std::net::IpAddr;
use std::process::Command;

use super::doctor_checks::{Case, Check, Status};
use super::doctor_proc::{holders, udp_sockets};

pub fn port(case: &Case) -> Check {
    const C: &str = "port";
    let Some(port) = case.port else {
        return Check::new(C, Status::Skipped, "no PORT given");
    };
    let mut held = Vec::new();
    for file in ["/proc/net/udp", "/proc/net/udp6"] {
        if let Ok(text) = std::fs::read_to_string(file) {
            held.extend(udp_sockets(&text, port));
        }
    }
    if held.is_empty() {
        return Check::new(C, Status::Ok, format!("no socket holds UDP port {port}"));
    }
    let named: Vec<(String, Bound)> = held
        .iter()
        .map(|s| {
            let h = holders(s.inode);
            let by = if h.is_empty() {
                "a process this user cannot see".to_string()
            } else {
                h.join(", ")
            };
            (
                format!("{}:{} by {by}", s.local, s.port),
                bound(&s.local, case.group),
            )
        })
        .collect();
    // A socket bound to a unicast address is handed only datagrams sent to that address:
    // the group's never reach it, whatever it joined.
    let deaf: Vec<&str> = named
        .iter()
        .filter(|(_, b)| *b == Bound::Unicast)
        .map(|(w, _)| w.as_str())
        .collect();
    if !deaf.is_empty() {
        return Check::new(
            C,
            Status::Fail,
            format!(
                "UDP port {port} is held bound to a unicast address ({}): a socket bound so never receives datagrams sent to {}",
                deaf.join("; "),
                case.group
            ),
        )
        .fix(format!(
            "make that program bind {} (or the group itself) and join the group",
            if case.v4() { "0.0.0.0" } else { "::" }
        ));
    }
    let who: Vec<&str> = named.iter().map(|(w, _)| w.as_str()).collect();
    // Whether a receiver could share it: try, as mcast recv binds (address reuse), and let go.
    let probe = socket2::Socket::new(
        if case.v4() {
            socket2::Domain::IPV4
        } else {
            socket2::Domain::IPV6
        },
        socket2::Type::DGRAM,
        None,
    )
    .and_then(|s| {
        s.set_reuse_address(true)?;
        let any: IpAddr = if case.v4() {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        };
        s.bind(&std::net::SocketAddr::new(any, port).into())
    });
    match probe {
        Ok(()) => Check::new(
            C,
            Status::Warn,
            format!(
                "UDP port {port} is held ({}), and shared: each of them gets a copy of what arrives",
                who.join("; ")
            ),
        ),
        Err(e) => Check::new(
            C,
            Status::Fail,
            format!(
                "UDP port {port} is held ({}) without sharing: a receiver cannot bind it ({})",
                who.join("; "),
                mcast::error::os_message(&e)
            ),
        )
        .fix("stop that program, let it share the port (SO_REUSEADDR), or use another port"),
    }
}

/// What a socket's local address lets it receive of the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// The wildcard address, or the group itself: it gets the group's datagrams.
    Receives,
    /// Another group: it gets that group's, not this one's.
    OtherGroup,
    /// A unicast address: never the group's.
    Unicast,
}

fn bound(local: &str, group: IpAddr) -> Bound {
    let Ok(ip) = local.parse::<IpAddr>() else {
        return Bound::Receives;
    };
    // An IPv4 address written in an IPv6 socket's table (::ffff:a.b.c.d).
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if ip.is_unspecified() || ip == group {
        Bound::Receives
    } else if ip.is_multicast() {
        Bound::OtherGroup
    } else {
        Bound::Unicast
    }
}

/// Lines of a firewall listing that drop or reject what the group's traffic needs.
pub fn blocking_rules(listing: &str, port: Option<u16>) -> Vec<String> {
    listing
        .lines()
        .map(str::trim)
        .filter(|l| {
            let lower = l.to_lowercase();
            let blocks = lower.contains("drop") || lower.contains("reject");
            let policy = lower.contains("policy drop") || lower.contains(":input drop");
            let ours = port.is_some_and(|p| {
                lower.contains(&format!("dport {p}")) || lower.contains(&format!("--dport {p}"))
            }) || lower.contains("igmp")
                || lower.contains("icmpv6")
                || lower.contains("ipv6-icmp");
            (blocks && ours) || policy
        })
        .map(String::from)
        .collect()
}

pub fn firewall(case: &Case) -> Check {
    const C: &str = "firewall";
    let tools: [(&str, &[&str]); 3] = [
        ("nft", &["list", "ruleset"]),
        ("iptables-save", &[]),
        ("ip6tables-save", &[]),
    ];
    let mut read = Vec::new();
    let mut found = Vec::new();
    let mut unread = Vec::new();
    for (tool, args) in tools {
        match Command::new(tool).args(args).output() {
            Ok(out) if out.status.success() => {
                read.push(tool);
                let text = String::from_utf8_lossy(&out.stdout);
                found.extend(
                    blocking_rules(&text, case.port)
                        .into_iter()
                        .map(|r| format!("{tool}: {r}")),
                );
            }
            Ok(out) => unread.push(format!(
                "{tool}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(_) => {}
        }
    }
    if read.is_empty() {
        if unread.is_empty() {
            return Check::new(
                C,
                Status::Skipped,
                "no firewall tool found (nft, iptables-save)",
            );
        }
        return Check::new(
            C,
            Status::Skipped,
            format!("the rules could not be read: {}", unread.join("; ")),
        )
        .fix("run as root to read the firewall, or check it by hand");
    }
    if found.is_empty() {
        Check::new(
            C,
            Status::Ok,
            format!(
                "read {}: no rule drops UDP to the port, IGMP or MLD, and no input policy drops",
                read.join(", ")
            ),
        )
    } else {
        Check::new(C, Status::Warn, format!("rules that may drop this traffic: {}", found.join(" | ")))
            .fix("accept UDP to the port from the senders, and IGMP (protocol 2) / MLD (ICMPv6 130-143), before these rules")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_bound_address_receives_of_the_group() {
        let g: IpAddr = "239.1.1.1".parse().unwrap();
        assert_eq!(bound("0.0.0.0", g), Bound::Receives);
        assert_eq!(bound("239.1.1.1", g), Bound::Receives);
        assert_eq!(bound("::", g), Bound::Receives);
        assert_eq!(bound("239.9.9.9", g), Bound::OtherGroup);
        assert_eq!(bound("10.77.0.2", g), Bound::Unicast);
        assert_eq!(bound("::ffff:10.77.0.2", g), Bound::Unicast);
        assert_eq!(bound("::ffff:239.1.1.1", g), Bound::Receives);
    }

    #[test]
    fn firewall_lines_that_drop_the_port_igmp_or_everything_are_picked() {
        let nft = "table inet filter {\n chain input {\n  type filter hook input priority 0; policy accept;\n  udp dport 7777 drop\n  ip protocol igmp drop\n  tcp dport 22 accept\n }\n}\n";
        assert_eq!(
            blocking_rules(nft, Some(7777)),
            ["udp dport 7777 drop", "ip protocol igmp drop"]
        );
        let ipt = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p udp --dport 5000 -j DROP\n";
        assert_eq!(
            blocking_rules(ipt, Some(7777)),
            [":INPUT DROP [0:0]"],
            "another port's rule is not ours; the policy is"
        );
        assert!(blocking_rules("tcp dport 7777 accept\n", Some(7777)).is_empty());
    }
}
