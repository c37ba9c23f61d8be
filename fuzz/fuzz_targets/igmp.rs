//! The IGMP/MLD reader over any packet, and the watch state it feeds: never a panic, and the
//! state's tables stay within their bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::watch::{MAX_QUERIERS, Watch};

fuzz_target!(|data: &[u8]| {
    let t0 = std::time::Instant::now();
    let mut w = Watch::new(&[], std::time::Duration::from_secs(125), t0);
    // The input as one packet, and cut in pieces at its first byte's value.
    let step = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let pieces = std::iter::once(data).chain(data.chunks(step));
    for (i, p) in pieces.enumerate() {
        if let Ok(packet) = mcast::wire::igmp::parse(p) {
            let at = t0 + std::time::Duration::from_millis(i as u64);
            let _ = w.observe(2, &packet, at);
            let _ = w.tick(at);
        }
    }
    assert!(w.queriers.len() <= MAX_QUERIERS);
    let _ = w.hosts();
});
