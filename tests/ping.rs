//! `mcast ping` against Debian's ssmpingd in the lab: both paths counted, and the verdicts a
//! person acts on when multicast does not arrive or nothing answers.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use common::{json_lines, run, stderr, stdout};
use lab::Lab;
use mcast::wire::ssmping::{Kind, Message};
use std::time::Duration;

const FAST: [&str; 6] = ["-c", "3", "--interval", "100ms", "-t", "500ms"];

#[test]
fn ssmpingd_answers_on_both_paths_v4_and_v6() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let _reflector = server.ssmpingd();
    let (v4, v6) = (server.v4.to_string(), server.v6.to_string());
    let mut args = vec!["ping", v4.as_str(), v6.as_str(), "--json"];
    args.extend(FAST);
    let out = run(client, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    let replies = events.iter().filter(|e| e["type"] == "reply").count();
    assert_eq!(replies, 12, "3 requests x 2 servers x 2 paths");
    let summary = events.last().unwrap();
    assert_eq!(
        (summary["type"].as_str(), summary["command"].as_str()),
        (Some("summary"), Some("ping"))
    );
    assert_eq!(summary["verdict"], "multicast_works");
    let summaries = common::ping_servers(&out);
    assert_eq!(summaries.len(), 2);
    for (s, addr) in summaries.iter().zip([&v4, &v6]) {
        assert_eq!(s["server"].as_str(), Some(addr.as_str()));
        for path in ["unicast", "multicast"] {
            assert_eq!(s[path]["received"], 3, "{s}");
            assert_eq!(s[path]["loss_pct"], 0.0, "{s}");
            assert_eq!(s[path]["hops"], 0, "one link: no router");
            let rtt = s[path]["rtt_avg_ms"].as_f64().unwrap();
            assert!(rtt > 0.0 && rtt < 1000.0, "{s}");
        }
        assert_eq!(s["verdict"], "multicast_works");
    }
}

#[test]
fn a_group_the_reflector_does_not_serve_is_unicast_only() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    // ssmpingd serves only groups ending in .234 (or ::4321:1234): asked for another, it
    // answers unicast and its multicast never reaches the group the client joined.
    let _reflector = server.ssmpingd();
    let v4 = server.v4.to_string();
    let mut args = vec!["ping", v4.as_str(), "--group", "232.1.2.3"];
    args.extend(FAST);
    let out = run(client, &args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("  unicast    3 sent, 3 received, 0.0% loss"),
        "{text}"
    );
    assert!(
        text.contains("  multicast  3 sent, 0 received, 100.0% loss"),
        "{text}"
    );
    assert!(
        text.contains(
            "verdict: unicast only: first, the reflector may not serve 232.1.2.3: ssmpingd"
        ),
        "{text}"
    );
    assert!(
        stderr(&out).contains(
            "mcast: --group 232.1.2.3: ssmpingd, and mcast reflect started without --group \
             232.1.2.3, answer on multicast only for groups ending in .234"
        ),
        "warned before sending: {}",
        stderr(&out)
    );
}

