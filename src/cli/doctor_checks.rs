//! The checks of `mcast doctor` that read the host without sending or listening: the
//! interface a join would use, the route, the group's range, MAC aliasing, the reverse path,
//! forced protocol versions, membership limits, the port and the firewall.

use std::net::IpAddr;
use std::process::Command;

use serde::Serialize;

use mcast::iface::Interface;

use super::doctor_proc::{group_mac, holders, mac_text, sysctl, udp_sockets};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skipped,
}

/// One line of the doctor's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub status: Status,
    pub evidence: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn new(check: &'static str, status: Status, evidence: impl Into<String>) -> Self {
        Check {
            check,
            status,
            evidence: evidence.into(),
            fix: None,
        }
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// What the checks are about.
pub struct Case {
    pub group: IpAddr,
    pub port: Option<u16>,
    pub sources: Vec<IpAddr>,
    /// The interface named with -i, if any (resolved), or the error resolving it.
    pub given: Option<Result<Interface, String>>,
}

impl Case {
    fn v4(&self) -> bool {
        self.group.is_ipv4()
    }

    /// The interface a join would use: the one given, else the route's.
    pub fn join_interface(&self) -> Option<Interface> {
        match &self.given {
            Some(Ok(i)) => Some(i.clone()),
            Some(Err(_)) => None,
            None => mcast::iface::route_for(self.group),
        }
    }
}

/// A group scoped to one link: 224.0.0.0/24, or IPv6 scope 1 or 2.
fn link_scoped(g: IpAddr) -> bool {
    match g {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => matches!(v6.segments()[0] & 0x000f, 1 | 2),
    }
}

pub fn interface(case: &Case) -> Check {
    const C: &str = "interface";
    let iface = match &case.given {
        Some(Err(e)) => {
            return Check::new(C, Status::Fail, e.clone())
                .fix("name an interface that exists (mcast ifaces lists them)");
        }
        Some(Ok(i)) => i.clone(),
        None => match mcast::iface::route_for(case.group) {
            Some(i) => i,
            None if case.group.is_ipv6() && link_scoped(case.group) => {
                return Check::new(
                    C,
                    Status::Fail,
                    format!("{} is link-scoped: a join must name its link", case.group),
                )
                .fix(format!(
                    "give -i IFACE, or write the group as {}%IFACE",
                    case.group
                ));
            }
            None => {
                return Check::new(
                    C,
                    Status::Fail,
                    format!(
                        "no -i and no route for {}: the kernel picks no interface",
                        case.group
                    ),
                )
                .fix("give -i IFACE (see the route check)");
            }
        },
    };
    let how = if case.given.is_some() {
        "given"
    } else {
        "the route's choice"
    };
    let f = iface.flags;
    let has_family = iface.addresses.iter().any(|a| a.ip.is_ipv4() == case.v4());
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    if !f.up {
        problems.push("down");
        fixes.push(format!("ip link set {} up", iface.name));
    } else if !f.running {
        problems.push("up but without carrier");
        fixes.push("check the cable or the far end of the link".to_string());
    }
    if !f.multicast {
        problems.push("without the MULTICAST flag");
        fixes.push(format!("ip link set {} multicast on", iface.name));
    }
    if !has_family {
        problems.push(if case.v4() {
            "without an IPv4 address"
        } else {
            "without an IPv6 address"
        });
        fixes.push(format!("ip addr add ADDRESS/PREFIX dev {}", iface.name));
    }
    if problems.is_empty() {
        Check::new(
            C,
            Status::Ok,
            format!(
                "{} ({how}): up, carrier, multicast, with an address of the group's family",
                iface.name
            ),
        )
    } else {
        Check::new(
            C,
            Status::Fail,
            format!("{} ({how}) is {}", iface.name, problems.join(", ")),
        )
        .fix(fixes.join("; "))
    }
}

pub fn route(case: &Case) -> Check {
    const C: &str = "route";
    let routed = mcast::iface::route_for(case.group);
    let prefix = if case.v4() { "224.0.0.0/4" } else { "ff00::/8" };
    match (routed, &case.given) {
        (Some(r), Some(Ok(g))) if r.index != g.index => Check::new(
            C,
            Status::Warn,
            format!(
                "the route for {} leads to {}, not {}: joins with -i are fine, sends without -i leave by {}",
                case.group, r.name, g.name, r.name
            ),
        )
        .fix(format!("ip route replace {prefix} dev {}", g.name)),
        (Some(r), _) => Check::new(
            C,
            Status::Ok,
            format!("the kernel routes {} via {}", case.group, r.name),
        ),
        (None, Some(Ok(g))) => Check::new(
            C,
            Status::Warn,
            format!("no route covers {}: joins with -i work, sends without -i fail", case.group),
        )
        .fix(format!("ip route add {prefix} dev {}", g.name)),
        (None, _) => Check::new(
            C,
            Status::Fail,
            format!("no route covers {} and no -i: a join without an interface fails", case.group),
        )
        .fix(format!("give -i IFACE, or ip route add {prefix} dev IFACE")),
    }
}

pub fn group(case: &Case) -> Check {
    const C: &str = "group";
    let g = case.group;
    if mcast::addr::is_ssm_range(g) && case.sources.is_empty() {
        return Check::new(
            C,
            Status::Fail,
            format!("{g} is in the source-specific range and no --source is given: on an SSM network nothing arrives"),
        )
        .fix("add --source SENDER for each sender (or use a group outside 232.0.0.0/8 / ff3x::/32)");
    }
    if link_scoped(g) {
        return Check::new(
            C,
            Status::Ok,
            format!("{g} is link-scoped: never routed, only senders on this link reach it"),
        );
    }
    let kind = if case.sources.is_empty() {
        "an any-source"
    } else {
        "a source-specific"
    };
    Check::new(C, Status::Ok, format!("{g}: {kind} join"))
}

pub fn mac_alias(case: &Case) -> Check {
    const C: &str = "mac_alias";
    let Some(iface) = case.join_interface() else {
        return Check::new(C, Status::Skipped, "no interface to look at");
    };
    let mac = group_mac(case.group);
    let held = match mcast::membership::memberships() {
        Ok(h) => h,
        Err(e) => return Check::new(C, Status::Skipped, format!("cannot read memberships: {e}")),
    };
    let mut others: Vec<String> = held
        .iter()
        .filter(|m| m.index == iface.index && m.group != case.group)
        .filter(|m| m.group.is_ipv4() == case.v4() && group_mac(m.group) == mac)
        .map(|m| m.group.to_string())
        .collect();
    others.sort();
    others.dedup();
    if others.is_empty() {
        Check::new(
            C,
            Status::Ok,
            format!(
                "no other group held on {} maps to {}",
                iface.name,
                mac_text(mac)
            ),
        )
    } else {
        Check::new(
            C,
            Status::Warn,
            format!(
                "{} also held on {} map to {}, as {} does: the NIC takes their traffic too (a MAC carries only {} bits of the group)",
                others.join(", "),
                iface.name,
                mac_text(mac),
                case.group,
                if case.v4() { 23 } else { 32 }
            ),
        )
        .fix("pick groups that differ in the bits the MAC carries, where the extra traffic matters")
    }
}

pub fn rp_filter(case: &Case, counter: Option<u64>) -> Check {
    const C: &str = "rp_filter";
    if !case.v4() {
        return Check::new(
            C,
            Status::Skipped,
            "IPv6 has no reverse-path filter setting",
        );
    }
    if case.sources.is_empty() {
        return Check::new(
            C,
            Status::Skipped,
            "no --source: the reverse path depends on each sender",
        );
    }
    let Some(iface) = case.join_interface() else {
        return Check::new(C, Status::Skipped, "no interface to look at");
    };
    let all = sysctl("net/ipv4/conf/all/rp_filter").unwrap_or(0);
    let own = sysctl(&format!("net/ipv4/conf/{}/rp_filter", iface.name)).unwrap_or(0);
    let mode = all.max(own);
    let counted = counter.map_or(String::new(), |n| {
        format!("; IPReversePathFilter (/proc/net/netstat) = {n}")
    });
    let mut bad = Vec::new();
    for s in &case.sources {
        let back = mcast::iface::route_for(*s);
        let dropped = match (mode, &back) {
            (1, Some(b)) => b.index != iface.index,
            (1 | 2, None) => true,
            _ => false,
        };
        if dropped {
            let way = back.map_or("no route at all".to_string(), |b| {
                format!("the route leads to {}", b.name)
            });
            bad.push(format!("{s}: {way}"));
        }
    }
    let setting = format!(
        "rp_filter = {mode} (the larger of all = {all} and {} = {own}; 1 strict, 2 loose, 0 off)",
        iface.name
    );
    if bad.is_empty() {
        return Check::new(
            C,
            Status::Ok,
            format!(
                "{setting}: the way back to each source is {}{counted}",
                iface.name
            ),
        );
    }
    Check::new(
        C,
        Status::Fail,
        format!("{setting}; traffic arrives on {}, but {}: the kernel drops it{counted}", iface.name, bad.join("; ")),
    )
    .fix(format!(
        "route each source via {0} (ip route add SOURCE/32 via GATEWAY dev {0}), or make the check loose: sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.{0}.rp_filter=2",
        iface.name
    ))
}

pub fn version(case: &Case) -> Check {
    const C: &str = "version";
    let Some(iface) = case.join_interface() else {
        return Check::new(C, Status::Skipped, "no interface to look at");
    };
    let ssm = !case.sources.is_empty();
    if case.v4() {
        let all = sysctl("net/ipv4/conf/all/force_igmp_version").unwrap_or(0);
        let own = sysctl(&format!("net/ipv4/conf/{}/force_igmp_version", iface.name)).unwrap_or(0);
        let forced = [all, own].into_iter().filter(|v| *v != 0).min();
        let mode = mcast::membership::memberships()
            .ok()
            .and_then(|h| {
                h.into_iter()
                    .find(|m| m.index == iface.index && m.group.is_ipv4())
            })
            .and_then(|m| m.igmp_compat_mode);
        let evidence = format!(
            "force_igmp_version: all = {all}, {} = {own}; compatibility mode {}",
            iface.name,
            mode.as_deref().unwrap_or("not shown (no IPv4 group held)")
        );
        let old = forced.is_some_and(|v| v < 3)
            || mode.as_deref().is_some_and(|m| m == "V1" || m == "V2");
        return match (old, ssm) {
            (true, true) => Check::new(C, Status::Fail, format!("{evidence}: IGMPv1/v2 cannot carry sources, so the source-specific join never reaches the network"))
                .fix(if forced.is_some() {
                    format!("sysctl -w net.ipv4.conf.all.force_igmp_version=0 net.ipv4.conf.{}.force_igmp_version=0", iface.name)
                } else {
                    "an IGMPv2 querier holds the link at v2: make it speak IGMPv3 (mcast watch shows it)".to_string()
                }),
            (true, false) => Check::new(C, Status::Warn, format!("{evidence}: any-source joins work, source-specific ones would not")),
            _ => Check::new(C, Status::Ok, evidence),
        };
    }
    let own = sysctl(&format!("net/ipv6/conf/{}/force_mld_version", iface.name)).unwrap_or(0);
    let all = sysctl("net/ipv6/conf/all/force_mld_version").unwrap_or(0);
    let evidence = format!("force_mld_version: all = {all}, {} = {own}", iface.name);
    if (own == 1 || all == 1) && ssm {
        Check::new(
            C,
            Status::Fail,
            format!("{evidence}: MLDv1 cannot carry sources"),
        )
        .fix(format!(
            "sysctl -w net.ipv6.conf.all.force_mld_version=0 net.ipv6.conf.{}.force_mld_version=0",
            iface.name
        ))
    } else {
        Check::new(C, Status::Ok, evidence)
    }
}

pub fn limits(case: &Case) -> Check {
    const C: &str = "limits";
    let n = case.sources.len();
    let (setting, value) = if case.v4() {
        (
            "net.ipv4.igmp_max_msf",
            sysctl("net/ipv4/igmp_max_msf").unwrap_or(10),
        )
    } else {
        // Host-wide: readable only in the first network namespace; 64 is the default.
        (
            "net.ipv6.mld_max_msf",
            sysctl("net/ipv6/mld_max_msf").unwrap_or(64),
        )
    };
    let groups = sysctl("net/ipv4/igmp_max_memberships").unwrap_or(20);
    let evidence = format!(
        "{n} sources asked; {setting} = {value} sources a group per socket; net.ipv4.igmp_max_memberships = {groups} groups a socket"
    );
    if n as i64 > value {
        Check::new(C, Status::Fail, evidence).fix(format!(
            "sysctl -w {setting}={n}, or spread the sources over several sockets"
        ))
    } else {
        Check::new(C, Status::Ok, evidence)
    }
}

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
    let who: Vec<String> = held
        .iter()
        .map(|s| {
            let h = holders(s.inode);
            let by = if h.is_empty() {
                "a process this user cannot see".to_string()
            } else {
                h.join(", ")
            };
            format!("{}:{} by {by}", s.local, s.port)
        })
        .collect();
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

    #[test]
    fn link_scoped_groups() {
        for (g, scoped) in [
            ("224.0.0.251", true),
            ("239.1.1.1", false),
            ("ff02::fb", true),
            ("ff01::1", true),
            ("ff05::1", false),
        ] {
            assert_eq!(link_scoped(g.parse().unwrap()), scoped, "{g}");
        }
    }
}
