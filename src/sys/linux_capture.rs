//! Linux capture of IGMP and MLD, or of one group's traffic: a packet socket (cooked, so
//! packets start at the IP header) whose kernel filter passes only those packets,
//! all-multicast on the interfaces watched (dropped by the kernel when the socket closes),
//! and its drop counters.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{ControlMessageOwned, LinkAddr, MsgFlags, recvmsg, setsockopt, sockopt};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use super::{Captured, OsFailure, setsockopt_struct};

/// Whether this system can capture (a Linux packet socket).
pub const CAN_CAPTURE: bool = true;

/// A packet socket capturing IGMP and MLD.
#[derive(Debug)]
pub struct CaptureSocket {
    sock: Socket,
    packets: u64,
    drops: u64,
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
/// directly or past one 8-byte hop-by-hop header (where MLD's router alert lives); IPv6
/// packets whose chain is longer (a larger hop-by-hop header, destination options after it
/// or alone) are passed whole, for user space to walk the chain, since a snooping switch
/// acts on MLD behind them. Jump offsets count from the next instruction.
fn filter() -> Vec<SockFilter> {
    filter_program()
        .into_iter()
        .map(|(code, jt, jf, k)| SockFilter::new(code, jt, jf, k))
        .collect()
}

/// The program of `filter`, as (code, jump if true, jump if false, constant).
fn filter_program() -> Vec<(u16, u8, u8, u32)> {
    const ACCEPT: u8 = 21;
    const REJECT: u8 = 20;
    const TYPES: u8 = 16;
    // The offsets to a target from instruction `at`.
    let to = |target: u8, at: u8| target - at - 1;
    vec![
        /* 0 */ (LD_H_ABS, 0, 0, PROTOCOL_WORD),
        /* 1 */ (JEQ, 0, 2, 0x0800),
        /* 2 */ (LD_B_ABS, 0, 0, 9),
        /* 3 */ (JEQ, to(ACCEPT, 3), to(REJECT, 3), 2),
        /* 4 */ (JEQ, 0, to(REJECT, 4), 0x86dd),
        /* 5 */ (LD_B_ABS, 0, 0, 6),
        /* 6 */ (JEQ, 0, 2, 58),
        /* 7 */ (LD_B_ABS, 0, 0, 40),
        /* 8 */ (JA, 0, 0, u32::from(to(TYPES, 8))),
        /* 9 */ (JEQ, 1, 0, 0),
        // Destination options first: user space walks the chain.
        /* 10 */
        (JEQ, to(ACCEPT, 10), to(REJECT, 10), 60),
        // Hop-by-hop: ICMPv6 next, in an 8-byte header, is judged here by its type.
        /* 11 */
        (LD_B_ABS, 0, 0, 40),
        /* 12 */ (JEQ, 0, to(ACCEPT, 12), 58),
        /* 13 */ (LD_B_ABS, 0, 0, 41),
        /* 14 */ (JEQ, 0, to(ACCEPT, 14), 0),
        /* 15 */ (LD_B_ABS, 0, 0, 48),
        /* 16 */ (JEQ, to(ACCEPT, 16), 0, 130),
        /* 17 */ (JEQ, to(ACCEPT, 17), 0, 131),
        /* 18 */ (JEQ, to(ACCEPT, 18), 0, 132),
        /* 19 */ (JEQ, to(ACCEPT, 19), 0, 143),
        /* 20 */ (RET, 0, 0, 0),
        /* 21 */ (RET, 0, 0, 0x0004_0000),
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
    // The kernel's time of each packet, not the time user space got round to reading it.
    setsockopt(&sock, sockopt::ReceiveTimestampns, &true).map_err(|e| OsFailure {
        call: "setsockopt(SO_TIMESTAMPNS)",
        error: e.into(),
    })?;
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
        let mut space = nix::cmsg_space!(nix::sys::time::TimeSpec);
        let mut iov = [io::IoSliceMut::new(buf)];
        let msg = match recvmsg::<LinkAddr>(
            self.sock.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::empty(),
        ) {
            Ok(m) => m,
            Err(nix::errno::Errno::EAGAIN) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut time = None;
        for c in msg.cmsgs().map_err(io::Error::from)? {
            if let ControlMessageOwned::ScmTimestampns(ts) = c {
                let d = Duration::new(ts.tv_sec().max(0) as u64, ts.tv_nsec().max(0) as u32);
                time = Some(std::time::UNIX_EPOCH + d);
            }
        }
        let addr = msg.address;
        let mut hw = [0u8; 8];
        let hw_len = match addr.and_then(|a| a.addr()) {
            Some(mac) => {
                hw[..6].copy_from_slice(&mac);
                6
            }
            None => 0,
        };
        Ok(Some(Captured {
            len: msg.bytes,
            ifindex: addr.map_or(0, |a| a.ifindex() as u32),
            outgoing: addr.is_some_and(|a| a.pkttype() == libc::PACKET_OUTGOING),
            // Without the kernel's stamp (never seen), the time it was read.
            time: time.unwrap_or_else(std::time::SystemTime::now),
            // sll_protocol is in network byte order, the others in the host's.
            protocol: addr.map_or(0, |a| u16::from_be(a.protocol())),
            hatype: addr.map_or(0, |a| a.hatype()),
            pkttype: addr.map_or(0, |a| a.pkttype()),
            addr: hw,
            addr_len: hw_len,
        }))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a classic BPF program (the instructions `filter_program` uses) over `packet`,
    /// which starts at the IP header, with `ethertype` as the protocol word.
    fn run(prog: &[(u16, u8, u8, u32)], ethertype: u16, packet: &[u8]) -> u32 {
        let mut a: u32 = 0;
        let mut pc = 0usize;
        loop {
            let (code, jt, jf, k) = prog[pc];
            pc += 1;
            match code {
                LD_H_ABS if k == PROTOCOL_WORD => a = u32::from(ethertype),
                LD_B_ABS => match packet.get(k as usize) {
                    Some(b) => a = u32::from(*b),
                    None => return 0,
                },
                JEQ => pc += usize::from(if a == k { jt } else { jf }),
                JA => pc += k as usize,
                RET => return k,
                other => panic!("instruction {other:#x} not modelled"),
            }
        }
    }

    /// An IPv6 packet: header with next header `first`, then `chain` (already built), then
    /// an ICMPv6 message of type `icmp`.
    fn v6(first: u8, chain: &[u8], icmp: u8) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, first, 1];
        p.extend([0u8; 32]);
        p.extend(chain);
        p.extend([icmp, 0, 0, 0, 0, 0, 0, 0]);
        p
    }

    #[test]
    fn mld_behind_any_extension_chain_is_passed_and_other_icmpv6_is_not() {
        let prog = filter_program();
        let pass = |p: &[u8]| run(&prog, 0x86dd, p) > 0;
        // Hop-by-hop of 8 bytes (router alert), then MLDv2 report: judged by type.
        let hbh8 = [58, 0, 5, 2, 0, 0, 1, 0];
        assert!(pass(&v6(0, &hbh8, 143)));
        assert!(!pass(&v6(0, &hbh8, 128)), "an echo request behind it");
        // Directly: by type.
        assert!(pass(&v6(58, &[], 130)) && !pass(&v6(58, &[], 135)));
        // A 16-byte hop-by-hop, or hop-by-hop then destination options: passed whole.
        let hbh16 = [58, 1, 5, 2, 0, 0, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(pass(&v6(0, &hbh16, 143)));
        let hbh_dst = [60, 0, 5, 2, 0, 0, 1, 0, 58, 0, 1, 4, 0, 0, 0, 0];
        assert!(pass(&v6(0, &hbh_dst, 143)));
        assert!(pass(&v6(60, &[58, 0, 1, 4, 0, 0, 0, 0], 143)));
        // UDP is not.
        assert!(!pass(&v6(17, &[], 0)));
        // IPv4: IGMP only.
        let mut v4 = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 1, 2];
        v4.extend([0u8; 10]);
        assert!(run(&prog, 0x0800, &v4) > 0);
        v4[9] = 17;
        assert_eq!(run(&prog, 0x0800, &v4), 0);
        assert_eq!(run(&prog, 0x0806, &v4), 0, "ARP");
    }
}
