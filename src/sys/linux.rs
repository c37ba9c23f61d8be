//! Linux: RFC 3678 membership calls at the group's own protocol level, /proc and ioctl look-ups.

use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{setsockopt, sockopt};
use socket2::Socket;

use super::{Change, Limit, LimitOf, OsFailure, rfc3678, setsockopt_struct};

/// Linux takes IPv4-level options on an IPv6 socket for its IPv4-mapped traffic.
pub const V4_OPTIONS_ON_V6_OPTIONAL: bool = false;

/// SIOCGIFMTU, as libc exports it for Linux.
pub const SIOCGIFMTU: libc::c_ulong = libc::SIOCGIFMTU;

/// Adds or drops a membership with MCAST_{JOIN,LEAVE}[_SOURCE]_GROUP.
///
/// The level follows the group's family, not the socket's: Linux hands IPPROTO_IP options on an
/// AF_INET6 UDP socket to the IPv4 code, which is how one dual-stack socket joins IPv4 groups,
/// any-source and source-specific alike.
pub fn change_membership(
    sock: &Socket,
    change: Change,
    group: IpAddr,
    ifindex: u32,
    source: Option<IpAddr>,
    _v6_socket: bool,
) -> Result<(), OsFailure> {
    let level = match group {
        IpAddr::V4(_) => libc::IPPROTO_IP,
        IpAddr::V6(_) => libc::IPPROTO_IPV6,
    };
    rfc3678(sock.as_raw_fd(), level, change, group, ifindex, source)
}

/// Turns IP_MULTICAST_ALL (and IPV6_MULTICAST_ALL) off, so the socket hears only its own joins.
pub fn receive_only_joined(sock: &Socket, v6_socket: bool) -> Result<(), OsFailure> {
    let fail = |call| move |error| OsFailure { call, error };
    sock.set_multicast_all_v4(false)
        .map_err(fail("setsockopt(IP_MULTICAST_ALL)"))?;
    if v6_socket {
        sock.set_multicast_all_v6(false)
            .map_err(fail("setsockopt(IPV6_MULTICAST_ALL)"))?;
    }
    Ok(())
}

/// Turns IP_MULTICAST_ALL (and IPV6_MULTICAST_ALL) back on: the socket receives every
/// group any socket of this host (and network namespace) joined for its port. True: done.
pub fn receive_every_joined(sock: &Socket, v6_socket: bool) -> Result<bool, OsFailure> {
    let fail = |call| move |error| OsFailure { call, error };
    sock.set_multicast_all_v4(true)
        .map_err(fail("setsockopt(IP_MULTICAST_ALL)"))?;
    if v6_socket {
        sock.set_multicast_all_v6(true)
            .map_err(fail("setsockopt(IPV6_MULTICAST_ALL)"))?;
    }
    Ok(true)
}

/// Chooses the interface IPv4 multicast leaves by, by index (ip_mreqn), so an interface
/// without an IPv4 address still works.
pub fn set_multicast_if_v4(
    sock: &Socket,
    ifindex: u32,
    _address: Option<Ipv4Addr>,
) -> Result<(), OsFailure> {
    let req = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: 0 },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: ifindex as libc::c_int,
    };
    setsockopt_struct(
        sock.as_raw_fd(),
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_IF,
        &req,
        "setsockopt(IP_MULTICAST_IF)",
    )
}

/// Asks for the ancillary data `recv` reports: destination, interface, TTL and TOS.
pub fn enable_recv_info(sock: &Socket, v4: bool, v6: bool) -> Result<(), OsFailure> {
    let fail = |call| {
        move |e: nix::Error| OsFailure {
            call,
            error: e.into(),
        }
    };
    setsockopt(sock, sockopt::ReceiveTimestampns, &true)
        .map_err(fail("setsockopt(SO_TIMESTAMPNS)"))?;
    if v4 {
        setsockopt(sock, sockopt::Ipv4PacketInfo, &true).map_err(fail("setsockopt(IP_PKTINFO)"))?;
        setsockopt(sock, sockopt::Ipv4RecvTtl, &true).map_err(fail("setsockopt(IP_RECVTTL)"))?;
        setsockopt(sock, sockopt::IpRecvTos, &true).map_err(fail("setsockopt(IP_RECVTOS)"))?;
    }
    if v6 {
        setsockopt(sock, sockopt::Ipv6RecvPacketInfo, &true)
            .map_err(fail("setsockopt(IPV6_RECVPKTINFO)"))?;
        setsockopt(sock, sockopt::Ipv6RecvHopLimit, &true)
            .map_err(fail("setsockopt(IPV6_RECVHOPLIMIT)"))?;
        setsockopt(sock, sockopt::Ipv6RecvTClass, &true)
            .map_err(fail("setsockopt(IPV6_RECVTCLASS)"))?;
    }
    Ok(())
}

