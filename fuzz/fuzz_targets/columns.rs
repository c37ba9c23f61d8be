//! mesh's column codec over any bytes: never a panic, what decodes passes the rules of a
//! real run, and encodes back to what decodes the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::wire::columns::{decode, encode};

fuzz_target!(|data: &[u8]| {
    if let Some((token, rows)) = decode(data) {
        assert!(rows.iter().all(|r| r.possible()));
        let again = decode(&encode(&token, &rows)).expect("its own encoding decodes");
        assert_eq!(again, (token, rows));
    }
});
