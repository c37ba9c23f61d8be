//! Ping's reply accounting under any sequence of requests and (forged, replayed, duplicated)
//! replies: a path never counts more replies than requests were sent, duplicates are told
//! apart, and loss stays within 0..100 %.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::ping::ServerStats;

fuzz_target!(|data: &[u8]| {
    let mut s = ServerStats::default();
    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        if op < 64 {
            // A request goes out, numbered as ping numbers them.
            s.sent += 1;
            s.last_seq += 1;
            continue;
        }
        // A reply claiming any number, on either path, timed or not.
        let b: Vec<u8> = bytes.by_ref().take(4).collect();
        let mut seq = [0u8; 4];
        seq[..b.len()].copy_from_slice(&b);
        let seq = u32::from_be_bytes(seq);
        if !s.solicited(seq) {
            continue;
        }
        let rtt = (op & 2 != 0).then_some(u64::from(op));
        if op & 1 == 0 {
            s.unicast.record(seq, rtt, None);
        } else {
            s.multicast.record(seq, rtt, Some(op));
        }
    }
    let sum = s.summary(String::new());
    for p in [&sum.unicast, &sum.multicast] {
        assert!(p.received <= p.sent, "{} received of {} sent", p.received, p.sent);
        assert!(p.loss_pct.is_none_or(|l| (0.0..=100.0).contains(&l)));
        assert!(p.loss_since_first_pct.is_none_or(|l| (0.0..=100.0).contains(&l)));
    }
});
