//! macOS: KAME-derived option names, IPv4-mapped joins on dual-stack sockets, ioctl look-ups.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use socket2::Socket;

use super::{Change, Limit, LimitOf, OsFailure, Received, canonical, rfc3678, setsockopt_struct};

/// XNU may refuse IPv4-level options on an IPv6 socket; a dual-stack socket then keeps the
/// system's IPv4 defaults rather than failing.
pub const V4_OPTIONS_ON_V6_OPTIONAL: bool = true;

/// SIOCGIFMTU, _IOWR('i', 51, struct ifreq); libc does not export it for Apple targets.
pub const SIOCGIFMTU: libc::c_ulong = 0xc020_6933;

/// Adds or drops a membership.
///
/// An IPv4 group on an AF_INET6 socket can only be joined any-source, as an IPv4-mapped
/// IPv6 group; XNU has no source-specific path for it, so that case is refused up front.
pub fn change_membership(
    sock: &Socket,
    change: Change,
    group: IpAddr,
    ifindex: u32,
    source: Option<IpAddr>,
    v6_socket: bool,
) -> Result<(), OsFailure> {
    let fd = sock.as_raw_fd();
    if let (IpAddr::V4(v4), true) = (group, v6_socket) {
        if source.is_some() {
            return Err(OsFailure {
                call: "setsockopt(MCAST_JOIN_SOURCE_GROUP)",
                error: io::Error::new(
                    io::ErrorKind::Unsupported,
                    "macOS joins IPv4 groups from one source only on IPv4 sockets; use mode IPv4",
                ),
            });
        }
        let req = libc::ipv6_mreq {
            ipv6mr_multiaddr: libc::in6_addr {
                s6_addr: v4.to_ipv6_mapped().octets(),
            },
            ipv6mr_interface: ifindex,
        };
        let (name, call) = match change {
            Change::Join => (libc::IPV6_JOIN_GROUP, "setsockopt(IPV6_JOIN_GROUP)"),
            Change::Leave => (libc::IPV6_LEAVE_GROUP, "setsockopt(IPV6_LEAVE_GROUP)"),
        };
        return setsockopt_struct(fd, libc::IPPROTO_IPV6, name, &req, call);
    }
    let level = match group {
        IpAddr::V4(_) => libc::IPPROTO_IP,
        IpAddr::V6(_) => libc::IPPROTO_IPV6,
    };
    rfc3678(fd, level, change, group, ifindex, source)
}

/// BSD hands a socket only the groups it joined itself: no such option.
pub fn receive_every_joined(_sock: &Socket, _v6_socket: bool) -> Result<bool, OsFailure> {
    Ok(false)
}

/// macOS delivers only joined groups already: there is no IP_MULTICAST_ALL to turn off.
pub fn receive_only_joined(_sock: &Socket, _v6_socket: bool) -> Result<(), OsFailure> {
    Ok(())
}

/// Chooses the interface IPv4 multicast leaves by; macOS takes it by address.
pub fn set_multicast_if_v4(
    sock: &Socket,
    _ifindex: u32,
    address: Option<Ipv4Addr>,
) -> Result<(), OsFailure> {
    let address = address.ok_or_else(|| OsFailure {
        call: "setsockopt(IP_MULTICAST_IF)",
        error: io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "the interface has no IPv4 address to send IPv4 multicast from",
        ),
    })?;
    sock.set_multicast_if_v4(&address)
        .map_err(|error| OsFailure {
            call: "setsockopt(IP_MULTICAST_IF)",
            error,
        })
}

/// Asks for the ancillary data `recv` reports: destination, interface, TTL and TOS.
pub fn enable_recv_info(sock: &Socket, v4: bool, v6: bool) -> Result<(), OsFailure> {
    // On a dual-stack socket the IPv4-level options are best effort (see
    // V4_OPTIONS_ON_V6_OPTIONAL): IPv4 datagrams then arrive with less ancillary data.
    if v4 && v6 {
        let _ = enable_recv_info(sock, true, false);
        return enable_recv_info(sock, false, true);
    }
    let fail = |call| {
        move |e: nix::Error| OsFailure {
            call,
            error: e.into(),
        }
    };
    setsockopt(sock, sockopt::ReceiveTimestamp, &true).map_err(fail("setsockopt(SO_TIMESTAMP)"))?;
    if v4 {
        setsockopt(sock, sockopt::Ipv4PacketInfo, &true).map_err(fail("setsockopt(IP_PKTINFO)"))?;
        let on: libc::c_int = 1;
        setsockopt_struct(
            sock.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_RECVTTL,
            &on,
            "setsockopt(IP_RECVTTL)",
        )?;
        sock.set_recv_tos_v4(true).map_err(|error| OsFailure {
            call: "setsockopt(IP_RECVTOS)",
            error,
        })?;
    }
    if v6 {
        setsockopt(sock, sockopt::Ipv6RecvPacketInfo, &true)
            .map_err(fail("setsockopt(IPV6_RECVPKTINFO)"))?;
        sock.set_recv_hoplimit_v6(true).map_err(|error| OsFailure {
            call: "setsockopt(IPV6_RECVHOPLIMIT)",
            error,
        })?;
        sock.set_recv_tclass_v6(true).map_err(|error| OsFailure {
            call: "setsockopt(IPV6_RECVTCLASS)",
            error,
        })?;
    }
    Ok(())
}

