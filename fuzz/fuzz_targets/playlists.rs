//! Monitor target lists and M3U playlists (files anyone may write): never a panic, and
//! every target read is a multicast group on a port, its name bounded, written back as it
//! would be typed and read again the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::monitor::{Target, parse_list};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(targets) = parse_list(&text) else {
        return;
    };
    for t in targets {
        assert!(t.group.is_multicast() && t.port != 0, "{t:?}");
        assert!(t.name.as_ref().is_none_or(|n| n.len() <= 128), "{t:?}");
        let again: Target = t.endpoint().parse().expect("an endpoint reads back");
        assert_eq!((again.source, again.group, again.port), (t.source, t.group, t.port));
    }
});
