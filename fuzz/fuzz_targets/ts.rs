//! The transport stream reader over any datagrams: never a panic, and per PID no more
//! continuity errors than packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::content::ts::Ts;

fuzz_target!(|data: &[u8]| {
    let mut ts = Ts::new();
    let step = 188 * usize::from(data.first().copied().unwrap_or(7) % 8).max(1);
    for (i, datagram) in data.chunks(step).enumerate() {
        ts.observe(datagram, i as u64 * 50_000_000, |_| {});
    }
    for (_, pid) in ts.pids() {
        assert!(pid.cc_errors <= pid.packets);
        assert!(pid.duplicates <= pid.packets);
    }
});
