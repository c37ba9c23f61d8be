//! Platform code: every `cfg` on the target OS lives below this module, behind one set of functions.

// The FFI wrappers here are the only unsafe code of the crate; each block says why it is sound.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::{IpAddr, SocketAddr};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;
#[cfg(target_os = "linux")]
mod linux_batch;
#[cfg(target_os = "linux")]
mod linux_txstamp;
#[cfg(target_os = "linux")]
pub use linux_txstamp::*;
#[cfg(target_os = "linux")]
mod linux_caps;
#[cfg(target_os = "linux")]
mod linux_capture;
#[cfg(target_os = "linux")]
pub use linux_batch::*;
#[cfg(target_os = "linux")]
pub use linux_caps::*;
#[cfg(target_os = "linux")]
pub use linux_capture::*;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub use macos::*;
#[cfg(target_os = "macos")]
mod macos_capture;
#[cfg(target_os = "macos")]
pub use macos_capture::*;
#[cfg(target_os = "macos")]
mod macos_ifmaddrs;
#[cfg(target_os = "macos")]
pub use macos_ifmaddrs::memberships;

/// One captured packet: its length in the buffer, where it was seen, which way it went,
/// when the kernel took it, and what its link layer said (for a pcap's cooked header).
#[derive(Debug, Clone, Copy)]
pub struct Captured {
    pub len: usize,
    pub ifindex: u32,
    pub outgoing: bool,
    pub time: std::time::SystemTime,
    pub protocol: u16,
    pub hatype: u16,
    pub pkttype: u8,
    pub addr: [u8; 8],
    pub addr_len: u8,
}

/// A refused system call: which one, and the OS error.
#[derive(Debug)]
pub struct OsFailure {
    /// The call or option, e.g. `setsockopt(MCAST_JOIN_GROUP)`.
    pub call: &'static str,
    /// What the OS said.
    pub error: io::Error,
}

/// A limit that refused a join: its setting, its value here where it can be read, and what
/// it bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub setting: &'static str,
    pub value: Option<u64>,
    /// The kernel's default, for a setting that cannot be read here (host-wide, and this
    /// thread is in another network namespace).
    pub default: Option<u64>,
    pub what: LimitOf,
}

/// The per-socket join limits the kernel was found to set, None where not readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JoinLimitsRead {
    pub v4_groups: Option<usize>,
    pub v4_sources: Option<usize>,
    pub v6_groups: Option<usize>,
    pub v6_sources: Option<usize>,
}

/// What a membership limit bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitOf {
    /// Groups one socket may join.
    Groups,
    /// Sources in one group's filter.
    Sources,
}

/// Whether a membership change adds or removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Join the group (or add the source).
    Join,
    /// Leave the group (or drop the source).
    Leave,
}

/// One received datagram: where its bytes are, who sent it, and what the IP header said.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// How many bytes of the buffer hold the datagram.
    pub len: usize,
    /// The datagram's full length; more than `len` when it was truncated.
    pub wire_len: usize,
    /// True when the datagram did not fit the buffer and its tail was lost.
    pub truncated: bool,
    /// The sender; on a dual-stack socket IPv4 senders are shown as IPv4, not `::ffff:a.b.c.d`.
    pub source: SocketAddr,
    /// The destination address from the IP header (the group, for multicast).
    pub destination: Option<IpAddr>,
    /// The index of the interface it arrived on.
    pub ifindex: Option<u32>,
    /// The TTL or hop limit it arrived with.
    pub ttl: Option<u8>,
    /// The TOS byte or traffic class it arrived with.
    pub tos: Option<u8>,
    /// With UDP GRO on (Linux), the size of each datagram the kernel coalesced into this
    /// buffer; every `segment_size` bytes is one datagram, the last one possibly shorter.
    pub segment_size: Option<usize>,
    /// The socket's running count of datagrams the kernel dropped for want of receive
    /// buffer (SO_RXQ_OVFL, Linux), as of this datagram.
    pub kernel_drops: Option<u32>,
    /// When the kernel received it, in nanoseconds since the Unix epoch (SO_TIMESTAMPNS on
    /// Linux, SO_TIMESTAMP on macOS): arrival as the network saw it, not as the reader did.
    pub timestamp_ns: Option<u64>,
}

