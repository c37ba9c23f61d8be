//! The checks of where a join goes: the interface, the route, the group's range and MAC
//! aliasing.

use super::proc::{group_mac, mac_text};
use super::{Case, Check, Host, Status, link_scoped};

/// Whether the interface a join uses is up, has carrier, takes multicast and has an
/// address of the group's family.
pub fn interface(case: &Case, host: &dyn Host) -> Check {
    const C: &str = "interface";
    let iface = match &case.given {
        Some(Err(e)) => {
            return Check::new(C, Status::Fail, e.clone())
                .fix("name an interface that exists (mcast ifaces lists them)");
        }
        Some(Ok(i)) => i.clone(),
        None => match host.route_for(case.group) {
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
    if problems.is_empty() && !has_family {
        // The group's datagrams still arrive: joins and delivery need the interface, not
        // an address. What suffers is the membership report, which then goes out from
        // another interface's address or 0.0.0.0 (IPv4) and which some queriers ignore.
        let family = if case.v4() { "IPv4" } else { "IPv6" };
        return Check::new(
            C,
            Status::Warn,
            format!(
                "{} ({how}): up, carrier, multicast, but without an {family} address: the group's datagrams still arrive, but its membership reports carry another source (IPv4: maybe 0.0.0.0), which some routers and switches ignore",
                iface.name
            ),
        )
        .fix(format!(
            "if the switch or router stops forwarding, give {} an {family} address (ip addr add ADDRESS/PREFIX dev {})",
            iface.name, iface.name
        ));
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

/// Whether the kernel routes the group, and by the interface given.
pub fn route(case: &Case, host: &dyn Host) -> Check {
    const C: &str = "route";
    if case.group.is_ipv6() && link_scoped(case.group) {
        return Check::new(
            C,
            Status::Skipped,
            format!(
                "{} is link-scoped: the interface names its link, no route applies",
                case.group
            ),
        );
    }
    let routed = host.route_for(case.group);
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

/// Whether the group's range suits the join (source-specific range without sources).
pub fn group(case: &Case) -> Check {
    const C: &str = "group";
    let g = case.group;
    if crate::addr::is_ssm_range(g) && case.sources.is_empty() {
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

/// Whether other groups held on the interface share the group's MAC address.
pub fn mac_alias(case: &Case, host: &dyn Host) -> Check {
    const C: &str = "mac_alias";
    let Some(iface) = case.join_interface(host) else {
        return Check::new(C, Status::Skipped, "no interface to look at");
    };
    let mac = group_mac(case.group);
    let held = match host.memberships() {
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

#[cfg(test)]
mod tests {
    use super::super::link_scoped;

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
