//! The RTP header field by field, A.1's sequence rules (probation, wrap-around, gaps, late
//! packets, duplicates, restarts) and A.8's jitter against figures worked out by hand.

use super::*;

/// An RTP packet: version 2, `pt`, `seq`, `ts`, `ssrc`, and 8 bytes of payload.
fn packet(pt: u8, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend(seq.to_be_bytes());
    p.extend(ts.to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.extend([0xaa; 8]);
    p
}

#[test]
fn the_fixed_header_reads_field_by_field() {
    let mut p = packet(33, 0xbeef, 0x0102_0304, 0xcafe_f00d);
    p[1] |= 0x80;
    let h = Header::parse(&p).unwrap();
    assert_eq!(
        (h.marker, h.payload_type, h.seq, h.timestamp, h.ssrc),
        (true, 33, 0xbeef, 0x0102_0304, 0xcafe_f00d)
    );
    assert_eq!((h.csrc_count, h.extension), (0, None));
    assert_eq!((h.payload_offset, h.payload_len), (12, 8));
    // Without the marker bit, the same type.
    p[1] &= 0x7f;
    let h = Header::parse(&p).unwrap();
    assert_eq!((h.marker, h.payload_type), (false, 33));
}

#[test]
fn csrcs_extension_and_padding_move_the_payload() {
    // Two CSRCs, an extension (profile 0xBEDE, one word), 3 bytes of padding.
    let mut p = vec![0x80 | 0x20 | 0x10 | 2, 96];
    p.extend([0, 1, 0, 0, 0, 0, 0, 0, 0, 9]);
    p.extend([1, 1, 1, 1, 2, 2, 2, 2]);
    p.extend([0xbe, 0xde, 0, 1, 7, 7, 7, 7]);
    p.extend([0x55; 5]);
    p.extend([0, 0, 3]);
    let h = Header::parse(&p).unwrap();
    assert_eq!((h.csrc_count, h.extension), (2, Some(0xbede)));
    assert_eq!(h.payload_offset, 12 + 8 + 8);
    assert_eq!(h.payload_len, 5);
}

#[test]
fn what_is_not_rtp_is_refused_with_why() {
    assert_eq!(
        Header::parse(&[0x80; 11]),
        Err(RtpError::Short {
            needed: 12,
            len: 11
        })
    );
    let mut p = packet(0, 1, 1, 1);
    p[0] = 0x40;
    assert_eq!(Header::parse(&p), Err(RtpError::Version(1)));
    // Fifteen CSRCs announced, none there.
    let mut p = packet(0, 1, 1, 1);
    p[0] = 0x8f;
    assert_eq!(
        Header::parse(&p),
        Err(RtpError::Short {
            needed: 72,
            len: 20
        })
    );
    // An extension whose length runs past the end.
    let mut p = packet(0, 1, 1, 1);
    p[0] |= 0x10;
    p[14..16].copy_from_slice(&[0, 9]);
    assert_eq!(
        Header::parse(&p),
        Err(RtpError::Short {
            needed: 52,
            len: 20
        })
    );
    // Padding of 0, and padding longer than the payload.
    for pad in [0u8, 9] {
        let mut p = packet(0, 1, 1, 1);
        p[0] |= 0x20;
        *p.last_mut().unwrap() = pad;
        assert_eq!(Header::parse(&p), Err(RtpError::Padding(pad)));
    }
}

#[test]
fn static_payload_types_have_their_clock_rates() {
    for (pt, rate) in [
        (0, Some(8_000)),
        (8, Some(8_000)),
        (9, Some(8_000)),
        (6, Some(16_000)),
        (10, Some(44_100)),
        (16, Some(11_025)),
        (17, Some(22_050)),
        (26, Some(90_000)),
        (33, Some(90_000)),
        (2, None),
        (19, None),
        (96, None),
        (127, None),
    ] {
        assert_eq!(clock_rate(pt), rate, "PT {pt}");
    }
}

/// Feeds `seqs` of one sender (PT 33, 40 ms apart, on time) and returns what each did.
fn feed(rtp: &mut Rtp, seqs: &[u16]) -> Vec<Seen> {
    seqs.iter()
        .enumerate()
        .map(|(i, &seq)| {
            let ts = u32::from(seq).wrapping_mul(3600);
            match rtp
                .observe(&packet(33, seq, ts, 7), i as u64 * 40_000_000)
                .unwrap()
            {
                Event::Packet { seen, .. } => seen,
                Event::NewSender { .. } => Seen::Probation,
                Event::Untracked => panic!("one sender"),
            }
        })
        .collect()
}

fn figures(rtp: &Rtp) -> (u64, u64, i64) {
    let s = rtp.stream(7).unwrap();
    (s.expected(), s.received(), s.lost())
}

#[test]
fn a_sender_counts_from_its_second_packet_in_order() {
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[100, 101, 102, 103]);
    assert_eq!(seen[..2], [Seen::Probation, Seen::InOrder]);
    assert_eq!(figures(&rtp), (3, 3, 0));
    // Out of order in probation starts it again.
    let mut rtp = Rtp::new(None);
    feed(&mut rtp, &[100, 500, 501, 502]);
    assert_eq!(figures(&rtp), (2, 2, 0));
    assert_eq!(rtp.stream(7).unwrap().set_aside, 2);
}

