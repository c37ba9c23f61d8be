//! Tests of the IGMP and MLD reader: every version's messages, byte by byte, and cut packets.

use super::*;

/// An IPv4 header (with the router alert option) around `igmp`.
fn v4(src: [u8; 4], dst: [u8; 4], igmp: &[u8]) -> Vec<u8> {
    let total = (24 + igmp.len()) as u16;
    let mut p = vec![0x46, 0xc0];
    p.extend(total.to_be_bytes());
    p.extend([0, 0, 0, 0, 1, 2, 0, 0]);
    p.extend(src);
    p.extend(dst);
    p.extend([0x94, 0x04, 0, 0]);
    p.extend(igmp);
    p
}

/// An IPv6 header and an 8-byte hop-by-hop header around `icmp`.
fn v6(src: &str, dst: &str, icmp: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend(((8 + icmp.len()) as u16).to_be_bytes());
    p.extend([0, 1]);
    p.extend(src.parse::<Ipv6Addr>().unwrap().octets());
    p.extend(dst.parse::<Ipv6Addr>().unwrap().octets());
    p.extend([58, 0, 5, 2, 0, 0, 1, 0]);
    p.extend(icmp);
    p
}

#[test]
fn igmp_queries_of_every_version() {
    let general_v3 = v4(
        [192, 0, 2, 254],
        [224, 0, 0, 1],
        &[0x11, 100, 0, 0, 0, 0, 0, 0, 0x02, 125, 0, 0],
    );
    let p = parse(&general_v3).unwrap();
    assert_eq!(p.source.to_string(), "192.0.2.254");
    assert_eq!(p.ttl, 1);
    let Message::Query(q) = p.message else {
        panic!("a query")
    };
    assert_eq!(
        (
            q.version,
            q.group,
            q.max_response_ms,
            q.qrv,
            q.qqi_s,
            q.suppress
        ),
        (3, None, 10_000, 2, 125, false)
    );
    let v2 = v4(
        [192, 0, 2, 254],
        [224, 0, 0, 1],
        &[0x11, 100, 0, 0, 0, 0, 0, 0],
    );
    let Message::Query(q) = parse(&v2).unwrap().message else {
        panic!()
    };
    assert_eq!((q.version, q.max_response_ms), (2, 10_000));
    let v1 = v4(
        [192, 0, 2, 254],
        [224, 0, 0, 1],
        &[0x11, 0, 0, 0, 0, 0, 0, 0],
    );
    let Message::Query(q) = parse(&v1).unwrap().message else {
        panic!()
    };
    assert_eq!(q.version, 1);
    // Group-and-source-specific, with a floating-point max response (0x80: 128 tenths)
    // and the S flag.
    let gss = v4(
        [192, 0, 2, 254],
        [232, 1, 1, 1],
        &[0x11, 0x80, 0, 0, 232, 1, 1, 1, 0x0a, 60, 0, 1, 192, 0, 2, 9],
    );
    let Message::Query(q) = parse(&gss).unwrap().message else {
        panic!()
    };
    assert_eq!(q.group.unwrap().to_string(), "232.1.1.1");
    assert_eq!(q.sources, ["192.0.2.9".parse::<IpAddr>().unwrap()]);
    assert_eq!((q.max_response_ms, q.suppress, q.qrv), (12_800, true, 2));
}

#[test]
fn igmp_reports_and_leaves() {
    // v3: two records, an ALLOW_NEW_SOURCES with two sources and a CHANGE_TO_EXCLUDE
    // with an auxiliary word that must be skipped.
    let mut m = vec![0x22, 0, 0, 0, 0, 0, 0, 2];
    m.extend([5, 0, 0, 2, 232, 1, 1, 1, 192, 0, 2, 1, 192, 0, 2, 2]);
    m.extend([4, 1, 0, 0, 239, 1, 1, 1, 9, 9, 9, 9]);
    let p = parse(&v4([192, 0, 2, 2], [224, 0, 0, 22], &m)).unwrap();
    let Message::Report { version, records } = p.message else {
        panic!()
    };
    assert_eq!(version, 3);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].kind, RecordType::AllowNewSources);
    assert_eq!(records[0].sources.len(), 2);
    assert_eq!(
        (records[1].kind, records[1].group.to_string()),
        (RecordType::ChangeToExclude, "239.1.1.1".into())
    );
    let v2 = v4(
        [192, 0, 2, 2],
        [239, 1, 1, 1],
        &[0x16, 0, 0, 0, 239, 1, 1, 1],
    );
    assert!(matches!(
        parse(&v2).unwrap().message,
        Message::Report { version: 2, .. }
    ));
    let leave = v4(
        [192, 0, 2, 2],
        [224, 0, 0, 2],
        &[0x17, 0, 0, 0, 239, 1, 1, 1],
    );
    assert_eq!(
        parse(&leave).unwrap().message,
        Message::Leave {
            group: "239.1.1.1".parse().unwrap()
        }
    );
}

