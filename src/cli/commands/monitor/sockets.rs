//! The monitor's sockets: one per planned share of the joins, bound to the wildcard address
//! and the port, and another opened when the kernel refuses a join for a limit the plan
//! could not read (IPv6's option memory, a changed setting).

use std::net::IpAddr;

use anyhow::{Context, Result};

use mcast::monitor::{Join, Monitor, SocketPlan};
use mcast::{ErrorKind, IfaceSpec, IpMode, McastSocket, ScopedAddr, Service};

/// A socket, its port, and whether its kernel counts drops.
pub struct Opened {
    pub sock: McastSocket,
    /// The port it is bound to.
    pub port: u16,
    /// Whether the kernel counts its drops (SO_RXQ_OVFL).
    pub drops_counted: bool,
}

/// Opens a socket for `plan`'s port and family.
fn open(plan: &SocketPlan, rcvbuf: Option<u32>) -> Result<Opened> {
    let mode = if plan.v6 { IpMode::V6 } else { IpMode::V4 };
    let sock = McastSocket::new(mode, true)?;
    // Every receiver of a group shares its port, each getting every datagram: SO_REUSEADDR
    // alone. With SO_REUSEPORT too, Linux (6.18 here) hands a multicast datagram to one
    // socket of the port's reuse group picked by the flow's hash, whatever that socket
    // joined, and the monitor's sockets would take each other's groups.
    sock.set_recv_options(Some(true), None)?;
    sock.enable_gro()?;
    let drops_counted = sock.enable_kernel_drop_count()?;
    if let Some(bytes) = rcvbuf {
        sock.set_recv_buffer(bytes as usize)?;
    }
    sock.bind(None, &Service::Port(plan.port))?;
    sock.socket().set_nonblocking(true)?;
    Ok(Opened {
        sock,
        port: plan.port,
        drops_counted,
    })
}

fn join(sock: &mut McastSocket, j: &Join, iface: Option<&IfaceSpec>) -> mcast::Result<()> {
    sock.join(&ScopedAddr::from(j.group), iface, j.source)
}

/// Whether `e` is the kernel refusing one more membership on this socket.
fn full(e: &mcast::Error) -> bool {
    matches!(e.kind(), ErrorKind::MembershipLimit { .. })
}

/// Opens the sockets of `plans` and makes their joins, routing each in `monitor`; returns the
/// sockets in the order the monitor knows them. `name` tells a target as the user gave it.
pub fn open_all(
    plans: &[SocketPlan],
    rcvbuf: Option<u32>,
    monitor: &mut Monitor,
    name: impl Fn(usize) -> String,
) -> Result<Vec<Opened>> {
    let mut socks: Vec<Opened> = Vec::new();
    for plan in plans {
        let mut current = open(plan, rcvbuf)?;
        for j in &plan.joins {
            let iface = plan.interface.as_ref();
            match join(&mut current.sock, j, iface) {
                Ok(()) => {}
                // Full sooner than the plan thought: the rest go to a new socket.
                Err(e) if full(&e) && !current.sock.memberships().is_empty() => {
                    socks.push(std::mem::replace(&mut current, open(plan, rcvbuf)?));
                    join(&mut current.sock, j, iface)
                        .with_context(|| format!("target {}", name(j.target)))?;
                }
                Err(e) => return Err(e).with_context(|| format!("target {}", name(j.target))),
            }
            monitor.route(socks.len(), j);
        }
        socks.push(current);
    }
    Ok(socks)
}

/// The group a datagram was sent to, from its IP header; an IPv4 group on an IPv6 socket
/// is shown as IPv4.
pub fn group_of(destination: Option<IpAddr>) -> Option<IpAddr> {
    destination.map(|d| d.to_canonical())
}
