//! The sequenced-feed reader over any datagrams, as a 2-byte field and as MoldUDP64: never
//! a panic, and what it counts adds up (late numbers only ever fill what was lost).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::content::seq::{Feed, Format};

fuzz_target!(|data: &[u8]| {
    let step = usize::from(data.first().copied().unwrap_or(20)).max(1);
    for format in [
        Format::Field {
            offset: 0,
            len: 2,
            big_endian: true,
        },
        Format::MoldUdp64,
    ] {
        let mut feed = Feed::new(format);
        let mut gaps = 0u64;
        for datagram in data.chunks(step) {
            if let Ok(mcast::content::seq::Seen::Gap { missing, .. }) = feed.observe(datagram) {
                gaps = gaps.saturating_add(missing);
            }
        }
        // Exact unless a forged number near 2^64 saturated the sums.
        if gaps < u64::MAX / 2 {
            assert_eq!(feed.lost + feed.late, gaps);
        }
    }
});
