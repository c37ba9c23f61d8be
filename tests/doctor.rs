//! `mcast doctor` in the lab: each fault made for real, then named with its fix; a healthy
//! host all ok; --listen with a sender, and with the reverse-path filter dropping it.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::collections::HashMap;
use std::time::Duration;

use common::{command, doctor, finish, run, spawn, stdout};
use lab::{Host, IFACE, Lab};
use serde_json::Value;

fn sh(host: &Host, cmd: &str) {
    let out = host.exec("sh", &["-c", cmd]);
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn status<'a>(checks: &'a HashMap<String, Value>, name: &str) -> &'a str {
    checks[name]["status"].as_str().unwrap()
}

#[test]
fn a_healthy_host_is_all_ok() {
    let lab = Lab::new(1);
    let (code, checks) = doctor(lab.host(1), &["239.1.1.1", "7777"]);
    assert_eq!(code, Some(0), "{checks:?}");
    for (name, c) in &checks {
        assert!(
            ["ok", "skipped"].contains(&c["status"].as_str().unwrap()),
            "{name}: {c}"
        );
    }
    for name in [
        "interface",
        "route",
        "group",
        "mac_alias",
        "version",
        "limits",
        "port",
    ] {
        assert_eq!(status(&checks, name), "ok", "{name}");
    }
    assert!(
        checks["interface"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("eth0")
    );
    // A link-scoped IPv6 group names its link; without it, nothing says which.
    let (code, c) = doctor(lab.host(1), &["ff02::1234%eth0", "7777"]);
    assert_eq!(code, Some(0), "{c:?}");
    assert_eq!(
        (status(&c, "interface"), status(&c, "route")),
        ("ok", "skipped")
    );
    let (code, c) = doctor(lab.host(1), &["ff02::1234", "7777"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        c["interface"]["fix"],
        "give -i IFACE, or write the group as ff02::1234%IFACE"
    );
}

#[test]
fn interface_faults_and_a_missing_route_are_named_with_the_fix() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    sh(h, "ip route del 224.0.0.0/4");
    let (code, c) = doctor(h, &["239.1.1.1"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&c, "route"), "fail");
    assert_eq!(
        c["route"]["fix"],
        "give -i IFACE, or ip route add 224.0.0.0/4 dev IFACE"
    );
    sh(h, "ip link set eth0 multicast off");
    let (code, c) = doctor(h, &["239.1.1.1", "-i", IFACE]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&c, "interface"), "fail");
    assert!(
        c["interface"]["evidence"]
            .as_str()
            .unwrap()
            .contains("without the MULTICAST flag")
    );
    assert_eq!(c["interface"]["fix"], "ip link set eth0 multicast on");
    assert_eq!(
        status(&c, "route"),
        "warn",
        "with -i, a missing route only hurts sends"
    );
    sh(h, "ip link set eth0 multicast on; ip link set eth0 down");
    let (_, c) = doctor(h, &["239.1.1.1", "-i", IFACE]);
    assert_eq!(c["interface"]["evidence"], "eth0 (given) is down");
    assert_eq!(c["interface"]["fix"], "ip link set eth0 up");
}

#[test]
fn an_ssm_group_without_a_source_and_a_forced_igmpv2_fail() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let (code, c) = doctor(h, &["232.1.1.1", "7777"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&c, "group"), "fail");
    let (code, c) = doctor(h, &["232.1.1.1", "7777", "--source", "192.0.2.9"]);
    assert_eq!((code, status(&c, "group")), (Some(0), "ok"));
    sh(
        h,
        "echo 2 > /proc/sys/net/ipv4/conf/eth0/force_igmp_version",
    );
    let (code, c) = doctor(h, &["232.1.1.1", "7777", "--source", "192.0.2.9"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&c, "version"), "fail");
    assert_eq!(
        c["version"]["fix"],
        "sysctl -w net.ipv4.conf.all.force_igmp_version=0 net.ipv4.conf.eth0.force_igmp_version=0"
    );
}

