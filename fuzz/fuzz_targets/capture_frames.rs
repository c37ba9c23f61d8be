//! Fuzzes the capture-file frame parser (Ethernet with VLAN tags, Linux cooked v1 and v2,
//! raw IP) and what watch does next with the IP packet found: the IGMP/MLD reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::capture::{Cooked, link};

fuzz_target!(|data: &[u8]| {
    let Some((&which, frame)) = data.split_first() else {
        return;
    };
    let linktype = [link::ETHERNET, link::LINUX_SLL, link::LINUX_SLL2, link::RAW, link::IPV4]
        [usize::from(which) % 5];
    if let Ok(u) = link::unwrap(linktype, frame) {
        let _ = mcast::wire::igmp::parse(u.ip);
    }
    if let Some((c, rest)) = Cooked::decode(frame) {
        let mut again = c.encode().to_vec();
        again.extend_from_slice(rest);
        assert_eq!(Cooked::decode(&again), Some((c, rest)));
    }
});
