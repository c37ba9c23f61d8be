//! The monitor's routing and alarms, on made-up datagrams and a made-up clock.

use super::*;
use crate::content::flow::Choice;
use crate::monitor::plan::{JoinLimits, plan};
use crate::monitor::{AlarmKind, State};

const S: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;

fn rtp(seq: u16) -> Vec<u8> {
    let mut d = vec![0x80, 96];
    d.extend_from_slice(&seq.to_be_bytes());
    d.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    d.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    d.extend_from_slice(&[0; 100]);
    d
}

/// A monitor of `targets` on sockets planned as the kernel's defaults ask, started at 0.
fn monitor(targets: &[&str], opts: Options) -> Monitor {
    let targets: Vec<Target> = targets.iter().map(|t| t.parse().unwrap()).collect();
    let planned = plan(&targets, &JoinLimits::new(20, 10, 1000, 64)).unwrap();
    let mut m = Monitor::new(targets, opts, 0);
    for (i, p) in planned.iter().enumerate() {
        for j in &p.joins {
            m.route(i, j);
        }
    }
    m
}

fn rtp_options() -> Options {
    Options {
        content: Some(flow::Options {
            choice: Choice::Rtp,
            ..flow::Options::default()
        }),
        ..Options::default()
    }
}

fn from(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn came(socket: usize, group: &str, source: &str, ns: u64) -> Delivery {
    Delivery {
        socket,
        group: group.parse().unwrap(),
        source: from(source),
        ns,
        drops: 0,
    }
}

#[test]
fn a_datagram_goes_to_the_target_of_its_socket_group_and_source() {
    let mut m = monitor(
        &[
            "239.1.1.1:5000",
            "10.0.0.1@239.1.1.1:5000",
            "10.0.0.2@239.1.1.1:5000",
            "239.1.1.2:5000",
        ],
        Options::default(),
    );
    // Socket 0 holds 239.1.1.1 (any) and 239.1.1.2; socket 1 the two sources.
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(m.find(0, ip("239.1.1.1"), ip("10.0.0.1")), [None, Some(0)]);
    assert_eq!(m.find(1, ip("239.1.1.1"), ip("10.0.0.1")), [Some(1), None]);
    assert_eq!(m.find(1, ip("239.1.1.1"), ip("10.0.0.2")), [Some(2), None]);
    assert_eq!(m.find(1, ip("239.1.1.1"), ip("10.0.0.3")), [None, None]);
    assert_eq!(m.find(0, ip("239.1.1.2"), ip("10.0.0.9")), [None, Some(3)]);
    assert_eq!(m.find(1, ip("239.1.1.2"), ip("10.0.0.9")), [None, None]);
    let mut changes = Vec::new();
    let d = came(1, "239.1.1.1", "10.0.0.3:4000", 5);
    assert!(!m.observe(&d, &rtp(1), &mut changes));
    assert_eq!(m.unmatched, 1);
    let d = came(1, "239.1.1.1", "10.0.0.2:4000", 5);
    assert!(m.observe(&d, &rtp(1), &mut changes));
    assert_eq!((m.groups()[2].datagrams, m.groups()[2].bytes), (1, 112));
    assert_eq!(m.groups()[0].datagrams, 0);
    // One socket reading both (as a reader of every joined group does): the source's
    // target and the any-source one both count a datagram of that source.
    let mut one = Monitor::new(
        ["239.1.1.1:5000", "10.0.0.1@239.1.1.1:5000"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect(),
        Options::default(),
        0,
    );
    for j in &plan(
        one.groups()
            .iter()
            .map(|w| w.target.clone())
            .collect::<Vec<_>>()
            .as_slice(),
        &JoinLimits::new(20, 10, 1000, 64),
    )
    .unwrap()
    .iter()
    .flat_map(|p| p.joins.clone())
    .collect::<Vec<_>>()
    {
        one.route(0, j);
    }
    assert!(one.observe(
        &came(0, "239.1.1.1", "10.0.0.1:4000", 5),
        &rtp(1),
        &mut changes
    ));
    assert!(one.observe(
        &came(0, "239.1.1.1", "10.0.0.2:4000", 5),
        &rtp(1),
        &mut changes
    ));
    assert_eq!(
        (one.groups()[0].datagrams, one.groups()[1].datagrams),
        (2, 1)
    );
}

#[test]
fn a_group_that_never_starts_is_told_once_and_cleared_by_its_first_datagram() {
    let mut m = monitor(&["239.1.1.1:5000", "239.1.1.2:5000"], rtp_options());
    let mut changes = Vec::new();
    m.tick(S, &mut changes);
    assert!(
        changes.is_empty(),
        "not yet past the stall limit: {changes:?}"
    );
    assert_eq!(m.groups()[0].state(), State::Waiting);
    let d = came(0, "239.1.1.2", "10.0.0.1:4000", S + 10 * MS);
    m.observe(&d, &rtp(1), &mut changes);
    m.tick(S + 20 * MS, &mut changes);
    m.tick(S + 40 * MS, &mut changes);
    let raised = Change::Raised {
        group: 0,
        at_ns: S + 20 * MS,
        seen: Seen::NeverStarted {
            waited_ns: S + 20 * MS,
        },
    };
    assert_eq!(changes, [raised]);
    assert_eq!(m.groups()[0].state(), State::NeverStarted);
    changes.clear();
    let d = came(0, "239.1.1.1", "10.0.0.1:4000", 3 * S);
    m.observe(&d, &rtp(1), &mut changes);
    assert_eq!(
        changes,
        [Change::Cleared {
            group: 0,
            kind: AlarmKind::NeverStarted,
            at_ns: 3 * S,
            lasted_ns: 3 * S
        }]
    );
    assert_eq!(m.raised(), 1);
}

#[test]
fn a_stall_is_raised_once_past_the_limit_and_cleared_with_the_outage() {
    let mut m = monitor(&["239.1.1.1:5000"], rtp_options());
    let mut changes = Vec::new();
    for i in 0..10u16 {
        let d = came(0, "239.1.1.1", "10.0.0.1:4000", u64::from(i) * 20 * MS);
        m.observe(&d, &rtp(i), &mut changes);
    }
    let last = 180 * MS;
    m.tick(last + S, &mut changes);
    assert!(
        changes.is_empty(),
        "silent for the limit exactly: {changes:?}"
    );
    m.tick(last + S + 1, &mut changes);
    m.tick(last + 2 * S, &mut changes);
    assert_eq!(
        changes,
        [Change::Raised {
            group: 0,
            at_ns: last + S + 1,
            seen: Seen::Stall {
                last_ns: last,
                silent_ns: S + 1
            }
        }]
    );
    assert_eq!(m.groups()[0].state(), State::Stalled);
    changes.clear();
    let back = last + 3 * S;
    m.observe(
        &came(0, "239.1.1.1", "10.0.0.1:4000", back),
        &rtp(10),
        &mut changes,
    );
    assert_eq!(
        changes,
        [Change::Cleared {
            group: 0,
            kind: AlarmKind::Stall,
            at_ns: back,
            lasted_ns: 3 * S
        }]
    );
    assert_eq!(m.groups()[0].state(), State::Flowing);
    // A datagram after that clears nothing more.
    changes.clear();
    m.observe(
        &came(0, "239.1.1.1", "10.0.0.1:4000", back + MS),
        &rtp(11),
        &mut changes,
    );
    assert!(changes.is_empty());
}

/// Sends RTP numbers `seqs` to group 0 spaced 5 ms apart from `start_ns`.
fn feed(m: &mut Monitor, seqs: impl Iterator<Item = u16>, start_ns: u64, out: &mut Vec<Change>) {
    for (i, seq) in seqs.enumerate() {
        let d = came(
            0,
            "239.1.1.1",
            "10.0.0.1:4000",
            start_ns + i as u64 * 5 * MS,
        );
        m.observe(&d, &rtp(seq), out);
    }
}

#[test]
fn loss_over_the_limit_in_a_window_is_raised_and_a_clean_window_clears_it() {
    let mut opts = rtp_options();
    opts.loss_alarm = 0.01;
    let mut m = monitor(&["239.1.1.1:5000"], opts);
    let mut changes = Vec::new();
    // Window 1: 0..200 sent, one lost: 0.5 %, within the limit.
    feed(&mut m, (0..200).filter(|&s| s != 50), 0, &mut changes);
    m.tick(S, &mut changes);
    assert!(changes.is_empty(), "{changes:?}");
    let w = m.groups()[0].window.unwrap();
    // RFC 3550's probation sets the first packet aside: 198 counted, one lost.
    assert_eq!((w.lost, w.expected), (1, 199));
    assert!((w.datagrams_per_s - 199.0).abs() < 1e-9);
    assert!((w.bits_per_s - 199.0 * 112.0 * 8.0).abs() < 1e-6);
    // Window 2: 200..400, three lost: 1.5 %.
    feed(&mut m, (200..400).filter(|s| s % 70 != 0), S, &mut changes);
    m.tick(2 * S, &mut changes);
    assert_eq!(
        changes,
        [Change::Raised {
            group: 0,
            at_ns: 2 * S,
            seen: Seen::Loss {
                lost: 3,
                expected: 200,
                window_ns: S
            }
        }]
    );
    assert_eq!(m.groups()[0].state(), State::Losing);
    changes.clear();
    // Window 3: lossy again, no second alarm; window 4: clean, cleared.
    feed(
        &mut m,
        (400..600).filter(|s| s % 50 != 0),
        2 * S,
        &mut changes,
    );
    m.tick(3 * S, &mut changes);
    assert!(changes.is_empty(), "{changes:?}");
    feed(&mut m, 600..800, 3 * S, &mut changes);
    m.tick(4 * S, &mut changes);
    assert_eq!(
        changes,
        [Change::Cleared {
            group: 0,
            kind: AlarmKind::Loss,
            at_ns: 4 * S,
            lasted_ns: 3 * S
        }]
    );
    assert_eq!(m.groups()[0].lost(), Some(1 + 3 + 4));
    assert_eq!(m.raised(), 1);
}

#[test]
fn a_late_tick_divides_by_the_time_it_took_and_loss_at_the_limit_is_no_alarm() {
    let mut opts = rtp_options();
    opts.loss_alarm = 0.01;
    opts.stall_ns = 10 * S;
    let mut m = monitor(&["239.1.1.1:5000"], opts);
    m.start(7);
    assert_eq!(m.started_ns(), 7);
    assert_eq!(
        (m.options().stall_ns, m.options().loss_alarm),
        (10 * S, 0.01)
    );
    let mut changes = Vec::new();
    feed(&mut m, 0..200, 10 * MS, &mut changes);
    m.tick(S + 7, &mut changes);
    // The next window ends 2 s late: 3 s for 198 datagrams, 2 of 200 lost (1 %, the limit
    // itself: no alarm).
    feed(
        &mut m,
        (200..400).filter(|&s| s != 250 && s != 350),
        S + 10 * MS,
        &mut changes,
    );
    m.tick(4 * S + 7, &mut changes);
    assert!(changes.is_empty(), "{changes:?}");
    let w = m.groups()[0].window.unwrap();
    assert_eq!((w.lost, w.expected), (2, 200));
    assert!((w.datagrams_per_s - 198.0 / 3.0).abs() < 1e-9, "{w:?}");
    assert!(
        (w.bits_per_s - 198.0 * 112.0 * 8.0 / 3.0).abs() < 1e-6,
        "{w:?}"
    );
    assert_eq!(m.raised(), 0);
}

#[test]
fn without_content_nothing_is_judged_and_a_window_of_nothing_changes_no_loss_alarm() {
    let opts = Options {
        content: None,
        ..Options::default()
    };
    let mut m = monitor(&["239.1.1.1:5000"], opts);
    let mut changes = Vec::new();
    feed(&mut m, (0..100).filter(|s| s % 2 == 0), 0, &mut changes);
    m.tick(S, &mut changes);
    let g = &m.groups()[0];
    assert_eq!((g.lost(), g.cc_errors(), g.jitter_ms()), (None, None, None));
    assert_eq!(g.datagrams, 50);
    assert!(changes.is_empty());

    let mut m = monitor(&["239.1.1.1:5000"], rtp_options());
    feed(&mut m, (0..100).filter(|s| s % 10 != 5), 0, &mut changes);
    m.tick(S, &mut changes);
    assert_eq!(changes.len(), 1);
    changes.clear();
    // Silent through the next window: the stall is raised, the loss alarm stands.
    m.tick(2 * S + 300 * MS, &mut changes);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind(), AlarmKind::Stall);
    assert!(m.groups()[0].alarms.stands(AlarmKind::Loss));
}

#[test]
fn the_tick_comes_often_enough_for_the_stall_limit() {
    let m = monitor(&["239.1.1.1:5000"], Options::default());
    assert_eq!(m.tick_every(), 50 * MS);
    let short = Options {
        stall_ns: 100 * MS,
        ..Options::default()
    };
    assert_eq!(monitor(&["239.1.1.1:5000"], short).tick_every(), 5 * MS);
}

#[test]
fn two_targets_of_one_name_are_a_pair_merged_by_their_numbers() {
    let mut m = monitor(
        &[
            "239.1.1.1:5000,name=F",
            "239.2.1.1:5000,name=F",
            "239.3.1.1:5000,name=G",
        ],
        rtp_options(),
    );
    assert_eq!(m.pair_by_name(), Ok(1));
    assert_eq!(m.pairs()[0].legs, [0, 1]);
    let mut changes = Vec::new();
    for seq in 0..200u16 {
        let ns = u64::from(seq) * 5 * MS;
        if seq % 10 != 3 {
            m.observe(
                &came(0, "239.1.1.1", "10.0.0.1:4000", ns),
                &rtp(seq),
                &mut changes,
            );
        }
        if seq % 10 != 7 && seq != 100 && seq != 103 {
            let d = came(0, "239.2.1.1", "10.0.0.2:4000", ns + 3 * MS);
            m.observe(&d, &rtp(seq), &mut changes);
        }
    }
    m.finish();
    let p = &m.pairs()[0];
    // A lost the 20 numbers ending in 3; B the 20 ending in 7, and 100 and 103. 103 was
    // lost on both legs; every other number came on one at least.
    assert_eq!(
        (m.groups()[0].lost(), m.groups()[1].lost()),
        (Some(20), Some(22))
    );
    assert_eq!(p.merge.lost, 1);
    assert_eq!(p.merge.only, [21, 19]);
    assert_eq!(p.merge.skew_p50_ns(), Some(3 * MS as i64));
    let mut three = monitor(
        &[
            "239.1.1.1:1,name=X",
            "239.1.1.2:1,name=X",
            "239.1.1.3:1,name=X",
        ],
        rtp_options(),
    );
    let e = three.pair_by_name().unwrap_err();
    assert!(e.starts_with("3 targets are named 'X'"), "{e}");
}

#[test]
fn a_leg_down_while_the_other_flows_is_raised_and_cleared_when_it_flows_again() {
    let mut m = monitor(
        &["239.1.1.1:5000,name=F", "239.2.1.1:5000,name=F"],
        rtp_options(),
    );
    m.pair_by_name().unwrap();
    let mut changes = Vec::new();
    let a = |ns| came(0, "239.1.1.1", "10.0.0.1:4000", ns);
    let b = |ns| came(0, "239.2.1.1", "10.0.0.1:4000", ns);
    let mut seq = 0u16;
    let mut step =
        |m: &mut Monitor, from: u64, to: u64, legs: &[bool; 2], out: &mut Vec<Change>| {
            let mut t = from;
            while t < to {
                if legs[0] {
                    m.observe(&a(t), &rtp(seq), out);
                }
                if legs[1] {
                    m.observe(&b(t), &rtp(seq), out);
                }
                seq += 1;
                t += 20 * MS;
                m.tick(t, out);
            }
        };
    step(&mut m, 0, S, &[true, true], &mut changes);
    assert!(changes.is_empty(), "{changes:?}");
    // Leg A stops: its stall, then leg_down (B carries the feed).
    step(&mut m, S, 3 * S, &[false, true], &mut changes);
    let kinds: Vec<(usize, AlarmKind)> = changes.iter().map(|c| (c.group(), c.kind())).collect();
    assert_eq!(kinds, [(0, AlarmKind::Stall), (0, AlarmKind::LegDown)]);
    match changes[1] {
        Change::Raised {
            seen: Seen::LegDown { pair, other },
            ..
        } => assert_eq!((pair, other), (0, 1)),
        c => panic!("{c:?}"),
    }
    changes.clear();
    step(&mut m, 3 * S, 4 * S, &[true, true], &mut changes);
    // Back: both cleared; and A's numbers of its outage are its loss.
    let kinds: Vec<(usize, AlarmKind)> = changes.iter().map(|c| (c.group(), c.kind())).collect();
    assert_eq!(
        kinds,
        [
            (0, AlarmKind::Stall),
            (0, AlarmKind::LegDown),
            (0, AlarmKind::Loss)
        ]
    );
    assert!(matches!(changes[1], Change::Cleared { lasted_ns, .. } if lasted_ns > 2 * S));
    assert!(matches!(changes[2], Change::Raised { .. }));
    // B had every number: the merge lost none.
    m.finish();
    assert_eq!(m.pairs()[0].merge.lost, 0);
    // Both down: each stalls, neither is a leg down (no leg carries the feed).
    changes.clear();
    m.tick(6 * S, &mut changes);
    let kinds: Vec<(usize, AlarmKind)> = changes.iter().map(|c| (c.group(), c.kind())).collect();
    assert_eq!(kinds, [(0, AlarmKind::Stall), (1, AlarmKind::Stall)]);
}

/// Datagrams of one sender on 239.1.1.1, 5 ms apart from 0.
fn send_all(m: &mut Monitor, datagrams: &[Vec<u8>]) {
    let mut changes = Vec::new();
    for (i, d) in datagrams.iter().enumerate() {
        let at = came(0, "239.1.1.1", "10.0.0.1:4000", i as u64 * 5 * MS);
        m.observe(&at, d, &mut changes);
    }
}

#[test]
fn duplicates_and_late_units_are_counted_for_rtp_and_feeds_and_cc_errors_for_ts() {
    // RTP: 7 came twice, 9 behind 10.
    let mut m = monitor(&["239.1.1.1:5000"], rtp_options());
    let seqs = [1u16, 2, 3, 4, 5, 6, 7, 7, 8, 10, 9, 11];
    send_all(&mut m, &seqs.map(rtp));
    let g = &m.groups()[0];
    assert_eq!(
        (g.duplicates(), g.reordered(), g.cc_errors()),
        (Some(1), Some(1), None)
    );
    assert_eq!(g.state().name(), "flowing");

    // A feed numbered at offset 0: 3 came twice, 5 and 6 behind 7.
    let feed = Options {
        content: Some(flow::Options {
            choice: Choice::Feed("0:4".parse().unwrap()),
            ..flow::Options::default()
        }),
        ..Options::default()
    };
    let mut m = monitor(&["239.1.1.1:5000"], feed);
    let numbered: Vec<Vec<u8>> = [1u32, 2, 3, 3, 4, 7, 5, 6, 8]
        .iter()
        .map(|n| [&n.to_be_bytes()[..], &[0; 20]].concat())
        .collect();
    send_all(&mut m, &numbered);
    let g = &m.groups()[0];
    assert_eq!(
        (g.duplicates(), g.reordered(), g.lost()),
        (Some(1), Some(2), Some(0))
    );

    // MPEG-TS: PID 0x100's counter skips once.
    let ts = Options {
        content: Some(flow::Options {
            choice: Choice::Ts,
            ..flow::Options::default()
        }),
        ..Options::default()
    };
    let mut m = monitor(&["239.1.1.1:5000"], ts);
    let mut cc = 0u8;
    let datagrams: Vec<Vec<u8>> = (0..4)
        .map(|k| {
            let mut d = Vec::new();
            for p in 0..7 {
                if k == 2 && p == 3 {
                    cc = (cc + 1) & 0x0f; // one packet never sent
                }
                let mut packet = vec![0x47, 0x01, 0x00, 0x10 | cc];
                packet.resize(188, 0xff);
                d.extend_from_slice(&packet);
                cc = (cc + 1) & 0x0f;
            }
            d
        })
        .collect();
    send_all(&mut m, &datagrams);
    let g = &m.groups()[0];
    assert_eq!(g.cc_errors(), Some(1));
    assert_eq!(g.reordered(), Some(0));
}

#[test]
fn each_state_has_its_name() {
    let names = [
        State::NeverStarted,
        State::Stalled,
        State::Losing,
        State::Waiting,
        State::Flowing,
    ]
    .map(State::name);
    assert_eq!(
        names,
        ["never_started", "stalled", "losing", "waiting", "flowing"]
    );
}
