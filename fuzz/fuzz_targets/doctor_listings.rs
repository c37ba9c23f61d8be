//! doctor's readers of other programs' output (nft's JSON and text listings, iptables-save,
//! /proc/net tables) over any text, and the firewall judge over whatever rules they read:
//! never a panic, and the judge ends (a ruleset of jumps into itself included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::doctor::firewall::{Hook, Packet, iptables, judge, nft};
use mcast::doctor::proc;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The JSON and the text listing: the input cut in two at its first newline.
    let (json, listing) = text.split_once('\n').unwrap_or((&text, &text));
    let mut chains = nft::read(json, listing, false).unwrap_or_default();
    chains.extend(iptables::read(&text, true));
    chains.extend(iptables::read(&text, false));
    let udp = Packet {
        v4: true,
        protocol: 17,
        saddr: None,
        daddr: "239.1.1.1".parse().unwrap(),
        dport: Some(7777),
        port_unknown: false,
        icmp_type: None,
        multicast: true,
        in_iface: Some("eth0".into()),
        out_iface: None,
        later_fragment: false,
    };
    let igmp = Packet {
        protocol: 2,
        dport: None,
        icmp_type: Some(0x11),
        daddr: "224.0.0.1".parse().unwrap(),
        ..udp.clone()
    };
    let all = [
        Hook::Ingress,
        Hook::Prerouting,
        Hook::Input,
        Hook::Output,
        Hook::Postrouting,
    ];
    for p in [&udp, &igmp] {
        let _ = judge(&chains, p, &all);
    }
    let _ = proc::counters(&text);
    let _ = proc::udp_sockets(&text, 7777);
});
