//! Streams by sender over any datagrams (the input cut in pieces of the length its first two
//! bytes say, big-endian; each piece's first byte picks one of four senders and how long after the one before it
//! came, so that stalls, resumes and kernel drops happen): never a panic; every datagram is
//! a flow's or untracked; a stall is told only for a stream and never twice without a
//! resume between; the host's share of a loss never exceeds it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::content::flow::{Options, Streams, Told};

fuzz_target!(|data: &[u8]| {
    let mut streams = Streams::new(Options::default());
    let Some((len, data)) = data.split_first_chunk::<2>() else {
        return;
    };
    let step = usize::from(u16::from_be_bytes(*len)).max(2);
    let (mut ns, mut drops, mut observed) = (1_000_000_000u64, 0u64, 0u64);
    let mut told_stall = [false; 4];
    for piece in data.chunks(step) {
        let (head, datagram) = (piece[0], &piece[1..]);
        let who = usize::from(head & 3);
        let from = std::net::SocketAddr::from(([192, 0, 2, 1 + who as u8], 5000));
        // Up to 1.5 s later: sometimes past the stall limit.
        ns += u64::from(head >> 2) * 25_000_000;
        drops += u64::from(head & 0x40 != 0);
        let check = |f: &mcast::content::flow::Flow, t: Told| {
            if let Told::Gap { missing, host, .. } = t {
                assert!(host <= missing);
            }
            if let Told::Stall { .. } = t {
                assert!(f.content().is_some());
            }
        };
        streams.tick(ns, |f, t| {
            let slot = match f.source.ip() {
                std::net::IpAddr::V4(a) => usize::from(a.octets()[3] - 1),
                std::net::IpAddr::V6(_) => unreachable!(),
            };
            if matches!(t, Told::Stall { .. }) {
                assert!(!told_stall[slot], "a second stall without a resume");
                told_stall[slot] = true;
            }
            check(f, t);
        });
        streams.observe(from, datagram, ns, drops, |f, t| {
            if matches!(t, Told::Resume { .. }) {
                told_stall[who] = false;
            }
            check(f, t);
        });
        observed += 1;
    }
    let counted: u64 = streams.flows().map(|f| f.datagrams).sum();
    assert_eq!(counted + streams.untracked, observed);
    for f in streams.flows() {
        assert!(f.stalled_ns(ns) <= ns);
    }
});
