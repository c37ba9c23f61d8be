//! The capture frame parser (IPv4 and IPv6 headers, extension chains, fragments) over any
//! bytes: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mcast::wire::ip::parse(data);
});
