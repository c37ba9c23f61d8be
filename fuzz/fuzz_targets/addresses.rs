//! Fuzzes the parsers of what users type: addresses with zones, interface specs, services.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::{IfaceSpec, ScopedAddr, Service, Zone};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = text.parse::<ScopedAddr>() {
        assert_eq!(a.to_string().parse::<ScopedAddr>().ok(), Some(a));
    }
    if let Ok(spec) = text.parse::<IfaceSpec>() {
        assert_eq!(spec.to_string().parse::<IfaceSpec>().ok(), Some(spec));
    }
    let _ = text.parse::<Zone>();
    let _ = text.parse::<Service>();
});
