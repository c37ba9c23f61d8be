//! The firewall check as a user reads it, over listings a fixture host prints: which
//! packets a rule or policy drops, in words, with the rule to delete; what could not be
//! judged or read; and "none drops" only when every rule was judged.

use super::super::fixture::Fixture;
use super::super::{Case, Status};
use super::firewall;

/// A case on the fixture's eth0 (every route leads there).
fn case(group: &str, port: Option<u16>, sources: &[&str]) -> Case {
    Case {
        group: group.parse().unwrap(),
        port,
        sources: sources.iter().map(|s| s.parse().unwrap()).collect(),
        given: None,
    }
}

/// A host whose nft lists one inet table `t` with an input and an output chain (policies
/// as given) and `rules` (chain name, handle, expression list, text).
fn nft_host(input_policy: &str, rules: &[(&str, u64, &str, &str)]) -> Fixture {
    let mut items = vec![
        format!(
            r#"{{"chain": {{"family": "inet", "table": "t", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "{input_policy}"}}}}"#
        ),
        r#"{"chain": {"family": "inet", "table": "t", "name": "output", "handle": 2, "type": "filter", "hook": "output", "prio": 0, "policy": "accept"}}"#.to_string(),
    ];
    let mut text = String::from("table inet t {\n");
    for (chain, handle, expr, words) in rules {
        items.push(format!(
            r#"{{"rule": {{"family": "inet", "table": "t", "chain": "{chain}", "handle": {handle}, "expr": {expr}}}}}"#
        ));
        text.push_str(&format!(
            "\tchain {chain} {{\n\t\t{words} # handle {handle}\n\t}}\n"
        ));
    }
    text.push_str("}\n");
    let mut host = Fixture::new("healthy");
    host.listings.insert(
        "nft --json list ruleset".into(),
        Ok(format!(r#"{{"nftables": [{}]}}"#, items.join(","))),
    );
    host.listings.insert("nft -a list ruleset".into(), Ok(text));
    host
}

const UDP_7777: &str = r#"[{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 7777}}, {"drop": null}]"#;

#[test]
fn a_rule_dropping_the_groups_udp_is_a_failure_naming_it_and_its_delete() {
    let host = nft_host("accept", &[("input", 5, UDP_7777, "udp dport 7777 drop")]);
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert_eq!(
        check.evidence,
        "read nft: nft: `udp dport 7777 drop` (inet t input) drops UDP to 239.1.1.1 port 7777"
    );
    assert_eq!(
        check.fix.as_deref(),
        Some(
            "nft delete rule inet t input handle 5 (or accept UDP to 239.1.1.1 port 7777 before it)"
        )
    );
    // Another port passes it, and every rule was judged.
    let check = firewall(&case("239.1.1.1", Some(5000), &[]), &host, false);
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert_eq!(
        check.evidence,
        "read nft: every rule on the way judged; none drops UDP to 239.1.1.1 port 5000, IGMP \
         queries in or reports out, and no policy does"
    );
    assert_eq!(check.fix, None);
}

#[test]
fn each_source_joined_is_judged_apart() {
    let rule = r#"[{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "198.51.100.7"}}, {"drop": null}]"#;
    let host = nft_host(
        "accept",
        &[("input", 5, rule, "ip saddr 198.51.100.7 drop")],
    );
    let c = case("232.1.1.1", Some(7777), &["198.51.100.7", "198.51.100.8"]);
    let check = firewall(&c, &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check
            .evidence
            .contains("drops UDP from 198.51.100.7 to 232.1.1.1 port 7777"),
        "{check:?}"
    );
    assert!(!check.evidence.contains("198.51.100.8"), "{check:?}");
    // Sending, the sources are not this host's concern: one packet, leaving.
    let out = firewall(&c, &host, true);
    assert_eq!(out.status, Status::Ok, "{out:?}");
}

#[test]
fn dropped_fragments_warn_and_dropped_igmp_fails_with_its_consequence() {
    let frag = r#"[{"match": {"op": "!=", "left": {"&": [{"payload": {"protocol": "ip", "field": "frag-off"}}, 8191]}, "right": 0}}, {"drop": null}]"#;
    let host = nft_host(
        "accept",
        &[("input", 7, frag, "ip frag-off & 0x1fff != 0 drop")],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Warn, "{check:?}");
    assert_eq!(
        check.evidence,
        "read nft: nft: `ip frag-off & 0x1fff != 0 drop` (inet t input) drops later fragments \
         to 239.1.1.1: datagrams larger than the link's MTU never arrive whole"
    );
    assert_eq!(
        check.fix.as_deref(),
        Some(
            "nft delete rule inet t input handle 7 (or accept later fragments to 239.1.1.1 before it)"
        )
    );
    let queries = r#"[{"match": {"op": "==", "left": {"payload": {"protocol": "igmp", "field": "type"}}, "right": "membership-query"}}, {"drop": null}]"#;
    let reports = r#"[{"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "eth0"}}, {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "igmp"}}, {"drop": null}]"#;
    let host = nft_host(
        "accept",
        &[
            ("input", 8, queries, "igmp type membership-query drop"),
            ("output", 9, reports, "oifname eth0 ip protocol igmp drop"),
            ("input", 10, frag, "ip frag-off & 0x1fff != 0 drop"),
        ],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    for said in [
        "drops IGMP queries arriving: this host never hears the querier",
        "(inet t output) drops IGMP membership reports leaving: no membership report leaves",
        // A failure also tells the warnings.
        "drops later fragments to 239.1.1.1",
    ] {
        assert!(check.evidence.contains(said), "{said}: {check:?}");
    }
    let fix = check.fix.unwrap();
    assert!(
        fix.contains("handle 8 (or accept IGMP queries arriving before it)"),
        "{fix}"
    );
    assert!(
        fix.contains("handle 9 (or accept IGMP membership reports leaving before it)"),
        "{fix}"
    );
    // Sending needs neither queries nor reports of this host's.
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, true);
    assert_eq!(check.status, Status::Ok, "{check:?}");
    assert_eq!(
        check.evidence,
        "read nft: every rule on the way judged; none drops UDP leaving for 239.1.1.1 port \
         7777, and no policy does"
    );
}

#[test]
fn ipv6_groups_are_judged_for_mld_and_any_port() {
    let mld = r#"[{"match": {"op": "==", "left": {"payload": {"protocol": "icmpv6", "field": "type"}}, "right": "mld-listener-query"}}, {"drop": null}]"#;
    let host = nft_host(
        "accept",
        &[("input", 4, mld, "icmpv6 type mld-listener-query drop")],
    );
    let check = firewall(&case("ff3e::1", None, &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check.evidence.contains("drops MLD queries arriving"),
        "{check:?}"
    );
    let clean = nft_host("accept", &[]);
    let check = firewall(&case("ff3e::1", None, &[]), &clean, false);
    assert_eq!(
        check.evidence,
        "read nft: every rule on the way judged; none drops UDP to ff3e::1 on any port, MLD \
         queries in or reports out, and no policy does"
    );
}

#[test]
fn a_drop_policy_no_rule_answers_is_named_with_where_to_accept() {
    let host = nft_host("drop", &[]);
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check.evidence.starts_with(
            "read nft: nft: the policy of inet t input drops UDP to 239.1.1.1 port 7777, which \
             no rule accepts"
        ),
        "{check:?}"
    );
    assert!(
        check
            .fix
            .unwrap()
            .starts_with("accept UDP to 239.1.1.1 port 7777 in inet t input")
    );
}

#[test]
fn what_cannot_be_judged_or_read_is_said_and_never_taken_as_harmless() {
    let limit = r#"[{"limit": {"rate": 10, "per": "second"}}, {"drop": null}]"#;
    let host = nft_host(
        "accept",
        &[("input", 6, limit, "limit rate 10/second drop")],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Warn, "{check:?}");
    assert_eq!(
        check.evidence,
        "read nft: no rule judged drops it; not analysed (they may drop this traffic): nft: \
         `limit rate 10/second drop` (inet t input)"
    );
    assert_eq!(
        check.fix.as_deref(),
        Some("check the rules not analysed by hand")
    );
    // An unjudged rule on another packet's way beside a judged drop: the drop fails, the
    // rule is still named.
    let host = nft_host(
        "accept",
        &[
            ("output", 6, limit, "limit rate 10/second drop"),
            ("input", 7, UDP_7777, "udp dport 7777 drop"),
        ],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check
            .evidence
            .contains("; not analysed (they may drop this traffic): nft: `limit")
    );
    // A tool that refused, beside one that was read.
    let mut host = nft_host("accept", &[]);
    host.listings.insert(
        "iptables-save".into(),
        Err("iptables-save: Permission denied (you must be root)".into()),
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Warn, "{check:?}");
    assert_eq!(
        check.evidence,
        "read nft: no rule judged drops it; not read: iptables-save: Permission denied (you \
         must be root)"
    );
    // Nothing readable at all: skipped, with how to read it.
    let mut host = Fixture::new("healthy");
    host.listings.insert(
        "nft --json list ruleset".into(),
        Err("nft: Operation not permitted".into()),
    );
    host.listings
        .insert("nft -a list ruleset".into(), Ok(String::new()));
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Skipped, "{check:?}");
    assert_eq!(
        check.evidence,
        "the rules could not be read: nft: Operation not permitted"
    );
    assert_eq!(
        check.fix.as_deref(),
        Some("run as root to read the firewall, or check it by hand")
    );
    // The text listing refused, the JSON read: still not read.
    let mut host = nft_host("accept", &[]);
    host.listings.insert(
        "nft -a list ruleset".into(),
        Err("nft: Operation not permitted".into()),
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Skipped, "{check:?}");
    // JSON that is not nft's: said so, and iptables still read.
    let mut host = nft_host("accept", &[]);
    host.listings
        .insert("nft --json list ruleset".into(), Ok("{}".into()));
    host.listings.insert(
        "iptables-save".into(),
        Ok("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dport 7777 -j DROP\nCOMMIT\n".into()),
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check.evidence.starts_with(
            "read iptables-save: iptables: `-A INPUT -p udp --dport 7777 -j DROP` (filter INPUT) \
             drops UDP to 239.1.1.1 port 7777"
        ),
        "{check:?}"
    );
    assert!(
        check
            .evidence
            .ends_with("; not read: nft: its JSON listing could not be read"),
        "{check:?}"
    );
    assert_eq!(
        check.fix.as_deref(),
        Some("iptables -t filter -D INPUT 1 (or accept UDP to 239.1.1.1 port 7777 before it)")
    );
    // Both read: both named.
    let mut host = nft_host("accept", &[]);
    host.listings.insert(
        "iptables-save".into(),
        Ok("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n".into()),
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert!(
        check
            .evidence
            .starts_with("read nft, iptables-save: every rule"),
        "{check:?}"
    );
}

#[test]
fn igmp_is_judged_to_its_own_addresses_and_without_the_groups_port() {
    let rule = |addr: &str| {
        format!(
            r#"[{{"match": {{"op": "==", "left": {{"payload": {{"protocol": "ip", "field": "daddr"}}}}, "right": "{addr}"}}}}, {{"drop": null}}]"#
        )
    };
    // Queries come to all-hosts, reports leave for 224.0.0.22 (IGMPv3).
    let (queries, reports) = (rule("224.0.0.1"), rule("224.0.0.22"));
    let host = nft_host(
        "accept",
        &[
            ("input", 3, &queries, "ip daddr 224.0.0.1 drop"),
            ("output", 4, &reports, "ip daddr 224.0.0.22 drop"),
        ],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check.evidence.contains("drops IGMP queries arriving"),
        "{check:?}"
    );
    assert!(
        check
            .evidence
            .contains("drops IGMP membership reports leaving"),
        "{check:?}"
    );
    assert!(!check.evidence.contains("drops UDP"), "{check:?}");
    // IGMP has no ports: a rule for the group's port on IGMP cannot match it, whether the
    // port is known or not.
    let igmp_port = r#"[{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "igmp"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "th", "field": "dport"}}, "right": 7777}}, {"drop": null}]"#;
    let host = nft_host(
        "accept",
        &[(
            "input",
            5,
            igmp_port,
            "meta l4proto igmp th dport 7777 drop",
        )],
    );
    for port in [Some(7777), None] {
        let check = firewall(&case("239.1.1.1", port, &[]), &host, false);
        assert_eq!(check.status, Status::Ok, "{port:?}: {check:?}");
    }
}

#[test]
fn a_report_leaving_came_in_on_no_interface() {
    // Output sees this host's own reports: no input interface to match (judged unknown,
    // never as the interface the group arrives on).
    let rule = r#"[{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}}, {"drop": null}]"#;
    let host = nft_host("accept", &[("output", 5, rule, "iifname eth0 drop")]);
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Warn, "{check:?}");
    assert!(check.evidence.contains("not analysed"), "{check:?}");
}

#[test]
fn a_drop_policy_behind_an_unjudged_accept_is_named_once() {
    let limit = r#"[{"limit": {"rate": 10, "per": "second"}}, {"accept": null}]"#;
    let host = nft_host(
        "drop",
        &[("input", 6, limit, "limit rate 10/second accept")],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Warn, "{check:?}");
    // UDP, later fragments and queries all meet it on input: said once each.
    assert_eq!(
        check.evidence,
        "read nft: no rule judged drops it; not analysed (they may drop this traffic): nft: \
         `limit rate 10/second accept` (inet t input) | nft: the drop policy of inet t input"
    );
}

#[test]
fn a_report_is_judged_as_the_report_type_of_its_version() {
    // IGMPv3 reports (0x22) leave; a rule for them fails the check, one for v2's does not.
    let rule = |t: &str| {
        format!(
            r#"[{{"match": {{"op": "==", "left": {{"payload": {{"protocol": "igmp", "field": "type"}}}}, "right": "{t}"}}}}, {{"drop": null}}]"#
        )
    };
    let v3 = rule("membership-report-v3");
    let host = nft_host(
        "accept",
        &[("output", 5, &v3, "igmp type membership-report-v3 drop")],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check
            .evidence
            .contains("drops IGMP membership reports leaving"),
        "{check:?}"
    );
    let v2 = rule("membership-report-v2");
    let host = nft_host(
        "accept",
        &[("output", 5, &v2, "igmp type membership-report-v2 drop")],
    );
    let check = firewall(&case("239.1.1.1", Some(7777), &[]), &host, false);
    assert_eq!(check.status, Status::Ok, "{check:?}");
}
