//! The JSON Lines contract: the exact keys of every event type, and the form of their
//! values, from real runs in the lab. A script that reads mcast relies on these.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::time::Duration;

use common::{json_lines, run, start, stderr};
use lab::{IFACE, Lab};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(15);

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn sorted(mut k: Vec<&str>) -> Vec<&str> {
    k.sort_unstable();
    k
}

/// RFC 3339 in UTC with microseconds: 2026-11-24T21:18:37.565627Z.
fn is_time(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    let b = s.as_bytes();
    s.len() == 27
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[26] == b'Z'
        && s[20..26].bytes().all(|c| c.is_ascii_digit())
}

#[test]
fn every_recv_event_has_exactly_its_keys() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let mut rx = start(
        h1,
        &[
            "recv",
            "239.2.2.2",
            "7777",
            "-i",
            IFACE,
            "-c",
            "3",
            "-t",
            "8s",
            "--json",
        ],
    );
    assert!(
        run(h2, &["send", "239.2.2.2", "7777", "-c", "2", "-r", "100"])
            .status
            .success()
    );
    rx.wait_for_line("\"seq\":1", WAIT);
    let ip = |args: &[&str]| assert!(h1.exec("ip", args).status.success());
    ip(&["link", "set", IFACE, "down"]);
    rx.wait_for_line("\"state\":\"down\"", WAIT);
    ip(&["link", "set", IFACE, "up"]);
    rx.wait_for_line("\"state\":\"up\"", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        run(h2, &["send", "239.2.2.2", "7777", "text"])
            .status
            .success()
    );
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "joined", "packet", "packet", "link", "link", "packet", "left", "summary"
        ]
    );
    let change = sorted(vec!["type", "time", "group", "interface", "sources"]);
    for e in [&events[0], &events[6]] {
        assert_eq!(keys(e), change);
        assert!(is_time(&e["time"]), "{e}");
        assert_eq!(
            (e["group"].as_str(), e["interface"].as_str()),
            (Some("239.2.2.2"), Some(IFACE))
        );
        assert_eq!(e["sources"], serde_json::json!([]));
    }
    let packet = sorted(vec![
        "type",
        "time",
        "source",
        "source_port",
        "group",
        "port",
        "interface",
        "size",
        "truncated",
        "ttl",
        "tos",
        "text",
        "probe",
    ]);
    let probe = &events[1];
    assert_eq!(keys(probe), packet);
    assert!(is_time(&probe["time"]), "{probe}");
    assert_eq!(probe["source"], lab.host(2).v4.to_string());
    assert!(probe["source_port"].as_u64().is_some_and(|p| p > 0));
    assert_eq!(
        (probe["port"].as_u64(), probe["size"].as_u64()),
        (Some(7777), Some(64))
    );
    assert_eq!(
        (probe["ttl"].as_u64(), probe["tos"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (probe["truncated"].as_bool(), probe["text"].is_null()),
        (Some(false), true)
    );
    assert_eq!(
        keys(&probe["probe"]),
        sorted(vec!["sender", "seq", "delay_ms"])
    );
    assert_eq!(probe["probe"]["sender"].as_str().map(str::len), Some(8));
    assert!(probe["probe"]["delay_ms"].is_f64());
    let text = &events[5];
    assert_eq!(keys(text), packet);
    assert_eq!(
        (text["text"].as_str(), text["probe"].is_null()),
        (Some("text"), true)
    );
    let link = sorted(vec!["type", "time", "interface", "state"]);
    assert_eq!((keys(&events[3]), keys(&events[4])), (link.clone(), link));
    let summary = &events[7];
    assert_eq!(
        keys(summary),
        sorted(vec![
            "type",
            "command",
            "version",
            "packets",
            "bytes",
            "elapsed_ms",
            "rate_pps",
            "first_after_ms",
            "ended_by",
            "probes",
            "foreign",
            "truncated",
            "lost",
            "duplicates",
            "reordered",
            "untracked_senders",
            "senders_heard_once",
            "kernel_drops",
            "rcvbuf",
            "senders",
            "untracked_streams",
            "streams",
        ])
    );
    // Probes and text: no content to analyse.
    assert_eq!(summary["streams"], serde_json::json!([]));
    assert_eq!(
        (summary["packets"].as_u64(), summary["ended_by"].as_str()),
        (Some(3), Some("count"))
    );
    assert_eq!(
        (summary["probes"].as_u64(), summary["foreign"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(summary["kernel_drops"].as_u64(), Some(0));
    assert!(summary["rcvbuf"].is_null());
    let sender = &summary["senders"][0];
    assert_eq!(
        keys(sender),
        sorted(vec![
            "sender",
            "source",
            "planned",
            "received",
            "lost",
            "lost_after_last",
            "pending",
            "before_join",
            "unjudged",
            "last_time",
            "silent_ms",
            "pace_ms",
            "duplicates",
            "reordered",
            "stale",
            "implausible",
            "disbelieved",
            "heard_once",
            "sizes",
            "sizes_not_arriving",
            "delay_min_ms",
            "delay_avg_ms",
            "delay_max_ms",
            "jitter_ms",
        ])
    );
    assert_eq!(
        (sender["planned"].as_u64(), sender["received"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(is_time(&sender["last_time"]), "{sender}");
    assert!(sender["silent_ms"].as_f64().unwrap() >= 0.0, "{sender}");
    assert!(sender["pace_ms"].as_f64().unwrap() > 0.0, "{sender}");
}

#[test]
fn send_and_join_events_have_exactly_their_keys() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let sent = run(
        h,
        &[
            "send",
            "239.2.2.3",
            "7777",
            "-c",
            "3",
            "-r",
            "1000",
            "--json",
        ],
    );
    let events = json_lines(&sent);
    assert_eq!(events.len(), 1);
    let s = &events[0];
    assert_eq!(
        keys(s),
        sorted(vec![
            "type",
            "command",
            "version",
            "packets",
            "bytes",
            "elapsed_ms",
            "rate_pps",
            "errors",
            "path",
            "gap_p50_us",
            "gap_p99_us",
        ])
    );
    assert_eq!(
        (s["type"].as_str(), s["packets"].as_u64()),
        (Some("summary"), Some(3))
    );
    assert_eq!(
        (s["bytes"].as_u64(), s["path"].as_str()),
        (Some(192), Some("gso+sendmmsg"))
    );

    let joined = run(
        h,
        &["join", "239.2.2.4", "-i", IFACE, "-d", "100ms", "--json"],
    );
    let events = json_lines(&joined);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["joined", "memberships", "left"]);
    assert_eq!(keys(&events[1]), ["groups", "type"]);
    let group = &events[1]["groups"][0];
    assert_eq!(
        keys(group),
        sorted(vec![
            "interface",
            "index",
            "family",
            "group",
            "users",
            "mode",
            "mode_inferred",
            "sources",
            "sources_known",
            "igmp_compat_mode",
            "forced_mld_version",
        ])
    );
    assert_eq!(
        (group["group"].as_str(), group["mode"].as_str()),
        (Some("239.2.2.4"), Some("exclude"))
    );
}

#[test]
fn mesh_events_have_exactly_their_keys() {
    let lab = Lab::new(2);
    let hosts = [lab.host(1).v4.to_string(), lab.host(2).v4.to_string()];
    let args = [
        "mesh",
        "-c",
        "2",
        "--interval",
        "100ms",
        "-t",
        "300ms",
        "--json",
        &hosts[0],
        &hosts[1],
    ];
    let other = common::spawn(common::command(lab.host(2), &args));
    let out = run(lab.host(1), &args);
    common::finish(other, WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    let of = |t: &str| events.iter().filter(|e| e["type"] == t).collect::<Vec<_>>();
    let peers = of("peer");
    assert!(!peers.is_empty());
    for p in &peers {
        assert_eq!(keys(p), ["event", "peer", "time", "type"]);
        assert!(is_time(&p["time"]), "{p}");
    }
    let pair = of("pair");
    assert_eq!(
        pair.len(),
        2,
        "its own column, and the other host's, shared"
    );
    assert_eq!(
        keys(pair[0]),
        sorted(vec![
            "type",
            "from",
            "to",
            "unicast",
            "multicast",
            "first_multicast_ms",
            "verdict"
        ])
    );
    let path = sorted(vec![
        "sent",
        "received",
        "duplicates",
        "reordered",
        "loss_pct",
        "loss_since_first_pct",
        "rtt_min_ms",
        "rtt_avg_ms",
        "rtt_max_ms",
        "rtt_mdev_ms",
        "hops",
    ]);
    // Never left out: a key that is not known yet is null.
    assert_eq!(keys(&pair[0]["unicast"]), path);
    assert!(pair[0]["unicast"]["loss_since_first_pct"].is_null());
    assert_eq!(keys(&pair[0]["multicast"]), path);
    let matrix = events.last().unwrap();
    assert_eq!(
        keys(matrix),
        sorted(vec![
            "type",
            "command",
            "version",
            "host",
            "hosts",
            "pairs",
            "complete",
            "refused_columns",
            "multicast_works",
            "unicast_only",
            "no_reply",
            "conclusions"
        ])
    );
    assert_eq!(matrix["hosts"], serde_json::json!(hosts));
}