impl Received {
    /// A placeholder for buffers that have not received anything yet.
    pub const EMPTY: Received = Received {
        len: 0,
        wire_len: 0,
        truncated: false,
        source: SocketAddr::V4(std::net::SocketAddrV4::new(
            std::net::Ipv4Addr::UNSPECIFIED,
            0,
        )),
        destination: None,
        ifindex: None,
        ttl: None,
        tos: None,
        segment_size: None,
        kernel_drops: None,
        timestamp_ns: None,
    };

    /// The datagrams in this buffer: one (possibly empty), or several when GRO coalesced them.
    pub fn segments<'a>(&self, data: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let data = &data[..self.len.min(data.len())];
        let size = self
            .segment_size
            .filter(|s| *s > 0)
            .unwrap_or(data.len())
            .max(1);
        let count = data.len().div_ceil(size).max(1);
        (0..count).map(move |i| &data[(i * size).min(data.len())..((i + 1) * size).min(data.len())])
    }
}

/// An IP address as a `sockaddr_storage`, the form the RFC 3678 membership structs carry.
fn storage_of(ip: IpAddr) -> libc::sockaddr_storage {
    let sa = socket2::SockAddr::from(SocketAddr::new(ip, 0));
    // SAFETY: sockaddr_storage is plain old data for which all-zero bytes are valid.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = (sa.len() as usize).min(mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: both pointers are valid for `len` bytes (bounded by both sizes) and do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(
            sa.as_ptr().cast::<u8>(),
            (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
            len,
        );
    }
    storage
}

/// Adds or drops a membership with the protocol-independent RFC 3678 calls,
/// MCAST_{JOIN,LEAVE}[_SOURCE]_GROUP, at `level` (IPPROTO_IP or IPPROTO_IPV6).
fn rfc3678(
    fd: std::os::fd::RawFd,
    level: libc::c_int,
    change: Change,
    group: IpAddr,
    ifindex: u32,
    source: Option<IpAddr>,
) -> Result<(), OsFailure> {
    match source {
        None => {
            let req = libc::group_req {
                gr_interface: ifindex,
                gr_group: storage_of(group),
            };
            let (name, call) = match change {
                Change::Join => (libc::MCAST_JOIN_GROUP, "setsockopt(MCAST_JOIN_GROUP)"),
                Change::Leave => (libc::MCAST_LEAVE_GROUP, "setsockopt(MCAST_LEAVE_GROUP)"),
            };
            setsockopt_struct(fd, level, name, &req, call)
        }
        Some(source) => {
            let req = libc::group_source_req {
                gsr_interface: ifindex,
                gsr_group: storage_of(group),
                gsr_source: storage_of(source),
            };
            let (name, call) = match change {
                Change::Join => (
                    libc::MCAST_JOIN_SOURCE_GROUP,
                    "setsockopt(MCAST_JOIN_SOURCE_GROUP)",
                ),
                Change::Leave => (
                    libc::MCAST_LEAVE_SOURCE_GROUP,
                    "setsockopt(MCAST_LEAVE_SOURCE_GROUP)",
                ),
            };
            setsockopt_struct(fd, level, name, &req, call)
        }
    }
}

/// setsockopt with a struct value, mapping failure to the named call.
fn setsockopt_struct<T>(
    fd: std::os::fd::RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    call: &'static str,
) -> Result<(), OsFailure> {
    // SAFETY: `value` is a valid, initialised T for the duration of the call and the length
    // passed is exactly its size, so the kernel reads only memory we own.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(OsFailure {
            call,
            error: io::Error::last_os_error(),
        })
    }
}

/// A kernel timestamp as nanoseconds since the Unix epoch; None before 1970 or past 2554.
fn epoch_ns(sec: i64, nsec: i64) -> Option<u64> {
    u64::try_from(sec)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(u64::try_from(nsec).ok()?)
}

