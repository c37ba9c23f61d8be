//! The monitor's sockets. The joins go to as many sockets as the kernel's per-socket limits
//! ask (another is opened when the kernel refuses one more, as IPv6's option memory does);
//! where the OS lets one socket read every group the host joined for its port (Linux's
//! IP_MULTICAST_ALL), one reader per port, family and interface takes all their datagrams,
//! so that 1,000 groups cost one socket's reads, not fifty. Elsewhere each joining socket is
//! bound to the port and read.

use std::collections::HashMap;
use std::net::IpAddr;

use anyhow::{Context, Result};

use mcast::monitor::{Join, Monitor, SocketPlan};
use mcast::{ErrorKind, IfaceSpec, IpMode, McastSocket, ScopedAddr, Service};

use crate::cli::exit::warn;

/// A socket read for datagrams: its port, and whether its kernel counts drops.
pub struct Opened {
    pub sock: McastSocket,
    /// The port it is bound to.
    pub port: u16,
    /// Whether the kernel counts its drops (SO_RXQ_OVFL).
    pub drops_counted: bool,
}

/// Every socket of a run: those read, and those that only hold joins.
pub struct Sockets {
    pub readers: Vec<Opened>,
    /// Sockets that hold memberships and are not read (a reader takes their groups).
    pub holders: Vec<McastSocket>,
}

fn mode(plan: &SocketPlan) -> IpMode {
    if plan.v6 { IpMode::V6 } else { IpMode::V4 }
}

/// A socket bound to `plan`'s port (on its interface alone when it names one), to be read.
fn reader(plan: &SocketPlan, rcvbuf: Option<u32>) -> Result<Opened> {
    let sock = McastSocket::new(mode(plan), true)?;
    // Every receiver of a group shares its port, each getting every datagram: SO_REUSEADDR
    // alone. With SO_REUSEPORT too, Linux (6.18 here) hands a multicast datagram to one
    // socket of the port's reuse group picked by the flow's hash, whatever that socket
    // joined.
    sock.set_recv_options(Some(true), None)?;
    sock.enable_gro()?;
    let drops_counted = sock.enable_kernel_drop_count()?;
    if let Some(bytes) = rcvbuf {
        sock.set_recv_buffer(bytes as usize)?;
    }
    let on = plan
        .interface
        .as_ref()
        .filter(|i| !matches!(i, IfaceSpec::Addr(_)));
    sock.bind(on, &Service::Port(plan.port))?;
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

/// Makes `plan`'s joins on `current`, opening another socket with `open` when the kernel
/// refuses one more; each join is routed to reader `read_by(socket)`. Returns the sockets
/// filled, `current` last.
fn fill(
    plan: &SocketPlan,
    mut current: McastSocket,
    open: &dyn Fn() -> Result<McastSocket>,
    monitor: &mut Monitor,
    route_to: &mut dyn FnMut(usize) -> usize,
    name: &dyn Fn(usize) -> String,
) -> Result<Vec<McastSocket>> {
    let mut done = Vec::new();
    let iface = plan.interface.as_ref();
    for j in &plan.joins {
        match join(&mut current, j, iface) {
            Ok(()) => {}
            // Full sooner than the plan thought: the rest go to a new socket.
            Err(e) if full(&e) && !current.memberships().is_empty() => {
                done.push(std::mem::replace(&mut current, open()?));
                join(&mut current, j, iface)
                    .with_context(|| format!("target {}", name(j.target)))?;
            }
            Err(e) => return Err(e).with_context(|| format!("target {}", name(j.target))),
        }
        monitor.route(route_to(done.len()), j);
    }
    done.push(current);
    Ok(done)
}

/// Opens the sockets of `plans` and makes their joins, routing each in `monitor` to the
/// socket that reads it. `name` tells a target as the user gave it.
pub fn open_all(
    plans: &[SocketPlan],
    rcvbuf: Option<u32>,
    monitor: &mut Monitor,
    name: impl Fn(usize) -> String,
) -> Result<Sockets> {
    let mut s = Sockets {
        readers: Vec::new(),
        holders: Vec::new(),
    };
    // One reader per port, family and interface, where the OS allows it.
    let mut shared: HashMap<(u16, bool, Option<&IfaceSpec>), usize> = HashMap::new();
    let mut read_by: HashMap<usize, usize> = HashMap::new();
    for plan in plans {
        let key = (plan.port, plan.v6, plan.interface.as_ref());
        let at = match shared.get(&key) {
            Some(&at) => Some(at),
            None => {
                let r = reader(plan, rcvbuf)?;
                if r.sock.receive_every_joined()? {
                    s.readers.push(r);
                    shared.insert(key, s.readers.len() - 1);
                    Some(s.readers.len() - 1)
                } else {
                    None
                }
            }
        };
        match at {
            Some(at) => {
                let holder = || Ok(McastSocket::new(mode(plan), true)?);
                let filled = fill(plan, holder()?, &holder, monitor, &mut |_| at, &name)?;
                s.holders.extend(filled);
                *read_by.entry(at).or_insert(0) += plan.joins.len();
            }
            None => {
                // Each joining socket is read: the next reader's index, and so on.
                let open = || Ok(reader(plan, rcvbuf)?.sock);
                let first = s.readers.len();
                let filled = fill(plan, open()?, &open, monitor, &mut |k| first + k, &name)?;
                s.readers.extend(filled.into_iter().map(|sock| Opened {
                    drops_counted: sock.enable_kernel_drop_count().unwrap_or(false),
                    sock,
                    port: plan.port,
                }));
            }
        }
    }
    // One reader takes the bursts of many groups at once: unless told, its buffer grows
    // with them (as root, or with CAP_NET_ADMIN, past net.core.rmem_max).
    if rcvbuf.is_none() {
        for (at, joins) in read_by {
            let bytes = (joins * PER_GROUP).clamp(MIN_SHARED, MAX_SHARED);
            let granted = s.readers[at].sock.set_recv_buffer(bytes)?;
            if granted < bytes {
                warn(format_args!(
                    "the socket reading {joins} groups on port {} got a receive buffer of {granted} bytes, not {bytes} (net.core.rmem_max caps it): bursts may be dropped on this host, and are counted as its kernel drops; run as root, or raise net.core.rmem_max",
                    s.readers[at].port
                ));
            }
        }
    }
    Ok(s)
}

/// Receive buffer a shared reader is given per group it reads, within these bounds.
const PER_GROUP: usize = 128 * 1024;
const MIN_SHARED: usize = 1 << 20;
const MAX_SHARED: usize = 32 << 20;

/// The group a datagram was sent to, from its IP header; an IPv4 group on an IPv6 socket
/// is shown as IPv4.
pub fn group_of(destination: Option<IpAddr>) -> Option<IpAddr> {
    destination.map(|d| d.to_canonical())
}
