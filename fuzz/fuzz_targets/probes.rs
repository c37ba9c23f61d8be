//! Fuzzes the probe decoder and the statistics it feeds, with hostile sequences and times.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::probe::{HEADER_LEN, Probe};
use mcast::stats::{Listened, ProbeStats};

fuzz_target!(|data: &[u8]| {
    let mut stats = ProbeStats::default();
    let source = std::net::IpAddr::from([192, 0, 2, 1]);
    for (i, chunk) in data.chunks(HEADER_LEN + 8).enumerate() {
        if let Some(p) = Probe::decode(chunk) {
            stats.record(&p, source, (i as u64).wrapping_mul(1_000_003));
        }
    }
    for s in stats.senders() {
        for (since_ns, until_ns) in [(0, u64::MAX), (u64::MAX, 0), (1 << 30, 1 << 31)] {
            let _ = s.tally(Listened { since_ns, until_ns });
        }
        let _ = (s.pace_ns(), s.implausible(), s.delay_ms(), s.jitter_ms());
    }
});
