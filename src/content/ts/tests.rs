//! The TS header field by field, and a fixture per continuity rule: the increment, a lost
//! packet, the legal single repeat and the second one, no increment without payload, the
//! discontinuity indicator, the null PID; sync loss and its return.

use super::*;

/// A packet of `pid` with counter `cc`: payload only, or `afc` given.
fn packet(pid: u16, cc: u8) -> [u8; PACKET] {
    let mut p = [0xffu8; PACKET];
    p[0] = SYNC;
    p[1] = (pid >> 8) as u8 & 0x1f;
    p[2] = pid as u8;
    p[3] = 0x10 | (cc & 0x0f);
    p
}

/// An adaptation-only packet (no payload).
fn no_payload(pid: u16, cc: u8) -> [u8; PACKET] {
    let mut p = packet(pid, cc);
    p[3] = 0x20 | (cc & 0x0f);
    p[4] = 183;
    p[5] = 0;
    p
}

/// A packet whose adaptation field sets the discontinuity indicator.
fn discontinuity(pid: u16, cc: u8) -> [u8; PACKET] {
    let mut p = packet(pid, cc);
    p[3] = 0x30 | (cc & 0x0f);
    p[4] = 1;
    p[5] = 0x80;
    p
}

/// Feeds packets one datagram each; returns the continuity errors told.
fn feed(ts: &mut Ts, packets: &[[u8; PACKET]]) -> Vec<Continuity> {
    let mut errors = Vec::new();
    for p in packets {
        ts.observe(p, 0, |e| {
            if let Event::ContinuityError { error, .. } = e {
                errors.push(error);
            }
        });
    }
    errors
}

#[test]
fn the_header_reads_field_by_field() {
    let mut p = packet(0x1abc, 9);
    let h = Header::parse(&p).unwrap();
    assert_eq!(
        (h.tei, h.pusi, h.scrambling, h.payload_offset),
        (false, false, 0, 4)
    );
    // Without a payload, it starts past the end.
    let mut q = no_payload(0x1abc, 9);
    let h = Header::parse(&q).unwrap();
    assert_eq!((h.has_payload, h.payload_offset), (false, PACKET));
    // Even when its adaptation field is short of the packet (stuffing left out).
    q[4] = 7;
    assert_eq!(Header::parse(&q).unwrap().payload_offset, PACKET);
    p[1] |= 0x80 | 0x40;
    p[3] |= 0x80;
    let h = Header::parse(&p).unwrap();
    assert_eq!(
        (h.tei, h.pusi, h.pid, h.scrambling, h.has_payload, h.cc),
        (true, true, 0x1abc, 2, true, 9)
    );
    assert_eq!((h.discontinuity, h.pcr), (false, None));
    p[0] = 0x46;
    assert_eq!(Header::parse(&p), None);
}

#[test]
fn a_pcr_reads_as_27_mhz_units() {
    let mut p = packet(100, 0);
    p[3] = 0x30;
    p[4] = 7;
    p[5] = 0x10;
    // Base 0x1_0000_0001 (33 bits), extension 0x12.
    p[6..12].copy_from_slice(&[0x80, 0x00, 0x00, 0x00, 0x80 | 0x7e, 0x12]);
    let h = Header::parse(&p).unwrap();
    assert_eq!(h.pcr, Some(0x1_0000_0001 * 300 + 0x12));
    // Every byte of it in its place: base 0x2468acf1, extension 0x19a.
    p[6..12].copy_from_slice(&[0x12, 0x34, 0x56, 0x78, 0xff, 0x9a]);
    let h = Header::parse(&p).unwrap();
    assert_eq!(h.pcr, Some(0x2468_acf1 * 300 + 0x19a));
    // The flag without the room for a PCR, or the room without the flag: none.
    p[4] = 6;
    assert_eq!(Header::parse(&p).unwrap().pcr, None);
    p[4] = 7;
    p[5] = 0x00;
    assert_eq!(Header::parse(&p).unwrap().pcr, None);
}

