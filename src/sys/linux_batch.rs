//! Linux's many-datagrams-per-call paths: UDP GSO with sendmmsg out, UDP GRO with recvmmsg in.

use std::io::{self, IoSliceMut};
use std::mem;
use std::os::fd::AsRawFd;

use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, setsockopt, sockopt};
use socket2::{SockAddr, Socket};

use super::Received;
use super::linux::{cmsg_buffer, received};

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

/// The per-socket state recvmmsg needs, allocated once.
pub struct BatchHeaders {
    headers: MultiHeaders<SockaddrStorage>,
}

impl std::fmt::Debug for BatchHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchHeaders")
    }
}

impl BatchHeaders {
    /// Headers for `slots` messages.
    pub fn new(slots: usize) -> Self {
        BatchHeaders {
            headers: MultiHeaders::preallocate(slots.min(MAX_MESSAGES), Some(cmsg_buffer())),
        }
    }
}

/// Receives up to `out.len()` datagrams without blocking, the i-th into the i-th `slot`-byte
/// part of `buf`. Returns how many arrived; WouldBlock when none was waiting.
pub fn recv_batch(
    sock: &Socket,
    state: &mut BatchHeaders,
    buf: &mut [u8],
    slot: usize,
    out: &mut [Received],
) -> io::Result<usize> {
    let slots = out.len().min(MAX_MESSAGES).min(buf.len() / slot.max(1));
    let mut chunks = buf.chunks_mut(slot.max(1));
    let mut iovs: [[IoSliceMut<'_>; 1]; MAX_MESSAGES] =
        std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or_default())]);
    let results = recvmmsg(
        sock.as_raw_fd(),
        &mut state.headers,
        iovs[..slots].iter_mut(),
        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_TRUNC,
        None,
    )?;
    let mut n = 0;
    for (msg, meta) in results.zip(out.iter_mut()) {
        *meta = received(&msg, slot)?;
        n += 1;
    }
    Ok(n)
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
