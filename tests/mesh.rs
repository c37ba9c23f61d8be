//! `mcast mesh` in the lab: every host answers and pings every other; mixed with omping
//! (RFC 6450 on both sides), eight hosts at once, and a host that never answers.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use common::{command, finish, json_lines, spawn, stderr, stdout};
use lab::Lab;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// `mcast mesh -c 5` every 200 ms over `hosts`, as JSON.
fn mesh_args(hosts: &[String]) -> Vec<&str> {
    let mut args = vec![
        "mesh",
        "-c",
        "5",
        "--interval",
        "200ms",
        "-t",
        "1s",
        "--json",
    ];
    args.extend(hosts.iter().map(String::as_str));
    args
}

/// The pairs of the summary, mesh's last record.
fn pairs(out: &std::process::Output) -> Vec<Value> {
    let summary = json_lines(out).pop().unwrap_or_default();
    assert_eq!(summary["type"], "summary", "{summary}");
    summary["pairs"].as_array().cloned().unwrap_or_default()
}

/// Two mcast hosts and two omping hosts with one list: each pair has multicast, as both
/// tools report.
#[test]
fn mcast_and_omping_hosts_in_one_mesh() {
    if lab::omping_or_skip("mcast_and_omping_hosts_in_one_mesh").is_none() {
        return;
    }
    let lab = Lab::new(4);
    let hosts: Vec<String> = (1..=4).map(|i| lab.host(i).v4.to_string()).collect();
    // omping ends after 8 s whatever happens (-T): a peer it never heard from would keep it
    // waiting for ever. The ompings start first, so they find each other at once.
    let mut omping_args = vec!["-c", "5", "-i", "0.2", "-F", "-T", "8"];
    omping_args.extend(hosts.iter().map(String::as_str));
    let theirs: Vec<_> = (3..=4)
        .map(|i| spawn(lab.host(i).omping_command(&omping_args)))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let ours: Vec<_> = (1..=2)
        .map(|i| spawn(command(lab.host(i), &mesh_args(&hosts))))
        .collect();
    for (i, child) in ours.into_iter().enumerate() {
        let out = finish(child, Duration::from_secs(20));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        let all = pairs(&out);
        // This host's own column, measured here; the other mcast host's column, shared.
        let pairs: Vec<_> = all
            .iter()
            .filter(|p| p["to"] == hosts[i].as_str())
            .collect();
        let shared: BTreeSet<_> = all
            .iter()
            .filter(|p| p["to"] != hosts[i].as_str())
            .map(|p| p["to"].as_str().unwrap())
            .collect();
        assert_eq!(
            shared,
            BTreeSet::from([hosts[1 - i].as_str()]),
            "omping shares nothing"
        );
        assert_eq!(all.len(), 6);
        let from: BTreeSet<_> = pairs.iter().map(|p| p["from"].as_str().unwrap()).collect();
        let others: BTreeSet<_> = hosts
            .iter()
            .map(String::as_str)
            .filter(|h| *h != hosts[i])
            .collect();
        assert_eq!(from, others, "one pair from each other host");
        for p in &all {
            for path in ["unicast", "multicast"] {
                assert_eq!(
                    (p[path]["sent"].as_u64(), p[path]["received"].as_u64()),
                    (Some(5), Some(5)),
                    "{p}"
                );
            }
            assert_eq!(p["multicast"]["hops"], 0, "{p}");
            assert_eq!(p["verdict"], "multicast_works");
        }
        let matrix = json_lines(&out).pop().unwrap();
        assert_eq!(
            (
                matrix["type"].as_str(),
                matrix["pairs"].as_array().map(Vec::len),
                matrix["multicast_works"].as_u64(),
                matrix["complete"].as_bool()
            ),
            (Some("summary"), Some(6), Some(6), Some(false)),
            "{matrix}"
        );
    }
    for (i, child) in theirs.into_iter().enumerate() {
        let out = finish(child, Duration::from_secs(20));
        let text = stdout(&out);
        let me = &hosts[i + 2];
        for other in hosts.iter().filter(|h| *h != me) {
            let line = text
                .lines()
                .find(|l| l.starts_with(other.as_str()) && l.contains("multicast, xmt/rcv/%loss"))
                .unwrap_or_else(|| {
                    panic!("omping on {me} has no multicast summary for {other}:\n{text}")
                });
            // omping's own count between two ompings depends on when each started; with
            // mcast hosts, which answer from the start, every request is answered.
            let counts = line
                .split("= ")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .unwrap();
            let want_all = hosts[..2].contains(other);
            let ok = if want_all {
                counts == "5/5/0%"
            } else {
                counts.ends_with("/0%") && !counts.starts_with("0/")
            };
            assert!(ok, "omping on {me}: {line}\n{text}");
        }
    }
}

