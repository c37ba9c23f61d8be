//! The transport stream reader over any datagrams: never a panic, and per PID no more
//! continuity errors than packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::content::ts::Ts;

fuzz_target!(|data: &[u8]| {
    let mut ts = Ts::new();
    let step = 188 * usize::from(data.first().copied().unwrap_or(7) % 8).max(1);
    for datagram in data.chunks(step) {
        ts.observe(datagram, |_| {});
    }
    for (_, pid) in ts.pids() {
        assert!(pid.cc_errors <= pid.packets);
        assert!(pid.duplicates <= pid.packets);
    }
});
