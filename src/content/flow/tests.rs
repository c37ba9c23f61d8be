//! Streams by sender: what each is found to carry, whose fault a gap is, stalls told by the
//! clock and their end, and the bound on senders.

use super::*;

const A: &str = "10.0.0.5:5004";
const B: &str = "10.0.0.6:5004";
const MS: u64 = 1_000_000;

fn at(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// An RTP datagram: version 2, no CSRCs, `payload` after the 12-byte header.
fn rtp(pt: u8, seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut d = vec![0x80, pt];
    d.extend_from_slice(&seq.to_be_bytes());
    d.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    d.extend_from_slice(&ssrc.to_be_bytes());
    d.extend_from_slice(payload);
    d
}

/// `n` TS packets of PID 0x100 with counters from `cc`.
fn ts(n: u8, cc: u8) -> Vec<u8> {
    let mut d = Vec::new();
    for i in 0..n {
        let mut p = [0xffu8; 188];
        p[0] = 0x47;
        p[1] = 0x01;
        p[2] = 0x00;
        p[3] = 0x10 | ((cc + i) & 0x0f);
        d.extend_from_slice(&p);
    }
    d
}

/// Feeds datagrams from one source at 1 ms spacing; returns what was told.
fn feed(s: &mut Streams, from: &str, datagrams: &[(Vec<u8>, u64)]) -> Vec<Told> {
    let mut told = Vec::new();
    for (i, (d, drops)) in datagrams.iter().enumerate() {
        let ns = 1_000 * MS + i as u64 * MS;
        s.observe(at(from), d, ns, *drops, |_, t| told.push(t));
    }
    told
}

fn flow<'a>(s: &'a Streams, from: &str) -> &'a Flow {
    s.flows().find(|f| f.source == at(from)).unwrap()
}

#[test]
fn raw_ts_is_found_from_the_first_datagram() {
    let mut s = Streams::new(Options::default());
    let told = feed(&mut s, A, &[(ts(7, 0), 0), (ts(7, 7), 0)]);
    assert_eq!(
        told,
        [Told::Stream {
            content: Content::Ts,
            ssrc: None,
            payload_type: None,
            others: 0
        }]
    );
    let f = flow(&s, A);
    assert_eq!(f.content(), Some(Content::Ts));
    assert_eq!(f.ts().unwrap().pid(0x100).unwrap().packets, 14);
    assert_eq!(f.lost(), 0);
}

#[test]
fn rtp_is_confirmed_by_the_second_datagram_and_told_once() {
    let mut s = Streams::new(Options::default());
    let told = feed(
        &mut s,
        A,
        &[
            (rtp(96, 10, 7, b"x"), 0),
            (rtp(96, 11, 7, b"x"), 0),
            (rtp(96, 12, 7, b"x"), 0),
        ],
    );
    assert_eq!(
        told,
        [Told::Stream {
            content: Content::Rtp,
            ssrc: Some(7),
            payload_type: Some(96),
            others: 0
        }]
    );
    let f = flow(&s, A);
    assert_eq!(f.content(), Some(Content::Rtp));
    assert_eq!(f.rtp().unwrap().stream(7).unwrap().received(), 2);
}

#[test]
fn text_is_not_analysed_and_nor_is_what_never_proves_to_be_rtp() {
    let mut s = Streams::new(Options::default());
    let first = s.observe(at(A), b"hi", 0, 0, |_, _| panic!("told"));
    assert_eq!(first, None);
    // Parses as RTP, but the SSRC changes each time: given up after three tries.
    let told = feed(
        &mut s,
        B,
        &[
            (rtp(96, 1, 1, b""), 0),
            (rtp(96, 2, 2, b""), 0),
            (rtp(96, 3, 3, b""), 0),
            (rtp(96, 4, 4, b""), 0),
        ],
    );
    assert!(told.is_empty(), "{told:?}");
    assert_eq!(flow(&s, B).content(), None);
    // Nothing analysed: never stalled.
    s.tick(100_000 * MS, |_, t| panic!("{t:?}"));
}

#[test]
fn payload_type_33_carrying_ts_is_read_as_both_at_once() {
    let mut s = Streams::new(Options::default());
    let told = feed(&mut s, A, &[(rtp(33, 5, 9, &ts(7, 0)), 0)]);
    assert_eq!(
        told,
        [Told::Stream {
            content: Content::RtpTs,
            ssrc: Some(9),
            payload_type: Some(33),
            others: 0
        }]
    );
    assert_eq!(
        flow(&s, A).ts().unwrap().pid(0x100).unwrap().packets,
        7,
        "the TS inside was read"
    );
}