#[test]
fn flags_are_read_only_from_an_adaptation_field_that_has_them() {
    // Payload only: byte 5 is payload, whatever it looks like.
    let mut p = packet(100, 0);
    p[5] = 0x90;
    let h = Header::parse(&p).unwrap();
    assert_eq!((h.discontinuity, h.pcr, h.payload_offset), (false, None, 4));
    // An adaptation field of length 0 has no flags byte: byte 5 is payload again.
    p[3] = 0x30;
    p[4] = 0;
    let h = Header::parse(&p).unwrap();
    assert_eq!((h.discontinuity, h.pcr, h.payload_offset), (false, None, 5));
    // Of length 1, its flags count.
    p[4] = 1;
    p[5] = 0x80;
    let h = Header::parse(&p).unwrap();
    assert_eq!((h.discontinuity, h.payload_offset), (true, 6));
}

#[test]
fn counters_in_order_and_across_the_wrap_are_clean() {
    let mut ts = Ts::new();
    let packets: Vec<_> = (0..40u8).map(|i| packet(256, i % 16)).collect();
    assert!(feed(&mut ts, &packets).is_empty());
    let pid = ts.pid(256).unwrap();
    assert_eq!((pid.packets, pid.cc_errors, pid.missing), (40, 0, 0));
}

#[test]
fn a_jump_counts_the_packets_missing_as_tsduck_does() {
    let mut ts = Ts::new();
    let errors = feed(&mut ts, &[packet(256, 3), packet(256, 7), packet(256, 1)]);
    assert_eq!(
        errors,
        [
            Continuity::Lost {
                last: 3,
                found: 7,
                missing: 3
            },
            // 7 to 1 wraps: 16 + 1 - 7 - 1.
            Continuity::Lost {
                last: 7,
                found: 1,
                missing: 9
            }
        ]
    );
    assert_eq!(ts.pid(256).unwrap().missing, 12);
}

#[test]
fn one_repeat_is_legal_and_a_second_is_an_error() {
    let mut ts = Ts::new();
    let errors = feed(
        &mut ts,
        &[
            packet(256, 5),
            packet(256, 5),
            packet(256, 6),
            packet(256, 6),
            packet(256, 6),
        ],
    );
    assert_eq!(errors, [Continuity::Repeated]);
    let pid = ts.pid(256).unwrap();
    assert_eq!((pid.duplicates, pid.cc_errors), (2, 1));
}

#[test]
fn a_packet_without_payload_must_not_increment() {
    let mut ts = Ts::new();
    let clean = feed(
        &mut ts,
        &[packet(256, 5), no_payload(256, 5), packet(256, 6)],
    );
    assert!(clean.is_empty(), "{clean:?}");
    let errors = feed(&mut ts, &[no_payload(256, 7)]);
    assert_eq!(errors, [Continuity::NoPayloadIncrement]);
}

