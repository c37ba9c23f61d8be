//! The doctor's check between the wire and the socket: who holds the port, whether
//! a receiver could share it, and whether its holders can receive the group at all.

use std::net::IpAddr;

use super::proc::{holders, udp_sockets};
use super::{Case, Check, Host, Status};

/// Who holds the port, bound to what, and whether a receiver could share it.
pub fn port(case: &Case, host: &dyn Host) -> Check {
    const C: &str = "port";
    let Some(port) = case.port else {
        return Check::new(C, Status::Skipped, "no PORT given");
    };
    let mut held = Vec::new();
    for file in ["/proc/net/udp", "/proc/net/udp6"] {
        if let Some(text) = host.read(file) {
            held.extend(udp_sockets(&text, port));
        }
    }
    if held.is_empty() {
        return Check::new(C, Status::Ok, format!("no socket holds UDP port {port}"));
    }
    let named: Vec<(String, Bound)> = held
        .iter()
        .map(|s| {
            let h = holders(host, s.inode);
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
    let probe = host.can_bind(case.v4(), port);
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
                e
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
}
