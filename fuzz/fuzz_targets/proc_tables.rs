//! Fuzzes the /proc/net/{igmp,igmp6,mcfilter,mcfilter6} parsers and the mode inference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::membership::{combine, parse_igmp, parse_igmp6, parse_mcfilter};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let groups4 = parse_igmp(&text).unwrap_or_default();
    let groups6 = parse_igmp6(&text).unwrap_or_default();
    let rows4 = parse_mcfilter(&text, false).unwrap_or_default();
    let rows6 = parse_mcfilter(&text, true).unwrap_or_default();
    let _ = combine(&groups4, &rows4);
    let _ = combine(&groups6, &rows6);
});