/// Turns a `::ffff:a.b.c.d` sender on a dual-stack socket back into the IPv4 address it is.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Reads interface MTUs with SIOCGIFMTU through one socket opened for all of them.
pub struct MtuReader {
    sock: socket2::Socket,
}

impl MtuReader {
    /// None when no socket can be had; MTUs are then simply not shown.
    pub fn new() -> Option<Self> {
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
            .ok()
            .map(|sock| MtuReader { sock })
    }

    /// The MTU of interface `index`, or None where it cannot be read. By index, since the
    /// name the kernel holds may not be UTF-8 (and so not the name a `String` shows).
    pub fn mtu(&self, index: u32) -> Option<u32> {
        use std::os::fd::AsRawFd;
        // SAFETY: ifreq is plain old data; all-zero is a valid value.
        let mut req: libc::ifreq = unsafe { mem::zeroed() };
        // SAFETY: ifr_name holds IFNAMSIZ (= IF_NAMESIZE) chars, as if_indextoname needs;
        // it writes a NUL-terminated name there or returns NULL.
        if unsafe { libc::if_indextoname(index, req.ifr_name.as_mut_ptr()) }.is_null() {
            return None;
        }
        // SAFETY: SIOCGIFMTU reads the NUL-terminated name and writes the mtu member of
        // `req`, which lives for the whole call.
        let rc = unsafe { libc::ioctl(self.sock.as_raw_fd(), SIOCGIFMTU, &mut req) };
        if rc != 0 {
            return None;
        }
        // SAFETY: on success the kernel filled the mtu member of the union.
        u32::try_from(unsafe { req.ifr_ifru.ifru_mtu }).ok()
    }
}

/// One datagram of a batch sent by `send_many_from`: `bytes` to `to` from the local
/// address `from`, out of interface `ifindex` (0: the route's choice).
#[derive(Debug, Clone, Copy)]
pub struct FromTo<'a> {
    pub bytes: &'a [u8],
    pub to: SocketAddr,
    pub from: IpAddr,
    pub ifindex: u32,
}

/// Sends `buf` to `to` from the local address `from`, out of interface `ifindex` (0: the
/// route's choice), with IP_PKTINFO or IPV6_PKTINFO: how a reflector answers from the address
/// a request came to, on a host with several.
pub fn send_from(
    sock: &socket2::Socket,
    buf: &[u8],
    to: SocketAddr,
    from: IpAddr,
    ifindex: u32,
) -> io::Result<usize> {
    use nix::sys::socket::{ControlMessage, MsgFlags, SockaddrStorage, sendmsg};
    use std::os::fd::AsRawFd;
    let iov = [io::IoSlice::new(buf)];
    let dest = SockaddrStorage::from(to);
    let fd = sock.as_raw_fd();
    let sent = match from {
        IpAddr::V4(a) => {
            let info = libc::in_pktinfo {
                ipi_ifindex: ifindex as _,
                ipi_spec_dst: libc::in_addr {
                    s_addr: u32::from(a).to_be(),
                },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            let cmsg = [ControlMessage::Ipv4PacketInfo(&info)];
            sendmsg(fd, &iov, &cmsg, MsgFlags::empty(), Some(&dest))
        }
        IpAddr::V6(a) => {
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: a.octets(),
                },
                ipi6_ifindex: ifindex as _,
            };
            let cmsg = [ControlMessage::Ipv6PacketInfo(&info)];
            sendmsg(fd, &iov, &cmsg, MsgFlags::empty(), Some(&dest))
        }
    };
    sent.map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gro_buffers_split_into_their_datagrams() {
        let r = Received {
            len: 150,
            segment_size: Some(64),
            ..Received::EMPTY
        };
        let data = [7u8; 200];
        let sizes: Vec<usize> = r.segments(&data).map(<[u8]>::len).collect();
        assert_eq!(sizes, [64, 64, 22]);
        let plain = Received {
            len: 10,
            ..Received::EMPTY
        };
        assert_eq!(plain.segments(&data).count(), 1);
        let empty = Received::EMPTY;
        assert_eq!(
            empty.segments(&data).count(),
            1,
            "an empty datagram is still one"
        );
    }
}
