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
        ts.observe(p, |e| {
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
    ts.observe(&datagram, |e| told.push(e));
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
    ts.observe(&seven[..1000], |_| {});
    assert_eq!((ts.ragged, ts.pid(256).unwrap().packets), (1, 5));
}

#[test]
fn transport_errors_scrambling_and_pid_bounds_are_counted() {
    let mut ts = Ts::new();
    let mut p = packet(256, 0);
    p[1] |= 0x80;
    p[3] |= 0xc0;
    ts.observe(&p, |_| {});
    let pid = ts.pid(256).unwrap();
    assert_eq!((pid.transport_errors, pid.scrambled), (1, 1));
    let mut new = 0;
    for pid in 0..NULL_PID {
        ts.observe(&packet(pid, 0), |e| {
            new += u32::from(matches!(e, Event::NewPid { .. }))
        });
    }
    // Every PID but the null one, each told once: 13 bits bound the table.
    assert_eq!((ts.pids().count(), new), (8191, 8190));
}