/// Twelve mcast hosts: every ordered pair measured at its receiver and shared, so each host
/// prints the full 12x12 matrix with no loss on either path, though each joins from eleven
/// sources (one socket may hold ten).
#[test]
fn twelve_hosts_make_a_complete_matrix() {
    let lab = Lab::new(12);
    let hosts: Vec<String> = (1..=12).map(|i| lab.host(i).v4.to_string()).collect();
    let children: Vec<_> = (1..=12)
        .map(|i| spawn(command(lab.host(i), &mesh_args(&hosts))))
        .collect();
    for child in children {
        let out = finish(child, Duration::from_secs(30));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        // Each host prints the whole matrix: its own column and the eleven the others shared.
        let mut matrix = BTreeSet::new();
        for p in pairs(&out) {
            assert_eq!(p["multicast"]["received"], 5, "{p}");
            assert_eq!(p["unicast"]["received"], 5, "{p}");
            assert_eq!(p["multicast"]["loss_pct"], 0.0, "{p}");
            assert_ne!(p["from"], p["to"]);
            matrix.insert((p["from"].to_string(), p["to"].to_string()));
        }
        assert_eq!(
            matrix.len(),
            12 * 11,
            "every ordered pair of distinct hosts"
        );
        assert_eq!(json_lines(&out).pop().unwrap()["complete"], true);
    }
}

