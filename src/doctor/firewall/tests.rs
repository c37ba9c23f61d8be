//! The firewall reader and judge on rulesets nft and iptables-save printed.

use super::*;

const INPUT: &[Hook] = &[Hook::Ingress, Hook::Prerouting, Hook::Input];

fn udp_to(group: &str, port: u16) -> Packet {
    let daddr: IpAddr = group.parse().unwrap();
    Packet {
        v4: daddr.is_ipv4(),
        protocol: 17,
        saddr: None,
        daddr,
        dport: Some(port),
        port_unknown: false,
        icmp_type: None,
        multicast: true,
        in_iface: Some("eth0".into()),
        out_iface: None,
        later_fragment: false,
    }
}

fn igmp_query() -> Packet {
    Packet {
        protocol: 2,
        dport: None,
        icmp_type: Some(0x11),
        ..udp_to("224.0.0.1", 0)
    }
}

/// One inet input chain (policy accept) holding `rules`, each a JSON expression list.
fn chain_of(rules: &[&str]) -> Vec<Chain> {
    let mut items = vec![
        r#"{"chain": {"family": "inet", "table": "t", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}"#.to_string(),
        r#"{"chain": {"family": "inet", "table": "t", "name": "sub", "handle": 2}}"#.to_string(),
    ];
    for (i, r) in rules.iter().enumerate() {
        let (chain, expr) = r.split_once('|').unwrap_or(("input", r));
        items.push(format!(
            r#"{{"rule": {{"family": "inet", "table": "t", "chain": "{chain}", "handle": {}, "expr": {expr}}}}}"#,
            i + 10
        ));
    }
    let json = format!(r#"{{"nftables": [{}]}}"#, items.join(","));
    nft::read(&json, "", false).unwrap()
}

const DROP: &str = r#"{"drop": null}"#;
const DROP_ALL: &str = r#"[{"drop": null}]"#;

fn matching(left: &str, op: &str, right: &str) -> String {
    format!(r#"[{{"match": {{"op": "{op}", "left": {left}, "right": {right}}}}}, {DROP}]"#)
}

const DPORT: &str = r#"{"payload": {"protocol": "udp", "field": "dport"}}"#;
const DADDR: &str = r#"{"payload": {"protocol": "ip", "field": "daddr"}}"#;
const PROTO: &str = r#"{"payload": {"protocol": "ip", "field": "protocol"}}"#;
const PKTTYPE: &str = r#"{"meta": {"key": "pkttype"}}"#;
const FRAG: &str = r#"{"&": [{"payload": {"protocol": "ip", "field": "frag-off"}}, 8191]}"#;

#[test]
fn each_rule_that_drops_everything_the_field_found_is_a_drop() {
    let cases = [
        matching(DPORT, "==", r#"{"range": [7000, 8000]}"#),
        matching(DPORT, "==", r#"{"set": [5000, 7777]}"#),
        matching(
            DADDR,
            "==",
            r#"{"prefix": {"addr": "239.0.0.0", "len": 8}}"#,
        ),
        matching(PKTTYPE, "==", r#""multicast""#),
        matching(PROTO, "==", r#""udp""#),
        matching(DPORT, "<", "8000"),
    ];
    for rule in &cases {
        let chains = chain_of(&[rule]);
        let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
        assert_eq!(out.dropped_by.len(), 1, "{rule}: {out:?}");
        assert!(out.unjudged.is_empty(), "{rule}");
    }
}

#[test]
fn rules_for_other_traffic_do_not_drop_ours() {
    let cases = [
        matching(DPORT, "==", "5000"),
        matching(DPORT, "==", r#"{"set": [5000, 5001]}"#),
        matching(DADDR, "==", r#"{"prefix": {"addr": "10.0.0.0", "len": 8}}"#),
        matching(PROTO, "==", r#""tcp""#),
        matching(PKTTYPE, "==", r#""broadcast""#),
        matching(
            r#"{"payload": {"protocol": "ip6", "field": "daddr"}}"#,
            "==",
            r#"{"prefix": {"addr": "ff00::", "len": 8}}"#,
        ),
    ];
    for rule in &cases {
        let chains = chain_of(&[rule]);
        let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
        assert!(
            out.dropped_by.is_empty() && out.unjudged.is_empty(),
            "{rule}: {out:?}"
        );
    }
}

#[test]
fn a_fragment_rule_drops_later_fragments_only() {
    let rule = matching(FRAG, "!=", "0");
    let chains = chain_of(&[&rule]);
    let whole = udp_to("239.1.1.1", 7777);
    assert!(judge(&chains, &whole, INPUT).dropped_by.is_empty());
    let later = Packet {
        later_fragment: true,
        ..whole
    };
    assert_eq!(judge(&chains, &later, INPUT).dropped_by.len(), 1);
}

#[test]
fn an_accept_first_wins_and_an_unjudged_accept_makes_the_drop_unsure() {
    let accept = format!(
        r#"[{{"match": {{"op": "==", "left": {DPORT}, "right": 7777}}}}, {{"accept": null}}]"#
    );
    let chains = chain_of(&[&accept, DROP_ALL]);
    assert!(
        judge(&chains, &udp_to("239.1.1.1", 7777), INPUT)
            .dropped_by
            .is_empty()
    );
    let ct = r#"[{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "established"}}, {"accept": null}]"#;
    let chains = chain_of(&[ct, DROP_ALL]);
    let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
    assert!(out.dropped_by.is_empty(), "{out:?}");
    assert_eq!(
        out.unjudged.len(),
        2,
        "the ct rule, and the drop after it: {out:?}"
    );
}

#[test]
fn jumps_are_followed_and_returns_come_back() {
    let jump = r#"[{"jump": {"target": "sub"}}]"#;
    let ret = format!(
        r#"sub|[{{"match": {{"op": "==", "left": {DPORT}, "right": 7777}}}}, {{"return": null}}]"#
    );
    let sub_drop = format!("sub|{}", matching(PROTO, "==", r#""udp""#));
    let chains = chain_of(&[jump, &ret, &sub_drop]);
    assert!(
        judge(&chains, &udp_to("239.1.1.1", 7777), INPUT)
            .dropped_by
            .is_empty(),
        "7777 returns before the drop"
    );
    let out = judge(&chains, &udp_to("239.1.1.1", 5000), INPUT);
    assert_eq!(out.dropped_by.len(), 1, "{out:?}");
    assert_eq!(out.dropped_by[0].0.name, "sub");
}

#[test]
fn igmp_and_mld_rules_are_judged_for_their_packets() {
    let igmp = matching(PROTO, "==", r#""igmp""#);
    let chains = chain_of(&[&igmp]);
    assert_eq!(judge(&chains, &igmp_query(), INPUT).dropped_by.len(), 1);
    assert!(
        judge(&chains, &udp_to("239.1.1.1", 7777), INPUT)
            .dropped_by
            .is_empty()
    );
    let mld = matching(
        r#"{"payload": {"protocol": "icmpv6", "field": "type"}}"#,
        "==",
        r#""mld-listener-query""#,
    );
    let chains = chain_of(&[&mld]);
    let query = Packet {
        protocol: 58,
        icmp_type: Some(130),
        ..udp_to("ff02::1", 0)
    };
    assert_eq!(judge(&chains, &query, INPUT).dropped_by.len(), 1);
    assert!(judge(&chains, &igmp_query(), INPUT).dropped_by.is_empty());
}

#[test]
fn policies_count_on_the_hooks_that_matter_only() {
    let json = r#"{"nftables": [
        {"chain": {"family": "inet", "table": "t", "name": "fwd", "hook": "forward", "policy": "drop"}},
        {"chain": {"family": "ip6", "table": "t", "name": "in6", "hook": "input", "policy": "drop"}}
    ]}"#;
    let chains = nft::read(json, "", false).unwrap();
    let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
    assert!(
        out.policy.is_empty(),
        "forward and ip6 do not see it: {out:?}"
    );
    let out = judge(&chains, &udp_to("ff3e::1", 7777), INPUT);
    assert_eq!(out.policy.len(), 1);
}

#[test]
fn a_real_listing_is_read_with_its_texts_handles_and_named_sets() {
    let json = include_str!("fixtures/many.json");
    let text = include_str!("fixtures/many.txt");
    let chains = nft::read(json, text, false).unwrap();
    let input = chains.iter().find(|c| c.name == "input").unwrap();
    assert_eq!(input.rules[0].text, "udp dport 7000-8000 drop");
    assert_eq!(
        input.rules[0].delete,
        "nft delete rule inet t input handle 5"
    );
    // `udp dport @ports` reads the named set {5000, 7000-8000}.
    let set_rule = &input.rules[2];
    assert!(set_rule.text.starts_with("udp dport @ports"));
    let only = Chain {
        rules: vec![set_rule.clone()],
        ..input.clone()
    };
    let out = judge(
        std::slice::from_ref(&only),
        &udp_to("239.1.1.1", 7500),
        INPUT,
    );
    assert_eq!(out.dropped_by.len(), 1, "{out:?}");
    let out = judge(
        std::slice::from_ref(&only),
        &udp_to("239.1.1.1", 6000),
        INPUT,
    );
    assert!(out.dropped_by.is_empty());
}

#[test]
fn iptables_save_is_read_rule_by_rule() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:mine - [0:0]\n\
        -A INPUT -p udp -m udp --dport 7000:8000 -j DROP\n\
        -A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n\
        -A OUTPUT -p igmp -j DROP\n\
        -A INPUT -d 239.0.0.0/8 -m comment --comment \"no groups\" -j mine\n\
        -A mine -j REJECT\nCOMMIT\n";
    let chains = iptables::read(text, true);
    let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
    assert_eq!(out.dropped_by.len(), 1, "{out:?}");
    assert_eq!(out.dropped_by[0].1.delete, "iptables -t filter -D INPUT 1");
    assert!(out.policy.is_empty(), "FORWARD's policy is not on the way");
    // Port 5000 passes the first rule; the conntrack rule cannot be judged, so the jump to
    // `mine` after it is unsure.
    let out = judge(&chains, &udp_to("239.1.1.1", 5000), INPUT);
    assert!(out.dropped_by.is_empty(), "{out:?}");
    assert!(
        out.unjudged
            .iter()
            .any(|(_, r)| r.text.contains("conntrack"))
    );
    assert!(
        out.unjudged.iter().any(|(c, _)| c.name == "mine"),
        "{out:?}"
    );
    let report = Packet {
        out_iface: Some("eth0".into()),
        in_iface: None,
        ..igmp_query()
    };
    let out = judge(&chains, &report, &[Hook::Output, Hook::Postrouting]);
    assert_eq!(out.dropped_by.len(), 1);
    // ip6tables rules do not judge IPv4.
    let six = iptables::read(text, false);
    assert!(
        judge(&six, &udp_to("239.1.1.1", 7777), INPUT)
            .dropped_by
            .is_empty()
    );
}

#[test]
fn a_match_on_a_header_the_packet_lacks_fails_whatever_the_operator() {
    // `th dport != 7777 drop`: IGMP and later fragments have no ports, so it cannot match.
    let th = r#"{"payload": {"protocol": "th", "field": "dport"}}"#;
    let rule = matching(th, "!=", "7777");
    let chains = chain_of(&[&rule]);
    let out = judge(&chains, &igmp_query(), INPUT);
    assert!(
        out.dropped_by.is_empty() && out.unjudged.is_empty(),
        "{out:?}"
    );
    let later = Packet {
        later_fragment: true,
        ..udp_to("239.1.1.1", 5000)
    };
    let out = judge(&chains, &later, INPUT);
    assert!(out.dropped_by.is_empty() && out.unjudged.is_empty());
    // A whole datagram to another port does match it.
    assert_eq!(
        judge(&chains, &udp_to("239.1.1.1", 5000), INPUT)
            .dropped_by
            .len(),
        1
    );
}

#[test]
fn a_ruleset_of_jumps_into_itself_is_judged_in_bounded_time_and_said_unsure() {
    let rule = |conds: Vec<Cond>, verdict: Verdict| Rule {
        text: "jump loop".into(),
        delete: "nft delete rule ...".into(),
        conds,
        verdict,
    };
    let chain = |name: &str, hook: Option<Hook>, rules: Vec<Rule>| Chain {
        tool: "nft",
        family: "inet".into(),
        table: "t".into(),
        name: name.into(),
        hook,
        device: None,
        policy_drop: false,
        rules,
    };
    // Four jumps into itself that may or may not be taken: followed both ways, 4^16 paths.
    let loops: Vec<Rule> = (0..4)
        .map(|_| rule(vec![Cond::Opaque], Verdict::Jump("loop".into())))
        .chain([rule(vec![], Verdict::Drop)])
        .collect();
    let chains = vec![
        chain(
            "input",
            Some(Hook::Input),
            vec![rule(vec![], Verdict::Jump("loop".into()))],
        ),
        chain("loop", None, loops),
    ];
    let started = std::time::Instant::now();
    let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Not a certain drop: rules on the way could not be judged, and the judge stopped.
    assert!(out.dropped_by.is_empty());
    assert!(!out.unjudged.is_empty() && out.unjudged.len() <= 2 * MAX_STEPS);
}

#[test]
fn hooks_are_named_as_nft_and_iptables_name_them() {
    let hooks = [
        "ingress",
        "PREROUTING",
        "input",
        "FORWARD",
        "output",
        "postrouting",
    ]
    .map(Hook::from_name);
    assert_eq!(
        hooks,
        [
            Some(Hook::Ingress),
            Some(Hook::Prerouting),
            Some(Hook::Input),
            Some(Hook::Forward),
            Some(Hook::Output),
            Some(Hook::Postrouting)
        ]
    );
    assert_eq!(Hook::from_name("egress"), None);
}

#[test]
fn a_chain_is_placed_as_its_tool_names_it() {
    let chain = |tool: &'static str, family: &str, table: &str, name: &str| Chain {
        tool,
        family: family.into(),
        table: table.into(),
        name: name.into(),
        hook: None,
        device: None,
        policy_drop: false,
        rules: Vec::new(),
    };
    assert_eq!(
        chain("nft", "inet", "filter", "input").place(),
        "inet filter input"
    );
    assert_eq!(
        chain("iptables", "ip", "filter", "INPUT").place(),
        "filter INPUT"
    );
}

#[test]
fn ports_are_absent_from_later_fragments_and_a_senders_port_unknown() {
    let first = udp_to("239.1.1.1", 7777);
    assert!(matches!(first.has(Field::Dport), Has::Num(7777)));
    assert!(matches!(first.has(Field::Sport), Has::Unknown));
    let later = Packet {
        later_fragment: true,
        ..udp_to("239.1.1.1", 7777)
    };
    assert!(matches!(later.has(Field::Dport), Has::Absent));
    assert!(matches!(later.has(Field::Sport), Has::Absent));
    // No port asked: the destination port is not known, and a later fragment has none.
    let any_port = Packet {
        port_unknown: true,
        ..udp_to("239.1.1.1", 7777)
    };
    assert!(matches!(any_port.has(Field::Dport), Has::Unknown));
    let any_later = Packet {
        later_fragment: true,
        ..any_port.clone()
    };
    assert!(matches!(any_later.has(Field::Dport), Has::Absent));
    // IGMP has no ports at all.
    assert!(matches!(igmp_query().has(Field::Sport), Has::Absent));
}

#[test]
fn ipv6_prefixes_match_as_ipv4_ones_do() {
    let a: IpAddr = "ff3e::1:2".parse().unwrap();
    assert!(in_prefix(a, "ff3e::".parse().unwrap(), 16));
    assert!(!in_prefix(a, "ff3e::".parse().unwrap(), 128));
    assert!(in_prefix(a, "ff00::".parse().unwrap(), 8));
    assert!(!in_prefix(a, "ff02::".parse().unwrap(), 16));
    assert!(!in_prefix(a, "239.0.0.0".parse().unwrap(), 8));
}

#[test]
fn a_netdev_chain_sees_its_devices_packets_only_and_an_unjudged_rule_makes_a_policy_unsure() {
    let json = r#"{"nftables": [
        {"chain": {"family": "netdev", "table": "t", "name": "in0", "hook": "ingress", "dev": "eth0", "policy": "drop"}},
        {"chain": {"family": "netdev", "table": "t", "name": "in1", "hook": "ingress", "dev": "eth1", "policy": "drop"}}
    ]}"#;
    let chains = nft::read(json, "", false).unwrap();
    let names = |p: &Packet| -> Vec<String> {
        judge(&chains, p, INPUT)
            .policy
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(names(&udp_to("239.1.1.1", 7777)), ["in0"]);
    let via_eth1 = Packet {
        in_iface: None,
        out_iface: Some("eth1".into()),
        ..udp_to("239.1.1.1", 7777)
    };
    assert_eq!(names(&via_eth1), ["in1"]);
    // A base chain of policy drop whose one rule (connection state) cannot be judged: the
    // policy may drop it, unsure; of policy accept, nothing is said.
    let json = r#"{"nftables": [
        {"chain": {"family": "inet", "table": "t", "name": "input", "hook": "input", "policy": "drop"}},
        {"rule": {"family": "inet", "table": "t", "chain": "input", "handle": 3, "expr": [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "established"}}, {"accept": null}]}}
    ]}"#;
    let chains = nft::read(json, "", false).unwrap();
    let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
    assert!(out.policy.is_empty(), "{out:?}");
    assert_eq!(out.policy_unjudged.len(), 1, "{out:?}");
    let accept = json.replace(r#""policy": "drop""#, r#""policy": "accept""#);
    let chains = nft::read(&accept, "", false).unwrap();
    let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
    assert!(
        out.policy.is_empty() && out.policy_unjudged.is_empty(),
        "{out:?}"
    );
}

/// An input chain jumping through `depth` chains, the last of which drops everything; each
/// jump on `condition` (a match, or nothing).
fn jumps_deep(depth: usize, condition: &str) -> Vec<Chain> {
    let mut items = vec![
        r#"{"chain": {"family": "inet", "table": "t", "name": "c0", "hook": "input", "policy": "accept"}}"#.to_string(),
    ];
    for i in 1..=depth {
        items.push(format!(
            r#"{{"chain": {{"family": "inet", "table": "t", "name": "c{i}"}}}}"#
        ));
        items.push(format!(
            r#"{{"rule": {{"family": "inet", "table": "t", "chain": "c{}", "handle": {i}, "expr": [{condition}{{"jump": {{"target": "c{i}"}}}}]}}}}"#,
            i - 1
        ));
    }
    items.push(format!(
        r#"{{"rule": {{"family": "inet", "table": "t", "chain": "c{depth}", "handle": 999, "expr": {DROP_ALL}}}}}"#
    ));
    nft::read(
        &format!(r#"{{"nftables": [{}]}}"#, items.join(",")),
        "",
        false,
    )
    .unwrap()
}

#[test]
fn jumps_are_followed_sixteen_deep_and_a_goto_does_not_come_back() {
    let p = udp_to("239.1.1.1", 7777);
    let chains = jumps_deep(16, "");
    let out = judge(&chains, &p, INPUT);
    assert_eq!(
        (out.dropped_by.len(), out.unjudged.len()),
        (1, 0),
        "{out:?}"
    );
    let chains = jumps_deep(17, "");
    let out = judge(&chains, &p, INPUT);
    assert_eq!(
        (out.dropped_by.len(), out.unjudged.len()),
        (0, 1),
        "{out:?}"
    );
    // Jumps that may be taken likewise: the drop sixteen deep may be, seventeen deep is
    // not reached.
    let ct_new = r#"{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "new"}}, "#;
    let reached = |depth: usize| {
        let chains = jumps_deep(depth, ct_new);
        let out = judge(&chains, &p, INPUT);
        let last = format!("c{depth}");
        out.unjudged.iter().any(|(c, _)| c.name == last)
    };
    assert!(reached(16) && !reached(17));
    // A jump that may be taken (on connection state) is followed: what it drops may be.
    let ct = r#"{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "new"}}"#;
    let maybe = format!(r#"[{ct}, {{"jump": {{"target": "sub"}}}}]"#);
    let chains = chain_of(&[&maybe, &format!("sub|{DROP_ALL}")]);
    let out = judge(&chains, &p, INPUT);
    assert!(out.dropped_by.is_empty(), "{out:?}");
    assert!(out.unjudged.iter().any(|(c, _)| c.name == "sub"), "{out:?}");
    // Falling off a goto's chain ends the caller too; off a jump's, the caller goes on.
    let sub_nothing = format!("sub|{}", matching(DPORT, "==", "1"));
    let goto = r#"[{"goto": {"target": "sub"}}]"#;
    let chains = chain_of(&[goto, &sub_nothing, DROP_ALL]);
    let out = judge(&chains, &p, INPUT);
    assert!(out.dropped_by.is_empty(), "{out:?}");
    let jump = r#"[{"jump": {"target": "sub"}}]"#;
    let chains = chain_of(&[jump, &sub_nothing, DROP_ALL]);
    let out = judge(&chains, &p, INPUT);
    assert_eq!(out.dropped_by.len(), 1, "{out:?}");
}

/// "drop", "pass" or "unsure": what the judge makes of `p` on the input hooks.
fn fate(chains: &[Chain], p: &Packet) -> &'static str {
    let out = judge(chains, p, &[Hook::Input, Hook::Output]);
    if !out.dropped_by.is_empty() || !out.policy.is_empty() {
        "drop"
    } else if !out.unjudged.is_empty() || !out.policy_unjudged.is_empty() {
        "unsure"
    } else {
        "pass"
    }
}

fn from(source: &str, p: Packet) -> Packet {
    Packet {
        saddr: Some(source.parse().unwrap()),
        ..p
    }
}

fn via(in_iface: Option<&str>, out_iface: Option<&str>, p: Packet) -> Packet {
    Packet {
        in_iface: in_iface.map(String::from),
        out_iface: out_iface.map(String::from),
        ..p
    }
}

/// An IGMP (v4) or MLD (v6) message of `kind`.
fn control(v4: bool, kind: u8) -> Packet {
    Packet {
        protocol: if v4 { 2 } else { 58 },
        dport: None,
        icmp_type: Some(kind),
        ..udp_to(if v4 { "224.0.0.1" } else { "ff02::1" }, 0)
    }
}

fn with_protocol(protocol: u8, p: Packet) -> Packet {
    Packet { protocol, ..p }
}

#[test]
fn every_iptables_option_read_is_judged_both_ways() {
    let u4 = || udp_to("239.1.1.1", 7777);
    let u6 = || udp_to("ff3e::1", 7777);
    let later = Packet {
        later_fragment: true,
        ..u4()
    };
    // (rule, v4, a packet it drops, one it passes).
    let cases: Vec<(&str, bool, Packet, Packet)> = vec![
        (
            "-s 198.51.100.7/32",
            true,
            from("198.51.100.7", u4()),
            from("198.51.100.8", u4()),
        ),
        (
            "! -s 198.51.100.7",
            true,
            from("198.51.100.8", u4()),
            from("198.51.100.7", u4()),
        ),
        ("-d 239.1.1.0/24", true, u4(), udp_to("239.2.1.1", 7777)),
        ("-i eth+", true, u4(), via(Some("veth1"), None, u4())),
        (
            "-o eth0",
            true,
            via(None, Some("eth0"), u4()),
            via(None, Some("eth1"), u4()),
        ),
        ("-p tcp", true, with_protocol(6, u4()), u4()),
        ("-p icmp", true, with_protocol(1, u4()), u4()),
        ("-p ipv6-icmp", false, control(false, 130), u6()),
        ("-p icmpv6", false, control(false, 130), u6()),
        ("-p 58", false, control(false, 130), u6()),
        (
            "-p ipv6-icmp -m icmp6 --icmpv6-type 130",
            false,
            control(false, 130),
            control(false, 143),
        ),
        (
            "-m pkttype --pkt-type multicast",
            true,
            u4(),
            Packet {
                multicast: false,
                ..u4()
            },
        ),
        ("-f", true, later.clone(), u4()),
        (
            "-p udp -m comment --comment \"two words\" --dport 7777",
            true,
            u4(),
            udp_to("239.1.1.1", 5000),
        ),
        // A source port is absent from IGMP: such a rule passes it, and is unsure for UDP.
        (
            "-m udp --sport 5000",
            true,
            with_protocol(17, u4()),
            control(true, 0x11),
        ),
    ];
    for (rule, v4, dropped, passed) in cases {
        let (family, tool) = if v4 {
            ("", "iptables")
        } else {
            ("6", "ip6tables")
        };
        let text = format!(
            "*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT {rule} -j DROP\n-A OUTPUT {rule} -j DROP\nCOMMIT\n"
        );
        let chains = iptables::read(&text, v4);
        let expect = if rule.contains("--sport") {
            "unsure"
        } else {
            "drop"
        };
        assert_eq!(
            fate(&chains, &dropped),
            expect,
            "ip{family}tables {rule}: {dropped:?}"
        );
        assert_eq!(fate(&chains, &passed), "pass", "{tool} {rule}: {passed:?}");
    }
    // A chain's policy, and only a policy of DROP.
    let dropping = iptables::read("*filter\n:INPUT DROP [0:0]\nCOMMIT\n", true);
    assert_eq!(fate(&dropping, &u4()), "drop");
    let accepting = iptables::read("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", true);
    assert_eq!(fate(&accepting, &u4()), "pass");
}

#[test]
fn every_nft_field_and_word_read_is_judged_both_ways() {
    let u4 = || udp_to("239.1.1.1", 7777);
    let u6 = || udp_to("ff3e::1", 7777);
    let meta = |k: &str| format!(r#"{{"meta": {{"key": "{k}"}}}}"#);
    let payload =
        |p: &str, f: &str| format!(r#"{{"payload": {{"protocol": "{p}", "field": "{f}"}}}}"#);
    // (left, op, right, a packet it drops, one it passes).
    let mut cases: Vec<(String, &str, &str, Packet, Packet)> = vec![
        (meta("l4proto"), "==", r#""udp""#, u4(), control(true, 0x11)),
        (
            meta("l4proto"),
            "==",
            r#""icmp""#,
            with_protocol(1, u4()),
            u4(),
        ),
        (
            meta("l4proto"),
            "==",
            r#""ipv6-icmp""#,
            control(false, 130),
            u6(),
        ),
        (
            meta("l4proto"),
            "==",
            r#""icmpv6""#,
            control(false, 130),
            u6(),
        ),
        (
            meta("l4proto"),
            "==",
            r#""tcp""#,
            with_protocol(6, u4()),
            u4(),
        ),
        (meta("nfproto"), "==", r#""ipv6""#, u6(), u4()),
        (
            meta("iifname"),
            "==",
            r#""eth0""#,
            u4(),
            via(Some("eth1"), None, u4()),
        ),
        (
            meta("iif"),
            "==",
            r#""eth0""#,
            u4(),
            via(Some("eth1"), None, u4()),
        ),
        (
            meta("oifname"),
            "==",
            r#""eth0""#,
            via(None, Some("eth0"), u4()),
            via(None, Some("eth1"), u4()),
        ),
        (
            meta("oif"),
            "==",
            r#""eth0""#,
            via(None, Some("eth0"), u4()),
            via(None, Some("eth1"), u4()),
        ),
        (
            payload("ip", "saddr"),
            "==",
            r#""198.51.100.7""#,
            from("198.51.100.7", u4()),
            from("198.51.100.8", u4()),
        ),
        (
            payload("ip6", "saddr"),
            "==",
            r#""2001:db8::7""#,
            from("2001:db8::7", u6()),
            from("2001:db8::8", u6()),
        ),
        (
            payload("ip6", "nexthdr"),
            "==",
            r#""udp""#,
            u6(),
            control(false, 130),
        ),
        (
            payload("th", "dport"),
            "<=",
            "7777",
            u4(),
            udp_to("239.1.1.1", 7778),
        ),
        (
            payload("th", "dport"),
            ">",
            "7777",
            udp_to("239.1.1.1", 7778),
            u4(),
        ),
        (
            payload("th", "dport"),
            ">=",
            "7777",
            u4(),
            udp_to("239.1.1.1", 7776),
        ),
        (
            payload("th", "dport"),
            "<",
            "7778",
            u4(),
            udp_to("239.1.1.1", 7778),
        ),
        // A source port is absent from IGMP, unknown for UDP.
        (
            payload("udp", "sport"),
            "==",
            "5000",
            with_protocol(17, u4()),
            control(true, 0x11),
        ),
        (
            payload("th", "sport"),
            "==",
            "5000",
            with_protocol(17, u4()),
            control(true, 0x11),
        ),
    ];
    for (name, n) in [
        ("membership-query", 0x11),
        ("membership-report-v1", 0x12),
        ("membership-report-v2", 0x16),
        ("leave-group", 0x17),
        ("membership-report-v3", 0x22),
    ] {
        let other = if n == 0x11 { 0x22 } else { 0x11 };
        cases.push((
            payload("igmp", "type"),
            "==",
            name,
            control(true, n),
            control(true, other),
        ));
    }
    for (name, n) in [
        ("mld-listener-query", 130),
        ("mld-listener-report", 131),
        ("mld-listener-done", 132),
        ("mld-listener-reduction", 132),
        ("mld2-listener-report", 143),
    ] {
        let other = if n == 130 { 143 } else { 130 };
        cases.push((
            payload("icmpv6", "type"),
            "==",
            name,
            control(false, n),
            control(false, other),
        ));
    }
    for (left, op, right, dropped, passed) in cases {
        let right = if right.starts_with(['"', '{']) || right.parse::<u64>().is_ok() {
            right.to_string()
        } else {
            format!(r#""{right}""#)
        };
        let rule = matching(&left, op, &right);
        let chains = chain_of(&[&rule]);
        let expect = if left.contains("sport") {
            "unsure"
        } else {
            "drop"
        };
        assert_eq!(
            fate(&chains, &dropped),
            expect,
            "{left} {op} {right}: {dropped:?}"
        );
        assert_eq!(
            fate(&chains, &passed),
            "pass",
            "{left} {op} {right}: {passed:?}"
        );
    }
}

#[test]
fn nft_comparisons_it_cannot_read_and_verdicts_it_cannot_follow_are_unsure() {
    let th = r#"{"payload": {"protocol": "th", "field": "dport"}}"#;
    // Below a range, and below zero: not read as a number.
    for right in [r#"{"range": [7000, 8000]}"#, "0"] {
        let chains = chain_of(&[&matching(th, "<", right)]);
        assert_eq!(
            fate(&chains, &udp_to("239.1.1.1", 7777)),
            "unsure",
            "< {right}"
        );
    }
    // A queue hands the packet to a program: its fate is not the ruleset's.
    let chains = chain_of(&[r#"[{"queue": {"num": 0}}]"#]);
    assert_eq!(fate(&chains, &udp_to("239.1.1.1", 7777)), "unsure");
    // `continue` goes on to the next rule, as no verdict does.
    let chains = chain_of(&[r#"[{"counter": null}, {"continue": null}]"#, DROP_ALL]);
    let out = judge(&chains, &udp_to("239.1.1.1", 7777), INPUT);
    assert!(
        out.unjudged.is_empty() && out.dropped_by.len() == 1,
        "{out:?}"
    );
}

#[test]
fn tables_iptables_nft_manages_are_left_to_the_iptables_reader() {
    let json = r#"{"nftables": [
        {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
        {"chain": {"family": "inet", "table": "mine", "name": "input", "handle": 2, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}
    ]}"#;
    let text = "# Warning: table ip filter is managed by iptables-nft, do not touch!\ntable ip filter {\n}\ntable inet mine {\n}\n";
    let names = |skip: bool| -> Vec<String> {
        nft::read(json, text, skip)
            .unwrap()
            .iter()
            .map(|c| c.place())
            .collect()
    };
    assert_eq!(names(true), ["inet mine input"]);
    assert_eq!(names(false), ["ip filter INPUT", "inet mine input"]);
    // A table merely named in a rule's text is not managed.
    let plain =
        "table ip filter {\n\tchain INPUT {\n\t\tcomment \"table ip filter\" # handle 3\n\t}\n}\n";
    assert_eq!(nft::read(json, plain, true).unwrap().len(), 2);
}

#[test]
fn a_frag_off_test_for_zero_drops_whole_datagrams_and_first_fragments() {
    let rule = format!(r#"[{{"match": {{"op": "==", "left": {FRAG}, "right": 0}}}}, {DROP}]"#);
    let chains = chain_of(&[&rule]);
    let later = Packet {
        later_fragment: true,
        ..udp_to("239.1.1.1", 7777)
    };
    assert_eq!(fate(&chains, &udp_to("239.1.1.1", 7777)), "drop");
    assert_eq!(fate(&chains, &later), "pass");
}
