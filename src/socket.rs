//! `McastSocket`, the seed's mid-level API: one UDP socket that joins, leaves, sends and receives.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::addr::{IfaceSpec, ScopedAddr};
use crate::error::{Error, Result};
use crate::iface;
use crate::service::Service;
use crate::sys::{self, OsFailure};

pub use crate::sys::Received;

/// Which address families a socket works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpMode {
    /// IPv4 only: an AF_INET socket.
    V4,
    /// IPv6 only: an AF_INET6 socket with IPV6_V6ONLY on.
    V6,
    /// IPv6 and IPv4 on one AF_INET6 socket with IPV6_V6ONLY off (the seed's default).
    #[default]
    Both,
}

impl IpMode {
    /// The narrowest mode that handles `ip`.
    pub fn for_addr(ip: IpAddr) -> Self {
        if ip.is_ipv4() { IpMode::V4 } else { IpMode::V6 }
    }

    fn carries(self, ip: IpAddr) -> bool {
        match self {
            IpMode::V4 => ip.is_ipv4(),
            IpMode::V6 => ip.is_ipv6(),
            IpMode::Both => true,
        }
    }

    pub(crate) fn v4(self) -> bool {
        self != IpMode::V6
    }

    pub(crate) fn v6(self) -> bool {
        self != IpMode::V4
    }
}

/// One group membership this socket holds.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The group joined.
    pub group: IpAddr,
    /// The interface joined on, as (index, name): the one named, or else the one the routing
    /// table picked; None when that could not be found out.
    pub interface: Option<(u32, String)>,
    /// The source of a source-specific join; None for any-source.
    pub source: Option<IpAddr>,
}

/// A resolved destination, so a sender loop resolves the group and service once.
#[derive(Debug, Clone)]
pub struct Destination {
    addr: SockAddr,
    shown: String,
    /// For an IPv6 group: the interface its zone names (0 for none). Linux applies a
    /// sockaddr's scope id only to link-local and interface-local groups, so a zone on a
    /// wider group (`ff15::1%eth1`) is honoured by setting IPV6_MULTICAST_IF before sending.
    v6_group_zone: Option<u32>,
}

impl Destination {
    pub(crate) fn sockaddr(&self) -> &SockAddr {
        &self.addr
    }

    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// The destination as a socket address (IPv4 shown as IPv4 even on a dual-stack socket).
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.addr
            .as_socket()
            .map(|a| SocketAddr::new(a.ip().to_canonical(), a.port()))
    }
}

/// A UDP socket for multicast (and unicast) datagrams, with joins tracked so they can be left.
///
/// Dropping it leaves every group it joined.
///
/// ```no_run
/// use mcast::{IfaceSpec, IpMode, McastSocket, Service};
///
/// # fn main() -> mcast::Result<()> {
/// // Receive 232.1.1.1 port 7777 from 192.0.2.2 only (SSM), on eth0.
/// let mut rx = McastSocket::new(IpMode::V4, false)?;
/// rx.set_recv_options(Some(true), Some(true))?;
/// rx.bind(None, &Service::Port(7777))?;
/// let eth0: IfaceSpec = "eth0".parse()?;
/// rx.join(&"232.1.1.1".parse()?, Some(&eth0), Some("192.0.2.2".parse().unwrap()))?;
/// let mut buf = [0u8; 2048];
/// let got = rx.recv_from(&mut buf)?;
/// println!("{} bytes from {} to {:?} on interface {:?}", got.len, got.source,
///          got.destination, got.ifindex);
///
/// // Send to the group through eth0, TTL 8.
/// let mut tx = McastSocket::new(IpMode::V4, false)?;
/// tx.set_send_options(Some(&eth0), None, Some(8), None)?;
/// tx.send_to(b"hello", &"232.1.1.1".parse()?, &Service::Port(7777))?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct McastSocket {
    pub(crate) socket: Socket,
    pub(crate) mode: IpMode,
    mcast_only: bool,
    pub(crate) memberships: Vec<Membership>,
    pub(crate) send_ifindex: Option<u32>,
    /// The IPV6_MULTICAST_IF value last set (0: none), so a zoned destination changes it
    /// only when it differs.
    v6_multicast_if: AtomicU32,
    recv_state: sys::BatchHeaders,
    pub(crate) gso: crate::batch::Gso,
}

