//! Linux's many-datagrams-per-call paths: UDP GSO with sendmmsg out, UDP GRO with recvmmsg in.

use std::io;
use std::mem;
use std::os::fd::AsRawFd;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use nix::sys::socket::{setsockopt, sockopt};
use socket2::{SockAddr, Socket};

use super::{FromTo, Received, canonical, epoch_ns};

/// Linux has sendmmsg and UDP GSO.
pub const HAS_GSO: bool = true;

/// The most messages one sendmmsg or recvmmsg call carries here.
pub const MAX_MESSAGES: usize = 64;

/// Room for one UDP_SEGMENT control message (a u16), aligned for cmsghdr.
type SegmentCmsg = [u64; 4];

/// Sends the datagrams laid end to end in `buf`, each `size` bytes (the last may be
/// shorter), to `dest` in one sendmmsg call. With `gso_segments` of 2 or more, each message
/// carries that many datagrams and the kernel cuts them apart (UDP_SEGMENT); otherwise each
/// message is one datagram. Returns how many datagrams the kernel took.
pub fn send_batch(
    sock: &Socket,
    dest: &SockAddr,
    buf: &[u8],
    size: usize,
    gso_segments: usize,
) -> io::Result<usize> {
    if size == 0 || buf.is_empty() {
        return Ok(0);
    }
    let per_message = gso_segments.max(1);
    let chunk = size * per_message;
    let messages = buf.len().div_ceil(chunk);
    if messages > MAX_MESSAGES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "more datagrams than one batch carries",
        ));
    }
    // SAFETY: iovec, mmsghdr and the cmsg space are plain old data; zero is valid for all.
    let mut iovs: [libc::iovec; MAX_MESSAGES] = unsafe { mem::zeroed() };
    // SAFETY: plain old data, for which all-zero bytes are a valid value.
    let mut headers: [libc::mmsghdr; MAX_MESSAGES] = unsafe { mem::zeroed() };
    let mut controls: [SegmentCmsg; MAX_MESSAGES] = [[0; 4]; MAX_MESSAGES];
    let segment = u16::try_from(size).unwrap_or(u16::MAX);
    // SAFETY: CMSG_SPACE and CMSG_LEN only compute sizes.
    let (space, len) = unsafe {
        (
            libc::CMSG_SPACE(mem::size_of::<u16>() as u32) as usize,
            libc::CMSG_LEN(mem::size_of::<u16>() as u32) as usize,
        )
    };
    for (m, part) in buf.chunks(chunk).enumerate() {
        iovs[m] = libc::iovec {
            iov_base: part.as_ptr() as *mut libc::c_void,
            iov_len: part.len(),
        };
        let h = &mut headers[m].msg_hdr;
        h.msg_name = dest.as_ptr() as *mut libc::c_void;
        h.msg_namelen = dest.len();
        h.msg_iov = &mut iovs[m];
        h.msg_iovlen = 1;
        if per_message > 1 {
            let control = controls[m].as_mut_ptr().cast::<libc::c_void>();
            h.msg_control = control;
            h.msg_controllen = space;
            // SAFETY: `control` points to 32 aligned bytes, at least CMSG_SPACE(2), owned by
            // `controls`; CMSG_FIRSTHDR of a header with that control buffer is inside it.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(h);
                (*c).cmsg_level = libc::SOL_UDP;
                (*c).cmsg_type = libc::UDP_SEGMENT;
                (*c).cmsg_len = len;
                std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<u16>(), segment);
            }
        }
    }
    // SAFETY: `headers[..messages]` point at `iovs`, `controls`, `dest` and `buf`, which all
    // outlive the call; the kernel only reads them.
    let sent =
        unsafe { libc::sendmmsg(sock.as_raw_fd(), headers.as_mut_ptr(), messages as u32, 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let bytes: usize = iovs[..sent as usize].iter().map(|v| v.iov_len).sum();
    Ok(bytes.div_ceil(size))
}

/// Room for one IP_PKTINFO or IPV6_PKTINFO control message, aligned for cmsghdr.
type InfoCmsg = [u64; 6];

/// Sends up to MAX_MESSAGES datagrams, each to its own address from its own source and
/// interface (IP_PKTINFO, IPV6_PKTINFO), in one sendmmsg call: a reflector's replies to a
/// batch of requests. Returns how many the kernel took, in order; the first it refused
/// stops the call (an error when it is the first of all).
pub fn send_many_from(sock: &Socket, msgs: &[FromTo<'_>]) -> io::Result<usize> {
    let n = msgs.len().min(MAX_MESSAGES);
    if n == 0 {
        return Ok(0);
    }
    // SAFETY: plain old data, for which all-zero bytes are a valid value.
    let mut iovs: [libc::iovec; MAX_MESSAGES] = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let mut headers: [libc::mmsghdr; MAX_MESSAGES] = unsafe { mem::zeroed() };
    let mut controls: [InfoCmsg; MAX_MESSAGES] = [[0; 6]; MAX_MESSAGES];
    // SAFETY: plain old data, for which all-zero bytes are a valid value.
    let mut names: [libc::sockaddr_storage; MAX_MESSAGES] = unsafe { mem::zeroed() };
    for (i, m) in msgs[..n].iter().enumerate() {
        let to = SockAddr::from(m.to);
        // SAFETY: `to` holds `to.len()` bytes of a sockaddr, which fits a sockaddr_storage.
        unsafe {
            std::ptr::copy_nonoverlapping(
                to.as_ptr().cast::<u8>(),
                (&mut names[i] as *mut libc::sockaddr_storage).cast::<u8>(),
                to.len() as usize,
            );
        }
        iovs[i] = libc::iovec {
            iov_base: m.bytes.as_ptr() as *mut libc::c_void,
            iov_len: m.bytes.len(),
        };
        let h = &mut headers[i].msg_hdr;
        h.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
        h.msg_namelen = to.len();
        h.msg_iov = &mut iovs[i];
        h.msg_iovlen = 1;
        let (level, kind, size) = match m.from {
            IpAddr::V4(_) => (
                libc::IPPROTO_IP,
                libc::IP_PKTINFO,
                mem::size_of::<libc::in_pktinfo>(),
            ),
            IpAddr::V6(_) => (
                libc::IPPROTO_IPV6,
                libc::IPV6_PKTINFO,
                mem::size_of::<libc::in6_pktinfo>(),
            ),
        };
        h.msg_control = controls[i].as_mut_ptr().cast::<libc::c_void>();
        // SAFETY: CMSG_SPACE and CMSG_LEN only compute sizes.
        let (space, len) = unsafe { (libc::CMSG_SPACE(size as u32), libc::CMSG_LEN(size as u32)) };
        h.msg_controllen = space as usize;
        // SAFETY: the control buffer is 48 aligned bytes, at least CMSG_SPACE of either
        // pktinfo (20 bytes for IPv6: 40 with the header); CMSG_FIRSTHDR of a header with
        // that buffer lies inside it, and the data written is `size` bytes after its header.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(h);
            (*c).cmsg_level = level;
            (*c).cmsg_type = kind;
            (*c).cmsg_len = len as usize;
            match m.from {
                IpAddr::V4(a) => std::ptr::write_unaligned(
                    libc::CMSG_DATA(c).cast::<libc::in_pktinfo>(),
                    libc::in_pktinfo {
                        ipi_ifindex: m.ifindex as _,
                        ipi_spec_dst: libc::in_addr {
                            s_addr: u32::from(a).to_be(),
                        },
                        ipi_addr: libc::in_addr { s_addr: 0 },
                    },
                ),
                IpAddr::V6(a) => std::ptr::write_unaligned(
                    libc::CMSG_DATA(c).cast::<libc::in6_pktinfo>(),
                    libc::in6_pktinfo {
                        ipi6_addr: libc::in6_addr {
                            s6_addr: a.octets(),
                        },
                        ipi6_ifindex: m.ifindex as _,
                    },
                ),
            }
        }
    }
    // SAFETY: `headers[..n]` point at `iovs`, `controls`, `names` and the messages' bytes,
    // which all outlive the call; the kernel only reads them.
    let sent = unsafe { libc::sendmmsg(sock.as_raw_fd(), headers.as_mut_ptr(), n as u32, 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}

/// Turns on UDP GRO: the kernel may hand over many datagrams of one flow in one buffer.
pub fn enable_gro(sock: &Socket) -> io::Result<bool> {
    setsockopt(sock, sockopt::UdpGroSegment, &true).map_err(io::Error::from)?;
    Ok(true)
}

/// Turns on SO_RXQ_OVFL: each datagram then carries the socket's drop count.
pub fn enable_drop_counter(sock: &Socket) -> io::Result<bool> {
    setsockopt(sock, sockopt::RxqOvfl, &1).map_err(io::Error::from)?;
    Ok(true)
}

/// The per-socket state of a batch receive: none on Linux, where the headers are rebuilt
/// on the stack for every call (reusing them would carry over the kernel's shrunken
/// msg_controllen from the last call, and truncate the next message's control data).
#[derive(Debug)]
pub struct BatchHeaders;

impl BatchHeaders {
    /// State for `slots` messages.
    pub fn new(_slots: usize) -> Self {
        BatchHeaders
    }
}

/// Room for the control messages of one datagram: pktinfo, TTL, TOS, GRO size, drop count,
/// timestamp (about 180 bytes of the 256).
type Control = [u64; 32];

/// Receives up to `out.len()` datagrams without blocking, the i-th into the i-th `slot`-byte
/// part of `buf`. Returns how many arrived; WouldBlock when none was waiting.
pub fn recv_batch(
    sock: &Socket,
    _state: &mut BatchHeaders,
    buf: &mut [u8],
    slot: usize,
    out: &mut [Received],
) -> io::Result<usize> {
    recv_many(sock, buf, slot, out, libc::MSG_DONTWAIT | libc::MSG_TRUNC)
}

/// Receives one datagram into `buf`, blocking unless the socket is non-blocking. MSG_TRUNC
/// makes Linux return a cut datagram's real length, so truncation is reported, not hidden.
pub fn recv(sock: &Socket, buf: &mut [u8], _state: &mut BatchHeaders) -> io::Result<Received> {
    let slot = buf.len().max(1);
    let mut out = Received::EMPTY;
    recv_many(
        sock,
        buf,
        slot,
        std::slice::from_mut(&mut out),
        libc::MSG_TRUNC,
    )?;
    Ok(out)
}

fn recv_many(
    sock: &Socket,
    buf: &mut [u8],
    slot: usize,
    out: &mut [Received],
    flags: libc::c_int,
) -> io::Result<usize> {
    let slot = slot.max(1);
    let slots = out
        .len()
        .min(MAX_MESSAGES)
        .min(buf.len() / slot)
        .max(usize::from(!buf.is_empty()));
    // SAFETY: all four are plain old data for which zero is a valid value.
    let mut iovs: [libc::iovec; MAX_MESSAGES] = unsafe { mem::zeroed() };
    // SAFETY: plain old data, for which all-zero bytes are a valid value.
    let mut headers: [libc::mmsghdr; MAX_MESSAGES] = unsafe { mem::zeroed() };
    // SAFETY: plain old data, for which all-zero bytes are a valid value.
    let mut names: [libc::sockaddr_storage; MAX_MESSAGES] = unsafe { mem::zeroed() };
    let mut controls: [Control; MAX_MESSAGES] = [[0; 32]; MAX_MESSAGES];
    for (i, part) in buf.chunks_mut(slot).take(slots).enumerate() {
        iovs[i] = libc::iovec {
            iov_base: part.as_mut_ptr().cast(),
            iov_len: part.len(),
        };
        let h = &mut headers[i].msg_hdr;
        h.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
        h.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as u32;
        h.msg_iov = &mut iovs[i];
        h.msg_iovlen = 1;
        h.msg_control = controls[i].as_mut_ptr().cast();
        h.msg_controllen = mem::size_of::<Control>();
    }
    // SAFETY: every header points at buffers above that outlive the call, with their sizes.
    let n = unsafe {
        libc::recvmmsg(
            sock.as_raw_fd(),
            headers.as_mut_ptr(),
            slots as u32,
            flags,
            std::ptr::null_mut(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    for (i, meta) in out.iter_mut().enumerate().take(n as usize) {
        let wire_len = headers[i].msg_len as usize;
        let h = &headers[i].msg_hdr;
        *meta = Received {
            len: wire_len.min(iovs[i].iov_len),
            wire_len,
            truncated: h.msg_flags & libc::MSG_TRUNC != 0,
            source: source_of(&names[i])?,
            ..Received::EMPTY
        };
        // SAFETY: the kernel wrote `msg_controllen` bytes of control messages into our buffer.
        unsafe { read_controls(h, meta) };
    }
    Ok(n as usize)
}

/// The sender in a received sockaddr; IPv4-mapped IPv6 turned back into IPv4.
fn source_of(name: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    let addr = match i32::from(name.ss_family) {
        libc::AF_INET => {
            // SAFETY: an AF_INET sockaddr_storage holds a sockaddr_in.
            let sin =
                unsafe { &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            SocketAddr::new(
                IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))),
                u16::from_be(sin.sin_port),
            )
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 sockaddr_storage holds a sockaddr_in6.
            let sin6 =
                unsafe { &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                0,
                sin6.sin6_scope_id,
            ))
        }
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "datagram without a sender address",
            ));
        }
    };
    Ok(canonical(addr))
}