#[test]
fn sequence_numbers_wrap_at_65535_without_loss() {
    let mut rtp = Rtp::new(None);
    let seqs: Vec<u16> = (65_530..=65_535).chain(0..=5).collect();
    let seen = feed(&mut rtp, &seqs);
    assert!(seen[1..].iter().all(|s| *s == Seen::InOrder), "{seen:?}");
    assert_eq!(figures(&rtp), (11, 11, 0));
    // A gap across the wrap.
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[65_533, 65_534, 65_535, 2, 3]);
    assert_eq!(
        seen[3],
        Seen::Gap {
            expected: 0,
            found: 2,
            missing: 2
        }
    );
    assert_eq!(figures(&rtp), (6, 4, 2));
}

#[test]
fn gaps_late_packets_and_duplicates_are_told_apart() {
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[1, 2, 3, 6, 4, 7, 7, 4]);
    assert_eq!(
        seen[3],
        Seen::Gap {
            expected: 4,
            found: 6,
            missing: 2
        }
    );
    assert_eq!(seen[4], Seen::Late);
    assert_eq!(seen[6], Seen::Duplicate, "the highest number again");
    assert_eq!(seen[7], Seen::Duplicate, "a late number again");
    let s = rtp.stream(7).unwrap();
    assert_eq!((s.late, s.duplicates), (1, 2));
    // A.3: expected 2..=7 (6), received 7 (the two duplicates included): lost -1, though
    // number 5 never came: missing 1.
    assert_eq!(figures(&rtp), (6, 7, -1));
    assert_eq!(rtp.stream(7).unwrap().missing(), 1);
}

#[test]
fn a_confirmed_jump_is_a_restart_and_a_lone_one_is_set_aside() {
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[1, 2, 3, 4, 40_000, 40_001, 40_002]);
    assert_eq!(seen[4..6], [Seen::Jump, Seen::Restart]);
    let s = rtp.stream(7).unwrap();
    assert_eq!(s.restarts, 1);
    // Its timestamps started again with it: no jitter from the jump.
    assert_eq!(s.jitter_units(), 0.0);
    // 2..=4 before (3), 40001..=40002 after (2): nothing lost, not 40,000.
    assert_eq!(figures(&rtp), (5, 5, 0));
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[1, 2, 3, 30_000, 4, 5]);
    assert_eq!(seen[3], Seen::Jump);
    assert_eq!(seen[4], Seen::InOrder);
    assert_eq!(figures(&rtp), (4, 4, 0));
    assert_eq!(rtp.stream(7).unwrap().set_aside, 2);
    // A first jump to 65535, the highest number: unconfirmed, like any other (A.1 starts
    // bad_seq outside the numbers, so that no number confirms a jump never seen).
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[1000, 1001, 1002, 65_535]);
    assert_eq!(seen[3], Seen::Jump);
    // A.1's dropout limit, 3000: one short of it is a gap, at it a jump.
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[1, 2, 3, 3002]);
    assert_eq!(
        seen[3],
        Seen::Gap {
            expected: 4,
            found: 3002,
            missing: 2998
        }
    );
    let mut rtp = Rtp::new(None);
    let seen = feed(&mut rtp, &[1, 2, 3, 3003]);
    assert_eq!(seen[3], Seen::Jump);
}

#[test]
fn jitter_follows_a8_by_hand() {
    let mut rtp = Rtp::new(None);
    // PT 33 (90 kHz): 3600 units a packet, 40 ms apart.
    let at = |i: u64| i * 40_000_000;
    for i in 0..4u16 {
        rtp.observe(&packet(33, i, u32::from(i) * 3600, 7), at(u64::from(i)))
            .unwrap();
    }
    assert_eq!(rtp.stream(7).unwrap().jitter_units(), 0.0);
    // 10 ms late (900 units): J = 900 / 16.
    rtp.observe(&packet(33, 4, 4 * 3600, 7), at(4) + 10_000_000)
        .unwrap();
    assert_eq!(rtp.stream(7).unwrap().jitter_units(), 56.25);
    // On time again: |D| = 900 once more, J = 56.25 + (900 - 56.25) / 16.
    rtp.observe(&packet(33, 5, 5 * 3600, 7), at(5)).unwrap();
    let s = rtp.stream(7).unwrap();
    assert_eq!(s.jitter_units(), 108.984_375);
    assert!((s.jitter_ms(90_000) - 1.210_937_5).abs() < 1e-12);
}

#[test]
fn a_dynamic_payload_type_is_timed_only_with_its_clock_rate() {
    let late = |rtp: &mut Rtp| {
        rtp.observe(&packet(96, 0, 0, 7), 0).unwrap();
        rtp.observe(&packet(96, 1, 960, 7), 20_000_000).unwrap();
        rtp.observe(&packet(96, 2, 1920, 7), 45_000_000).unwrap();
        rtp.stream(7).unwrap().jitter_units()
    };
    assert_eq!(late(&mut Rtp::new(None)), 0.0);
    // 48 kHz, 20 ms a packet: the third 5 ms late is 240 units, J = 240 / 16.
    assert_eq!(late(&mut Rtp::new(Some(48_000))), 15.0);
}

