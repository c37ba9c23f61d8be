//! Property tests of every parser: any input gives a value or a typed error, never a panic,
//! and what is formatted parses back to itself.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mcast::membership::{combine, parse_igmp, parse_igmp6, parse_mcfilter};
use mcast::probe::Probe;
use mcast::{IfaceSpec, ScopedAddr, Service, Zone};
use proptest::prelude::*;

fn ifname() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,14}".prop_filter("not a number or address", |s| {
        s.parse::<IfaceSpec>()
            .is_ok_and(|spec| matches!(spec, IfaceSpec::Name(_)))
    })
}

fn zone() -> impl Strategy<Value = Zone> {
    prop_oneof![
        ifname().prop_map(Zone::Name),
        (1u32..).prop_map(Zone::Index)
    ]
}

fn scoped() -> impl Strategy<Value = ScopedAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| ScopedAddr::new(IpAddr::V4(Ipv4Addr::from(v)))),
        (any::<u128>(), proptest::option::of(zone())).prop_map(|(v, zone)| ScopedAddr {
            ip: IpAddr::V6(Ipv6Addr::from(v)),
            zone,
        }),
    ]
}

proptest! {
    #[test]
    fn any_text_is_an_address_or_an_error(s in "\\PC*") {
        let _ = s.parse::<ScopedAddr>();
        let _ = s.parse::<IfaceSpec>();
        let _ = s.parse::<Zone>();
        let _ = s.parse::<Service>();
    }

    /// Whatever parses prints as text that parses back to the same thing.
    #[test]
    fn parse_print_parse_is_the_identity(
        ip in prop_oneof![any::<u32>().prop_map(|v| std::net::Ipv4Addr::from(v).to_string()),
                          any::<u128>().prop_map(|v| Ipv6Addr::from(v).to_string())],
        zone in proptest::option::of(prop_oneof!["\\PC{0,12}", "[e0-9\\]\\[%]{0,6}"]),
        bracket in any::<bool>(),
    ) {
        let mut s = match &zone {
            Some(z) => format!("{ip}%{z}"),
            None => ip,
        };
        if bracket {
            s = format!("[{s}]");
        }
        if let Ok(a) = s.parse::<ScopedAddr>() {
            let shown = a.to_string();
            prop_assert_eq!(shown.parse::<ScopedAddr>().ok(), Some(a), "{} -> {}", s, shown);
        }
    }

    #[test]
    fn addresses_with_zones_parse_back(a in scoped()) {
        prop_assert_eq!(a.to_string().parse::<ScopedAddr>().unwrap(), a);
    }

    #[test]
    fn interface_specs_parse_back(spec in prop_oneof![
        ifname().prop_map(IfaceSpec::Name),
        (1u32..).prop_map(IfaceSpec::Index),
        scoped().prop_map(IfaceSpec::Addr),
    ]) {
        prop_assert_eq!(spec.to_string().parse::<IfaceSpec>().unwrap(), spec);
    }

    #[test]
    fn services_parse_back(port in any::<u16>(), name in "[a-z][a-z0-9-]{0,20}") {
        prop_assert_eq!(port.to_string().parse::<Service>().unwrap(), Service::Port(port));
        let named = name.parse::<Service>().unwrap();
        prop_assert_eq!(named.to_string(), name);
    }

    #[test]
    fn proc_parsers_never_panic(s in "\\PC*", lines in proptest::collection::vec("[0-9a-fA-Fx: \\t]{0,60}", 0..8)) {
        let joined = lines.join("\n");
        for text in [s.as_str(), joined.as_str()] {
            let _ = parse_igmp(text);
            let _ = parse_igmp6(text);
            let _ = parse_mcfilter(text, false);
            let _ = parse_mcfilter(text, true);
        }
    }

    /// Crafted tables (any counts, rows for any group) go all the way through to memberships.
    #[test]
    fn crafted_tables_combine_without_panic(
        users in proptest::collection::vec(any::<u32>(), 1..4),
        rows in proptest::collection::vec((0usize..4, any::<u32>(), any::<u32>(), prop_oneof![Just(0u32), any::<u32>()]), 0..12),
    ) {
        let mut igmp = String::from("Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n2\teth0      :     3      V3\n");
        for (i, u) in users.iter().enumerate() {
            igmp.push_str(&format!("\t\t\t\t{:08X} {u:>5} 0:00000000\t\t0\n", u32::from_ne_bytes([232, 1, 1, i as u8])));
        }
        let mut mcf = String::from("Idx Device        MCA        SRC    INC    EXC\n");
        for (g, src, inc, exc) in &rows {
            mcf.push_str(&format!("  2   eth0 0xe80101{:02x} 0x{src:08x} {inc:>6} {exc:>6}\n", g % users.len()));
        }
        let all = combine(&parse_igmp(&igmp).unwrap(), &parse_mcfilter(&mcf, false).unwrap());
        prop_assert_eq!(all.len(), users.len());
    }

    #[test]
    fn igmp6_lines_parse_back(index in 1u32..100_000, users in any::<u32>(), group in any::<u128>()) {
        let line = format!("{index} eth0 {group:032x} {users} 00000004 0\n");
        let parsed = parse_igmp6(&line).unwrap();
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(parsed[0].group, IpAddr::V6(Ipv6Addr::from(group)));
        prop_assert_eq!(parsed[0].users, users);
    }

    #[test]
    fn mcfilter_rows_parse_back(index in 1u32..100_000, g in any::<u32>(), s in any::<u32>(), inc in any::<u32>(), exc in any::<u32>()) {
        let text = format!("Idx Device        MCA        SRC    INC    EXC\n{index:>3} eth0 0x{g:08x} 0x{s:08x} {inc:>6} {exc:>6}\n");
        let rows = parse_mcfilter(&text, false).unwrap();
        prop_assert_eq!(rows[0].group, IpAddr::V4(Ipv4Addr::from(g)));
        prop_assert_eq!(rows[0].source, IpAddr::V4(Ipv4Addr::from(s)));
        prop_assert_eq!((rows[0].include, rows[0].exclude), (inc, exc));
    }

    /// Any datagram on the ping port is a message of one protocol, or an error: never a panic.
    #[test]
    fn ping_codecs_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..96), kind in prop_oneof![Just(b'Q'), Just(b'A'), Just(b'I'), Just(b'S'), any::<u8>()]) {
        let mut datagram = vec![kind];
        datagram.extend(&bytes);
        let _ = mcast::wire::protocol_of(&datagram);
        let _ = mcast::wire::ssmping::Message::decode(&datagram);
        let _ = mcast::wire::rfc6450::Message::decode(&datagram);
        let _ = mcast::wire::ssmping::reply_to(&datagram);
    }

    #[test]
    fn ssmping_messages_round_trip(pid in any::<u32>(), seq in any::<u32>(), sec in any::<u32>(), usec in 0u64..1_000_000, v6 in any::<bool>(), group in any::<u128>(), pad in 0usize..64, size in proptest::option::of(any::<u16>())) {
        use mcast::wire::ssmping::{Kind, Message};
        let group: IpAddr = if v6 { Ipv6Addr::from(group).into() } else { Ipv4Addr::from(group as u32).into() };
        let m = Message {
            kind: Some(Kind::Request),
            pid: Some(pid),
            seq: Some(seq),
            sent_ns: Some(u64::from(sec) * 1_000_000_000 + usec * 1000),
            group: Some(group),
            reply_size: size,
            padding: pad,
            ..Message::default()
        };
        prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
    }

    #[test]
    fn probes_decode_or_are_foreign(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        if let Some(p) = Probe::decode(&bytes) {
            let mut again = bytes.clone();
            prop_assert!(p.encode(&mut again));
            prop_assert_eq!(Probe::decode(&again), Some(p));
        }
    }

    #[test]
    fn probes_round_trip(sender in any::<u32>(), seq in any::<u64>(), sent_ns in any::<u64>(), planned in any::<u32>(), pad in 0usize..64) {
        let p = Probe { sender, seq, sent_ns, planned };
        let mut buf = vec![0u8; 32 + pad];
        prop_assert!(p.encode(&mut buf));
        prop_assert_eq!(Probe::decode(&buf), Some(p));
    }
}