/// Decodes the control messages of one received datagram into `meta`.
///
/// # Safety
/// `h` must be a header recvmmsg filled, whose control buffer is still alive.
unsafe fn read_controls(h: &libc::msghdr, meta: &mut Received) {
    // SAFETY: per the contract, CMSG_FIRSTHDR/NXTHDR walk inside the filled control buffer,
    // and each data pointer is read as the type the kernel wrote for that level and type.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(h);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            let int = || std::ptr::read_unaligned(data.cast::<libc::c_int>());
            match ((*c).cmsg_level, (*c).cmsg_type) {
                (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                    let p = std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                    meta.destination =
                        Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(p.ipi_addr.s_addr))));
                    meta.ifindex = u32::try_from(p.ipi_ifindex).ok();
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let p = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                    meta.destination =
                        Some(IpAddr::V6(Ipv6Addr::from(p.ipi6_addr.s6_addr)).to_canonical());
                    meta.ifindex = Some(p.ipi6_ifindex);
                }
                (libc::IPPROTO_IP, libc::IP_TTL) | (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                    meta.ttl = u8::try_from(int()).ok();
                }
                (libc::IPPROTO_IP, libc::IP_TOS) => meta.tos = Some(*data),
                (libc::IPPROTO_IPV6, libc::IPV6_TCLASS) => meta.tos = u8::try_from(int()).ok(),
                (libc::SOL_UDP, libc::UDP_GRO) => meta.segment_size = usize::try_from(int()).ok(),
                (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => {
                    let t = std::ptr::read_unaligned(data.cast::<libc::timespec>());
                    meta.timestamp_ns = epoch_ns(t.tv_sec as i64, t.tv_nsec as i64);
                }
                (libc::SOL_SOCKET, libc::SO_RXQ_OVFL) => {
                    meta.kernel_drops = Some(std::ptr::read_unaligned(data.cast::<u32>()));
                }
                _ => {}
            }
            c = libc::CMSG_NXTHDR(h, c);
        }
    }
}