#[test]
fn a_second_sender_is_a_new_stream_and_senders_are_bounded() {
    let mut rtp = Rtp::new(None);
    assert_eq!(
        rtp.observe(&packet(33, 1, 0, 7), 0).unwrap(),
        Event::NewSender { ssrc: 7, others: 0 }
    );
    assert_eq!(
        rtp.observe(&packet(33, 9, 0, 8), 0).unwrap(),
        Event::NewSender { ssrc: 8, others: 1 }
    );
    for ssrc in 100..1200u32 {
        rtp.observe(&packet(33, 1, 0, ssrc), 0).unwrap();
    }
    assert_eq!(rtp.streams().count(), MAX_SENDERS);
    assert_eq!(rtp.untracked, 1100 + 2 - MAX_SENDERS as u64);
    assert!(rtp.observe(&[1, 2, 3], 0).is_err());
    assert_eq!(rtp.unreadable, 1);
}

#[test]
fn headers_exactly_as_long_as_they_say_are_read() {
    // 12 bytes and nothing else: an empty payload, not an error.
    let h = Header::parse(&packet(0, 1, 1, 1)[..12]).unwrap();
    assert_eq!((h.payload_offset, h.payload_len), (12, 0));
    // One CSRC and nothing after it.
    let mut p = packet(0, 1, 1, 1)[..12].to_vec();
    p[0] |= 1;
    p.extend([9, 9, 9, 9]);
    assert_eq!(Header::parse(&p).unwrap().payload_offset, 16);
    assert_eq!(
        Header::parse(&p[..15]),
        Err(RtpError::Short {
            needed: 16,
            len: 15
        })
    );
    // An extension header of no words, and nothing after it.
    let mut p = packet(0, 1, 1, 1)[..12].to_vec();
    p[0] |= 0x10;
    p.extend([0xbe, 0xde, 0, 0]);
    let h = Header::parse(&p).unwrap();
    assert_eq!(
        (h.extension, h.payload_offset, h.payload_len),
        (Some(0xbede), 16, 0)
    );
    assert_eq!(
        Header::parse(&p[..15]),
        Err(RtpError::Short {
            needed: 16,
            len: 15
        })
    );
    // One word announced, three of its bytes there.
    p[15] = 1;
    p.extend([7, 7, 7]);
    assert_eq!(
        Header::parse(&p),
        Err(RtpError::Short {
            needed: 20,
            len: 19
        })
    );
    p.push(7);
    assert_eq!(Header::parse(&p).unwrap().payload_offset, 20);
}

#[test]
fn padding_is_read_only_with_its_bit_and_may_fill_the_payload() {
    // The last byte is 4 but the padding bit is clear: all 8 bytes are payload.
    let mut p = packet(0, 1, 1, 1);
    p[19] = 4;
    assert_eq!(Header::parse(&p).unwrap().payload_len, 8);
    // The marker bit and a payload type in the second byte do not read as padding either.
    p[1] = 0xff;
    assert_eq!(Header::parse(&p).unwrap().payload_len, 8);
    // With the bit, padding as long as the whole payload leaves none.
    p[0] |= 0x20;
    p[19] = 8;
    assert_eq!(Header::parse(&p).unwrap().payload_len, 0);
    p[19] = 9;
    assert_eq!(Header::parse(&p), Err(RtpError::Padding(9)));
    p[19] = 0;
    assert_eq!(Header::parse(&p), Err(RtpError::Padding(0)));
}

#[test]
fn errors_say_what_was_wrong_in_words() {
    assert_eq!(
        RtpError::Short { needed: 12, len: 3 }.to_string(),
        "RTP header needs 12 bytes, the datagram has 3"
    );
    assert_eq!(RtpError::Version(1).to_string(), "RTP version 1, not 2");
    assert_eq!(
        RtpError::Padding(9).to_string(),
        "RTP padding of 9 bytes is longer than the payload"
    );
}

#[test]
fn a_sender_that_comes_back_under_a_new_ssrc_is_not_two_at_once() {
    let mut rtp = Rtp::new(None);
    for seq in 0..5 {
        rtp.observe(&packet(33, seq, 0, 7), 0).unwrap();
    }
    assert!(!rtp.concurrent());
    // Restarted: a new SSRC takes over, the old one is not heard again.
    for seq in 900..905 {
        rtp.observe(&packet(33, seq, 0, 8), 0).unwrap();
    }
    assert_eq!((rtp.streams().count(), rtp.switches), (2, 1));
    assert!(!rtp.concurrent());
    // The old one speaks again: two senders take turns.
    rtp.observe(&packet(33, 5, 0, 7), 0).unwrap();
    assert_eq!(rtp.switches, 2);
    assert!(rtp.concurrent());
}