#[test]
fn the_discontinuity_indicator_resets_the_expectation() {
    let mut ts = Ts::new();
    let errors = feed(
        &mut ts,
        &[packet(256, 2), discontinuity(256, 11), packet(256, 12)],
    );
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn null_packets_have_no_continuity_and_pids_are_apart() {
    let mut ts = Ts::new();
    let errors = feed(
        &mut ts,
        &[
            packet(NULL_PID, 0),
            packet(NULL_PID, 9),
            packet(256, 0),
            packet(257, 4),
            packet(256, 1),
            packet(257, 5),
        ],
    );
    assert!(errors.is_empty());
    assert_eq!(ts.null_packets, 2);
    assert!(ts.pid(NULL_PID).is_none());
    assert_eq!(ts.pids().count(), 2);
}

#[test]
fn sync_is_lost_after_two_bad_bytes_and_regained_after_five_good() {
    let mut ts = Ts::new();
    let mut bad = packet(256, 0);
    bad[0] = 0;
    let mut told = Vec::new();
    let mut datagram = Vec::new();
    datagram.extend(bad);
    datagram.extend(packet(256, 0));
    datagram.extend(bad);
    datagram.extend(bad);
    for cc in 1..=5 {
        datagram.extend(packet(256, cc));
    }
    ts.observe(&datagram, 0, |e| told.push(e));
    assert_eq!(ts.sync_byte_errors, 3);
    assert_eq!(ts.sync_losses, 1);
    assert!(told.contains(&Event::SyncLost));
    assert_eq!(told.last(), Some(&Event::SyncRegained));
    assert!(!ts.sync_lost);
}

#[test]
fn what_looks_like_ts_and_ragged_datagrams() {
    let mut seven = Vec::new();
    for cc in 0..7 {
        seven.extend(packet(256, cc));
    }
    assert!(Ts::looks_like(&seven));
    assert!(!Ts::looks_like(&seven[..1000]));
    assert!(!Ts::looks_like(b"hello"));
    let mut ts = Ts::new();
    ts.observe(&seven[..1000], 0, |_| {});
    assert_eq!((ts.ragged, ts.pid(256).unwrap().packets), (1, 5));
}

#[test]
fn transport_errors_scrambling_and_pid_bounds_are_counted() {
    let mut ts = Ts::new();
    let mut p = packet(256, 0);
    p[1] |= 0x80;
    p[3] |= 0xc0;
    ts.observe(&p, 0, |_| {});
    let pid = ts.pid(256).unwrap();
    assert_eq!((pid.transport_errors, pid.scrambled), (1, 1));
    let mut new = 0;
    for pid in 0..NULL_PID {
        ts.observe(&packet(pid, 0), 0, |e| {
            new += u32::from(matches!(e, Event::NewPid { .. }))
        });
    }
    // Every PID but the null one, each told once: 13 bits bound the table.
    assert_eq!((ts.pids().count(), new), (8191, 8190));
}

/// A long-form section: `table_id`, the header fields, `body`, and its CRC.
fn section(table_id: u8, body: &[u8]) -> Vec<u8> {
    let len = 5 + body.len() + 4;
    let mut s = vec![
        table_id,
        0xb0 | (len >> 8) as u8,
        len as u8,
        0,
        1,
        0xc1,
        0,
        0,
    ];
    s.extend(body);
    let crc = psi::crc32_mpeg2(&s);
    s.extend(crc.to_be_bytes());
    s
}

/// Packets of `pid` carrying `section` from a payload unit start, stuffed with 0xFF.
fn carrying(pid: u16, first_cc: u8, section: &[u8]) -> Vec<[u8; PACKET]> {
    let mut payload = vec![0u8];
    payload.extend(section);
    payload
        .chunks(PACKET - 4)
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = packet(pid, first_cc.wrapping_add(i as u8));
            if i == 0 {
                p[1] |= 0x40;
            }
            p[4..4 + chunk.len()].copy_from_slice(chunk);
            p[4 + chunk.len()..].fill(0xff);
            p
        })
        .collect()
}

fn pat_of(pmt_pid: u16) -> Vec<u8> {
    // Program 0 (the NIT on PID 16), then program 1 on `pmt_pid`.
    let mut body = vec![0, 0, 0xe0, 16, 0, 1];
    body.extend((0xe000 | pmt_pid).to_be_bytes());
    section(0, &body)
}

fn pmt_of(pcr: u16, streams: &[(u8, u16, usize)]) -> Vec<u8> {
    let mut body = (0xe000 | pcr).to_be_bytes().to_vec();
    body.extend([0xf0, 0]);
    for &(kind, pid, info) in streams {
        body.push(kind);
        body.extend((0xe000 | pid).to_be_bytes());
        body.extend((0xf000 | info as u16).to_be_bytes());
        body.extend(std::iter::repeat_n(0x0a, info));
    }
    section(2, &body)
}

fn events_of(ts: &mut Ts, packets: &[[u8; PACKET]], now_ns: u64) -> Vec<Event> {
    let mut told = Vec::new();
    for p in packets {
        ts.observe(p, now_ns, |e| {
            if !matches!(e, Event::NewPid { .. }) {
                told.push(e)
            }
        });
    }
    told
}

#[test]
fn the_mpeg2_crc_has_its_check_value() {
    assert_eq!(psi::crc32_mpeg2(b"123456789"), 0x0376_e6e7);
    assert_eq!(
        psi::crc32_mpeg2(&pat_of(0x100)),
        0,
        "a section with its CRC gives 0"
    );
}