#[test]
fn no_reflector_is_no_reply_and_a_group_is_no_server() {
    let lab = Lab::new(2);
    let v4 = lab.host(1).v4.to_string();
    let mut args = vec!["ping", v4.as_str(), "--json"];
    args.extend(FAST);
    let out = run(lab.host(2), &args);
    assert_eq!(
        out.status.code(),
        Some(3),
        "no reply is 3, apart from unicast only's 1"
    );
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(summary["verdict"], "no_reply", "{summary}");
    // RFC 6450 sends inits until a session opens: a silent server is given up after -c of
    // them (it once kept `ping -c` running for ever).
    args.extend(["--protocol", "rfc6450"]);
    let out = run(lab.host(2), &args);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(
        (
            summary["verdict"].as_str(),
            summary["servers"][0]["unicast"]["sent"].as_u64()
        ),
        (Some("no_reply"), Some(0)),
        "{summary}"
    );
    let bad = run(lab.host(2), &["ping", "232.43.211.234"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("232.43.211.234: a server is the unicast address"),
        "{}",
        stderr(&bad)
    );
}

/// RFC 6450 to `mcast reflect` and to omping: an init opens a session, then both paths
/// answer; hops come from the server's TTL option.
#[test]
fn rfc6450_to_mcast_reflect_and_to_omping() {
    if lab::omping_or_skip("rfc6450_to_mcast_reflect_and_to_omping").is_none() {
        return;
    }
    let lab = Lab::new(3);
    let (ours, theirs, client) = (lab.host(1), lab.host(2), lab.host(3));
    let reflect = common::spawn(common::command(ours, &["reflect", "-d", "6s"]));
    let (o, t, c) = (
        ours.v4.to_string(),
        theirs.v4.to_string(),
        client.v4.to_string(),
    );
    // omping answers only hosts in its list, and keeps pinging them meanwhile.
    let _omping = theirs.omping(&["-c", "60", "-i", "0.1", "-F", &t, &c]);
    std::thread::sleep(Duration::from_millis(300));
    let mut args = vec![
        "ping",
        o.as_str(),
        t.as_str(),
        "--protocol",
        "rfc6450",
        "--json",
    ];
    args.extend(FAST);
    let out = run(client, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let summaries = common::ping_servers(&out);
    assert_eq!(summaries.len(), 2);
    for s in &summaries {
        for path in ["unicast", "multicast"] {
            assert_eq!(
                (s[path]["sent"].as_u64(), s[path]["received"].as_u64()),
                (Some(3), Some(3)),
                "{s}"
            );
            assert_eq!(s[path]["hops"], 0, "{s}");
        }
    }
    common::finish(reflect, Duration::from_secs(10));
}

/// One client and a thousand reflectors (one `mcast reflect` answering on a thousand
/// addresses, each reply from the address asked): every server tracked on its own, every one
/// with both paths, though one socket may hold only ten sources of a group.
#[test]
fn a_thousand_servers_in_one_run() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    // 198.18.0.0/15 is for benchmarks: 198.18.0.1 .. 198.18.3.250.
    let addrs: Vec<String> = (0..1000)
        .map(|i| format!("198.18.{}.{}", i / 250, i % 250 + 1))
        .collect();
    let batch = std::env::temp_dir().join(format!("mcast-addrs-{}", std::process::id()));
    let lines: String = addrs
        .iter()
        .map(|a| format!("addr add {a}/16 dev {}\n", lab::IFACE))
        .collect();
    std::fs::write(&batch, lines).unwrap();
    let added = server.exec("ip", &["-batch", batch.to_str().unwrap()]);
    std::fs::remove_file(&batch).unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let route = client.exec("ip", &["route", "add", "198.18.0.0/16", "dev", lab::IFACE]);
    assert!(route.status.success());
    let reflect = common::spawn(common::command(
        server,
        &[
            "reflect",
            "-d",
            "20s",
            "--rate",
            "1000",
            "--total-rate",
            "100000",
            // One group for all thousand: its own limit (100 a second) lifted too.
            "--group-rate",
            "100000",
        ],
    ));
    std::thread::sleep(Duration::from_millis(500));
    let mut args = vec!["ping", "-c", "2", "--interval", "1s", "-t", "1s", "--json"];
    args.extend(addrs.iter().map(String::as_str));
    let out = run(client, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summaries = common::ping_servers(&out);
    assert_eq!(summaries.len(), 1000);
    for (s, addr) in summaries.iter().zip(&addrs) {
        assert_eq!(s["server"], addr.as_str());
        assert_eq!(
            (
                s["unicast"]["received"].as_u64(),
                s["multicast"]["received"].as_u64()
            ),
            (Some(2), Some(2)),
            "{s}"
        );
    }
    drop(reflect);
}

/// A hostile reflector in `host` for `secs` seconds: each ssmping request it gets is answered
/// with whatever `replies` makes of it, each as (source, destination port's group or client,
/// bytes): the source may be forged (another host's address), through a raw socket.
fn hostile_reflector(
    host: &lab::Host,
    secs: u64,
    replies: impl Fn(&Message) -> Vec<(std::net::Ipv4Addr, bool, Vec<u8>)> + Send + 'static,
) -> std::thread::JoinHandle<()> {
    use std::net::{SocketAddrV4, UdpSocket};
    let own = host.v4;
    host.spawn(move || {
        let sock = UdpSocket::bind((std::net::Ipv4Addr::UNSPECIFIED, mcast::wire::PORT)).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        sock.set_multicast_ttl_v4(64).unwrap();
        sock.set_ttl(64).unwrap();
        let raw = lab::spoof::raw_sender();
        let group = SocketAddrV4::new("232.43.211.234".parse().unwrap(), 0);
        let end = std::time::Instant::now() + Duration::from_secs(secs);
        let mut buf = [0u8; 2048];
        while std::time::Instant::now() < end {
            let Ok((n, std::net::SocketAddr::V4(client))) = sock.recv_from(&mut buf) else {
                continue;
            };
            let Ok(request) = Message::decode(&buf[..n]) else {
                continue;
            };
            for (from, to_group, bytes) in replies(&request).into_iter().take(64) {
                let to = if to_group {
                    SocketAddrV4::new(*group.ip(), client.port())
                } else {
                    client
                };
                if from == own {
                    let _ = sock.send_to(&bytes, to);
                } else {
                    let from = SocketAddrV4::new(from, mcast::wire::PORT);
                    lab::spoof::send_forged(&raw, from, to, &bytes);
                }
            }
        }
    })
}

/// A request turned into its reply, as a reflector answers.
fn reply_of(request: &Message) -> Message {
    Message {
        kind: Some(Kind::Reply),
        ..request.clone()
    }
}

/// A hostile server C, pinged with B (where nothing runs), answers as itself and also forges
/// B's replies from B's address: B stays "no reply", since each server has a client id of its
/// own that C never sees (issue 19, item 7).
#[test]
fn a_hostile_server_cannot_answer_for_another() {
    let lab = Lab::new(3);
    let (silent, client, hostile) = (lab.host(1), lab.host(2), lab.host(3));
    let (b, c) = (silent.v4, hostile.v4);
    let forger = hostile_reflector(hostile, 4, move |q| {
        let bytes = reply_of(q).encode();
        vec![
            (c, false, bytes.clone()),
            (c, true, bytes.clone()),
            (b, false, bytes.clone()),
            (b, true, bytes),
        ]
    });
    std::thread::sleep(Duration::from_millis(200));
    let (bs, cs) = (b.to_string(), c.to_string());
    let mut args = vec!["ping", bs.as_str(), cs.as_str(), "--json"];
    args.extend(FAST);
    let out = run(client, &args);
    forger.join().unwrap();
    let summaries = common::ping_servers(&out);
    let of = |addr: &str| {
        summaries
            .iter()
            .find(|s| s["server"] == addr)
            .unwrap_or_else(|| panic!("a summary for {addr}: {}", stdout(&out)))
    };
    let (sb, sc) = (of(&bs), of(&cs));
    assert_eq!(
        sc["verdict"], "multicast_works",
        "C answered as itself: {sc}"
    );
    assert_eq!(
        sb["verdict"], "no_reply",
        "C's forgeries are not B's replies: {sb}"
    );
    for path in ["unicast", "multicast"] {
        assert_eq!(sb[path]["received"], 0, "{sb}");
    }
    assert_eq!(
        out.status.code(),
        Some(3),
        "B has no reply: {}",
        stderr(&out)
    );
}

/// A hostile reflector answers each request, and adds replies to requests never sent, with
/// forged send times: none of those is counted, and round trips come from our own send
/// times only (issue 19, item 8).
#[test]
fn replies_to_requests_never_sent_are_not_counted() {
    let lab = Lab::new(2);
    let (hostile, client) = (lab.host(1), lab.host(2));
    let c = hostile.v4;
    let forger = hostile_reflector(hostile, 4, move |q| {
        let real = reply_of(q);
        let mut out = Vec::new();
        for fake in 1..=20u32 {
            // Numbers never sent (and 0), each claiming to be sent at the Unix epoch.
            let seq = if fake == 20 {
                0
            } else {
                q.seq.unwrap_or(0) + 100 * fake
            };
            let forged = Message {
                seq: Some(seq),
                sent_ns: Some(1_000),
                ..real.clone()
            };
            out.push((c, false, forged.encode()));
            out.push((c, true, forged.encode()));
        }
        // The real reply, its echoed send time forged too.
        let lying = Message {
            sent_ns: Some(1_000),
            ..real
        };
        out.push((c, false, lying.encode()));
        out.push((c, true, lying.encode()));
        out
    });
    std::thread::sleep(Duration::from_millis(200));
    let cs = c.to_string();
    let mut args = vec!["ping", cs.as_str(), "--json"];
    args.extend(FAST);
    let out = run(client, &args);
    forger.join().unwrap();
    let s = &common::ping_servers(&out)[0];
    for path in ["unicast", "multicast"] {
        assert_eq!(
            (s[path]["sent"].as_u64(), s[path]["received"].as_u64()),
            (Some(3), Some(3)),
            "{s}"
        );
        assert_eq!(s[path]["loss_pct"], 0.0, "{s}");
        let max = s[path]["rtt_max_ms"].as_f64().unwrap();
        assert!(max < 1000.0, "round trips from our own send times: {s}");
    }
    assert_eq!(s["unsolicited"], 3 * 2 * 20, "{s}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn report_and_ctrl_backslash_print_each_servers_figures_so_far() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let _reflector = common::spawn(common::command(server, &["reflect", "-d", "8s"]));
    std::thread::sleep(Duration::from_millis(400));
    let v4 = server.v4.to_string();
    let ping = common::start(
        client,
        &[
            "ping",
            &v4,
            "-c",
            "8",
            "--interval",
            "0.4s",
            "-t",
            "0.5s",
            "--report",
            "1s",
            "--json",
        ],
    );
    // `start` waited for the first line (the first reply): Ctrl-\ between two reports.
    std::thread::sleep(Duration::from_millis(1500));
    ping.signal(nix::sys::signal::Signal::SIGQUIT);
    let out = ping.wait(Duration::from_secs(15));
    let lines = json_lines(&out);
    let intervals: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["type"] == "interval").collect();
    // Reports at 1, 2 and 3 s, and the one Ctrl-\ asked for.
    assert!(intervals.len() >= 4, "{lines:?}");
    let (mut sent, mut got) = (0, 0);
    for (i, v) in intervals.iter().enumerate() {
        assert_eq!(
            (&v["command"], &v["server"]),
            (&"ping".into(), &v4.as_str().into())
        );
        assert_eq!(v["time"], v["end"]);
        if i > 0 {
            assert_eq!(v["start"], intervals[i - 1]["end"], "intervals follow on");
        }
        sent += v["interval"]["unicast"]["sent"].as_u64().unwrap();
        got += v["interval"]["multicast"]["received"].as_u64().unwrap();
        assert_eq!(
            v["unicast"]["sent"], sent,
            "so far is the sum of the intervals: {v}"
        );
        assert_eq!(v["multicast"]["received"], got, "{v}");
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(
        summary["servers"][0]["multicast"]["received"], 8,
        "{summary}"
    );
    assert_eq!(out.status.code(), Some(0));
}
