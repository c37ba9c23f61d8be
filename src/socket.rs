//! `McastSocket`, the seed's mid-level API: one UDP socket that joins, leaves, sends and receives.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::addr::{IfaceSpec, ScopedAddr};
use crate::error::{Error, Result};
use crate::iface::{self, Interface};
use crate::service::Service;
use crate::sys::{self, Change, OsFailure};

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

    fn v4(self) -> bool {
        self != IpMode::V6
    }

    fn v6(self) -> bool {
        self != IpMode::V4
    }
}

/// One group membership this socket holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The group joined.
    pub group: IpAddr,
    /// The interface joined on, as (index, name); None when the kernel chose by route.
    pub interface: Option<(u32, String)>,
    /// The source of a source-specific join; None for any-source.
    pub source: Option<IpAddr>,
}

/// A resolved destination, so a sender loop resolves the group and service once.
#[derive(Debug, Clone)]
pub struct Destination {
    addr: SockAddr,
    shown: String,
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
#[derive(Debug)]
pub struct McastSocket {
    pub(crate) socket: Socket,
    mode: IpMode,
    mcast_only: bool,
    memberships: Vec<Membership>,
    send_ifindex: Option<u32>,
    recv_state: sys::BatchHeaders,
    pub(crate) gso: crate::batch::Gso,
}

fn os(context: impl Into<String>) -> impl FnOnce(OsFailure) -> Error {
    move |f| Error::os(context, f.call, f.error)
}

fn os_call(context: impl Into<String>, call: &'static str) -> impl FnOnce(io::Error) -> Error {
    move |e| Error::os(context, call, e)
}

impl McastSocket {
    /// A new UDP socket for `mode`. With `mcast_only`, unicast destinations are refused.
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
            recv_state: sys::BatchHeaders::new(1),
            gso: Default::default(),
        })
    }

    /// The families this socket works with.
    pub fn mode(&self) -> IpMode {
        self.mode
    }

    /// The underlying socket, for options this API does not cover.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The groups this socket has joined and not yet left.
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

    fn check_family(&self, ip: IpAddr, context: &str) -> Result<()> {
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

    fn check_unicast_allowed(&self, ip: IpAddr, context: &str) -> Result<()> {
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
        self.check_family(group.ip, &context)?;
        self.check_unicast_allowed(group.ip, &context)?;
        let scope = zone_index(group, &context)?;
        if scope == 0 && group.needs_interface() && self.send_ifindex.is_none() {
            return Err(needs_interface(group, &context));
        }
        Ok(Destination {
            addr: self.sockaddr(group.ip, port, scope),
            shown,
        })
    }

    /// Sends one datagram to `group` and `service`; returns the bytes sent.
    pub fn send_to(&self, buf: &[u8], group: &ScopedAddr, service: &Service) -> Result<usize> {
        let dest = self.destination(group, service)?;
        self.send_dest(buf, &dest)
    }

    /// Sends one datagram to a destination resolved before.
    pub fn send_dest(&self, buf: &[u8], dest: &Destination) -> Result<usize> {
        self.socket.send_to(buf, &dest.addr).map_err(|e| {
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

    /// Sends one datagram on a connected socket.
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        self.socket
            .send(buf)
            .map_err(os_call(format!("send {} bytes", buf.len()), "send"))
    }

    /// Receives one datagram into `buf`: its length, sender, and what the IP header said.
    ///
    /// A datagram longer than `buf` is cut and reported as truncated, with its real size.
    /// Blocks unless the socket was made non-blocking or given a read timeout; a timeout
    /// is reported as an error whose OS error is `WouldBlock` or `TimedOut`.
    pub fn recv_from(&mut self, buf: &mut [u8]) -> Result<Received> {
        sys::recv(&self.socket, buf, &mut self.recv_state)
            .map_err(os_call("receive a datagram", "recvmsg"))
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

    /// Joins `group`, from any source or from `source` only (SSM).
    ///
    /// The interface is `ifaddr` (a name, index, or one of its addresses), or else the
    /// group's zone (`ff02::1%eth0`); with neither, the kernel chooses by route, which
    /// link-local and interface-local IPv6 groups do not allow.
    pub fn join(
        &mut self,
        group: &ScopedAddr,
        ifaddr: Option<&IfaceSpec>,
        source: Option<IpAddr>,
    ) -> Result<()> {
        let (membership, context) = self.membership(group, ifaddr, source, "join")?;
        if self.memberships.contains(&membership) {
            return Err(Error::invalid(context, "this socket has already joined it"));
        }
        let ifindex = membership.interface.as_ref().map_or(0, |i| i.0);
        sys::change_membership(
            &self.socket,
            Change::Join,
            group.ip,
            ifindex,
            source,
            self.mode != IpMode::V4,
        )
        .map_err(|f| {
            // IPv4 counts groups (ENOBUFS past igmp_max_memberships); Linux bounds IPv6
            // joins by socket option memory instead, and says ENOMEM past optmem_max.
            let code = f.error.raw_os_error();
            if ifindex == 0 && code == Some(libc::ENODEV) {
                Error::invalid(
                    &context,
                    "no interface was given and no route picks one for this group: give an \
                     interface, or add a multicast route (ip route add 224.0.0.0/4 dev IFACE)",
                )
            } else if code == Some(libc::ENOBUFS)
                || (group.ip.is_ipv6() && code == Some(libc::ENOMEM))
            {
                let (setting, limit) = sys::membership_limit(group.ip.is_ipv4());
                Error::membership_limit(&context, setting, limit, f.error)
            } else {
                os(&context)(f)
            }
        })?;
        self.memberships.push(membership);
        Ok(())
    }

    /// Leaves a group joined before with the same group, interface and source.
    pub fn leave(
        &mut self,
        group: &ScopedAddr,
        ifaddr: Option<&IfaceSpec>,
        source: Option<IpAddr>,
    ) -> Result<()> {
        let (wanted, context) = self.membership(group, ifaddr, source, "leave")?;
        let explicit = ifaddr.is_some() || group.zone.is_some();
        let found = self.memberships.iter().position(|m| {
            m.group == wanted.group
                && m.source == wanted.source
                && (!explicit || m.interface == wanted.interface)
        });
        let Some(at) = found else {
            return Err(Error::invalid(context, "this socket has not joined it"));
        };
        let m = self.memberships.remove(at);
        self.drop_membership(&m)
    }

    /// Leaves every group this socket joined; returns how many. All are tried even when one
    /// fails; the first failure is returned.
    pub fn leave_all(&mut self) -> Result<usize> {
        let all = std::mem::take(&mut self.memberships);
        let mut first_error = None;
        for m in &all {
            if let Err(e) = self.drop_membership(m) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(all.len()), Err)
    }

    fn drop_membership(&self, m: &Membership) -> Result<()> {
        let ifindex = m.interface.as_ref().map_or(0, |i| i.0);
        sys::change_membership(
            &self.socket,
            Change::Leave,
            m.group,
            ifindex,
            m.source,
            self.mode != IpMode::V4,
        )
        .map_err(os(describe("leave", m)))
    }

    /// Checks a join or leave request and resolves its interface.
    fn membership(
        &self,
        group: &ScopedAddr,
        ifaddr: Option<&IfaceSpec>,
        source: Option<IpAddr>,
        verb: &str,
    ) -> Result<(Membership, String)> {
        let mut context = format!("{verb} {group}");
        if let Some(s) = source {
            context.push_str(&format!(" from {s}"));
        }
        if let Some(i) = ifaddr {
            context.push_str(&format!(" on {i}"));
        }
        if !group.ip.is_multicast() {
            return Err(Error::invalid(
                context,
                format!(
                    "{} is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)",
                    group.ip
                ),
            ));
        }
        self.check_family(group.ip, &context)?;
        if let Some(s) = source {
            if s.is_ipv4() != group.ip.is_ipv4() {
                return Err(Error::invalid(
                    context,
                    format!(
                        "source {s} and group {} are of different families",
                        group.ip
                    ),
                ));
            }
            if s.is_multicast() || s.is_unspecified() {
                return Err(Error::invalid(
                    context,
                    format!("source {s} must be a unicast address of a sender"),
                ));
            }
        }
        let from_zone = group.zone.as_ref().map(iface::resolve_zone).transpose()?;
        let from_spec = ifaddr.map(iface::resolve).transpose()?;
        let iface: Option<Interface> = match (from_zone, from_spec) {
            (Some(z), Some(s)) if z.index != s.index => {
                return Err(Error::invalid(
                    context,
                    format!(
                        "the group's zone names {} but the interface given is {}; give one",
                        z.name, s.name
                    ),
                ));
            }
            (z, s) => s.or(z),
        };
        if iface.is_none() && group.needs_interface() {
            return Err(needs_interface(group, &context));
        }
        if let Some(i) = iface.as_ref().filter(|i| !i.flags.up) {
            return Err(Error::invalid(
                context,
                format!(
                    "interface {} is down; `ip link set {} up` brings it up",
                    i.name, i.name
                ),
            ));
        }
        if let Some(i) = iface.as_ref().filter(|i| !i.flags.multicast) {
            return Err(Error::invalid(
                context,
                format!(
                    "interface {} has no MULTICAST flag; `ip link set {} multicast on` enables it",
                    i.name, i.name
                ),
            ));
        }
        let membership = Membership {
            group: group.ip,
            interface: iface.map(|i| (i.index, i.name)),
            source,
        };
        Ok((membership, context))
    }

    /// Sets the options a receiver sharing a group and port with others needs.
    /// None leaves the system's value.
    pub fn set_recv_options(
        &self,
        reuse_address: Option<bool>,
        reuse_port: Option<bool>,
    ) -> Result<()> {
        if let Some(on) = reuse_address {
            self.socket
                .set_reuse_address(on)
                .map_err(os_call("set receive options", "setsockopt(SO_REUSEADDR)"))?;
        }
        if let Some(on) = reuse_port {
            self.socket
                .set_reuse_port(on)
                .map_err(os_call("set receive options", "setsockopt(SO_REUSEPORT)"))?;
        }
        Ok(())
    }

    /// Sets how datagrams leave: through which interface (`forward_interface`), whether they
    /// loop back to this host, their TTL (IPv4) and hop limit (IPv6), and their IP precedence
    /// (0-7, the top three bits of the TOS byte or traffic class). None leaves the system's value.
    pub fn set_send_options(
        &mut self,
        forward_interface: Option<&IfaceSpec>,
        loopback: Option<bool>,
        ttl: Option<u32>,
        precedence: Option<u8>,
    ) -> Result<()> {
        if let Some(spec) = forward_interface {
            let context = format!("send through interface {spec}");
            let i = iface::resolve(spec)?;
            if !i.flags.up || !i.flags.multicast {
                let (what, fix) = if i.flags.up {
                    ("has no MULTICAST flag", "multicast on")
                } else {
                    ("is down", "up")
                };
                return Err(Error::invalid(
                    context,
                    format!(
                        "interface {} {what}; `ip link set {} {fix}` fixes that",
                        i.name, i.name
                    ),
                ));
            }
            if self.mode.v4() {
                sys::set_multicast_if_v4(&self.socket, i.index, i.ipv4()).map_err(os(&context))?;
            }
            if self.mode.v6() {
                self.socket
                    .set_multicast_if_v6(i.index)
                    .map_err(os_call(&context, "setsockopt(IPV6_MULTICAST_IF)"))?;
            }
            self.send_ifindex = Some(i.index);
        }
        if let Some(on) = loopback {
            let context = format!("turn multicast loop {}", if on { "on" } else { "off" });
            if self.mode.v4() {
                self.socket
                    .set_multicast_loop_v4(on)
                    .map_err(os_call(&context, "setsockopt(IP_MULTICAST_LOOP)"))?;
            }
            if self.mode.v6() {
                self.socket
                    .set_multicast_loop_v6(on)
                    .map_err(os_call(&context, "setsockopt(IPV6_MULTICAST_LOOP)"))?;
            }
        }
        if let Some(ttl) = ttl {
            let context = format!("set TTL {ttl}");
            if ttl > 255 {
                return Err(Error::invalid(
                    context,
                    "TTL runs from 0 to 255 (1 stays on the link)",
                ));
            }
            if self.mode.v4() {
                self.socket
                    .set_multicast_ttl_v4(ttl)
                    .map_err(os_call(&context, "setsockopt(IP_MULTICAST_TTL)"))?;
                self.socket
                    .set_ttl_v4(ttl)
                    .map_err(os_call(&context, "setsockopt(IP_TTL)"))?;
            }
            if self.mode.v6() {
                self.socket
                    .set_multicast_hops_v6(ttl)
                    .map_err(os_call(&context, "setsockopt(IPV6_MULTICAST_HOPS)"))?;
                self.socket
                    .set_unicast_hops_v6(ttl)
                    .map_err(os_call(&context, "setsockopt(IPV6_UNICAST_HOPS)"))?;
            }
        }
        if let Some(prec) = precedence {
            let context = format!("set IP precedence {prec}");
            if prec > 7 {
                return Err(Error::invalid(context, "precedence runs from 0 to 7"));
            }
            let tos = u32::from(prec) << 5;
            if self.mode.v4() {
                self.socket
                    .set_tos_v4(tos)
                    .map_err(os_call(&context, "setsockopt(IP_TOS)"))?;
            }
            if self.mode.v6() {
                self.socket
                    .set_tclass_v6(tos)
                    .map_err(os_call(&context, "setsockopt(IPV6_TCLASS)"))?;
            }
        }
        Ok(())
    }
}

impl Drop for McastSocket {
    fn drop(&mut self) {
        // Closing the socket would drop the memberships too; leaving explicitly keeps the
        // kernel's reports prompt and the behaviour the same on every OS.
        let _ = self.leave_all();
    }
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

fn needs_interface(group: &ScopedAddr, context: &str) -> Error {
    Error::invalid(
        context,
        format!(
            "{} is link-local or interface-local and needs an interface: write {}%IFACE or give an interface",
            group.ip, group.ip
        ),
    )
}

fn describe(verb: &str, m: &Membership) -> String {
    let mut s = format!("{verb} {}", m.group);
    if let Some(src) = m.source {
        s.push_str(&format!(" from {src}"));
    }
    if let Some((_, name)) = &m.interface {
        s.push_str(&format!(" on {name}"));
    }
    s
}
