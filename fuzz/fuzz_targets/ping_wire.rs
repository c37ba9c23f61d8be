//! The ssmping and RFC 6450 codecs over any bytes: never a panic, and what decodes encodes
//! to bytes that decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::wire::{rfc6450, ssmping};

fuzz_target!(|data: &[u8]| {
    let _ = mcast::wire::protocol_of(data);
    if let Ok(m) = ssmping::Message::decode(data) {
        let again = ssmping::Message::decode(&m.encode()).expect("its own encoding decodes");
        assert_eq!(again, m);
    }
    let _ = ssmping::reply_to(data);
    if let Ok(m) = rfc6450::Message::decode(data) {
        let again = rfc6450::Message::decode(&m.encode()).expect("its own encoding decodes");
        assert_eq!(again, m);
    }
});