/// Stops the ancillary data a socket that only answers has no use for (arrival time, TTL,
/// TOS), keeping the destination and interface: less for the kernel to build per datagram.
pub fn recv_addresses_only(sock: &Socket, v4: bool, v6: bool) -> Result<(), OsFailure> {
    let fail = |call| {
        move |e: nix::Error| OsFailure {
            call,
            error: e.into(),
        }
    };
    setsockopt(sock, sockopt::ReceiveTimestampns, &false)
        .map_err(fail("setsockopt(SO_TIMESTAMPNS)"))?;
    if v4 {
        setsockopt(sock, sockopt::Ipv4RecvTtl, &false).map_err(fail("setsockopt(IP_RECVTTL)"))?;
        setsockopt(sock, sockopt::IpRecvTos, &false).map_err(fail("setsockopt(IP_RECVTOS)"))?;
    }
    if v6 {
        setsockopt(sock, sockopt::Ipv6RecvHopLimit, &false)
            .map_err(fail("setsockopt(IPV6_RECVHOPLIMIT)"))?;
        setsockopt(sock, sockopt::Ipv6RecvTClass, &false)
            .map_err(fail("setsockopt(IPV6_RECVTCLASS)"))?;
    }
    Ok(())
}

/// Restricts the socket to one interface (SO_BINDTODEVICE).
/// Don't Fragment on or off for what this socket sends (IP_MTU_DISCOVER, IPV6_MTU_DISCOVER):
/// on is IP_PMTUDISC_DO (never fragmented; too big for the interface fails with EMSGSIZE),
/// off is IP_PMTUDISC_DONT (DF clear: routers on the way may fragment).
pub fn set_dont_fragment(sock: &Socket, v4: bool, v6: bool, on: bool) -> Result<(), OsFailure> {
    let fd = sock.as_raw_fd();
    if v4 {
        let mode: libc::c_int = if on {
            libc::IP_PMTUDISC_DO
        } else {
            libc::IP_PMTUDISC_DONT
        };
        setsockopt_struct(
            fd,
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            &mode,
            "setsockopt(IP_MTU_DISCOVER)",
        )?;
    }
    if v6 {
        let mode: libc::c_int = if on {
            libc::IPV6_PMTUDISC_DO
        } else {
            libc::IPV6_PMTUDISC_DONT
        };
        setsockopt_struct(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            &mode,
            "setsockopt(IPV6_MTU_DISCOVER)",
        )?;
    }
    Ok(())
}

pub fn bind_device(sock: &Socket, name: &str, _index: u32, _v6: bool) -> Result<(), OsFailure> {
    sock.bind_device(Some(name.as_bytes()))
        .map_err(|error| OsFailure {
            call: "setsockopt(SO_BINDTODEVICE)",
            error,
        })
}

/// The setting that bounds a join that failed with `errno`, and its value here: for a source
/// added to a group the socket holds, the sources per group (ENOBUFS); else the groups per
/// socket, counted on IPv4 (ENOBUFS) and bounded by option memory on IPv6 (ENOMEM).
pub fn membership_limit(ipv4: bool, adds_source: bool, errno: i32) -> Option<Limit> {
    let (setting, path, what, default) = match (ipv4, adds_source, errno) {
        (true, true, libc::ENOBUFS) => (
            "net.ipv4.igmp_max_msf",
            "/proc/sys/net/ipv4/igmp_max_msf",
            LimitOf::Sources,
            10,
        ),
        (true, false, libc::ENOBUFS) => (
            "net.ipv4.igmp_max_memberships",
            "/proc/sys/net/ipv4/igmp_max_memberships",
            LimitOf::Groups,
            20,
        ),
        // Host-wide: only the initial network namespace has the file.
        (false, _, libc::ENOBUFS) => (
            "net.ipv6.mld_max_msf",
            "/proc/sys/net/ipv6/mld_max_msf",
            LimitOf::Sources,
            64,
        ),
        (false, _, libc::ENOMEM) => (
            "net.core.optmem_max",
            "/proc/sys/net/core/optmem_max",
            LimitOf::Groups,
            131_072,
        ),
        _ => return None,
    };
    // /proc/sys/net is per network namespace, and read here by this thread's namespace.
    let value = std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok());
    Some(Limit {
        setting,
        value,
        default: Some(default),
        what,
    })
}

