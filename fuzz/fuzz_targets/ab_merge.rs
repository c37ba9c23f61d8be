//! The A/B merge over any arrivals (leg, number, count, time): never a panic, no leg is
//! credited with more numbers than it delivered, and finishing twice judges nothing twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::monitor::Merge;

fuzz_target!(|data: &[u8]| {
    let mut m = Merge::default();
    let mut delivered = [0u64; 2];
    let wrap = data.first().map(|b| if b % 2 == 0 { Some(1u64 << 16) } else { None });
    for (i, c) in data.chunks_exact(6).enumerate() {
        let leg = usize::from(c[0] & 1);
        let first = u64::from(u32::from_be_bytes([c[1], c[2], c[3], c[4]]));
        let count = u64::from(c[5] % 8);
        delivered[leg] += count;
        m.saw(leg, first, count, wrap.flatten(), 1_000 + i as u64 * 1_000);
    }
    m.finish();
    let judged = m.lost + m.only[0] + m.only[1] + m.both;
    // A number a leg delivered twice counts once; none it did not deliver counts for it.
    assert!(m.only[0] + m.both <= delivered[0], "{m:?} {delivered:?}");
    assert!(m.only[1] + m.both <= delivered[1], "{m:?} {delivered:?}");
    if let Some(p50) = m.skew_p50_ns() {
        assert!(p50.unsigned_abs() <= m.skew_max_ns);
    }
    // Finishing again judges nothing more.
    m.finish();
    assert_eq!(m.lost + m.only[0] + m.only[1] + m.both, judged);
});