#[test]
fn a_sender_restarted_under_a_new_ssrc_starts_its_ts_counters_afresh() {
    let mut s = Streams::new(Options::default());
    // Counters 0-13, then a new SSRC whose multiplexer counts from 9, then a real gap.
    let told = feed(
        &mut s,
        A,
        &[
            (rtp(33, 5, 9, &ts(7, 0)), 0),
            (rtp(33, 6, 9, &ts(7, 7)), 0),
            (rtp(33, 900, 10, &ts(7, 9)), 0),
            (rtp(33, 901, 10, &ts(7, 0)), 0),
        ],
    );
    assert_eq!(
        told[1],
        Told::Stream {
            content: Content::RtpTs,
            ssrc: Some(10),
            payload_type: Some(33),
            others: 1
        }
    );
    // 9+7 = 16 = 0: the fourth datagram follows on; nothing but the new sender is told.
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(flow(&s, A).ts().unwrap().pid(0x100).unwrap().cc_errors, 0);
    let told = feed(&mut s, A, &[(rtp(33, 902, 10, &ts(7, 3)), 0)]);
    assert!(
        matches!(told[..], [Told::Continuity { pid: 0x100, .. }]),
        "a gap after the restart is still one: {told:?}"
    );
}

#[test]
fn a_gap_that_coincides_with_drops_is_this_hosts_up_to_the_drops() {
    let mut s = Streams::new(Options::default());
    // Numbers 1, 2, 3, then 7: three missing, while the kernel dropped two datagrams.
    let told = feed(
        &mut s,
        A,
        &[
            (rtp(96, 1, 7, b""), 0),
            (rtp(96, 2, 7, b""), 0),
            (rtp(96, 3, 7, b""), 0),
            (rtp(96, 7, 7, b""), 2),
            (rtp(96, 9, 7, b""), 2),
        ],
    );
    let gaps: Vec<(u64, u64)> = told
        .iter()
        .filter_map(|t| match t {
            Told::Gap { missing, host, .. } => Some((*missing, *host)),
            _ => None,
        })
        .collect();
    // The second gap (8) came with no new drop: the network's.
    assert_eq!(gaps, [(3, 2), (1, 0)]);
    let f = flow(&s, A);
    assert_eq!(f.lost(), 4);
    assert_eq!(f.lost_host, 2);
    assert_eq!(f.lost_network(), 2);
}

#[test]
fn a_ts_continuity_error_after_a_drop_is_this_hosts() {
    let mut s = Streams::new(Options::default());
    // Counters 0-6, then 14-4 (7 packets missing, a whole datagram), with a drop counted;
    // then 9-15 (4 missing) with none.
    let told = feed(&mut s, A, &[(ts(7, 0), 0), (ts(7, 14), 1), (ts(7, 9), 1)]);
    let errors: Vec<(u8, bool)> = told
        .iter()
        .filter_map(|t| match t {
            Told::Continuity {
                error: ts::Continuity::Lost { missing, .. },
                host,
                ..
            } => Some((*missing, *host)),
            _ => None,
        })
        .collect();
    assert_eq!(errors, [(7, true), (4, false)]);
    let f = flow(&s, A);
    assert_eq!((f.lost(), f.lost_host, f.lost_network()), (11, 7, 4));
    assert!(f.mdi.is_some());
}

#[test]
fn a_stall_is_told_by_the_clock_once_and_its_end_with_its_length() {
    let mut s = Streams::new(Options::default());
    feed(&mut s, A, &[(ts(7, 0), 0)]);
    let last = 1_000 * MS;
    assert_eq!(s.next_due(), Some(last + 1_000 * MS + 1));
    let mut told = Vec::new();
    s.tick(last + 1_000 * MS, |_, t| told.push(t));
    assert!(told.is_empty(), "not yet: {told:?}");
    s.tick(last + 1_200 * MS, |_, t| told.push(t));
    s.tick(last + 1_900 * MS, |_, t| told.push(t));
    assert_eq!(
        told,
        [Told::Stall {
            last_ns: last,
            silent_ns: 1_200 * MS
        }]
    );
    assert_eq!(s.next_due(), None, "nothing flowing");
    let f = flow(&s, A);
    assert!(f.is_stalled());
    assert_eq!(f.stalled_ns(last + 1_500 * MS), 1_500 * MS);
    told.clear();
    s.observe(at(A), &ts(7, 7), last + 2_500 * MS, 0, |_, t| told.push(t));
    assert_eq!(
        told,
        [Told::Resume {
            outage_ns: 2_500 * MS
        }]
    );
    let f = flow(&s, A);
    assert_eq!((f.stalls, f.stalled_ns(0)), (1, 2_500 * MS));
    assert!(!f.is_stalled());
}