/// Reads the four /proc membership files of this thread's network namespace.
///
/// /proc/thread-self, not /proc/self: a thread that entered another namespace with setns
/// must see that namespace's tables, and /proc/self follows the process's main thread.
pub fn memberships() -> crate::Result<Vec<crate::membership::GroupMembership>> {
    use crate::membership::{combine, parse_igmp, parse_igmp6, parse_mcfilter};
    // Read as bytes: an interface name need not be UTF-8, and one such name must not hide
    // every other interface's groups.
    let read = |name: &str, call: &'static str| {
        std::fs::read(format!("/proc/thread-self/net/{name}"))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| crate::Error::os("list memberships", call, e))
    };
    // A kernel without IPv6 has no igmp6 files: that is no IPv6 groups, not an error.
    let optional = |name: &str| read(name, "read").unwrap_or_default();
    let igmp = read("igmp", "read(/proc/net/igmp)")?;
    let mcfilter = read("mcfilter", "read(/proc/net/mcfilter)")?;
    let mut all = combine(&parse_igmp(&igmp)?, &parse_mcfilter(&mcfilter, false)?);
    let mut v6 = combine(
        &parse_igmp6(&optional("igmp6"))?,
        &parse_mcfilter(&optional("mcfilter6"), true)?,
    );
    let mut forced: std::collections::HashMap<String, Option<u8>> = Default::default();
    for m in &mut v6 {
        m.forced_mld_version = *forced
            .entry(m.interface.clone())
            .or_insert_with(|| forced_mld_version(&m.interface));
    }
    all.append(&mut v6);
    Ok(all)
}

/// The MLD version forced on an interface, None when the kernel negotiates it.
fn forced_mld_version(ifname: &str) -> Option<u8> {
    let path = format!("/proc/sys/net/ipv6/conf/{ifname}/force_mld_version");
    let v: u8 = std::fs::read_to_string(path).ok()?.trim().parse().ok()?;
    (v != 0).then_some(v)
}

/// Asks for a pipe of `bytes` (F_SETPIPE_SZ); the size granted.
pub fn widen_pipe(fd: std::os::fd::BorrowedFd<'_>, bytes: usize) -> std::io::Result<usize> {
    let bytes = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    let granted = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETPIPE_SZ(bytes))?;
    Ok(usize::try_from(granted).unwrap_or(0))
}

/// The kernel's per-socket join limits as this thread's network namespace sets them: IPv4
/// groups a socket (net.ipv4.igmp_max_memberships), IPv4 and IPv6 sources a group
/// (net.ipv4.igmp_max_msf, net.ipv6.mld_max_msf), each None where it cannot be read
/// (mld_max_msf is host-wide: only the initial namespace has the file). IPv6 counts no
/// groups a socket; its bound is option memory, met as ENOMEM.
pub fn join_limits() -> super::JoinLimitsRead {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    };
    super::JoinLimitsRead {
        v4_groups: read("/proc/sys/net/ipv4/igmp_max_memberships"),
        v4_sources: read("/proc/sys/net/ipv4/igmp_max_msf"),
        v6_groups: None,
        v6_sources: read("/proc/sys/net/ipv6/mld_max_msf"),
    }
}

#[cfg(test)]
mod pipe_tests {
    use super::widen_pipe;
    use std::os::fd::AsFd;

    #[test]
    fn a_pipe_grows_and_a_file_is_refused() {
        let (read, _write) = nix::unistd::pipe().unwrap();
        assert!(widen_pipe(read.as_fd(), 1 << 20).unwrap() >= 1 << 20);
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert!(widen_pipe(file.as_fd(), 1 << 20).is_err());
    }
}
