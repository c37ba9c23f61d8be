//! Capturing IGMP and MLD as they cross the wire, whoever they are addressed to, or what is
//! addressed to one group (Linux: a packet socket with a kernel filter; it needs
//! CAP_NET_RAW). Read what was captured with [`crate::wire::igmp::parse`] or
//! [`crate::wire::ip::parse`].
//!
//! CAP_NET_RAW is held narrowly: [`lower_privilege`] at start leaves it permitted but not
//! effective, each open raises it for the one call that needs it, and
//! [`relinquish_privilege`] gives it up once a program's captures are open (capabilities
//! belong to a thread on Linux: open captures on the thread that lowered and relinquishes).

mod file;
pub mod link;
mod pcap;

use std::time::{Duration, SystemTime};

pub use file::{CaptureFile, FilePacket};
pub use link::Cooked;
pub use pcap::Pcap;

use crate::error::{Error, Result};

/// A running capture. All-multicast reception on the interfaces it was opened for lasts as
/// long as it does.
#[derive(Debug)]
pub struct Capture {
    inner: crate::sys::CaptureSocket,
}

/// One captured packet, from its IP header on, in the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Bytes of the packet in the buffer.
    pub len: usize,
    /// The interface it was seen on.
    pub ifindex: u32,
    /// Sent by this host rather than received.
    pub outgoing: bool,
    /// When the kernel took it (SO_TIMESTAMPNS), not when it was read.
    pub time: SystemTime,
    /// What its link layer said: a pcap record's cooked header.
    pub cooked: Cooked,
}

/// Leaves CAP_NET_RAW permitted but not effective on this thread (and on the threads it
/// starts after), so that nothing but a capture's open runs with it: a binary given
/// `setcap cap_net_raw+ep`, or run by root, holds it no longer than `+p` would.
pub fn lower_privilege() -> Result<()> {
    crate::sys::net_raw_effective(false).map_err(|e| Error::os("lower CAP_NET_RAW", "capset", e))
}

/// Gives CAP_NET_RAW up on this thread for good (permitted, effective and inheritable):
/// once the captures a program needs are open, nothing it does after can open another
/// raw socket.
pub fn relinquish_privilege() -> Result<()> {
    crate::sys::net_raw_relinquish().map_err(|e| Error::os("give up CAP_NET_RAW", "capset", e))
}

/// Runs `open` with CAP_NET_RAW effective when it is permitted, and lowers it after.
fn with_net_raw<T>(open: impl FnOnce() -> T) -> T {
    // Raising fails only when not permitted; then the open itself says EPERM, which is the
    // error to report. Lowering a capability that is permitted cannot fail.
    let _ = crate::sys::net_raw_effective(true);
    let opened = open();
    let _ = crate::sys::net_raw_effective(false);
    opened
}

impl Capture {
    /// Starts capturing IGMP and MLD on every interface, with all-multicast reception on
    /// each of `ifindexes` (so reports to groups this host has not joined are seen too).
    pub fn open(ifindexes: &[u32]) -> Result<Capture> {
        if !crate::sys::CAN_CAPTURE {
            return Err(Error::invalid(
                "capture IGMP and MLD",
                "capturing needs Linux (a packet socket); on this system use tcpdump -i IFACE 'igmp or icmp6'",
            ));
        }
        let inner = with_net_raw(|| crate::sys::capture_open(ifindexes))
            .map_err(|f| Error::os("capture IGMP and MLD", f.call, f.error))?;
        Ok(Capture { inner })
    }

    /// Starts capturing what is addressed to `group` (its first 256 bytes: the headers),
    /// with all-multicast reception on each of `ifindexes`. A packet socket sees a datagram
    /// before the host's firewall and reverse-path filter do, so what it sees reached the
    /// interface whatever became of it after.
    pub fn open_group(group: std::net::IpAddr, ifindexes: &[u32]) -> Result<Capture> {
        if !crate::sys::CAN_CAPTURE {
            return Err(Error::invalid(
                format!("capture what is sent to {group}"),
                "capturing needs Linux (a packet socket); on this system use tcpdump -i IFACE dst GROUP",
            ));
        }
        let inner = with_net_raw(|| crate::sys::capture_open_group(group, ifindexes))
            .map_err(|f| Error::os(format!("capture what is sent to {group}"), f.call, f.error))?;
        Ok(Capture { inner })
    }

    /// The next packet into `buf`, waiting up to `timeout`; None when none came in time.
    pub fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<Option<Frame>> {
        let got = self
            .inner
            .recv(buf, timeout)
            .map_err(|e| Error::os("read a captured packet", "recvfrom", e))?;
        Ok(got.map(|c| Frame {
            len: c.len,
            ifindex: c.ifindex,
            outgoing: c.outgoing,
            time: c.time,
            cooked: Cooked {
                protocol: c.protocol,
                ifindex: c.ifindex,
                hatype: c.hatype,
                pkttype: c.pkttype,
                addr: c.addr,
                addr_len: c.addr_len,
            },
        }))
    }

    /// Packets passed to this capture and packets the kernel dropped for want of buffer,
    /// since it opened.
    pub fn stats(&mut self) -> Result<(u64, u64)> {
        self.inner.stats().map_err(|e| {
            Error::os(
                "read the capture's counters",
                "getsockopt(PACKET_STATISTICS)",
                e,
            )
        })
    }
}