#[test]
fn a_port_held_without_sharing_and_an_aliased_mac_are_named() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let holder = h.spawn(|| {
        let s = std::net::UdpSocket::bind("0.0.0.0:7777").unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let other = spawn(command(
        h,
        &["join", "239.129.1.1", "-i", IFACE, "-d", "3s"],
    ));
    std::thread::sleep(Duration::from_millis(500));
    let (code, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&c, "port"), "fail");
    let evidence = c["port"]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("0.0.0.0:7777 by ") && evidence.contains("without sharing"),
        "{evidence}"
    );
    // The holder is this test's own process, named with its id.
    let me = format!(" (pid {})", std::process::id());
    assert!(evidence.contains(&me), "{evidence}");
    assert_eq!(status(&c, "mac_alias"), "warn");
    assert!(
        c["mac_alias"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("239.129.1.1 also held on eth0 map to 01:00:5e:01:01:01")
    );
    holder.join().unwrap();
    finish(other, Duration::from_secs(10));
}

/// The source's route leads out of another interface and rp_filter is strict: the check
/// fails, and traffic from that source, arriving on eth0 while doctor listens, moves the
/// kernel's counter, which the listen check names.
#[test]
fn a_strict_reverse_path_filter_is_named_and_seen_dropping() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    sh(
        h,
        "ip link add dum0 type veth peer name dum1 && ip link set dum1 up && ip link set dum0 up && ip addr add 10.99.0.1/24 dev dum0 && ip route add 198.51.100.0/24 dev dum0",
    );
    sh(
        h,
        "echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 1 > /proc/sys/net/ipv4/conf/eth0/rp_filter",
    );
    sh(sender, "ip addr add 198.51.100.1/24 dev eth0");
    let send = spawn(command(
        sender,
        &[
            "send",
            "232.1.1.1",
            "7777",
            "-i",
            IFACE,
            "--bind",
            "198.51.100.1",
            "-c",
            "40",
            "-r",
            "20",
        ],
    ));
    let (code, c) = doctor(
        h,
        &[
            "232.1.1.1",
            "7777",
            "--source",
            "198.51.100.1",
            "-i",
            IFACE,
            "--listen",
            "1s",
        ],
    );
    finish(send, Duration::from_secs(10));
    assert_eq!(code, Some(1));
    assert_eq!(status(&c, "rp_filter"), "fail");
    let rp = c["rp_filter"]["evidence"].as_str().unwrap();
    assert!(
        rp.starts_with("rp_filter = 1") && rp.contains("198.51.100.1: the route leads to dum0"),
        "{rp}"
    );
    assert_eq!(status(&c, "listen"), "fail");
    let heard = c["listen"]["evidence"].as_str().unwrap();
    assert!(heard.contains("TcpExt:IPReversePathFilter +"), "{heard}");
    assert_eq!(
        c["listen"]["fix"],
        "the reverse-path filter dropped them: see the rp_filter check"
    );
}

#[test]
fn listening_reports_what_arrived_and_the_sender_side_is_told() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    let send = spawn(command(
        sender,
        &[
            "send",
            "239.1.1.1",
            "7777",
            "-i",
            IFACE,
            "-c",
            "40",
            "-r",
            "20",
        ],
    ));
    let (code, c) = doctor(h, &["239.1.1.1", "7777", "--listen", "1s"]);
    finish(send, Duration::from_secs(10));
    assert_eq!(code, Some(0), "{c:?}");
    let heard = c["listen"]["evidence"].as_str().unwrap();
    assert!(heard.contains("from 192.0.2.2 ("), "{heard}");
    assert!(heard.contains("Udp:InDatagrams +"), "{heard}");
    assert_eq!(status(&c, "querier"), "warn", "no querier in this lab");
    let (code, c) = doctor(sender, &["239.1.1.1", "7777", "--send"]);
    assert_eq!(code, Some(0));
    assert_eq!(status(&c, "send"), "warn");
    let evidence = c["send"]["evidence"].as_str().unwrap();
    assert!(
        evidence.starts_with("leaves by eth0 from 192.0.2.2; MTU 1500: up to 1472 bytes"),
        "{evidence}"
    );
    assert!(
        c["send"]["fix"]
            .as_str()
            .unwrap()
            .starts_with("give --ttl N")
    );
}