/// macOS keeps every ancillary datum `enable_recv_info` asked for: the saving is Linux's.
pub fn recv_addresses_only(_sock: &Socket, _v4: bool, _v6: bool) -> Result<(), OsFailure> {
    Ok(())
}

/// Room for every control message `enable_recv_info` asks for, allocated once per socket.
pub fn cmsg_buffer() -> Vec<u8> {
    nix::cmsg_space!(
        libc::in_pktinfo,
        libc::in6_pktinfo,
        libc::c_int,
        libc::c_int,
        libc::c_int,
        libc::c_int,
        libc::timeval
    )
}

/// Receives one datagram into `buf`; macOS reports truncation by flag only.
pub fn recv(sock: &Socket, buf: &mut [u8], state: &mut BatchHeaders) -> io::Result<Received> {
    recv_with(sock, buf, &mut state.cmsg, MsgFlags::empty())
}

fn recv_with(
    sock: &Socket,
    buf: &mut [u8],
    cmsg: &mut [u8],
    flags: MsgFlags,
) -> io::Result<Received> {
    let buf_len = buf.len();
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(sock.as_raw_fd(), &mut iov, Some(cmsg), flags)?;
    let source = msg
        .address
        .and_then(|a| {
            a.as_sockaddr_in()
                .map(|v4| SocketAddr::V4((*v4).into()))
                .or_else(|| a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into())))
        })
        .map(canonical)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "datagram without a sender address",
            )
        })?;
    let mut meta = Received {
        len: msg.bytes.min(buf_len),
        wire_len: msg.bytes,
        truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
        source,
        ..Received::EMPTY
    };
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::ScmTimestamp(t) => {
                    let (sec, usec) = (t.tv_sec(), i64::from(t.tv_usec()));
                    meta.timestamp_ns = super::epoch_ns(sec, usec * 1000);
                }
                ControlMessageOwned::Ipv4PacketInfo(p) => {
                    meta.destination =
                        Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(p.ipi_addr.s_addr))));
                    meta.ifindex = Some(p.ipi_ifindex);
                }
                ControlMessageOwned::Ipv6PacketInfo(p) => {
                    meta.destination = Some(IpAddr::V6(p.ipi6_addr.s6_addr.into()).to_canonical());
                    meta.ifindex = Some(p.ipi6_ifindex);
                }
                // nix decodes neither of these on Apple targets; both carry one int.
                ControlMessageOwned::Unknown(u)
                    if u.cmsg_header.cmsg_level == libc::IPPROTO_IPV6 =>
                {
                    let value = u
                        .data_bytes
                        .get(..4)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map(i32::from_ne_bytes)
                        .and_then(|v| u8::try_from(v).ok());
                    match u.cmsg_header.cmsg_type {
                        libc::IPV6_HOPLIMIT => meta.ttl = value,
                        libc::IPV6_TCLASS => meta.tos = value,
                        _ => {}
                    }
                }
                ControlMessageOwned::Unknown(u)
                    if u.cmsg_header.cmsg_level == libc::IPPROTO_IP
                        && u.cmsg_header.cmsg_type == libc::IP_RECVTTL =>
                {
                    meta.ttl = u.data_bytes.first().copied();
                }
                _ => {}
            }
        }
    }
    Ok(meta)
}

/// Restricts the socket to one interface (IP_BOUND_IF / IPV6_BOUND_IF).
pub fn bind_device(sock: &Socket, _name: &str, index: u32, v6: bool) -> Result<(), OsFailure> {
    let index = NonZeroU32::new(index);
    if v6 {
        sock.bind_device_by_index_v6(index)
            .map_err(|error| OsFailure {
                call: "setsockopt(IPV6_BOUND_IF)",
                error,
            })
    } else {
        sock.bind_device_by_index_v4(index)
            .map_err(|error| OsFailure {
                call: "setsockopt(IP_BOUND_IF)",
                error,
            })
    }
}