#[test]
fn the_pat_and_a_pmt_spanning_packets_are_read() {
    assert_eq!(psi::pat(&pat_of(0x100)), [(1, 0x100)]);
    // Long descriptors: the PMT needs two packets.
    let pmt = pmt_of(
        0x101,
        &[(0x1b, 0x101, 0), (0x0f, 0x102, 200), (0x06, 0x103, 3)],
    );
    assert_eq!(
        psi::pmt(&pmt),
        Some(psi::Pmt {
            pcr_pid: 0x101,
            streams: vec![(0x1b, 0x101), (0x0f, 0x102), (0x06, 0x103)]
        })
    );
    let packets = carrying(0x100, 0, &pmt);
    assert_eq!(packets.len(), 2);
    let mut ts = Ts::new();
    let mut all = carrying(0, 0, &pat_of(0x100));
    all.extend(packets);
    assert!(events_of(&mut ts, &all, 0).is_empty());
    assert_eq!(ts.listed(), (vec![0x101, 0x102, 0x103], vec![0x101]));
    assert_eq!(ts.role(0x100), Some(Role::Pmt));
    assert_eq!(ts.role(0x101), Some(Role::Stream(0x1b)));
    assert_eq!(ts.role(0x102), Some(Role::Stream(0x0f)));
}

#[test]
fn a_pat_or_pmt_late_by_half_a_second_is_told_once_and_its_return() {
    let mut ts = Ts::new();
    let pat = carrying(0, 0, &pat_of(0x100));
    let pmt = carrying(0x100, 0, &pmt_of(0x101, &[(0x1b, 0x101, 0)]));
    events_of(&mut ts, &[pat[0], pmt[0]], 0);
    assert!(events_of(&mut ts, &carrying(0, 1, &pat_of(0x100)), 400_000_000).is_empty());
    let mut told = Vec::new();
    ts.tick(1_000_000_000, |e| told.push(e));
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told.contains(&Event::PatError {
        table_id: None,
        scrambled: false
    }));
    assert!(told.contains(&Event::PmtError { pid: 0x100 }));
    let mut again = Vec::new();
    ts.tick(1_100_000_000, |e| again.push(e));
    assert!(again.is_empty(), "told once: {again:?}");
    let back = events_of(&mut ts, &carrying(0, 2, &pat_of(0x100)), 1_200_000_000);
    assert_eq!(back, [Event::Returned { pid: 0 }]);
    assert_eq!((ts.pat_errors, ts.pmt_errors), (1, 1));
}

#[test]
fn a_listed_pid_silent_past_the_timeout_is_a_pid_error() {
    let mut ts = Ts::new();
    let mut start = carrying(0, 0, &pat_of(0x100));
    start.extend(carrying(
        0x100,
        0,
        &pmt_of(0x101, &[(0x1b, 0x101, 0), (0x0f, 0x102, 0)]),
    ));
    events_of(&mut ts, &start, 0);
    // The video comes; the audio never does. Tables every 0.4 s.
    let mut told = Vec::new();
    for i in 1..=15u64 {
        let now = i * 400_000_000;
        let mut packets = carrying(0, i as u8, &pat_of(0x100));
        packets.extend(carrying(
            0x100,
            i as u8,
            &pmt_of(0x101, &[(0x1b, 0x101, 0), (0x0f, 0x102, 0)]),
        ));
        packets.push(packet(0x101, i as u8));
        told.extend(events_of(&mut ts, &packets, now));
    }
    assert_eq!(told, [Event::PidError { pid: 0x102 }]);
    assert_eq!(ts.pid_errors, 1);
}

#[test]
fn a_bad_crc_and_a_wrong_table_on_pid_0_are_errors() {
    let mut ts = Ts::new();
    let mut bad = pat_of(0x100);
    bad[9] ^= 1;
    let told = events_of(&mut ts, &carrying(0, 0, &bad), 0);
    assert_eq!(
        told,
        [Event::CrcError {
            pid: 0,
            table_id: 0
        }]
    );
    assert!(
        ts.listed().0.is_empty(),
        "a section with a bad CRC is not believed"
    );
    let told = events_of(&mut ts, &carrying(0, 1, &section(2, &[0; 8])), 0);
    assert_eq!(
        told,
        [Event::PatError {
            table_id: Some(2),
            scrambled: false
        }]
    );
    assert_eq!((ts.crc_errors, ts.pat_errors), (1, 1));
}