#[test]
fn mld_messages() {
    let mut q = vec![130, 0, 0, 0, 0x27, 0x10, 0, 0];
    q.extend([0u8; 16]);
    q.extend([0x02, 125, 0, 0]);
    let p = parse(&v6("fe80::1", "ff02::1", &q)).unwrap();
    let Message::Query(q) = p.message else {
        panic!()
    };
    assert_eq!(
        (q.version, q.group, q.max_response_ms, q.qrv, q.qqi_s),
        (2, None, 10_000, 2, 125)
    );
    let mut v1 = vec![130, 0, 0, 0, 0x27, 0x10, 0, 0];
    v1.extend([0u8; 16]);
    let Message::Query(q) = parse(&v6("fe80::1", "ff02::1", &v1)).unwrap().message else {
        panic!()
    };
    assert_eq!(q.version, 1);
    let mut r = vec![143, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 1];
    r.extend("ff3e::1".parse::<Ipv6Addr>().unwrap().octets());
    r.extend("2001:db8::9".parse::<Ipv6Addr>().unwrap().octets());
    let Message::Report { version, records } =
        parse(&v6("fe80::2", "ff02::16", &r)).unwrap().message
    else {
        panic!()
    };
    assert_eq!(version, 2);
    assert_eq!(records[0].kind, RecordType::ChangeToInclude);
    assert_eq!(records[0].sources[0].to_string(), "2001:db8::9");
    let mut done = vec![132, 0, 0, 0, 0, 0, 0, 0];
    done.extend("ff15::1".parse::<Ipv6Addr>().unwrap().octets());
    assert!(matches!(
        parse(&v6("fe80::2", "ff02::2", &done)).unwrap().message,
        Message::Leave { .. }
    ));
}

#[test]
fn codes_in_floating_point_form() {
    assert_eq!(igmp_code(127), 127);
    assert_eq!(igmp_code(0x80), 128);
    assert_eq!(igmp_code(0xff), 31744);
    assert_eq!(mld_code(10_000), 10_000);
    assert_eq!(mld_code(0x8000), 0x1000 << 3);
}

#[test]
fn every_cut_of_a_valid_packet_is_an_error_not_a_panic() {
    let mut m = vec![0x22, 0, 0, 0, 0, 0, 0, 1];
    m.extend([1, 0, 0, 1, 232, 1, 1, 1, 192, 0, 2, 1]);
    let p = v4([192, 0, 2, 2], [224, 0, 0, 22], &m);
    for n in 0..p.len() {
        let _ = parse(&p[..n]);
    }
    let mut r = vec![143, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1];
    r.extend([0xff; 32]);
    let p = v6("fe80::2", "ff02::16", &r);
    for n in 0..p.len() {
        let _ = parse(&p[..n]);
    }
    // A record count far beyond the bytes.
    let big = v4(
        [192, 0, 2, 2],
        [224, 0, 0, 22],
        &[0x22, 0, 0, 0, 0, 0, 0xff, 0xff],
    );
    assert!(parse(&big).is_err());
}