pub(crate) fn os(context: impl Into<String>) -> impl FnOnce(OsFailure) -> Error {
    move |f| Error::os(context, f.call, f.error)
}

pub(crate) fn os_call(
    context: impl Into<String>,
    call: &'static str,
) -> impl FnOnce(io::Error) -> Error {
    move |e| Error::os(context, call, e)
}

impl McastSocket {
    /// A new UDP socket for `mode`. With `mcast_only` it works with multicast only: unicast
    /// destinations, binds and connects are refused, and unicast datagrams are passed over.
    ///
    /// The socket receives only the groups it joins itself: Linux's IP_MULTICAST_ALL and
    /// IPV6_MULTICAST_ALL, on by default, are turned off. It asks for the destination,
    /// interface, TTL and TOS of every datagram it receives.
    pub fn new(mode: IpMode, mcast_only: bool) -> Result<Self> {
        let context = "create UDP socket";
        let domain = if mode == IpMode::V4 {
            Domain::IPV4
        } else {
            Domain::IPV6
        };
        let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))
            .map_err(os_call(context, "socket"))?;
        if mode != IpMode::V4 {
            socket
                .set_only_v6(mode == IpMode::V6)
                .map_err(os_call(context, "setsockopt(IPV6_V6ONLY)"))?;
        }
        sys::receive_only_joined(&socket, mode != IpMode::V4).map_err(os(context))?;
        sys::enable_recv_info(&socket, mode.v4(), mode.v6()).map_err(os(context))?;
        Ok(McastSocket {
            socket,
            mode,
            mcast_only,
            memberships: Vec::new(),
            send_ifindex: None,
            v6_multicast_if: AtomicU32::new(0),
            recv_state: sys::BatchHeaders::new(1),
            gso: Default::default(),
        })
    }

    /// The families this socket works with.
    #[must_use]
    pub fn mode(&self) -> IpMode {
        self.mode
    }

    /// True when the socket was made multicast-only.
    #[must_use]
    pub fn mcast_only(&self) -> bool {
        self.mcast_only
    }

    /// The underlying socket, for options this API does not cover.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The groups this socket has joined and not yet left.
    #[must_use]
    pub fn memberships(&self) -> &[Membership] {
        &self.memberships
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        let a = self
            .socket
            .local_addr()
            .map_err(os_call("read local address", "getsockname"))?;
        a.as_socket()
            .map(|a| SocketAddr::new(a.ip().to_canonical(), a.port()))
            .ok_or_else(|| Error::invalid("read local address", "not an IP socket"))
    }

    pub(crate) fn check_family(&self, ip: IpAddr, context: &str) -> Result<()> {
        if self.mode.carries(ip) {
            return Ok(());
        }
        let (this, other) = match self.mode {
            IpMode::V4 => ("an IPv4", "IPv6 or both"),
            _ => ("an IPv6-only", "IPv4 or both"),
        };
        Err(Error::invalid(
            context,
            format!("{ip} does not fit {this} socket; use a socket of mode {other}"),
        ))
    }

    pub(crate) fn check_unicast_allowed(&self, ip: IpAddr, context: &str) -> Result<()> {
        if self.mcast_only && !ip.is_multicast() {
            return Err(Error::invalid(
                context,
                format!("{ip} is not a multicast group and this socket is multicast-only"),
            ));
        }
        Ok(())
    }

    /// A socket address for `ip`, IPv4-mapped on a dual-stack socket.
    fn sockaddr(&self, ip: IpAddr, port: u16, scope_id: u32) -> SockAddr {
        match (ip, self.mode) {
            (IpAddr::V4(v4), IpMode::Both) => {
                SocketAddrV6::new(v4.to_ipv6_mapped(), port, 0, 0).into()
            }
            (IpAddr::V6(v6), _) => SocketAddrV6::new(v6, port, 0, scope_id).into(),
            (ip, _) => SocketAddr::new(ip, port).into(),
        }
    }

    fn wildcard(&self) -> IpAddr {
        match self.mode {
            IpMode::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            _ => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    /// Binds to `address` and `service`.
    ///
    /// `address` None is the wildcard. An address (a group, a local unicast address or the
    /// wildcard itself) is bound as it is. An interface name or index binds the wildcard and
    /// restricts the socket to that interface (SO_BINDTODEVICE on Linux, IP_BOUND_IF on
    /// macOS). Port 0 lets the system choose. Returns the address bound.
    pub fn bind(&self, address: Option<&IfaceSpec>, service: &Service) -> Result<SocketAddr> {
        let port = service.port()?;
        let shown = address.map_or_else(|| self.wildcard().to_string(), |a| a.to_string());
        let context = format!("bind {shown} port {port}");
        let target = match address {
            None => self.sockaddr(self.wildcard(), port, 0),
            Some(IfaceSpec::Addr(a)) => {
                self.check_family(a.ip, &context)?;
                if !a.ip.is_unspecified() {
                    self.check_unicast_allowed(a.ip, &context)?;
                }
                let scope = zone_index(a, &context)?;
                if scope == 0 && a.needs_interface() {
                    return Err(needs_interface(a, &context));
                }
                self.sockaddr(a.ip, port, scope)
            }
            Some(spec) => {
                let iface = iface::resolve(spec)?;
                sys::bind_device(&self.socket, &iface.name, iface.index, self.mode.v6())
                    .map_err(os(&context))?;
                self.sockaddr(self.wildcard(), port, 0)
            }
        };
        self.socket
            .bind(&target)
            .map_err(os_call(&context, "bind"))?;
        self.local_addr()
    }

    /// Connects to `address` and `service`, so `send` needs no destination and only that
    /// peer's datagrams are received.
    pub fn connect(&self, address: &ScopedAddr, service: &Service) -> Result<()> {
        let dest = self.destination(address, service)?;
        self.socket
            .connect(&dest.addr)
            .map_err(os_call(format!("connect to {}", dest.shown), "connect"))
    }

    /// Resolves a group (or unicast address) and service into a destination for `send_dest`.
    pub fn destination(&self, group: &ScopedAddr, service: &Service) -> Result<Destination> {
        let port = service.port()?;
        let shown = format!("{group} port {port}");
        let context = format!("send to {shown}");
        if port == 0 {
            return Err(Error::invalid(
                context,
                "port 0 means 'any' only when binding; give the receivers' port",
            ));
        }
        self.check_family(group.ip, &context)?;
        self.check_unicast_allowed(group.ip, &context)?;
        let scope = zone_index(group, &context)?;
        if scope == 0 && group.needs_interface() && self.send_ifindex.is_none() {
            return Err(needs_interface(group, &context));
        }
        if group.ip == IpAddr::V4(Ipv4Addr::BROADCAST) {
            self.allow_broadcast(Ipv4Addr::BROADCAST, &context)?;
        }
        Ok(Destination {
            addr: self.sockaddr(group.ip, port, scope),
            shown,
            v6_group_zone: (group.ip.is_ipv6() && group.ip.is_multicast()).then_some(scope),
        })
    }

    /// Sending to a broadcast address takes SO_BROADCAST (else EACCES); the limited
    /// broadcast 255.255.255.255 has no route to pick an interface by, so it leaves
    /// through the one `set_send_options` named (SO_BINDTODEVICE on Linux). A subnet's
    /// broadcast address is only found out when the kernel refuses it (`retry_broadcast`).
    fn allow_broadcast(&self, to: Ipv4Addr, context: &str) -> Result<()> {
        self.socket
            .set_broadcast(true)
            .map_err(os_call(context, "setsockopt(SO_BROADCAST)"))?;
        if to == Ipv4Addr::BROADCAST
            && let Some(index) = self.send_ifindex
        {
            let i = iface::resolve(&IfaceSpec::Index(index))?;
            sys::bind_device(&self.socket, &i.name, i.index, self.mode.v6())
                .map_err(os(context))?;
        }
        Ok(())
    }

    /// After EACCES from a send to `dest`: when `dest` is the broadcast address of an
    /// interface here, allows broadcast and returns true, so the send is tried again.
    pub(crate) fn retry_broadcast(&self, dest: &Destination, e: &io::Error) -> bool {
        let Some(IpAddr::V4(v4)) = dest.socket_addr().map(|a| a.ip()) else {
            return false;
        };
        e.raw_os_error() == Some(libc::EACCES)
            && !self.socket.broadcast().unwrap_or(true)
            && is_broadcast(v4)
            && self.socket.set_broadcast(true).is_ok()
    }

    /// Points IPV6_MULTICAST_IF where `dest` must leave: its zone, else the interface of
    /// `set_send_options`, else the route's choice. A no-op unless that changes.
    pub(crate) fn steer(&self, dest: &Destination) -> Result<()> {
        let Some(zone) = dest.v6_group_zone else {
            return Ok(());
        };
        let want = if zone != 0 {
            zone
        } else {
            self.send_ifindex.unwrap_or(0)
        };
        if self.v6_multicast_if.load(Ordering::Relaxed) == want {
            return Ok(());
        }
        self.socket.set_multicast_if_v6(want).map_err(os_call(
            format!("send to {} through interface {want}", dest.shown),
            "setsockopt(IPV6_MULTICAST_IF)",
        ))?;
        self.v6_multicast_if.store(want, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn note_v6_multicast_if(&self, index: u32) {
        self.v6_multicast_if.store(index, Ordering::Relaxed);
    }

    /// Sends one datagram to `group` and `service`; returns the bytes sent.
    pub fn send_to(&self, buf: &[u8], group: &ScopedAddr, service: &Service) -> Result<usize> {
        let dest = self.destination(group, service)?;
        self.send_dest(buf, &dest)
    }

    /// Sends one datagram to a destination resolved before.
    pub fn send_dest(&self, buf: &[u8], dest: &Destination) -> Result<usize> {
        self.steer(dest)?;
        let sent = match self.socket.send_to(buf, &dest.addr) {
            Err(e) if self.retry_broadcast(dest, &e) => self.socket.send_to(buf, &dest.addr),
            sent => sent,
        };
        sent.map_err(|e| {
            let context = format!("send {} bytes to {}", buf.len(), dest.shown);
            if e.raw_os_error() == Some(libc::EMSGSIZE) {
                Error::invalid(
                    context,
                    "too large for one datagram (at most 65507 bytes over IPv4, 65527 over IPv6)",
                )
            } else {
                Error::os(context, "sendto", e)
            }
        })
    }

    /// Sends one datagram to `to` from the local address `from`, out of interface `ifindex`
    /// (the route's choice when None): a reply that leaves from the address its request came
    /// to, so a client that joined (that address, group) gets the multicast copy too.
    pub fn send_from(
        &self,
        buf: &[u8],
        to: SocketAddr,
        from: IpAddr,
        ifindex: Option<u32>,
    ) -> Result<usize> {
        sys::send_from(&self.socket, buf, to, from, ifindex.unwrap_or(0)).map_err(os_call(
            format!("send {} bytes to {to} from {from}", buf.len()),
            "sendmsg",
        ))
    }

    /// Asks the kernel to stamp each datagram with the time it leaves (Linux: software
    /// SO_TIMESTAMPING), numbered from 0 in send order from now on; read them with
    /// [`McastSocket::tx_timestamps`]. False where the OS offers no such stamps.
    pub fn enable_tx_timestamps(&self) -> Result<bool> {
        sys::enable_tx_timestamps(&self.socket).map_err(os("turn on transmit timestamps"))
    }

    /// The transmit stamps made since the last call: (number of the send, nanoseconds since
    /// the Unix epoch). Never blocks.
    #[must_use]
    pub fn tx_timestamps(&self) -> Vec<(u32, u64)> {
        sys::tx_timestamps(&self.socket)
    }

    /// Sets Don't Fragment on what this socket sends (Linux IP_MTU_DISCOVER /
    /// IPV6_MTU_DISCOVER, macOS IP_DONTFRAG / IPV6_DONTFRAG). On: never fragmented, and a
    /// datagram too big for the interface fails; off: routers on the way may fragment it.
    /// Left alone, Linux sets DF on datagrams that fit the interface's MTU.
    pub fn set_dont_fragment(&self, on: bool) -> Result<()> {
        sys::set_dont_fragment(&self.socket, self.mode.v4(), self.mode.v6(), on).map_err(os(
            if on {
                "set Don't Fragment"
            } else {
                "clear Don't Fragment"
            },
        ))
    }

    /// Sends one datagram on a connected socket.
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        self.socket
            .send(buf)
            .map_err(os_call(format!("send {} bytes", buf.len()), "send"))
    }

    /// Stops reporting what a socket that only answers does not look at (the arrival time,
    /// TTL and TOS: `Received` has None for them from now on), keeping the destination and
    /// the interface: less work for the kernel per datagram (Linux).
    pub fn recv_addresses_only(&mut self) -> Result<()> {
        sys::recv_addresses_only(&self.socket, self.mode.v4(), self.mode.v6())
            .map_err(os("report only the destination and interface of datagrams"))
    }

    /// Receives one datagram into `buf`: its length, sender, and what the IP header said.
    ///
    /// A datagram longer than `buf` is cut and reported as truncated, with its real size.
    /// Blocks unless the socket was made non-blocking or given a read timeout; a timeout
    /// is reported as an error whose OS error is `WouldBlock` or `TimedOut`. A
    /// multicast-only socket passes over datagrams sent to a unicast address.
    pub fn recv_from(&mut self, buf: &mut [u8]) -> Result<Received> {
        loop {
            let r = sys::recv(&self.socket, buf, &mut self.recv_state)
                .map_err(os_call("receive a datagram", "recvmsg"))?;
            if self.accepts(&r) {
                return Ok(r);
            }
        }
    }

    /// False for a datagram a multicast-only socket does not take: one whose destination
    /// the OS reported as unicast.
    pub(crate) fn accepts(&self, r: &Received) -> bool {
        !self.mcast_only || r.destination.is_none_or(|d| d.is_multicast())
    }

    /// Waits until a datagram can be read or `timeout` passes (None waits without end).
    /// Returns false on timeout, and also when a signal interrupted the wait, so callers
    /// can look at their stop conditions.
    pub fn wait_readable(&self, timeout: Option<Duration>) -> Result<bool> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let ms = timeout.map_or(PollTimeout::NONE, |t| {
            // Round up, so a wait never ends before its deadline and spins.
            let ms = t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
        });
        let mut fds = [PollFd::new(self.socket.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, ms) {
            Ok(n) => Ok(n > 0),
            Err(nix::errno::Errno::EINTR) => Ok(false),
            Err(e) => Err(Error::os("wait for a datagram", "poll", e.into())),
        }
    }
}

impl std::os::fd::AsFd for McastSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl std::os::fd::AsRawFd for McastSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.socket.as_raw_fd()
    }
}

impl Drop for McastSocket {
    fn drop(&mut self) {
        // Closing the socket would drop the memberships too; leaving explicitly keeps the
        // kernel's reports prompt and the behaviour the same on every OS.
        let _ = self.leave_all();
    }
}

/// True for the limited broadcast address and the broadcast address of any interface here.
pub(crate) fn is_broadcast(ip: Ipv4Addr) -> bool {
    ip == Ipv4Addr::BROADCAST
        || iface::interfaces().is_ok_and(|list| {
            list.iter()
                .any(|i| i.addresses.iter().any(|a| a.broadcast == Some(ip)))
        })
}

/// The index of a zone, resolved; 0 where there is none.
fn zone_index(a: &ScopedAddr, context: &str) -> Result<u32> {
    match &a.zone {
        None => Ok(0),
        Some(z) => iface::resolve_zone(z)
            .map(|i| i.index)
            .map_err(|e| Error::invalid(context, e.to_string())),
    }
}

pub(crate) fn needs_interface(group: &ScopedAddr, context: &str) -> Error {
    Error::invalid(
        context,
        format!(
            "{} is link-local or interface-local and needs an interface: write {}%IFACE or give an interface",
            group.ip, group.ip
        ),
    )
}
