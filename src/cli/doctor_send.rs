//! `mcast doctor --send`: the sender's side of a group: where a send to it leaves, from
//! which address, whether the default TTL reaches beyond the link, and the MTU.

use std::net::IpAddr;

use mcast::iface::Interface;
use mcast::{IfaceSpec, IpMode, McastSocket, ScopedAddr, Service};

use super::doctor_checks::{Case, Check, Status};

/// The sender's side: where a send to the group leaves, from which address, whether the
/// default TTL reaches beyond the link, and the MTU.
pub fn send(case: &Case) -> Check {
    const C: &str = "send";
    let iface = case.join_interface();
    let Some(iface) = iface else {
        return Check::new(
            C,
            Status::Fail,
            format!("no route for {} and no -i: a send fails", case.group),
        )
        .fix("give -i IFACE, or add a multicast route (ip route add 224.0.0.0/4 dev IFACE)");
    };
    let source = source_for(case, &iface).map_or_else(
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
    let link_only = match case.group {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => matches!(v6.segments()[0] & 0x000f, 1 | 2),
    };
    if link_only {
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

/// The source address a send to the group would carry.
fn source_for(case: &Case, iface: &Interface) -> Option<IpAddr> {
    let mut sock = McastSocket::new(IpMode::for_addr(case.group), false).ok()?;
    sock.set_send_options(Some(&IfaceSpec::Index(iface.index)), None, None, None)
        .ok()?;
    let mut group = ScopedAddr::from(case.group);
    if case.group.is_ipv6() {
        group.zone = Some(mcast::Zone::Index(iface.index));
    }
    sock.connect(&group, &Service::Port(case.port.unwrap_or(9)))
        .ok()?;
    sock.local_addr().ok().map(|a| a.ip())
}