/// A packet of `pid` with a PCR (and the discontinuity indicator when asked).
fn with_pcr(pid: u16, cc: u8, discontinuity: bool) -> [u8; PACKET] {
    let mut p = packet(pid, cc);
    p[3] = 0x30 | cc;
    p[4] = 7;
    p[5] = 0x10 | if discontinuity { 0x80 } else { 0 };
    p
}

#[test]
fn pcrs_more_than_100_ms_apart_are_pcr_errors_unless_discontinuous() {
    let mut ts = Ts::new();
    let mut start = carrying(0, 0, &pat_of(0x100));
    start.extend(carrying(0x100, 0, &pmt_of(0x101, &[(0x1b, 0x101, 0)])));
    events_of(&mut ts, &start, 0);
    let ms = 1_000_000;
    let mut told = Vec::new();
    for (cc, at, disc) in [
        (0, 0, false),
        (1, 40, false),
        (2, 80, false),
        (3, 230, false),
        (4, 400, true),
    ] {
        told.extend(events_of(&mut ts, &[with_pcr(0x101, cc, disc)], at * ms));
    }
    let pcr: Vec<&Event> = told
        .iter()
        .filter(|e| matches!(e, Event::PcrError { .. }))
        .collect();
    assert_eq!(
        pcr,
        [&Event::PcrError {
            pid: 0x101,
            gap_ns: 150 * ms
        }]
    );
}

#[test]
fn a_section_ends_before_the_pointer_of_the_next_start() {
    // Two sections on one PID: the first runs into the second packet, which starts the
    // next one after a pointer field naming where the first one's tail ends.
    let first = pmt_of(0x101, &[(0x0f, 0x102, 200)]);
    let second = pmt_of(0x101, &[(0x1b, 0x103, 0)]);
    let in_first = PACKET - 5;
    let tail = &first[in_first..];
    let mut a = packet(0x100, 0);
    a[1] |= 0x40;
    a[4] = 0;
    a[5..].copy_from_slice(&first[..in_first]);
    let mut b = packet(0x100, 1);
    b[1] |= 0x40;
    b[4] = tail.len() as u8;
    b[5..5 + tail.len()].copy_from_slice(tail);
    b[5 + tail.len()..5 + tail.len() + second.len()].copy_from_slice(&second);
    b[5 + tail.len() + second.len()..].fill(0xff);
    let mut sections = Vec::new();
    let mut asm = psi::Assembler::default();
    asm.push(&a[4..], true, |s| sections.push(s));
    asm.push(&b[4..], true, |s| sections.push(s));
    assert_eq!(
        sections,
        [psi::Section::Good(first), psi::Section::Good(second)]
    );
}

#[test]
fn after_a_stall_the_tables_timers_start_again() {
    let mut ts = Ts::new();
    let mut told = Vec::new();
    ts.observe(&packet(0x100, 0), 0, |e| told.push(e));
    // Three seconds of silence, told as a stall by the caller: no PAT error for them.
    ts.resume(3_000_000_000);
    ts.observe(&packet(0x100, 1), 3_100_000_000, |e| told.push(e));
    assert_eq!(told, [Event::NewPid { pid: 0x100 }]);
    // Without it, the silence is a PAT error (1.3).
    let mut ts = Ts::new();
    told.clear();
    ts.observe(&packet(0x100, 0), 0, |_| {});
    ts.observe(&packet(0x100, 1), 3_100_000_000, |e| told.push(e));
    assert!(told.contains(&Event::PatError {
        table_id: None,
        scrambled: false
    }));
}