/// macOS bounds groups per socket by IP_MAX_MEMBERSHIPS and sources per group by
/// IP_MAX_SOCK_SRC_FILTER, compile-time constants of XNU.
pub fn membership_limit(_ipv4: bool, adds_source: bool, errno: i32) -> Option<Limit> {
    match (adds_source, errno) {
        (true, libc::ENOBUFS) => Some(Limit {
            setting: "IP_MAX_SOCK_SRC_FILTER (fixed in the kernel)",
            value: Some(128),
            default: None,
            what: LimitOf::Sources,
        }),
        (_, libc::ENOBUFS | libc::ETOOMANYREFS) => Some(Limit {
            setting: "IP_MAX_MEMBERSHIPS (fixed in the kernel)",
            value: Some(4095),
            default: None,
            what: LimitOf::Groups,
        }),
        _ => None,
    }
}

/// macOS has neither sendmmsg nor UDP GSO.
pub const HAS_GSO: bool = false;

/// The most datagrams one batch call handles here.
pub const MAX_MESSAGES: usize = 64;

/// macOS has neither sendmmsg nor GSO: one sendto per datagram.
pub fn send_batch(
    sock: &Socket,
    dest: &socket2::SockAddr,
    buf: &[u8],
    size: usize,
    _gso_segments: usize,
) -> io::Result<usize> {
    let mut sent = 0;
    for datagram in buf.chunks(size.max(1)) {
        match sock.send_to(datagram, dest) {
            Ok(_) => sent += 1,
            Err(_) if sent > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// macOS has no sendmmsg: one sendmsg per datagram, stopping at the first refused.
pub fn send_many_from(sock: &Socket, msgs: &[super::FromTo<'_>]) -> io::Result<usize> {
    let mut sent = 0;
    for m in msgs.iter().take(MAX_MESSAGES) {
        match super::send_from(sock, m.bytes, m.to, m.from, m.ifindex) {
            Ok(_) => sent += 1,
            Err(_) if sent > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// macOS has no UDP GRO.
pub fn enable_gro(_sock: &Socket) -> io::Result<bool> {
    Ok(false)
}

/// Don't Fragment on or off for what this socket sends (IP_DONTFRAG, IPV6_DONTFRAG).
pub fn set_dont_fragment(sock: &Socket, v4: bool, v6: bool, on: bool) -> Result<(), OsFailure> {
    let value = libc::c_int::from(on);
    let fd = sock.as_raw_fd();
    if v4 {
        setsockopt_struct(
            fd,
            libc::IPPROTO_IP,
            libc::IP_DONTFRAG,
            &value,
            "setsockopt(IP_DONTFRAG)",
        )?;
    }
    if v6 {
        setsockopt_struct(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_DONTFRAG,
            &value,
            "setsockopt(IPV6_DONTFRAG)",
        )?;
    }
    Ok(())
}

/// macOS has no SO_RXQ_OVFL.
pub fn enable_drop_counter(_sock: &Socket) -> io::Result<bool> {
    Ok(false)
}

/// The per-socket state of a batch receive: one control buffer.
#[derive(Debug)]
pub struct BatchHeaders {
    cmsg: Vec<u8>,
}

impl BatchHeaders {
    /// State for a batch; macOS receives one datagram a call whatever the slots.
    pub fn new(_slots: usize) -> Self {
        BatchHeaders {
            cmsg: cmsg_buffer(),
        }
    }
}

/// Receives one datagram without blocking into the first slot; WouldBlock when none waits.
pub fn recv_batch(
    sock: &Socket,
    state: &mut BatchHeaders,
    buf: &mut [u8],
    slot: usize,
    out: &mut [Received],
) -> io::Result<usize> {
    let (Some(first), Some(room)) = (out.first_mut(), buf.get_mut(..slot)) else {
        return Ok(0);
    };
    *first = recv_with(sock, room, &mut state.cmsg, MsgFlags::MSG_DONTWAIT)?;
    Ok(1)
}

/// macOS has no way past kern.ipc.maxsockbuf from a socket option.
pub fn force_recv_buffer(_sock: &Socket, _bytes: usize) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// macOS reports a full send queue as ENOBUFS already.
pub fn report_send_errors(_sock: &Socket, _v4: bool, _v6: bool) -> io::Result<bool> {
    Ok(false)
}

/// macOS does not tell a socket's receive drops.
pub fn drops_now(_sock: &Socket) -> io::Result<Option<u64>> {
    Ok(None)
}

/// Transmit stamps are a Linux facility here: none on macOS.
pub fn enable_tx_timestamps(_sock: &Socket) -> Result<bool, OsFailure> {
    Ok(false)
}

/// None on macOS.
pub fn tx_timestamps(_sock: &Socket) -> Vec<(u32, u64)> {
    Vec::new()
}

/// XNU's join limits are compile-time constants (IP_MAX_MEMBERSHIPS, IP_MAX_SOCK_SRC_FILTER
/// and their IPv6 twins), not settings to read.
pub fn join_limits() -> super::JoinLimitsRead {
    super::JoinLimitsRead {
        v4_groups: Some(4095),
        v4_sources: Some(128),
        v6_groups: Some(4095),
        v6_sources: Some(128),
    }
}
