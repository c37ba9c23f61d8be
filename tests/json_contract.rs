//! The JSON Lines contract: the exact keys of every event type, and the form of their
//! values, from real runs in the lab. A script that reads mcast relies on these.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::process::Output;
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
    let change = sorted(vec![
        "type",
        "command",
        "time",
        "group",
        "interface",
        "sources",
    ]);
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
        "command",
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
    let link = sorted(vec!["type", "command", "time", "interface", "state"]);
    assert_eq!((keys(&events[3]), keys(&events[4])), (link.clone(), link));
    let summary = &events[7];
    assert_eq!(
        keys(summary),
        sorted(vec![
            "type",
            "command",
            "version",
            "time",
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
            "time",
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
    assert_eq!(types, ["joined", "memberships", "left", "summary"]);
    assert_eq!(keys(&events[1]), ["command", "groups", "time", "type"]);
    assert!(is_time(&events[1]["time"]), "{}", events[1]);
    let summary = &events[3];
    assert_eq!(
        keys(summary),
        sorted(vec![
            "type",
            "command",
            "version",
            "time",
            "elapsed_ms",
            "ended_by",
            "joined",
            "left",
        ])
    );
    assert_eq!(
        (
            summary["command"].as_str(),
            summary["ended_by"].as_str(),
            summary["joined"].as_u64(),
            summary["left"].as_u64()
        ),
        (Some("join"), Some("duration"), Some(1), Some(1))
    );
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
        assert_eq!(keys(p), ["command", "event", "peer", "time", "type"]);
        assert!(is_time(&p["time"]), "{p}");
    }
    let matrix = events.last().unwrap();
    let pair: Vec<&Value> = matrix["pairs"].as_array().unwrap().iter().collect();
    assert_eq!(
        pair.len(),
        2,
        "its own column, and the other host's, shared"
    );
    assert_eq!(
        keys(pair[0]),
        sorted(vec![
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
    assert_eq!(
        keys(matrix),
        sorted(vec![
            "type",
            "command",
            "version",
            "time",
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
    assert_eq!(matrix["type"], "summary");
    assert!(is_time(&matrix["time"]), "{matrix}");
}

/// Every JSON Lines command, run in one lab with intervals on: each record has a type, the
/// command that printed it and an RFC 3339 time, and each command ends with one summary.
#[test]
fn every_record_names_its_command_and_time_and_each_run_ends_with_one_summary() {
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    let (a1, a2, a3) = (h1.v4.to_string(), h2.v4.to_string(), h3.v4.to_string());
    let json = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--json"]);
        a.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let spawn = |host: &lab::Host, args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::spawn(common::command(host, &args))
    };
    let runs: Vec<(&str, &lab::Host, Vec<String>)> = vec![
        ("watch", h1, json(&["watch", "-d", "4s", "--report", "1s"])),
        (
            "reflect",
            h1,
            json(&["reflect", "-d", "4s", "--report", "1s"]),
        ),
        (
            "recv",
            h3,
            json(&[
                "recv",
                "239.2.2.9",
                "7777",
                "-i",
                IFACE,
                "-d",
                "3s",
                "--report",
                "1s",
            ]),
        ),
        (
            "monitor",
            h3,
            json(&[
                "monitor",
                "239.2.2.9:7777,name=probes",
                "-i",
                IFACE,
                "-d",
                "3s",
                "--report",
                "1s",
            ]),
        ),
        (
            "join",
            h3,
            json(&[
                "join",
                "239.2.2.10",
                "-i",
                IFACE,
                "-d",
                "2s",
                "--report",
                "1s",
            ]),
        ),
        (
            "mesh",
            h2,
            json(&[
                "mesh",
                "-c",
                "3",
                "--interval",
                "300ms",
                "-t",
                "300ms",
                "--report",
                "500ms",
                &a2,
                &a3,
            ]),
        ),
        (
            "mesh",
            h3,
            json(&[
                "mesh",
                "-c",
                "3",
                "--interval",
                "300ms",
                "-t",
                "300ms",
                "--report",
                "500ms",
                &a2,
                &a3,
            ]),
        ),
    ];
    let children: Vec<_> = runs.iter().map(|(_, h, a)| spawn(h, a)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let direct: Vec<(&str, Output)> = vec![
        (
            "send",
            common::finish(
                spawn(
                    h2,
                    &json(&[
                        "send",
                        "239.2.2.9",
                        "7777",
                        "-c",
                        "12",
                        "-r",
                        "10",
                        "--report",
                        "500ms",
                    ]),
                ),
                WAIT,
            ),
        ),
        (
            "ping",
            common::finish(
                spawn(
                    h2,
                    &json(&[
                        "ping",
                        &a1,
                        "-c",
                        "3",
                        "--interval",
                        "300ms",
                        "-t",
                        "300ms",
                        "--report",
                        "400ms",
                    ]),
                ),
                WAIT,
            ),
        ),
    ];
    let mut outputs: Vec<(&str, Output)> = runs
        .iter()
        .zip(children)
        .map(|((name, ..), child)| (*name, common::finish(child, WAIT)))
        .collect();
    outputs.extend(direct);
    for (name, out) in &outputs {
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{name}: {}",
            stderr(out)
        );
        let events = json_lines(out);
        assert!(events.len() >= 2, "{name}: {}", common::stdout(out));
        for e in &events {
            assert!(e["type"].is_string(), "{name}: {e}");
            assert_eq!(e["command"], *name, "{e}");
            assert!(is_time(&e["time"]), "{name}: {e}");
        }
        let summaries = events.iter().filter(|e| e["type"] == "summary").count();
        assert_eq!(summaries, 1, "{name}: one summary");
        assert_eq!(
            events.last().unwrap()["type"],
            "summary",
            "{name} ends with it"
        );
        assert!(events.last().unwrap()["version"].is_string(), "{name}");
        if *name != "join" {
            assert!(
                events.iter().any(|e| e["type"] == "interval"),
                "{name}: --report gave an interval"
            );
        }
    }
}
