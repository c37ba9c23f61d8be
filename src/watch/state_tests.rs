//! Tests of the watch state: elections, warnings, filters built from reports, aging and bounds.

use super::*;
use crate::wire::igmp::Record;

const ETH: u32 = 2;

fn query(from: &str, version: u8, qqi: u32) -> Packet {
    Packet {
        source: from.parse().unwrap(),
        destination: "224.0.0.1".parse().unwrap(),
        ttl: 1,
        checksum_ok: true,
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
        checksum_ok: true,
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
fn a_message_whose_checksum_is_wrong_changes_nothing() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[(ETH, true)], Duration::from_secs(125), t0);
    let mut forged = query("192.0.2.1", 2, 0);
    forged.checksum_ok = false;
    assert!(
        w.observe(ETH, &forged, t0).is_empty(),
        "no v2 warning either"
    );
    assert!(w.elected(ETH, true, t0).is_none());
    w.observe(ETH, &query("192.0.2.9", 3, 125), t0);
    assert_eq!(w.elected(ETH, true, t0).unwrap().0.to_string(), "192.0.2.9");
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
    // A querier that announces a query every 2 s (robustness 2, 10 s to answer) is gone
    // after 2 x 2 + 10 / 2 = 9 s of silence, whatever --querier-timeout says; memberships
    // it refreshed last 2 x 2 + 10 = 14 s.
    w.observe(ETH, &query("192.0.2.9", 3, 2), t0 + Duration::from_secs(8));
    assert!(w.tick(t0 + Duration::from_millis(16_999)).is_empty());
    let again = w.tick(t0 + Duration::from_secs(17));
    assert_eq!(again.len(), 1);
    assert!(again[0].v4);
    assert!(
        again[0].message.starts_with(
            "no IGMP querier heard for 9.0 s: the last, 192.0.2.9, announced a query every 2 s \
             (robustness 2), so it is gone"
        ),
        "{}",
        again[0].message
    );
    assert!(
        again[0]
            .message
            .contains("expire 14.0 s after its last query (in about 5 s)"),
        "{}",
        again[0].message
    );
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
            .contains("reports 232.1.1.1 in IGMPv2, which cannot carry sources"),
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
    // QRV 2, QQI 1 s, response 10 s: 12 s.
    ages_between(
        with_timers(query("192.0.2.254", 3, 1), 2, 1, 10_000),
        3,
        11,
        12,
    );
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(1000), t0);
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

fn mld_query(from: &str, version: u8) -> Packet {
    Packet {
        destination: "ff02::1".parse().unwrap(),
        ..query(from, version, 125)
    }
}

#[test]
fn kinds_have_their_json_names() {
    let all = [
        (Kind::NoQuerier, "no_querier"),
        (Kind::OldQuerier, "old_querier"),
        (Kind::QueriersDisagree, "queriers_disagree"),
        (Kind::HostOlderVersion, "host_older_version"),
        (Kind::AsmInSsmRange, "asm_in_ssm_range"),
        (Kind::LocalHostSilent, "local_host_silent"),
    ];
    for (k, name) in all {
        assert_eq!(k.key(), name);
    }
}

#[test]
fn old_querier_versions_by_family() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    assert!(
        w.observe(ETH, &query("192.0.2.9", 3, 125), t0).is_empty(),
        "IGMPv3"
    );
    assert!(
        w.observe(ETH, &mld_query("fe80::9", 2), t0).is_empty(),
        "MLDv2"
    );
    let v1 = w.observe(ETH, &mld_query("fe80::8", 1), t0);
    assert_eq!(kinds(&v1)[0], Kind::OldQuerier);
    assert!(v1[0].message.contains("speaks MLDv1") && v1[0].message.ends_with("use MLDv2"));
}

