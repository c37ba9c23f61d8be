//! Linux capture of IGMP and MLD, or of one group's traffic: a packet socket (cooked, so
//! packets start at the IP header) whose kernel filter passes only those packets,
//! all-multicast on the interfaces watched (dropped by the kernel when the socket closes),
//! and its drop counters.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{LinkAddr, recvfrom};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use super::{OsFailure, setsockopt_struct};

/// A packet socket capturing IGMP and MLD.
#[derive(Debug)]
pub struct CaptureSocket {
    sock: Socket,
    packets: u64,
    drops: u64,
}

/// One captured packet: its length in the buffer, where it was seen, and which way it went.
#[derive(Debug, Clone, Copy)]
pub struct Captured {
    pub len: usize,
    pub ifindex: u32,
    pub outgoing: bool,
}

// Classic BPF, over the packet from its IP header (a cooked socket) and the ancillary
// protocol word (the ethertype).
const LD_B_ABS: u16 = (libc::BPF_LD | libc::BPF_B | libc::BPF_ABS) as u16;
const LD_H_ABS: u16 = (libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16;
const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JA: u16 = (libc::BPF_JMP | libc::BPF_JA) as u16;
const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
/// SKF_AD_OFF + SKF_AD_PROTOCOL: the packet's ethertype.
const PROTOCOL_WORD: u32 = (-0x1000i32) as u32;

/// Passes IPv4 protocol 2 (IGMP) and ICMPv6 types 130, 131, 132 and 143 (MLD), reached
/// directly or past one 8-byte hop-by-hop header (where MLD's router alert lives). Jump
/// offsets count from the next instruction.
fn filter() -> Vec<SockFilter> {
    const ACCEPT: u8 = 18;
    const REJECT: u8 = 17;
    let f = SockFilter::new;
    // The offsets to ACCEPT and REJECT from instruction `at`.
    let to = |target: u8, at: u8| target - at - 1;
    vec![
        /* 0 */ f(LD_H_ABS, 0, 0, PROTOCOL_WORD),
        /* 1 */ f(JEQ, 0, 2, 0x0800),
        /* 2 */ f(LD_B_ABS, 0, 0, 9),
        /* 3 */ f(JEQ, to(ACCEPT, 3), to(REJECT, 3), 2),
        /* 4 */ f(JEQ, 0, to(REJECT, 4), 0x86dd),
        /* 5 */ f(LD_B_ABS, 0, 0, 6),
        /* 6 */ f(JEQ, 0, 2, 58),
        /* 7 */ f(LD_B_ABS, 0, 0, 40),
        /* 8 */ f(JA, 0, 0, 4),
        /* 9 */ f(JEQ, 0, to(REJECT, 9), 0),
        /* 10 */ f(LD_B_ABS, 0, 0, 40),
        /* 11 */ f(JEQ, 0, to(REJECT, 11), 58),
        /* 12 */ f(LD_B_ABS, 0, 0, 48),
        /* 13 */ f(JEQ, to(ACCEPT, 13), 0, 130),
        /* 14 */ f(JEQ, to(ACCEPT, 14), 0, 131),
        /* 15 */ f(JEQ, to(ACCEPT, 15), 0, 132),
        /* 16 */ f(JEQ, to(ACCEPT, 16), 0, 143),
        /* 17 */ f(RET, 0, 0, 0),
        /* 18 */ f(RET, 0, 0, 0x0004_0000),
    ]
}

/// Passes packets addressed to `group`, cut to their first 256 bytes (the headers are what
/// is read of them: addresses, lengths, fragments, ports).
fn group_filter(group: std::net::IpAddr) -> Vec<SockFilter> {
    const SNAP: u32 = 256;
    let f = SockFilter::new;
    let (ethertype, words, at): (u32, Vec<u32>, u32) = match group {
        std::net::IpAddr::V4(g) => (0x0800, vec![u32::from(g)], 16),
        std::net::IpAddr::V6(g) => (
            0x86dd,
            g.octets()
                .chunks(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            24,
        ),
    };
    // 0-1 the ethertype, then a load and a compare per word, then REJECT at 2 + 2n and
    // ACCEPT after it. Jump offsets count from the next instruction.
    let n = words.len() as u8;
    let reject = 2 + 2 * n;
    let mut prog = vec![
        f(LD_H_ABS, 0, 0, PROTOCOL_WORD),
        f(JEQ, 0, reject - 2, ethertype),
    ];
    for (i, w) in (0u8..).zip(&words) {
        let compare = 3 + 2 * i;
        let last = i + 1 == n;
        prog.push(f(LD_W_ABS, 0, 0, at + 4 * u32::from(i)));
        prog.push(f(JEQ, u8::from(last), reject - compare - 1, *w));
    }
    prog.push(f(RET, 0, 0, 0));
    prog.push(f(RET, 0, 0, SNAP));
    prog
}

/// Opens the capture of IGMP and MLD, all-multicast on each of `ifindexes`.
pub fn capture_open(ifindexes: &[u32]) -> Result<CaptureSocket, OsFailure> {
    open_with(&filter(), ifindexes)
}

/// Opens a capture of what is addressed to `group`, all-multicast on each of `ifindexes`.
pub fn capture_open_group(
    group: std::net::IpAddr,
    ifindexes: &[u32],
) -> Result<CaptureSocket, OsFailure> {
    open_with(&group_filter(group), ifindexes)
}

fn open_with(program: &[SockFilter], ifindexes: &[u32]) -> Result<CaptureSocket, OsFailure> {
    let fail = |call| move |error| OsFailure { call, error };
    let all = i32::from((libc::ETH_P_ALL as u16).to_be());
    let sock = Socket::new(Domain::PACKET, Type::DGRAM, Some(Protocol::from(all)))
        .map_err(fail("socket(AF_PACKET)"))?;
    sock.attach_filter(program)
        .map_err(fail("setsockopt(SO_ATTACH_FILTER)"))?;
    for &index in ifindexes {
        let req = libc::packet_mreq {
            mr_ifindex: index as libc::c_int,
            mr_type: libc::PACKET_MR_ALLMULTI as libc::c_ushort,
            mr_alen: 0,
            mr_address: [0; 8],
        };
        setsockopt_struct(
            sock.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_ADD_MEMBERSHIP,
            &req,
            "setsockopt(PACKET_ADD_MEMBERSHIP)",
        )?;
    }
    // A storm of reports comes in bursts: room for a few seconds of it. Beyond
    // net.core.rmem_max only with CAP_NET_ADMIN (SO_RCVBUFFORCE); else as much as allowed.
    let room: libc::c_int = 8 << 20;
    if setsockopt_struct(
        sock.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_RCVBUFFORCE,
        &room,
        "setsockopt(SO_RCVBUFFORCE)",
    )
    .is_err()
    {
        let _ = sock.set_recv_buffer_size(room as usize);
    }
    sock.set_nonblocking(true)
        .map_err(fail("fcntl(O_NONBLOCK)"))?;
    let mut capture = CaptureSocket {
        sock,
        packets: 0,
        drops: 0,
    };
    // Whatever arrived before the filter was in place is not ours to show.
    let mut buf = [0u8; 2048];
    while capture.read(&mut buf).is_ok_and(|c| c.is_some()) {}
    let _ = capture.stats();
    (capture.packets, capture.drops) = (0, 0);
    Ok(capture)
}

impl CaptureSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<Option<Captured>> {
        match recvfrom::<LinkAddr>(self.sock.as_raw_fd(), buf) {
            Ok((len, addr)) => Ok(Some(Captured {
                len,
                ifindex: addr.map_or(0, |a| a.ifindex() as u32),
                outgoing: addr.is_some_and(|a| a.pkttype() == libc::PACKET_OUTGOING),
            })),
            Err(nix::errno::Errno::EAGAIN) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The next packet, waiting up to `timeout`; None when none came (or a signal came).
    pub fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<Captured>> {
        if let Some(c) = self.read(buf)? {
            return Ok(Some(c));
        }
        let ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
        let mut fds = [PollFd::new(self.sock.as_fd(), PollFlags::POLLIN)];
        match poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => self.read(buf),
            Err(e) => Err(e.into()),
        }
    }

    /// Packets the filter passed and packets the kernel dropped for want of buffer, since
    /// the capture opened (the kernel resets its counters at each read; these add up).
    pub fn stats(&mut self) -> io::Result<(u64, u64)> {
        let mut st = libc::tpacket_stats {
            tp_packets: 0,
            tp_drops: 0,
        };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `st` is a valid tpacket_stats and `len` its exact size; the kernel writes
        // at most `len` bytes into it.
        let rc = unsafe {
            libc::getsockopt(
                self.sock.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&raw mut st).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // tp_packets counts drops too.
        self.packets += u64::from(st.tp_packets.saturating_sub(st.tp_drops));
        self.drops += u64::from(st.tp_drops);
        Ok((self.packets, self.drops))
    }
}
