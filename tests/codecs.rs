//! Property tests of the codecs of bytes from the network and from other programs, in the
//! library since the rooms moved there: any bytes give a value or a refusal, never a panic,
//! and what is encoded decodes to itself (the IP header reader against headers built here,
//! as the library writes none).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mcast::capture::Cooked;
use mcast::capture::link;
use mcast::content::rtp::{Header, RtpError};
use mcast::ping::PathSummary;
use mcast::wire::columns::{self, Row};
use mcast::wire::ip::{self, Fragment};
use mcast::wire::rfc6450::{Kind, Message};
use proptest::prelude::*;

fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// A time as RFC 6450 carries it: seconds and microseconds.
fn timestamp() -> impl Strategy<Value = u64> {
    (any::<u32>(), 0u64..1_000_000).prop_map(|(s, us)| u64::from(s) * 1_000_000_000 + us * 1000)
}

fn message() -> impl Strategy<Value = Message> {
    let kind = prop_oneof![
        Just(Kind::Init),
        Just(Kind::Response),
        Just(Kind::Request),
        Just(Kind::Reply)
    ];
    (
        (
            kind,
            any::<u8>(),
            proptest::option::of(bytes(40)),
            proptest::option::of(any::<u32>()),
        ),
        (
            proptest::option::of(timestamp()),
            proptest::option::of(addr()),
            proptest::collection::vec(any::<u16>(), 0..6),
            proptest::option::of("[ -~]{0,40}"),
        ),
        (
            proptest::option::of(any::<u8>()),
            proptest::option::of(bytes(20)),
            proptest::option::of(bytes(40)),
            proptest::option::of(timestamp()),
        ),
    )
        .prop_map(
            |(
                (kind, version, client_id, seq),
                (sent, group, asked, info),
                (ttl, prefix, session, server),
            )| {
                let mut m = Message::new(kind);
                m.version = version;
                m.client_id = client_id;
                m.seq = seq;
                m.client_sent_ns = sent;
                m.group = group;
                m.option_request = asked;
                m.server_info = info;
                m.ttl = ttl;
                m.mcast_prefix = prefix;
                m.session_id = session;
                m.server_sent_ns = server;
                m
            },
        )
}

fn figure(max: f64) -> impl Strategy<Value = Option<f64>> {
    proptest::option::of(0.0..max)
}

fn path() -> impl Strategy<Value = PathSummary> {
    (
        (0u64..1_000_000, 0u64..1_000, 0u64..1_000),
        (figure(100.0), figure(100.0)),
        (figure(1e6), figure(1e6), figure(1e6), figure(1e6)),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(
            |((sent, dup, reordered), (loss, since), (min, avg, max, mdev), hops)| PathSummary {
                sent,
                received: sent / 2,
                duplicates: dup,
                reordered,
                loss_pct: loss,
                loss_since_first_pct: since,
                rtt_min_ms: min,
                rtt_avg_ms: avg,
                rtt_max_ms: max,
                rtt_mdev_ms: mdev,
                hops,
            },
        )
}

fn row() -> impl Strategy<Value = Row> {
    (addr(), path(), path(), figure(1e7)).prop_map(|(from, unicast, multicast, first)| Row {
        from,
        unicast,
        multicast,
        first_multicast_ms: first,
    })
}

/// An IPv4 or IPv6 UDP packet's headers, as a sender's kernel writes them.
fn udp_packet(src: IpAddr, dst: IpAddr, ports: (u16, u16), payload: usize) -> Vec<u8> {
    let udp_len = 8 + payload;
    let mut udp = Vec::new();
    udp.extend(ports.0.to_be_bytes());
    udp.extend(ports.1.to_be_bytes());
    udp.extend((udp_len as u16).to_be_bytes());
    udp.extend([0, 0]);
    udp.resize(udp_len, 0xab);
    let mut out = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut h = vec![0x45, 0];
            h.extend(((20 + udp_len) as u16).to_be_bytes());
            h.extend([0, 0, 0x40, 0, 1, 17, 0, 0]);
            h.extend(s.octets());
            h.extend(d.octets());
            h
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend((udp_len as u16).to_be_bytes());
            h.extend([17, 1]);
            h.extend(s.octets());
            h.extend(d.octets());
            h
        }
        _ => unreachable!("one family"),
    };
    out.extend(udp);
    out
}

