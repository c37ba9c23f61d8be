//! The RTP reader and its per-sender accounting over any datagrams (the input cut in
//! pieces at its first byte's value, each piece a datagram a millisecond apart): never a
//! panic, senders bounded, and no sender counts more late or duplicate packets than it
//! received.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::content::rtp::{MAX_SENDERS, Rtp};

fuzz_target!(|data: &[u8]| {
    let mut rtp = Rtp::new(Some(48_000));
    let step = usize::from(data.first().copied().unwrap_or(12)).max(12);
    for (i, datagram) in data.chunks(step).enumerate() {
        let _ = rtp.observe(datagram, i as u64 * 1_000_000);
    }
    assert!(rtp.streams().count() <= MAX_SENDERS);
    for s in rtp.streams() {
        assert!(s.late + s.duplicates <= s.received());
        assert!(s.jitter_units().is_finite() && s.jitter_units() >= 0.0);
    }
});