#[test]
fn only_live_queriers_of_the_same_link_and_family_can_disagree() {
    let t0 = Instant::now();
    let timeout = Duration::from_secs(10);
    let mut w = Watch::new(&[], timeout, t0);
    w.observe(ETH, &query("192.0.2.9", 3, 125), t0);
    // Another link, another family, the same querier again: no disagreement.
    assert!(
        w.observe(ETH + 1, &query("192.0.2.8", 3, 60), t0)
            .is_empty()
    );
    assert!(w.observe(ETH, &mld_query("fe80::1", 2), t0).is_empty());
    assert!(w.observe(ETH, &query("192.0.2.9", 3, 125), t0).is_empty());
    // Same version and interval: they agree.
    assert!(w.observe(ETH, &query("192.0.2.7", 3, 125), t0).is_empty());
    // An interval of 0 is not given (pre-v3): nothing to compare.
    assert!(w.observe(ETH, &query("192.0.2.6", 3, 0), t0).is_empty());
    // A querier silent for the whole timeout is gone: nothing to disagree with.
    // (every 4 s, robustness 2, 10 s to answer: present for 13 s).
    let mut w = Watch::new(&[], timeout, t0);
    w.observe(ETH, &query("192.0.2.9", 3, 4), t0);
    assert!(
        w.observe(
            ETH,
            &query("192.0.2.4", 3, 30),
            t0 + Duration::from_secs(13)
        )
        .is_empty()
    );
    // Intervals that differ, told once whichever speaks next, about the lower address.
    let mut w = Watch::new(&[], timeout, t0);
    w.observe(ETH, &query("192.0.2.3", 3, 125), t0);
    let told = w.observe(ETH, &query("192.0.2.9", 3, 60), t0);
    assert_eq!(kinds(&told), [Kind::QueriersDisagree]);
    assert!(
        told[0]
            .message
            .contains("192.0.2.3 queries every 125 s, 192.0.2.9 every 60 s")
    );
    assert_eq!(told[0].subject, Some("192.0.2.3".parse().unwrap()));
    assert!(
        w.observe(ETH, &query("192.0.2.3", 3, 125), t0).is_empty(),
        "told once"
    );
}

#[test]
fn a_querier_is_elected_while_its_own_timers_say_it_is_present() {
    let t0 = Instant::now();
    // --querier-timeout does not decide: the querier's announced timers do.
    let mut w = Watch::new(&[], Duration::from_secs(1000), t0);
    // Every 4 s, robustness 2, 10 s to answer: present for 2 x 4 + 10 / 2 = 13 s.
    w.observe(ETH, &query("192.0.2.9", 3, 4), t0);
    let present = Duration::from_secs(13);
    assert!(
        w.elected(ETH, true, t0 + present - Duration::from_millis(1))
            .is_some()
    );
    assert!(w.elected(ETH, true, t0 + present).is_none());
}

#[test]
fn ssm_warnings_name_how_the_group_was_asked_for_in_each_version() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    let asm = w.observe(
        ETH,
        &report("192.0.2.2", 3, RecordType::ModeIsExclude, "239.1.1.1", &[]),
        t0,
    );
    assert!(asm.is_empty(), "239/8 is any-source: fine");
    for (host, version, kind, group, how) in [
        (
            "192.0.2.2",
            3,
            RecordType::ModeIsExclude,
            "232.1.1.1",
            "by MODE_IS_EXCLUDE (any source)",
        ),
        (
            "fe80::2",
            1,
            RecordType::ModeIsExclude,
            "ff3e::1",
            "in MLDv1, which cannot carry sources: whatever its application asked",
        ),
        (
            "fe80::3",
            2,
            RecordType::ChangeToExclude,
            "ff3e::2",
            "by CHANGE_TO_EXCLUDE (any source)",
        ),
    ] {
        let told = w.observe(ETH, &report(host, version, kind, group, &[]), t0);
        assert!(told[0].message.contains(how), "{}", told[0].message);
    }
}

#[test]
fn sources_allowed_and_blocked_in_exclude_mode_change_the_exclusions() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    let key = (
        ETH,
        "192.0.2.2".parse::<IpAddr>().unwrap(),
        "239.1.1.1".parse::<IpAddr>().unwrap(),
    );
    w.observe(
        ETH,
        &report(
            "192.0.2.2",
            3,
            RecordType::ChangeToExclude,
            "239.1.1.1",
            &["192.0.2.8", "192.0.2.9"],
        ),
        t0,
    );
    w.observe(
        ETH,
        &report(
            "192.0.2.2",
            3,
            RecordType::AllowNewSources,
            "239.1.1.1",
            &["192.0.2.8"],
        ),
        t0,
    );
    let m = &w.memberships[&key];
    assert!(m.exclude);
    assert_eq!(
        m.sources,
        ["192.0.2.9".parse::<IpAddr>().unwrap()],
        "8 allowed again"
    );
    w.observe(
        ETH,
        &report(
            "192.0.2.2",
            3,
            RecordType::BlockOldSources,
            "239.1.1.1",
            &["192.0.2.7"],
        ),
        t0,
    );
    assert_eq!(w.memberships[&key].sources.len(), 2, "7 excluded too");
}

#[test]
fn hosts_are_bounded_even_when_their_groups_are_gone() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    for i in 0..(MAX_ENTRIES + 10) {
        let host = format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        // A report that leaves at once: no membership, but the host is remembered.
        w.observe(
            ETH,
            &report(&host, 3, RecordType::ChangeToInclude, "239.1.1.1", &[]),
            t0,
        );
    }
    assert!(w.memberships.is_empty());
    assert_eq!((w.versions.len(), w.untracked), (MAX_ENTRIES, 10));
}