#[test]
fn names_and_modes_of_record_types() {
    let names: Vec<&str> = (1..=7).map(|v| RecordType::from_wire(v).name()).collect();
    assert_eq!(
        names,
        [
            "MODE_IS_INCLUDE",
            "MODE_IS_EXCLUDE",
            "CHANGE_TO_INCLUDE",
            "CHANGE_TO_EXCLUDE",
            "ALLOW_NEW_SOURCES",
            "BLOCK_OLD_SOURCES",
            "unknown"
        ]
    );
    let exclude: Vec<bool> = (1..=7)
        .map(|v| RecordType::from_wire(v).is_exclude())
        .collect();
    assert_eq!(exclude, [false, true, false, true, false, false, false]);
    assert_eq!(ParseError::Truncated.to_string(), "cut short");
    assert_eq!(ParseError::Not("not IGMP").to_string(), "not IGMP");
}

#[test]
fn every_source_and_every_record_is_read_where_it_is() {
    // A v3 query for two sources.
    let q = v4(
        [192, 0, 2, 254],
        [232, 1, 1, 1],
        &[
            0x11, 10, 0, 0, 232, 1, 1, 1, 0x02, 125, 0, 2, 192, 0, 2, 8, 192, 0, 2, 9,
        ],
    );
    let Message::Query(q) = parse(&q).unwrap().message else {
        panic!()
    };
    assert_eq!(
        q.sources,
        [
            "192.0.2.8".parse::<IpAddr>().unwrap(),
            "192.0.2.9".parse().unwrap()
        ]
    );
    // A report whose first record carries an auxiliary word, then a record with two sources.
    let mut m = vec![0x22, 0, 0, 0, 0, 0, 0, 2];
    m.extend([2, 1, 0, 0, 239, 1, 1, 1, 9, 9, 9, 9]);
    m.extend([1, 0, 0, 2, 232, 2, 2, 2, 192, 0, 2, 1, 192, 0, 2, 2]);
    let Message::Report { records, .. } = parse(&v4([192, 0, 2, 2], [224, 0, 0, 22], &m))
        .unwrap()
        .message
    else {
        panic!()
    };
    assert_eq!(records[1].group.to_string(), "232.2.2.2");
    assert_eq!(
        records[1].sources,
        [
            "192.0.2.1".parse::<IpAddr>().unwrap(),
            "192.0.2.2".parse().unwrap()
        ]
    );
}

#[test]
fn a_plain_20_byte_header_is_read_and_a_short_one_refused() {
    let igmp = [0x16, 0, 0, 0, 239, 1, 1, 1];
    let mut p = vec![
        0x45, 0, 0, 28, 0, 0, 0, 0, 1, 2, 0, 0, 192, 0, 2, 2, 239, 1, 1, 1,
    ];
    p.extend(igmp);
    assert!(matches!(
        parse(&p).unwrap().message,
        Message::Report { version: 2, .. }
    ));
    // A header length of 16 bytes is no IPv4 header, whatever follows looks like.
    let mut short = vec![
        0x44, 0, 0, 28, 0, 0, 0, 0, 1, 2, 0, 0, 192, 0, 2, 2, 0x16, 0, 0, 0,
    ];
    short.extend([239, 1, 1, 1, 0, 0, 0, 0]);
    assert!(parse(&short).is_err());
    // A total length shorter than the header is refused, not sliced backwards.
    let mut backwards = p.clone();
    backwards[3] = 16;
    assert!(parse(&backwards).is_err());
}

#[test]
fn bytes_past_the_ipv6_payload_are_not_the_message() {
    // An MLDv1 query (24 bytes) with 4 bytes of link padding after the payload.
    let mut q = vec![130, 0, 0, 0, 0x27, 0x10, 0, 0];
    q.extend([0u8; 16]);
    let mut p = v6("fe80::1", "ff02::1", &q);
    p.extend([0x02, 125, 0, 0]);
    let Message::Query(q) = parse(&p).unwrap().message else {
        panic!()
    };
    assert_eq!(q.version, 1);
}

#[test]
fn mld_codes_with_an_exponent() {
    assert_eq!(mld_code(0x9234), 0x1234 << 4);
    assert_eq!(igmp_code(0x9a), 0x1a << 4);
}

