//! Tests of `watch_state`: elections, warnings, filters built from reports, aging and bounds.

use super::*;
use mcast::wire::igmp::Record;

const ETH: u32 = 2;

fn query(from: &str, version: u8, qqi: u32) -> Packet {
    Packet {
        source: from.parse().unwrap(),
        destination: "224.0.0.1".parse().unwrap(),
        ttl: 1,
        message: Message::Query(Query {
            version,
            group: None,
            sources: vec![],
            max_response_ms: 10_000,
            suppress: false,
            qrv: 2,
            qqi_s: qqi,
        }),
    }
}

fn report(from: &str, version: u8, kind: RecordType, group: &str, sources: &[&str]) -> Packet {
    Packet {
        source: from.parse().unwrap(),
        destination: "224.0.0.22".parse().unwrap(),
        ttl: 1,
        message: Message::Report {
            version,
            records: vec![Record {
                kind,
                group: group.parse().unwrap(),
                sources: sources.iter().map(|s| s.parse().unwrap()).collect(),
            }],
        },
    }
}

fn kinds(w: &[Warning]) -> Vec<Kind> {
    w.iter().map(|w| w.kind).collect()
}

#[test]
fn the_lowest_address_is_elected_and_intervals_are_measured() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[(ETH, true)], Duration::from_secs(125), t0);
    w.observe(ETH, &query("192.0.2.9", 3, 125), t0);
    w.observe(ETH, &query("192.0.2.3", 3, 125), t0);
    w.observe(
        ETH,
        &query("192.0.2.3", 3, 125),
        t0 + Duration::from_secs(2),
    );
    let (addr, q) = w.elected(ETH, true, t0 + Duration::from_secs(2)).unwrap();
    assert_eq!(addr.to_string(), "192.0.2.3");
    assert_eq!((q.queries, q.interval), (2, Some(Duration::from_secs(2))));
    assert!(w.elected(ETH, false, t0).is_none(), "no MLD querier");
}

#[test]
fn old_and_disagreeing_queriers_are_told_once() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[(ETH, true)], Duration::from_secs(125), t0);
    assert_eq!(
        kinds(&w.observe(ETH, &query("192.0.2.9", 2, 0), t0)),
        [Kind::OldQuerier]
    );
    assert!(
        w.observe(ETH, &query("192.0.2.9", 2, 0), t0).is_empty(),
        "told once"
    );
    let both = w.observe(ETH, &query("192.0.2.3", 3, 60), t0);
    assert_eq!(kinds(&both), [Kind::QueriersDisagree]);
    assert!(
        both[0]
            .message
            .contains("192.0.2.9 speaks IGMPv2, 192.0.2.3 IGMPv3")
    );
}

#[test]
fn a_silent_link_is_told_after_the_timeout_and_again_after_a_new_silence() {
    let t0 = Instant::now();
    let timeout = Duration::from_secs(5);
    let mut w = Watch::new(&[(ETH, true), (ETH, false)], timeout, t0);
    assert!(w.tick(t0 + Duration::from_secs(4)).is_empty());
    let told = w.tick(t0 + timeout);
    assert_eq!(kinds(&told), [Kind::NoQuerier, Kind::NoQuerier]);
    assert!(w.tick(t0 + Duration::from_secs(7)).is_empty(), "once");
    w.observe(
        ETH,
        &query("192.0.2.9", 3, 125),
        t0 + Duration::from_secs(8),
    );
    let again = w.tick(t0 + Duration::from_secs(13));
    assert_eq!(again.len(), 1);
    assert!(again[0].v4);
    assert!(again[0].message.starts_with("no IGMP querier heard in 5 s"));
}

