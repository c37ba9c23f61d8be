//! Many datagrams per system call: UDP GSO and sendmmsg out, UDP GRO and recvmmsg in (Linux),
//! one datagram per call elsewhere. The hot paths allocate nothing.

use std::io;

use crate::error::{Error, Result};
use crate::socket::{Destination, McastSocket, Received};
use crate::sys;

/// Datagrams one GSO message carries: the kernel allows up to 64 (128 on newer kernels).
const GSO_SEGMENTS: usize = 32;
/// Largest payload one GSO message may hold (65535 less IPv6 and UDP headers, with room).
const GSO_MAX_BYTES: usize = 65_000;

/// How `send_many` hands datagrams to the kernel.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPath {
    /// UDP GSO segments inside sendmmsg messages (Linux).
    Gso,
    /// One datagram per sendmmsg message (Linux, where GSO was refused).
    Sendmmsg,
    /// One sendto call per datagram.
    Sendto,
}

impl SendPath {
    /// The path's name as the summaries print it.
    pub fn name(self) -> &'static str {
        match self {
            SendPath::Gso => "gso+sendmmsg",
            SendPath::Sendmmsg => "sendmmsg",
            SendPath::Sendto => "sendto",
        }
    }
}

/// Whether UDP GSO has been tried on a socket and how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum GsoStatus {
    #[default]
    Untried,
    Works,
    Refused,
}

/// What a socket has learnt about UDP GSO: whether the kernel does it at all, and the
/// smallest datagram size it refused as larger than the path's MTU (the kernel cannot
/// segment a datagram that must be fragmented, so such sizes go one datagram per message,
/// and the kernel fragments them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gso {
    status: GsoStatus,
    too_big_from: usize,
}

impl Default for Gso {
    fn default() -> Self {
        Gso {
            status: GsoStatus::Untried,
            too_big_from: usize::MAX,
        }
    }
}

/// Receive buffers for `recv_batch`: `slots` datagrams (or GRO buffers) of `slot_size` bytes.
#[derive(Debug)]
pub struct RecvBatch {
    buf: Box<[u8]>,
    slot: usize,
    meta: Box<[Received]>,
    filled: usize,
    state: sys::BatchHeaders,
}

impl RecvBatch {
    /// Buffers for up to `slots` messages (at most 64) of `slot_size` bytes each. With GRO on,
    /// make slots 65536 bytes: one slot can hold many coalesced datagrams.
    pub fn new(slots: usize, slot_size: usize) -> Self {
        let slots = slots.clamp(1, sys::MAX_MESSAGES);
        let slot = slot_size.max(1);
        RecvBatch {
            buf: vec![0u8; slots * slot].into_boxed_slice(),
            slot,
            meta: vec![Received::EMPTY; slots].into_boxed_slice(),
            filled: 0,
            state: sys::BatchHeaders::new(slots),
        }
    }

    /// Drops the messages `keep` refuses, moving the rest to the front.
    fn keep(&mut self, keep: impl Fn(&Received) -> bool) {
        let mut kept = 0;
        for i in 0..self.filled {
            if keep(&self.meta[i]) {
                if kept != i {
                    self.meta[kept] = self.meta[i];
                    let (to, from) = (kept * self.slot, i * self.slot);
                    self.buf.copy_within(from..from + self.slot, to);
                }
                kept += 1;
            }
        }
        self.filled = kept;
    }

    /// The messages the last `recv_batch` filled: what recvmsg said, and the bytes.
    /// Use `Received::segments` to split a GRO buffer into its datagrams.
    pub fn iter(&self) -> impl Iterator<Item = (&Received, &[u8])> {
        self.meta[..self.filled]
            .iter()
            .zip(self.buf.chunks(self.slot))
            .map(|(m, b)| (m, &b[..m.len.min(b.len())]))
    }
}

impl McastSocket {
    /// How many datagrams of `size` bytes one `send_many` call takes at most.
    #[must_use]
    pub fn batch_capacity(&self, size: usize) -> usize {
        sys::MAX_MESSAGES * self.gso_segments(size).max(1)
    }

    fn gso_segments(&self, size: usize) -> usize {
        if self.gso.status == GsoStatus::Refused
            || size == 0
            || size >= self.gso.too_big_from
            || !cfg_gso()
        {
            return 0;
        }
        let segments = (GSO_MAX_BYTES / size).min(GSO_SEGMENTS);
        if segments >= 2 { segments } else { 0 }
    }

    /// How `send_many` sends datagrams of `size` bytes now.
    #[must_use]
    pub fn send_path(&self, size: usize) -> SendPath {
        match (self.gso_segments(size), cfg_gso()) {
            (0, false) => SendPath::Sendto,
            (0, true) => SendPath::Sendmmsg,
            _ => SendPath::Gso,
        }
    }

    /// Sends the datagrams laid end to end in `buf`, each `size` bytes (the last may be
    /// shorter), to `dest` in as few system calls as the OS allows: on Linux UDP GSO inside
    /// sendmmsg, falling back to plain sendmmsg for good if the kernel refuses GSO, and for
    /// datagrams of this size and larger if they do not fit the path's MTU unfragmented.
    /// `buf` may hold at most `batch_capacity(size)` datagrams. Returns how many were sent;
    /// fewer than asked when the kernel took only part (send the rest again).
    pub fn send_many(&mut self, buf: &[u8], size: usize, dest: &Destination) -> Result<usize> {
        self.steer(dest)?;
        let segments = self.gso_segments(size);
        match sys::send_batch(&self.socket, dest.sockaddr(), buf, size, segments) {
            Ok(n) => {
                if segments > 0 {
                    self.gso.status = GsoStatus::Works;
                }
                Ok(n)
            }
            Err(e) if self.retry_broadcast(dest, &e) => self.send_many(buf, size, dest),
            Err(e) if segments > 0 && e.raw_os_error() == Some(libc::EMSGSIZE) => {
                self.gso.too_big_from = size;
                self.send_many(buf, size, dest)
            }
            Err(e) if segments > 0 && self.gso.status == GsoStatus::Untried && gso_refused(&e) => {
                self.gso.status = GsoStatus::Refused;
                self.send_many(buf, size, dest)
            }
            Err(e) => {
                let n = buf.len().div_ceil(size.max(1));
                let what = if n == 1 {
                    "1 datagram".to_string()
                } else {
                    format!("{n} datagrams")
                };
                Err(Error::os(
                    format!("send {what} to {}", dest.shown()),
                    "sendmmsg",
                    e,
                ))
            }
        }
    }

