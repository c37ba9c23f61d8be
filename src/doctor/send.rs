//! The sender's side (`mcast doctor --send`) of a group: where a send to it leaves, from
//! which address, whether the default TTL reaches beyond the link, and the MTU.

use super::{Case, Check, Host, Status, link_scoped};

/// The sender's side: where a send to the group leaves, from which address, whether the
/// default TTL reaches beyond the link, and the MTU.
pub fn send(case: &Case, host: &dyn Host) -> Check {
    const C: &str = "send";
    let iface = case.join_interface(host);
    let Some(iface) = iface else {
        return Check::new(
            C,
            Status::Fail,
            format!("no route for {} and no -i: a send fails", case.group),
        )
        .fix("give -i IFACE, or add a multicast route (ip route add 224.0.0.0/4 dev IFACE)");
    };
    let source = host
        .source_for(case.group, iface.index, case.port.unwrap_or(9))
        .map_or_else(
            || "an address the kernel would not say".to_string(),
            |s| s.to_string(),
        );
    let header = if case.group.is_ipv4() { 28 } else { 48 };
    let mtu = iface.mtu.map_or(String::new(), |m| {
        format!(
            "; MTU {m}: up to {} bytes a datagram leave this host whole, with Don't Fragment \
             set (the kernel's default; mcast send --no-df clears it). Only this interface's \
             MTU is known here: a smaller one on the way drops bigger datagrams (a switch \
             silently, a router with DF set too); mcast send --size tests the size that passes",
            m.saturating_sub(header)
        )
    });
    let evidence = format!("leaves by {} from {source}{mtu}", iface.name);
    if link_scoped(case.group) {
        Check::new(
            C,
            Status::Ok,
            format!("{evidence}; the group stays on the link, as TTL 1 keeps it"),
        )
    } else {
        Check::new(
            C,
            Status::Warn,
            format!("{evidence}; mcast send's default TTL 1 keeps it on this link"),
        )
        .fix("give --ttl N, one more than the routers between sender and receivers (and check mcast send --loop if receivers are on this host)")
    }
}