/// Sets the receive buffer past net.core.rmem_max (SO_RCVBUFFORCE, needs CAP_NET_ADMIN).
pub fn force_recv_buffer(sock: &Socket, bytes: usize) -> io::Result<()> {
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    super::setsockopt_struct(
        sock.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_RCVBUFFORCE,
        &value,
        "setsockopt(SO_RCVBUFFORCE)",
    )
    .map_err(|f| f.error)
}

/// Turns on IP_RECVERR (and IPV6_RECVERR): without it Linux hides datagrams its own queues
/// dropped on send (ENOBUFS) and counts them nowhere the sender sees.
pub fn report_send_errors(sock: &Socket, v4: bool, v6: bool) -> io::Result<bool> {
    let on: libc::c_int = 1;
    let fd = sock.as_raw_fd();
    if v4 {
        super::setsockopt_struct(
            fd,
            libc::IPPROTO_IP,
            libc::IP_RECVERR,
            &on,
            "setsockopt(IP_RECVERR)",
        )
        .map_err(|f| f.error)?;
    }
    if v6 {
        super::setsockopt_struct(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVERR,
            &on,
            "setsockopt(IPV6_RECVERR)",
        )
        .map_err(|f| f.error)?;
    }
    Ok(true)
}

/// The socket's count of datagrams dropped for want of receive buffer, read now with
/// SO_MEMINFO; unlike SO_RXQ_OVFL it includes drops after the last datagram received.
pub fn drops_now(sock: &Socket) -> io::Result<Option<u64>> {
    // SK_MEMINFO_VARS is 9 on every kernel that has SO_MEMINFO (4.12 and later).
    let mut info = [0u32; 9];
    let mut len = mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` and `len` are live and `len` is the buffer's size in bytes.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info
        .get(libc::SK_MEMINFO_DROPS as usize)
        .map(|d| u64::from(*d)))
}