#[test]
fn roles_come_from_the_tables() {
    let ts = Ts::new();
    assert_eq!(ts.role(0), Some(Role::Pat));
    assert_eq!(ts.role(0x100), None);
    assert_eq!(ts.role(0x11).map(Role::name), Some("SDT"));
    assert_eq!(Role::Stream(0x1b).name(), "H.264 video");
    assert_eq!(Role::Stream(0x0f).name(), "AAC audio");
    assert_eq!(Role::Stream(0x7e).name(), "other");
    let names =
        [0x01, 0x02, 0x03, 0x04, 0x06, 0x11, 0x24, 0x81, 0x86].map(|t| Role::Stream(t).name());
    assert_eq!(
        names,
        [
            "MPEG-1 video",
            "MPEG-2 video",
            "MPEG-1 audio",
            "MPEG-2 audio",
            "private PES",
            "AAC LATM audio",
            "HEVC video",
            "AC-3 audio",
            "SCTE-35"
        ]
    );
}

#[test]
fn a_pat_exactly_half_a_second_old_is_not_late_yet() {
    let mut ts = Ts::new();
    events_of(&mut ts, &carrying(0, 0, &pat_of(0x100)), 0);
    let mut told = Vec::new();
    ts.tick(500_000_000, |e| told.push(e));
    assert!(told.is_empty(), "{told:?}");
    // Late now: the PAT, and the PMT it lists, never seen.
    ts.tick(500_000_001, |e| told.push(e));
    assert_eq!(
        told,
        [
            Event::PatError {
                table_id: None,
                scrambled: false
            },
            Event::PmtError { pid: 0x100 }
        ]
    );
}

#[test]
fn sync_is_lost_on_the_second_bad_packet_and_regained_on_the_fifth_good() {
    let mut ts = Ts::new();
    let mut bad = packet(256, 0);
    bad[0] = 0;
    let mut told = Vec::new();
    ts.observe(&bad, 0, |e| told.push(e));
    assert!(!ts.sync_lost && told.is_empty(), "{told:?}");
    ts.observe(&bad, 0, |e| told.push(e));
    assert_eq!(told, [Event::SyncLost]);
    let good: Vec<u8> = (0..4).flat_map(|cc| packet(256, cc)).collect();
    ts.observe(&good, 0, |e| told.push(e));
    assert!(ts.sync_lost, "four good packets are not enough");
    ts.observe(&packet(256, 4), 0, |e| told.push(e));
    assert_eq!(told.last(), Some(&Event::SyncRegained));
    assert!(!ts.sync_lost);
}

#[test]
fn a_scrambled_pat_a_bad_pmt_crc_and_another_table_on_the_pmt_pid() {
    let mut ts = Ts::new();
    let mut start = carrying(0, 0, &pat_of(0x100));
    start.extend(carrying(0x100, 0, &pmt_of(0x101, &[(0x1b, 0x101, 0)])));
    events_of(&mut ts, &start, 0);
    let mut scrambled = carrying(0, 1, &pat_of(0x100));
    scrambled[0][3] |= 0x80;
    assert_eq!(
        events_of(&mut ts, &scrambled, 0),
        [Event::PatError {
            table_id: None,
            scrambled: true
        }]
    );
    let mut bad = pmt_of(0x101, &[(0x1b, 0x101, 0)]);
    bad[10] ^= 1;
    assert_eq!(
        events_of(&mut ts, &carrying(0x100, 1, &bad), 0),
        [Event::CrcError {
            pid: 0x100,
            table_id: 2
        }]
    );
    // A table other than a PMT on the PMT's PID lists no streams.
    let mut other = pmt_of(0x101, &[(0x1b, 0x102, 0)]);
    other[0] = 0xfc;
    let crc = psi::crc32_mpeg2(&other[..other.len() - 4]);
    let at = other.len() - 4;
    other[at..].copy_from_slice(&crc.to_be_bytes());
    events_of(&mut ts, &carrying(0x100, 2, &other), 0);
    assert_eq!(ts.listed().0, [0x101]);
    assert_eq!((ts.pat_errors, ts.crc_errors), (1, 1));
}

#[test]
fn a_pat_of_more_programs_than_the_bound_keeps_the_first() {
    let mut body = Vec::new();
    for i in 0..300u16 {
        body.extend((i + 1).to_be_bytes());
        body.extend((0xe000 | (0x200 + i)).to_be_bytes());
    }
    let mut ts = Ts::new();
    events_of(&mut ts, &carrying(0, 0, &section(0, &body)), 0);
    assert_eq!(ts.role(0x200 + 255), Some(Role::Pmt));
    assert_eq!(ts.role(0x200 + 256), None);
}