#[test]
fn warnings_remembered_are_bounded() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    let mut told = 0;
    for i in 0..(MAX_TOLD + 5) {
        let g = format!("232.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        told += w
            .observe(
                ETH,
                &report("192.0.2.2", 3, RecordType::ModeIsExclude, &g, &[]),
                t0,
            )
            .len();
    }
    assert_eq!(told, MAX_TOLD);
    assert_eq!(
        w.not_told.get(&Kind::AsmInSsmRange),
        Some(&5),
        "counted, not lost"
    );
    // The kinds about the querier are still told: an IGMPv2 querier, and one that disagrees.
    let old = w.observe(ETH, &query("192.0.2.9", 2, 0), t0);
    assert_eq!(kinds(&old), [Kind::OldQuerier]);
    let other = w.observe(ETH, &query("192.0.2.8", 3, 60), t0);
    assert!(kinds(&other).contains(&Kind::QueriersDisagree), "{other:?}");
}

#[test]
fn without_figures_from_the_querier_the_defaults_age_memberships() {
    // An IGMPv2 querier gives no QRV or QQI: 2 x 125 s + its 10 s response time.
    ages_between(
        with_timers(query("192.0.2.254", 2, 0), 0, 0, 10_000),
        2,
        259,
        261,
    );
}

#[test]
fn the_queriers_own_timers_age_memberships() {
    // QRV 3 and QQI 2 s with a 1 s response: 7 s (a product, not a quotient).
    ages_between(with_timers(query("192.0.2.254", 3, 2), 3, 2, 1000), 3, 6, 7);
}

/// `q` with the given robustness, interval and response time.
fn with_timers(mut q: Packet, qrv: u8, qqi_s: u32, max_response_ms: u32) -> Packet {
    if let Message::Query(ref mut m) = q.message {
        (m.qrv, m.qqi_s, m.max_response_ms) = (qrv, qqi_s, max_response_ms);
    }
    q
}

/// Under `querier`, a group reported (in `version`) is still held `kept` seconds later and
/// aged out at `gone` seconds, host and all.
fn ages_between(querier: Packet, version: u8, kept: u64, gone: u64) {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(1000), t0);
    w.observe(ETH, &querier, t0);
    w.observe(
        ETH,
        &report(
            "192.0.2.2",
            version,
            RecordType::ModeIsExclude,
            "239.1.1.1",
            &[],
        ),
        t0,
    );
    w.tick(t0 + Duration::from_secs(kept));
    assert_eq!(w.memberships.len(), 1, "held at {kept} s");
    w.tick(t0 + Duration::from_secs(gone));
    assert_eq!(
        (w.memberships.len(), w.aged, w.versions.len()),
        (0, 1, 0),
        "gone at {gone} s"
    );
}

#[test]
fn one_memberships_sources_are_bounded_and_the_rest_counted() {
    // 200 reports of 16,000 new sources each for one group, as a forger sent them.
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    let key = (
        ETH,
        "192.0.2.2".parse::<IpAddr>().unwrap(),
        "239.1.1.1".parse::<IpAddr>().unwrap(),
    );
    for r in 0..200u32 {
        let sources: Vec<IpAddr> = (0..16_000u32)
            .map(|i| IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + r * 16_000 + i)))
            .collect();
        let p = Packet {
            source: key.1,
            destination: "224.0.0.22".parse().unwrap(),
            ttl: 1,
            checksum_ok: true,
            message: Message::Report {
                version: 3,
                records: vec![Record {
                    kind: RecordType::AllowNewSources,
                    group: key.2,
                    sources,
                }],
            },
        };
        w.observe(ETH, &p, t0);
    }
    assert_eq!(w.memberships[&key].sources.len(), MAX_SOURCES);
    assert_eq!(w.untracked_sources, 200 * 16_000 - MAX_SOURCES as u64);
}

#[test]
fn spoofed_queriers_are_bounded_and_the_elected_one_is_kept() {
    let t0 = Instant::now();
    let mut w = Watch::new(&[], Duration::from_secs(125), t0);
    // The real querier, elected: the lowest address of the link.
    w.observe(ETH, &query("10.0.0.1", 3, 125), t0);
    for n in 0..100_000u32 {
        let from = std::net::Ipv4Addr::from(0x0a00_0100 + n).to_string();
        let at = t0 + Duration::from_micros(u64::from(n));
        w.observe(ETH, &query(&from, 3, 125), at);
    }
    let at = t0 + Duration::from_millis(200);
    assert!(w.queriers.len() <= MAX_QUERIERS);
    assert_eq!(w.untracked_queriers, 100_001 - MAX_QUERIERS as u64);
    let (elected, _) = w.elected(ETH, true, at).expect("an elected querier");
    assert_eq!(elected, "10.0.0.1".parse::<IpAddr>().unwrap());
}