proptest! {
    #[test]
    fn cooked_headers_round_trip(protocol: u16, ifindex: u32, hatype: u16, pkttype: u8, addr: [u8; 8], addr_len in 0u8..=8, rest in bytes(64)) {
        let c = Cooked { protocol, ifindex, hatype, pkttype, addr, addr_len };
        let mut frame = c.encode().to_vec();
        frame.extend(&rest);
        prop_assert_eq!(Cooked::decode(&frame), Some((c, &rest[..])));
    }

    #[test]
    fn capture_frames_of_any_bytes_unwrap_inside_themselves(
        linktype in prop_oneof![Just(link::ETHERNET), Just(link::LINUX_SLL), Just(link::LINUX_SLL2), Just(link::RAW), Just(link::IPV6), any::<u32>()],
        frame in bytes(256),
    ) {
        // Never a panic, and the IP packet found lies inside the frame.
        if let Ok(u) = link::unwrap(linktype, &frame) {
            let (start, end) = (frame.as_ptr() as usize, frame.as_ptr() as usize + frame.len());
            let at = u.ip.as_ptr() as usize;
            prop_assert!(at >= start && at + u.ip.len() <= end);
        }
    }

    #[test]
    fn rfc6450_messages_round_trip(m in message()) {
        prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
    }

    #[test]
    fn rfc6450_takes_any_bytes(kind in prop_oneof![Just(b'I'), Just(b'S'), Just(b'Q'), Just(b'A')], body in bytes(128)) {
        let mut datagram = vec![kind];
        datagram.extend(body);
        if let Ok(m) = Message::decode(&datagram) {
            // What it read, it writes so that it reads the same again.
            prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
        }
    }

    #[test]
    fn columns_round_trip(token in bytes(64), rows in proptest::collection::vec(row(), 0..8)) {
        prop_assume!(rows.iter().all(Row::possible));
        prop_assert_eq!(columns::decode(&columns::encode(&token, &rows)), Some((token, rows)));
    }

    #[test]
    fn columns_take_any_bytes(body in bytes(512)) {
        let mut datagram = b"MCM2".to_vec();
        datagram.extend(body);
        if let Some((token, rows)) = columns::decode(&datagram) {
            prop_assert!(rows.iter().all(Row::possible));
            prop_assert_eq!(columns::decode(&columns::encode(&token, &rows)), Some((token, rows)));
        }
    }

    #[test]
    fn ip_headers_read_back_what_they_say(v6 in any::<bool>(), s in any::<u128>(), d in any::<u128>(), ports in any::<(u16, u16)>(), payload in 0usize..1500) {
        let (src, dst): (IpAddr, IpAddr) = if v6 {
            (Ipv6Addr::from(s).into(), Ipv6Addr::from(d).into())
        } else {
            (Ipv4Addr::from(s as u32).into(), Ipv4Addr::from(d as u32).into())
        };
        let packet = udp_packet(src, dst, ports, payload);
        let p = ip::parse(&packet).expect("a well-formed header");
        prop_assert_eq!((p.source, p.destination), (src, dst));
        prop_assert_eq!((p.protocol, p.udp_ports, p.fragment), (17, Some(ports), Fragment::Whole));
        prop_assert_eq!(p.wire_len, packet.len());
    }

    #[test]
    fn ip_and_igmp_readers_take_any_bytes(first in prop_oneof![Just(0x45u8), Just(0x46), Just(0x60), any::<u8>()], rest in bytes(200)) {
        let mut packet = vec![first];
        packet.extend(rest);
        let _ = ip::parse(&packet);
        let _ = mcast::wire::igmp::parse(&packet);
        // Cut anywhere: a header cut short is refused, never read past its end.
        for cut in 0..packet.len().min(64) {
            let _ = ip::parse(&packet[..cut]);
            let _ = mcast::wire::igmp::parse(&packet[..cut]);
        }
    }

    #[test]
    fn rtp_headers_read_back_what_they_say(pt in 0u8..128, seq in any::<u16>(), ts in any::<u32>(), ssrc in any::<u32>(), csrcs in 0u8..16, ext in proptest::option::of((any::<u16>(), 0u16..8)), payload in 0usize..64, pad in 0u8..8) {
        let mut p = vec![0x80 | csrcs | if ext.is_some() { 0x10 } else { 0 } | if pad > 0 { 0x20 } else { 0 }, pt];
        p.extend(seq.to_be_bytes());
        p.extend(ts.to_be_bytes());
        p.extend(ssrc.to_be_bytes());
        p.resize(12 + 4 * usize::from(csrcs), 7);
        if let Some((profile, words)) = ext {
            p.extend(profile.to_be_bytes());
            p.extend(words.to_be_bytes());
            p.resize(p.len() + 4 * usize::from(words), 9);
        }
        let offset = p.len();
        p.resize(offset + payload, 0x47);
        if pad > 0 {
            p.resize(p.len() + usize::from(pad) - 1, 0);
            p.push(pad);
        }
        let h = Header::parse(&p).expect("a well-formed header");
        prop_assert_eq!((h.payload_type, h.seq, h.timestamp, h.ssrc), (pt, seq, ts, ssrc));
        prop_assert_eq!((h.csrc_count, h.extension, h.payload_offset, h.payload_len), (csrcs, ext.map(|e| e.0), offset, payload));
    }

    #[test]
    fn rtp_takes_any_bytes(first in prop_oneof![Just(0x80u8), Just(0xa0), Just(0x90), any::<u8>()], rest in bytes(80)) {
        let mut p = vec![first];
        p.extend(rest);
        match Header::parse(&p) {
            Ok(h) => prop_assert!(h.payload_offset + h.payload_len <= p.len()),
            Err(RtpError::Short { needed, len }) => prop_assert!(needed > len),
            Err(_) => {}
        }
    }
}

/// doctor's readers, with the feature that holds them (on by default).
#[cfg(feature = "doctor")]
mod doctor_listings {
    use mcast::doctor::{firewall, proc};
    use proptest::prelude::*;

    proptest! {
    /// Other programs' output (nft, iptables-save, /proc) read by doctor: any text gives
    /// chains or nothing, never a panic.
    #[test]
    fn doctor_reads_any_listing(text in "\\PC{0,400}", lines in proptest::collection::vec("[-A-Za-z0-9:*!/ .\\[\\]{}\"=,]{0,80}", 0..12)) {
        let listing = lines.join("\n");
        for t in [&text, &listing] {
            let _ = firewall::iptables::read(t, true);
            let _ = firewall::iptables::read(t, false);
            let _ = firewall::nft::read(t, t, false);
            let _ = proc::counters(t);
            let _ = proc::udp_sockets(t, 7777);
        }
    }
    }
}