#[test]
fn pcrs_exactly_100_ms_apart_are_on_time() {
    let mut ts = Ts::new();
    let mut start = carrying(0, 0, &pat_of(0x100));
    start.extend(carrying(0x100, 0, &pmt_of(0x101, &[(0x1b, 0x101, 0)])));
    events_of(&mut ts, &start, 0);
    let ms = 1_000_000;
    for (cc, at) in [(0, 0), (1, 100), (2, 201), (3, 302)] {
        events_of(&mut ts, &[with_pcr(0x101, cc, false)], at * ms);
    }
    assert_eq!(ts.pcr_errors, 2);
}

#[test]
fn a_pmts_program_descriptors_are_stepped_over() {
    // PCR PID 0x101, six bytes of program info, then one H.264 stream on 0x101.
    let mut body = vec![0xe1, 0x01, 0xf0, 6];
    body.extend([0x0a; 6]);
    body.extend([0x1b, 0xe1, 0x01, 0xf0, 0]);
    assert_eq!(
        psi::pmt(&section(2, &body)),
        Some(psi::Pmt {
            pcr_pid: 0x101,
            streams: vec![(0x1b, 0x101)]
        })
    );
}

#[test]
fn the_pids_fixed_by_the_standards_are_named() {
    let ts = Ts::new();
    let names = [1, 0x10, 0x11, 0x12, 0x14].map(|pid| ts.role(pid).map(Role::name));
    assert_eq!(
        names,
        [
            Some("CAT"),
            Some("NIT"),
            Some("SDT"),
            Some("EIT"),
            Some("TDT")
        ]
    );
}

/// The sections an assembler gives for `payloads` (each with its start flag).
fn assembled(payloads: &[(&[u8], bool)]) -> Vec<psi::Section> {
    let mut asm = psi::Assembler::default();
    let mut out = Vec::new();
    for (p, start) in payloads {
        asm.push(p, *start, |s| out.push(s));
    }
    out
}

#[test]
fn sections_back_to_back_split_headers_and_the_longest_one() {
    let a = pat_of(0x100);
    let b = pat_of(0x200);
    // Two in one payload.
    let mut one = vec![0u8];
    one.extend(&a);
    one.extend(&b);
    one.extend([0xff; 4]);
    let good = |s: &[u8]| psi::Section::Good(s.to_vec());
    assert_eq!(assembled(&[(&one, true)]), [good(&a), good(&b)]);
    // A header cut after its first byte, and after its second.
    for cut in [2, 3] {
        let mut first = vec![0u8];
        first.extend(&a[..cut - 1]);
        let second = &a[cut - 1..];
        assert_eq!(
            assembled(&[(&first, true), (second, false)]),
            [good(&a)],
            "cut at {cut}"
        );
    }
    // Before anything began, the bytes before the pointer are a tail: never read, even
    // when they look like a whole section.
    let mut tail_first = vec![a.len() as u8];
    tail_first.extend(&a);
    tail_first.extend(&b);
    assert_eq!(assembled(&[(&tail_first, true)]), [good(&b)]);
    // The shortest section is its header and CRC: seven bytes.
    let mut shortest = vec![0x00, 0xb0, 0x04];
    shortest.extend(psi::crc32_mpeg2(&shortest).to_be_bytes());
    let mut payload = vec![0u8];
    payload.extend(&shortest);
    assert_eq!(assembled(&[(&payload, true)]), [good(&shortest)]);
    // The longest length field (12 bits: 4,095) is a section; one too short for its CRC
    // is not.
    for (length, whole) in [(4095usize, true), (3, false)] {
        let mut s = vec![0x80, 0xb0 | (length >> 8) as u8, length as u8];
        s.resize(3 + length, 0);
        let mut payload = vec![0u8];
        payload.extend(&s);
        let got = assembled(&[(&payload, true)]);
        assert_eq!(got.len(), usize::from(whole), "{length}: {got:?}");
    }
}