#[test]
fn mldv1_reports_and_mldv2_queries_with_sources_and_the_s_flag() {
    let mut r = vec![131, 0, 0, 0, 0, 0, 0, 0];
    r.extend("ff15::7".parse::<Ipv6Addr>().unwrap().octets());
    let Message::Report { version, records } =
        parse(&v6("fe80::2", "ff15::7", &r)).unwrap().message
    else {
        panic!("an MLDv1 report")
    };
    assert_eq!(
        (version, records[0].group.to_string()),
        (1, "ff15::7".to_string())
    );
    let mut q = vec![130, 0, 0, 0, 0x03, 0xe8, 0, 0];
    q.extend("ff35::1".parse::<Ipv6Addr>().unwrap().octets());
    q.extend([0x0a, 60, 0, 2]);
    q.extend("2001:db8::8".parse::<Ipv6Addr>().unwrap().octets());
    q.extend("2001:db8::9".parse::<Ipv6Addr>().unwrap().octets());
    let Message::Query(q) = parse(&v6("fe80::1", "ff35::1", &q)).unwrap().message else {
        panic!("an MLDv2 query")
    };
    assert_eq!(
        q.sources,
        [
            "2001:db8::8".parse::<IpAddr>().unwrap(),
            "2001:db8::9".parse().unwrap()
        ]
    );
    assert_eq!(
        (q.suppress, q.qrv, q.qqi_s, q.max_response_ms),
        (true, 2, 60, 1000)
    );
    let mut plain = vec![130, 0, 0, 0, 0x03, 0xe8, 0, 0];
    plain.extend([0u8; 16]);
    plain.extend([0x02, 60, 0, 0]);
    let Message::Query(q) = parse(&v6("fe80::1", "ff02::1", &plain)).unwrap().message else {
        panic!()
    };
    assert!(!q.suppress, "S clear");
}

/// The seeds of the fuzz targets are real packets a Linux kernel wrote (fuzz/seeds/make.sh
/// in a lab): every IGMP and MLD message among them has a right checksum, and any one byte
/// of the message changed makes it wrong (the checksum covers the whole message; MLD's its
/// pseudo-header too, so a changed address makes it wrong as well).
#[test]
fn real_messages_pass_the_checksum_and_any_changed_byte_fails_it() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/ip");
    let (mut v4, mut v6) = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let packet = std::fs::read(entry.unwrap().path()).unwrap();
        let Ok(p) = parse(&packet) else { continue };
        assert!(p.checksum_ok, "{packet:02x?}");
        if p.source.is_ipv4() {
            v4 += 1;
        } else {
            v6 += 1;
        }
        // A byte of the message that changes nothing else: its checksum field (IGMP after
        // the IPv4 header; MLD after the 8-byte hop-by-hop header the kernel sends it in).
        let at = if p.source.is_ipv4() {
            usize::from(packet[0] & 0x0f) * 4 + 2
        } else {
            assert_eq!((packet[6], packet[40]), (0, 58), "hop-by-hop, then ICMPv6");
            48 + 2
        };
        let mut changed = packet.clone();
        changed[at] ^= 0x01;
        assert!(
            parse(&changed).is_ok_and(|p| !p.checksum_ok),
            "{changed:02x?}"
        );
        if !p.source.is_ipv4() {
            let mut moved = packet.clone();
            moved[8] ^= 0x80;
            assert!(parse(&moved).is_ok_and(|p| !p.checksum_ok));
        }
    }
    assert!(v4 > 3 && v6 > 3, "seeds of both families: {v4} {v6}");
}

/// An odd-length message is summed as if padded with a zero byte (RFC 1071): a v2 report
/// with one byte of trailing junk, its checksum computed here the long way.
#[test]
fn an_odd_length_message_is_summed_as_if_padded() {
    let mut igmp = vec![0x16, 0, 0, 0, 239, 1, 1, 1, 0xab];
    let mut padded = igmp.clone();
    padded.push(0);
    let sum: u32 = padded
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    let folded = (sum & 0xffff) + (sum >> 16);
    let check = !((folded & 0xffff) + (folded >> 16)) as u16;
    igmp[2..4].copy_from_slice(&check.to_be_bytes());
    let p = parse(&v4([10, 0, 0, 1], [239, 1, 1, 1], &igmp)).unwrap();
    assert!(p.checksum_ok);
    igmp[8] ^= 0x10;
    assert!(
        !parse(&v4([10, 0, 0, 1], [239, 1, 1, 1], &igmp))
            .unwrap()
            .checksum_ok
    );
}