#[test]
fn reports_build_each_hosts_filters_and_leaves_end_them() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    let host = (
        "192.0.2.2".parse::<IpAddr>().unwrap(),
        "232.1.1.1".parse().unwrap(),
    );
    w.observe(
        ETH,
        &report(
            "192.0.2.2",
            3,
            RecordType::ChangeToInclude,
            "232.1.1.1",
            &["192.0.2.8"],
        ),
        t0,
    );
    w.observe(
        ETH,
        &report(
            "192.0.2.2",
            3,
            RecordType::AllowNewSources,
            "232.1.1.1",
            &["192.0.2.9"],
        ),
        t0,
    );
    let m = &w.memberships[&(ETH, host.0, host.1)];
    assert_eq!((m.exclude, m.sources.len()), (false, 2));
    w.observe(
        ETH,
        &report(
            "192.0.2.2",
            3,
            RecordType::BlockOldSources,
            "232.1.1.1",
            &["192.0.2.8", "192.0.2.9"],
        ),
        t0,
    );
    assert!(
        w.memberships.is_empty(),
        "no sources left: the group is left"
    );
    w.observe(
        ETH,
        &report("192.0.2.2", 2, RecordType::ModeIsExclude, "239.1.1.1", &[]),
        t0,
    );
    assert_eq!(w.memberships.len(), 1);
    let hosts = w.hosts();
    assert_eq!(
        (hosts.len(), hosts[0].version, hosts[0].groups.len()),
        (1, 2, 1)
    );
    let leave = Packet {
        message: Message::Leave {
            group: "239.1.1.1".parse().unwrap(),
        },
        ..report("192.0.2.2", 2, RecordType::ModeIsExclude, "239.1.1.1", &[])
    };
    w.observe(ETH, &leave, t0);
    assert!(w.memberships.is_empty());
}

#[test]
fn older_hosts_and_any_source_joins_in_the_ssm_range_are_told() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    w.observe(ETH, &query("192.0.2.254", 3, 125), t0);
    let older = w.observe(
        ETH,
        &report("192.0.2.2", 2, RecordType::ModeIsExclude, "232.1.1.1", &[]),
        t0,
    );
    assert_eq!(kinds(&older), [Kind::HostOlderVersion, Kind::AsmInSsmRange]);
    assert!(
        older[1]
            .message
            .contains("by an IGMPv2 report (any source)"),
        "{}",
        older[1].message
    );
    let v3 = w.observe(
        ETH,
        &report(
            "192.0.2.3",
            3,
            RecordType::ChangeToExclude,
            "232.1.1.2",
            &[],
        ),
        t0,
    );
    assert_eq!(kinds(&v3), [Kind::AsmInSsmRange]);
    let fine = w.observe(
        ETH,
        &report(
            "192.0.2.3",
            3,
            RecordType::ChangeToInclude,
            "232.1.1.3",
            &["192.0.2.9"],
        ),
        t0,
    );
    assert!(fine.is_empty());
}

#[test]
fn memberships_age_out_with_the_queriers_timers_and_memory_is_bounded() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(1000), t0);
    // QRV 2, QQI 1 s, response 10 s: 12 s.
    let mut q = query("192.0.2.254", 3, 1);
    if let Message::Query(ref mut qq) = q.message {
        qq.qqi_s = 1;
    }
    w.observe(ETH, &q, t0);
    w.observe(
        ETH,
        &report("192.0.2.2", 3, RecordType::ModeIsExclude, "239.1.1.1", &[]),
        t0,
    );
    w.tick(t0 + Duration::from_secs(11));
    assert_eq!(w.memberships.len(), 1);
    w.tick(t0 + Duration::from_secs(12));
    assert_eq!((w.memberships.len(), w.aged, w.versions.len()), (0, 1, 0));
    for i in 0..(MAX_ENTRIES + 10) {
        let g = format!("239.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        w.observe(
            ETH,
            &report("192.0.2.2", 3, RecordType::ModeIsExclude, &g, &[]),
            t0,
        );
    }
    assert_eq!((w.memberships.len(), w.untracked), (MAX_ENTRIES, 10));
}