/// Loads `rule` into a fresh input chain (or `chain` as given) in `host`, replacing what a
/// previous call loaded.
fn load_rules(host: &Host, chain: &str) {
    let _ = host.exec("nft", &["delete", "table", "inet", "mcasttest"]);
    host.nft(&format!("table inet mcasttest {{\n{chain}\n}}\n"));
}

fn input_chain(rule: &str) -> String {
    format!("chain input {{\n type filter hook input priority 0; policy accept;\n {rule}\n}}")
}

/// The rules that drop everything the field tried, each loaded alone in the receiver's
/// input hook, and proved to drop the group's datagrams for real: doctor fails each, quoting
/// the rule, its chain and the command that deletes it. A forward chain's drop policy, a rule
/// for another port, and a fragment rule (a warning: big datagrams only) are judged for what
/// they are; a rule it cannot judge is said to be not analysed, never "no rule drops".
#[test]
fn firewall_rules_are_judged_for_the_group_s_traffic() {
    let lab = Lab::new(2);
    let (h, sender) = (lab.host(1), lab.host(2));
    let (_, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(status(&c, "firewall"), "ok", "{}", c["firewall"]);
    let ok = c["firewall"]["evidence"].as_str().unwrap();
    assert!(
        ok.starts_with("read nft: every rule on the way judged"),
        "{ok}"
    );
    for rule in [
        "udp dport 7000-8000 drop",
        "udp dport { 5000, 7777 } drop",
        "ip daddr 239.0.0.0/8 drop",
        "meta pkttype multicast drop",
        "ip protocol udp drop",
    ] {
        load_rules(h, &input_chain(rule));
        // The ground truth: the rule drops what a sender sends.
        let rx = common::start(h, &["recv", "239.1.1.1", "7777", "-t", "1s", "--json"]);
        let sent = run(
            sender,
            &["send", "239.1.1.1", "7777", "-c", "5", "-r", "50"],
        );
        assert!(sent.status.success());
        let got = rx.wait(Duration::from_secs(10));
        assert_eq!(got.status.code(), Some(1), "{rule} drops them all");
        let (code, c) = doctor(h, &["239.1.1.1", "7777"]);
        assert_eq!(code, Some(1), "{rule}: {}", c["firewall"]);
        assert_eq!(status(&c, "firewall"), "fail", "{rule}: {}", c["firewall"]);
        let evidence = c["firewall"]["evidence"].as_str().unwrap();
        assert!(
            evidence.contains(&format!(
                "nft: `{rule}` (inet mcasttest input) drops UDP to 239.1.1.1 port 7777"
            )),
            "{evidence}"
        );
        let fix = c["firewall"]["fix"].as_str().unwrap();
        assert!(
            fix.starts_with("nft delete rule inet mcasttest input handle "),
            "{fix}"
        );
    }
    // A forward chain's policy is not on a receiver's way; another port's rule is not ours.
    load_rules(
        h,
        "chain forwarding {\n type filter hook forward priority 0; policy drop;\n}\n\
         chain input {\n type filter hook input priority 0;\n udp dport 5000 drop\n}",
    );
    let (code, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(
        (code, status(&c, "firewall")),
        (Some(0), "ok"),
        "{}",
        c["firewall"]
    );
    // Non-first fragments: a warning that names what it costs.
    load_rules(h, &input_chain("ip frag-off & 0x1fff != 0 drop"));
    let (_, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(status(&c, "firewall"), "warn", "{}", c["firewall"]);
    assert!(
        c["firewall"]["evidence"]
            .as_str()
            .unwrap()
            .contains("drops later fragments to 239.1.1.1: datagrams larger than the link's MTU never arrive whole"),
        "{}",
        c["firewall"]
    );
    // A rule whose condition is not read: not analysed, and no "ok".
    load_rules(h, &input_chain("ct state new drop"));
    let (_, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(status(&c, "firewall"), "warn");
    let evidence = c["firewall"]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("not analysed (they may drop this traffic): nft: `ct state new drop`"),
        "{evidence}"
    );
}

/// IGMP dropped on the way in or out: a failure with what it leads to, for a rule in input
/// (queries never heard) and in output (reports never leave); MLD the same for IPv6.
#[test]
fn a_rule_dropping_igmp_or_mld_is_a_failure_with_its_consequence() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    load_rules(h, &input_chain("ip protocol igmp drop"));
    let (code, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(code, Some(1));
    let evidence = c["firewall"]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("drops IGMP queries arriving: this host never hears the querier"),
        "{evidence}"
    );
    assert!(!evidence.contains("drops UDP"), "{evidence}");
    load_rules(
        h,
        "chain output {\n type filter hook output priority 0;\n icmpv6 type mld2-listener-report drop\n}",
    );
    let (code, c) = doctor(h, &["ff3e::1:2", "7777", "-i", IFACE]);
    assert_eq!(code, Some(1));
    let evidence = c["firewall"]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("drops MLD membership reports leaving: no membership report leaves"),
        "{evidence}"
    );
    // The IPv4 group is not concerned by an MLD rule.
    let (_, c) = doctor(h, &["239.1.1.1", "7777"]);
    assert_eq!(status(&c, "firewall"), "ok", "{}", c["firewall"]);
}

/// Without privileges every check still runs, except that the firewall cannot be read and
/// the querier cannot be listened for: both say so.
#[test]
fn an_unprivileged_user_gets_every_check_but_the_privileged_ones() {
    let lab = Lab::new(1);
    let out = common::run_as_nobody(
        lab.host(1),
        &["doctor", "239.1.1.1", "7777", "--listen", "300ms", "--json"],
    );
    let checks: Vec<Value> = serde_json::from_str(stdout(&out).trim()).unwrap();
    let by: HashMap<&str, &Value> = checks
        .iter()
        .map(|c| (c["check"].as_str().unwrap(), c))
        .collect();
    assert_eq!(by["interface"]["status"], "ok");
    assert_eq!(by["firewall"]["status"], "skipped");
    assert!(
        by["firewall"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("the rules could not be read: nft:")
    );
    assert_eq!(by["querier"]["status"], "skipped");
    assert!(
        by["querier"]["evidence"]
            .as_str()
            .unwrap()
            .starts_with("listening for a querier needs CAP_NET_RAW")
    );
    assert_eq!(by["listen"]["status"], "fail", "nothing was sent");
    assert_eq!(out.status.code(), Some(1));
    // In text, nft's own lines are folded into the evidence: every line is a check's or
    // its fix's, the columns hold (issue 23, item 14).
    let text = common::run_as_nobody(lab.host(1), &["doctor", "239.1.1.1", "7777"]);
    let t = stdout(&text);
    // The checks, then one line of conclusion.
    let mut body: Vec<&str> = t.lines().collect();
    body.pop();
    for line in &body {
        let status = line.split_whitespace().next().unwrap_or("");
        assert!(
            ["ok", "WARN", "FAIL", "skipped", "fix:"].contains(&status),
            "a line out of the columns: {line:?}\n{t}"
        );
    }
    assert!(
        body.iter()
            .any(|l| l.starts_with("skipped  firewall   the rules could not be read: nft:")),
        "{t}"
    );
}