    /// Asks the kernel to coalesce arriving datagrams (UDP GRO, Linux); false where the OS
    /// has no such thing. `recv_batch` then reports each buffer's segment size.
    pub fn enable_gro(&self) -> Result<bool> {
        sys::enable_gro(&self.socket)
            .map_err(|e| Error::os("turn on UDP GRO", "setsockopt(UDP_GRO)", e))
    }

    /// Receives every group any socket of this host joined for this socket's port, not only
    /// its own (Linux's IP_MULTICAST_ALL, which `new` turns off): one socket can then read
    /// the groups that many sockets joined, each within the kernel's per-socket limits.
    /// False where the OS has no such thing (macOS: a socket gets only its own groups).
    /// Source filters are then the joining sockets', not this one's: check senders here.
    pub fn receive_every_joined(&self) -> Result<bool> {
        sys::receive_every_joined(&self.socket, self.mode != crate::IpMode::V4)
            .map_err(|f| Error::os("receive every joined group", f.call, f.error))
    }

    /// Asks the kernel to report how many datagrams it dropped for want of buffer
    /// (SO_RXQ_OVFL, Linux); false where the OS cannot.
    pub fn enable_kernel_drop_count(&self) -> Result<bool> {
        sys::enable_drop_counter(&self.socket)
            .map_err(|e| Error::os("count kernel drops", "setsockopt(SO_RXQ_OVFL)", e))
    }

    /// How many datagrams the kernel has dropped on this socket for want of receive buffer,
    /// counted up to now (SO_MEMINFO, Linux); None where the OS does not say.
    pub fn kernel_drops(&self) -> Result<Option<u64>> {
        sys::drops_now(&self.socket)
            .map_err(|e| Error::os("read kernel drops", "getsockopt(SO_MEMINFO)", e))
    }

    /// Sets the socket receive buffer; returns the size the kernel granted (Linux doubles
    /// the request and caps it at net.core.rmem_max, which a privileged process may pass
    /// with SO_RCVBUFFORCE; that is tried when the cap bit).
    pub fn set_recv_buffer(&self, bytes: usize) -> Result<usize> {
        let context = format!("set the receive buffer to {bytes} bytes");
        let granted = || {
            self.socket
                .recv_buffer_size()
                .map_err(|e| Error::os(&context, "getsockopt(SO_RCVBUF)", e))
        };
        self.socket
            .set_recv_buffer_size(bytes)
            .map_err(|e| Error::os(&context, "setsockopt(SO_RCVBUF)", e))?;
        if granted()? < bytes {
            // Without the privilege this fails, and the capped size stands.
            let _ = sys::force_recv_buffer(&self.socket, bytes);
        }
        granted()
    }

    /// Makes sends fail with ENOBUFS when this host's own queues drop a datagram, instead of
    /// dropping it unseen (IP_RECVERR on Linux). Returns false where the OS already does.
    pub fn report_local_drops(&self) -> Result<bool> {
        let (v4, v6) = match self.mode() {
            crate::IpMode::V4 => (true, false),
            crate::IpMode::V6 => (false, true),
            crate::IpMode::Both => (true, true),
        };
        sys::report_send_errors(&self.socket, v4, v6)
            .map_err(|e| Error::os("report local send drops", "setsockopt(IP_RECVERR)", e))
    }

    /// Sets the socket send buffer; returns the size the kernel granted.
    pub fn set_send_buffer(&self, bytes: usize) -> Result<usize> {
        let context = format!("set the send buffer to {bytes} bytes");
        self.socket
            .set_send_buffer_size(bytes)
            .map_err(|e| Error::os(&context, "setsockopt(SO_SNDBUF)", e))?;
        self.socket
            .send_buffer_size()
            .map_err(|e| Error::os(&context, "getsockopt(SO_SNDBUF)", e))
    }

    /// Receives every datagram waiting, up to the batch's slots, without blocking: one
    /// recvmmsg call on Linux. Returns how many messages were filled; 0 when none waited.
    pub fn recv_batch(&mut self, batch: &mut RecvBatch) -> Result<usize> {
        batch.filled = 0;
        match sys::recv_batch(
            &self.socket,
            &mut batch.state,
            &mut batch.buf,
            batch.slot,
            &mut batch.meta,
        ) {
            Ok(n) => {
                batch.filled = n;
                if self.mcast_only() {
                    batch.keep(|r| self.accepts(r));
                }
                Ok(batch.filled)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(Error::os("receive datagrams", "recvmmsg", e)),
        }
    }
}

/// Errors that mean "this kernel or device does not do UDP GSO", not "the network is busy".
fn gso_refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EIO | libc::EINVAL | libc::ENOPROTOOPT | libc::EOPNOTSUPP)
    )
}

/// Whether this OS has sendmmsg and UDP GSO at all.
fn cfg_gso() -> bool {
    sys::HAS_GSO
}