#[test]
fn a_second_ssrc_from_the_same_source_is_a_second_sender() {
    let mut s = Streams::new(Options {
        choice: Choice::Rtp,
        ..Options::default()
    });
    let told = feed(
        &mut s,
        A,
        &[(rtp(96, 1, 7, b""), 0), (rtp(96, 500, 8, b""), 0)],
    );
    assert_eq!(
        told[1],
        Told::Stream {
            content: Content::Rtp,
            ssrc: Some(8),
            payload_type: Some(96),
            others: 1
        }
    );
}

#[test]
fn two_senders_taking_turns_are_found_to_be_rtp_by_themselves() {
    let mut s = Streams::new(Options::default());
    // SSRCs 0xa and 0xb alternate, each in order: found on the third datagram.
    let told = feed(
        &mut s,
        A,
        &[
            (rtp(96, 100, 0xb, b""), 0),
            (rtp(96, 101, 0xa, b""), 0),
            (rtp(96, 102, 0xb, b""), 0),
            (rtp(96, 103, 0xa, b""), 0),
        ],
    );
    assert_eq!(
        told,
        [
            Told::Stream {
                content: Content::Rtp,
                ssrc: Some(0xb),
                payload_type: Some(96),
                others: 0
            },
            Told::Stream {
                content: Content::Rtp,
                ssrc: Some(0xa),
                payload_type: Some(96),
                others: 1
            }
        ]
    );
    let r = flow(&s, A).rtp().unwrap();
    assert_eq!(r.streams().count(), 2);
    assert!(r.concurrent());
}

#[test]
fn a_feed_counts_its_numbers_and_two_senders_are_two_streams() {
    let format: seq::Format = "0:4".parse().unwrap();
    let mut s = Streams::new(Options {
        choice: Choice::Feed(format),
        ..Options::default()
    });
    let n = |v: u32| (v.to_be_bytes().to_vec(), 0);
    feed(&mut s, A, &[n(1), n(2), n(5)]);
    feed(&mut s, B, &[n(100), n(101)]);
    assert_eq!(flow(&s, A).lost(), 2);
    assert_eq!(flow(&s, B).lost(), 0);
    assert_eq!(flow(&s, A).content(), Some(Content::Feed));
}

#[test]
fn senders_beyond_the_bound_are_counted_not_followed() {
    let mut s = Streams::new(Options::default());
    for i in 0..MAX_FLOWS + 5 {
        let from = SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 5004));
        s.observe(from, &ts(7, 0), 0, 0, |_, _| {});
    }
    assert_eq!(s.flows().count(), MAX_FLOWS);
    assert_eq!(s.untracked, 5);
}

#[test]
fn each_content_has_its_name() {
    let names = [Content::Rtp, Content::RtpTs, Content::Ts, Content::Feed].map(Content::name);
    assert_eq!(names, ["rtp", "rtp_ts", "ts", "feed"]);
}