/// A listed host that runs nothing is given up after --wait, and its row says so: exit 1,
/// in bounded time, the others still measured. Text for people: the table and the advice.
#[test]
fn a_silent_host_is_given_up_and_named() {
    let lab = Lab::new(3);
    let hosts: Vec<String> = (1..=3).map(|i| lab.host(i).v4.to_string()).collect();
    let mut args = vec![
        "mesh",
        "-c",
        "3",
        "--interval",
        "200ms",
        "-t",
        "500ms",
        "--wait",
        "1s",
    ];
    args.extend(hosts.iter().map(String::as_str));
    let a = spawn(command(lab.host(1), &args));
    let mut json = args.clone();
    json.push("--json");
    let b = spawn(command(lab.host(2), &json));
    let text = finish(a, Duration::from_secs(15));
    let out = finish(b, Duration::from_secs(15));
    // A host that never answered: no reply (3), apart from unicast only (1).
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let events = json_lines(&out);
    assert!(
        events.iter().any(|e| e["type"] == "peer"
            && e["peer"] == hosts[2].as_str()
            && e["event"] == "given_up"),
        "{events:?}"
    );
    let verdicts: Vec<_> = pairs(&out)
        .iter()
        .filter(|p| p["to"] == hosts[1].as_str())
        .map(|p| {
            (
                p["from"].as_str().unwrap().to_string(),
                p["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            (hosts[0].clone(), "multicast_works".to_string()),
            (hosts[2].clone(), "no_reply".to_string())
        ]
    );
    assert_eq!(text.status.code(), Some(3));
    let t = stdout(&text);
    assert!(
        t.starts_with(&format!("mesh of 3 hosts as {}", hosts[0])),
        "{t}"
    );
    assert!(
        t.contains(&format!("{}: never answered, given up", hosts[2])),
        "{t}"
    );
    assert!(
        t.contains(&format!("{}: answered, pinging it", hosts[1])),
        "{t}"
    );
    let row = t
        .lines()
        .find(|l| l.starts_with(&format!("{}  ", hosts[1])))
        .expect(&t);
    assert!(
        row.contains("3/3 0.0%") && row.ends_with("multicast works"),
        "{row}"
    );
    assert!(
        t.contains(&format!(
            "{}: no reply: nothing came back: is mcast mesh (or omping) running there",
            hosts[2]
        )),
        "{t}"
    );
    // Never answered, never asked: no figure, not "0/0 0.0%", in its row and the matrix.
    let row = t
        .lines()
        .find(|l| l.starts_with(&format!("{}  ", hosts[2])))
        .expect(&t);
    assert_eq!(
        row.matches("no reply").count(),
        3,
        "both cells and the verdict: {row}"
    );
    assert!(!t.contains("0/0") && !t.contains("ssmpingd"), "{t}");
    let silent_pair = pairs(&out)
        .into_iter()
        .find(|p| p["from"] == hosts[2].as_str() && p["to"] == hosts[1].as_str())
        .unwrap();
    assert!(
        silent_pair["multicast"]["loss_pct"].is_null(),
        "{silent_pair}"
    );
}

/// Host 2's multicast is dropped on its way out (nft): every host still gets every column
/// (a host shares as soon as it has its figures and keeps sending until each mcast host says
/// it has it), the matrix is complete everywhere, exit 1, and each host concludes that host
/// 2's multicast reaches nobody. Twice, since the race it fixes was one of timing.
#[test]
fn a_host_whose_multicast_is_blocked_is_concluded_about_and_every_column_arrives() {
    for _ in 0..2 {
        let lab = Lab::new(3);
        let hosts: Vec<String> = (1..=3).map(|i| lab.host(i).v4.to_string()).collect();
        lab.host(2).nft(
            "table inet labfault {\n chain output {\n  type filter hook output priority 0;\n  ip daddr 232.43.211.234 drop\n }\n}\n",
        );
        let args = mesh_args(&hosts);
        let runs: Vec<_> = (1..=3)
            .map(|i| spawn(command(lab.host(i), &args)))
            .collect();
        for (i, child) in runs.into_iter().enumerate() {
            let out = finish(child, Duration::from_secs(30));
            assert_eq!(
                out.status.code(),
                Some(1),
                "host {}: {}",
                i + 1,
                stderr(&out)
            );
            let matrix = json_lines(&out).pop().unwrap();
            assert_eq!(matrix["type"], "summary");
            assert_eq!(matrix["complete"], true, "host {}: {matrix}", i + 1);
            let said: Vec<&str> = matrix["conclusions"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let about = if i == 1 {
                format!("this host ({})", hosts[1])
            } else {
                hosts[1].clone()
            };
            assert!(
                said.contains(
                    &format!(
                        "conclusion: {about}'s multicast reaches none of the 2 hosts that reported"
                    )
                    .as_str()
                ),
                "host {}: {said:?}",
                i + 1
            );
        }
    }
}

/// A column as mcast mesh encodes it ("MCM2", the session id, rows), claiming that every
/// probe from `from` arrived on both paths: what a forger would send.
fn forged_column(token: &[u8], from: std::net::Ipv4Addr, sent: u64) -> Vec<u8> {
    let mut out = b"MCM2".to_vec();
    out.push(token.len() as u8);
    out.extend(token);
    out.extend(1u16.to_be_bytes());
    out.push(4);
    out.extend(from.octets());
    let path = |out: &mut Vec<u8>| {
        for n in [sent, sent, 0, 0] {
            out.extend(n.to_be_bytes());
        }
        for v in [
            Some(0.0),
            Some(0.0),
            Some(0.1),
            Some(0.1),
            Some(0.1),
            Some(0.0),
        ] {
            out.extend(v.map_or(u64::MAX, f64::to_bits).to_be_bytes());
        }
        out.push(0);
    };
    path(&mut out);
    path(&mut out);
    out.extend(0.2f64.to_bits().to_be_bytes());
    out
}

/// B drops A's multicast; a hostile C sends A forged columns in B's name (B's address and
/// port) saying that A's multicast reaches B. A believes only the column carrying the
/// session it gave B: A -> B stays "unicast only", the forgeries are counted, and the exit
/// status says multicast is broken (issue 19, item 6).
#[test]
fn forged_columns_in_a_members_name_are_not_believed() {
    use std::net::SocketAddrV4;
    let lab = Lab::new(3);
    let (a, b, c) = (lab.host(1), lab.host(2), lab.host(3));
    b.nft(&format!(
        "table inet labfault {{\n chain input {{\n  type filter hook input priority 0;\n  ip saddr {} ip daddr 232.43.211.234 drop\n }}\n}}\n",
        a.v4
    ));
    let hosts = vec![a.v4.to_string(), b.v4.to_string()];
    let args = mesh_args(&hosts);
    let runs: Vec<_> = [a, b].iter().map(|h| spawn(command(h, &args))).collect();
    let (from_a, to_a, as_b) = (a.v4, a.v4, b.v4);
    let forger = c.spawn(move || {
        let raw = lab::spoof::raw_sender();
        let to = SocketAddrV4::new(to_a, mcast::wire::PORT);
        let from = SocketAddrV4::new(as_b, mcast::wire::PORT);
        for n in 0..80u8 {
            // A guessed session id, and none at all.
            let token: Vec<u8> = if n % 2 == 0 { vec![n; 16] } else { Vec::new() };
            lab::spoof::send_forged(&raw, from, to, &forged_column(&token, from_a, 5));
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let mut outs: Vec<_> = runs
        .into_iter()
        .map(|r| finish(r, Duration::from_secs(30)))
        .collect();
    forger.join().unwrap();
    let out_a = outs.remove(0);
    let events = json_lines(&out_a);
    let all = pairs(&out_a);
    let pair = all
        .iter()
        .find(|e| e["from"] == a.v4.to_string() && e["to"] == b.v4.to_string())
        .unwrap_or_else(|| panic!("A -> B: {}", stdout(&out_a)));
    assert_eq!(pair["verdict"], "unicast_only", "{pair}");
    let matrix = events.last().unwrap();
    assert!(matrix["refused_columns"].as_u64().unwrap() > 0, "{matrix}");
    assert_eq!(
        matrix["complete"], true,
        "B's real column arrived: {matrix}"
    );
    assert_eq!(out_a.status.code(), Some(1), "{}", stderr(&out_a));
}

/// Seconds into the day of an RFC 3339 UTC time ("2026-12-03T07:31:06.075351Z").
fn seconds_of(t: &Value) -> f64 {
    let clock = t.as_str().unwrap().split('T').nth(1).unwrap();
    clock
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse::<f64>().unwrap())
        .fold(0.0, |acc, p| acc * 60.0 + p)
}

#[test]
fn report_and_ctrl_backslash_print_each_hosts_figures_so_far() {
    let lab = Lab::new(2);
    let hosts: Vec<String> = (1..=2).map(|i| lab.host(i).v4.to_string()).collect();
    let mut args = vec![
        "mesh",
        "-c",
        "12",
        "--interval",
        "0.4s",
        "-t",
        "1s",
        "--report",
        "1s",
        "--json",
    ];
    args.extend(hosts.iter().map(String::as_str));
    let runs: Vec<_> = (1..=2)
        .map(|i| spawn(command(lab.host(i), &args)))
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // Ctrl-\ to the first host between two reports: one more interval, at once.
    let pid = nix::unistd::Pid::from_raw(runs[0].id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGQUIT).expect("SIGQUIT");
    let outs: Vec<_> = runs
        .into_iter()
        .map(|r| finish(r, Duration::from_secs(30)))
        .collect();
    let lines = json_lines(&outs[0]);
    let intervals: Vec<&Value> = lines.iter().filter(|l| l["type"] == "interval").collect();
    // Reports a second apart, and the one Ctrl-\ asked for, which cuts one of those seconds
    // in two: without it, every interval lasts a second.
    assert!(intervals.len() >= 3, "{lines:?}");
    let span = |v: &Value| seconds_of(&v["end"]) - seconds_of(&v["start"]);
    assert!(
        intervals.iter().any(|v| span(v) < 0.9),
        "no interval cut short by Ctrl-\\: {intervals:?}"
    );
    let (mut sent, mut got) = (0, 0);
    for (i, v) in intervals.iter().enumerate() {
        assert_eq!(
            (&v["command"], &v["host"]),
            (&"mesh".into(), &hosts[0].as_str().into())
        );
        assert_eq!(v["time"], v["end"]);
        if i > 0 {
            assert_eq!(v["start"], intervals[i - 1]["end"], "intervals follow on");
        }
        let peer = &v["peers"][0];
        assert_eq!(peer["peer"], hosts[1].as_str(), "{v}");
        sent += peer["interval"]["unicast"]["sent"].as_u64().unwrap();
        got += peer["interval"]["multicast"]["received"].as_u64().unwrap();
        assert_eq!(
            peer["unicast"]["sent"], sent,
            "so far is the sum of the intervals: {v}"
        );
        assert_eq!(peer["multicast"]["received"], got, "{v}");
    }
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
    }
}