#[test]
fn a_feeds_gaps_and_new_sessions_are_told_and_drops_are_this_hosts() {
    // A field format: one number a datagram, so a gap is this host's up to the drops.
    let mut s = Streams::new(Options {
        choice: Choice::Feed("0:4".parse().unwrap()),
        ..Options::default()
    });
    let n = |v: u32, drops: u64| (v.to_be_bytes().to_vec(), drops);
    let told = feed(&mut s, A, &[n(1, 0), n(2, 0), n(6, 2), n(8, 2)]);
    let gap = |expected, found, missing, host| Told::Gap {
        ssrc: None,
        expected,
        found,
        missing,
        host,
    };
    // After the stream is told: its gaps.
    assert_eq!(told[1..], [gap(3, 6, 3, 2), gap(7, 8, 1, 0)]);
    assert_eq!((flow(&s, A).lost(), flow(&s, A).lost_host), (4, 2));

    // MoldUDP64: many numbers a datagram, so a drop takes the whole gap; a new session is
    // a restart, not a gap.
    let mut s = Streams::new(Options {
        choice: Choice::Feed(seq::Format::MoldUdp64),
        ..Options::default()
    });
    let mold = |session: u8, first: u64, count: u16, drops: u64| {
        let mut d = vec![session; 10];
        d.extend(first.to_be_bytes());
        d.extend(count.to_be_bytes());
        for _ in 0..count {
            d.extend([0, 2, b'A', b'B']);
        }
        (d, drops)
    };
    let told = feed(
        &mut s,
        B,
        &[
            mold(b'S', 1, 5, 0),
            mold(b'S', 11, 5, 1),
            mold(b'S', 20, 5, 1),
            mold(b'T', 1, 5, 1),
        ],
    );
    assert_eq!(
        told[1..],
        [
            gap(6, 11, 5, 5),
            gap(16, 20, 4, 0),
            Told::Restart { ssrc: None }
        ]
    );
    assert_eq!(flow(&s, B).lost_host, 5);
}

#[test]
fn an_rtp_senders_confirmed_jump_is_told_as_a_restart() {
    let mut s = Streams::new(Options::default());
    let told = feed(
        &mut s,
        A,
        &[
            (rtp(96, 1, 7, b""), 0),
            (rtp(96, 2, 7, b""), 0),
            (rtp(96, 3, 7, b""), 0),
            (rtp(96, 40_000, 7, b""), 0),
            (rtp(96, 40_001, 7, b""), 0),
        ],
    );
    assert_eq!(told.last(), Some(&Told::Restart { ssrc: Some(7) }));
    assert_eq!(flow(&s, A).rtp().unwrap().stream(7).unwrap().restarts, 1);
}

#[test]
fn what_is_read_as_what_follows_the_payload_type_and_the_choice() {
    let kinds = |choice: Choice, datagrams: &[Vec<u8>]| {
        let mut s = Streams::new(Options {
            choice,
            ..Options::default()
        });
        let with: Vec<(Vec<u8>, u64)> = datagrams.iter().map(|d| (d.clone(), 0)).collect();
        feed(&mut s, A, &with);
        flow(&s, A).content()
    };
    let seq = |pt: u8, payload: &[u8]| -> Vec<Vec<u8>> {
        (1..=3).map(|n| rtp(pt, n, 7, payload)).collect()
    };
    // TS asked for, and carried in RTP: both read.
    assert_eq!(kinds(Choice::Ts, &seq(33, &ts(7, 0))), Some(Content::RtpTs));
    // Type 33 with no TS in it is RTP alone; TS under a dynamic type is not taken for 33.
    assert_eq!(
        kinds(Choice::Auto, &seq(33, b"no ts here")),
        Some(Content::Rtp)
    );
    assert_eq!(kinds(Choice::Auto, &seq(96, &ts(7, 0))), Some(Content::Rtp));
    // A type neither static with a clock nor dynamic (72, RTCP's range) is not RTP.
    assert_eq!(kinds(Choice::Auto, &seq(72, b"x")), None);
}

#[test]
fn a_tentative_sender_is_given_up_on_its_third_try() {
    // RTP first, then text: tried on the 2nd, 3rd and 4th datagrams, raw from the 4th.
    let mut s = Streams::new(Options::default());
    let mut kinds = Vec::new();
    let datagrams = [
        rtp(96, 1, 7, b""),
        b"hi".to_vec(),
        b"hi".to_vec(),
        b"hi".to_vec(),
    ];
    for (i, d) in datagrams.iter().enumerate() {
        kinds.push(s.observe(at(A), d, i as u64 * MS, 0, |_, _| {}));
    }
    let rtp_kind = Some(Content::Rtp);
    assert_eq!(kinds, [rtp_kind, rtp_kind, rtp_kind, None]);
    // Changing SSRCs likewise: three senders remembered, none followed.
    let mut s = Streams::new(Options::default());
    let kinds: Vec<_> = (0..5u32)
        .map(|k| {
            s.observe(
                at(B),
                &rtp(96, k as u16, k, b""),
                u64::from(k) * MS,
                0,
                |_, _| {},
            )
        })
        .collect();
    assert_eq!(kinds, [rtp_kind, rtp_kind, rtp_kind, None, None]);
    // Bytes are counted whatever the content.
    assert_eq!(flow(&s, B).bytes, 5 * 12);
}
