//! Verdicts against faults made for real: loss that was hidden or invented (issue 18).
//! Each test makes the fault in the lab (nft on the receiver, a late join) and checks what
//! the engineer reads: the counts, the reason, and the exit status.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::time::{Duration, Instant};

use common::{json_lines, spawn, start, stderr, stdout};
use lab::Lab;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);

fn summary(out: &std::process::Output) -> Value {
    json_lines(out)
        .into_iter()
        .rev()
        .find(|e| e["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {}{}", stdout(out), stderr(out)))
}

/// A planned run of 60 probes, one every 100 ms, stops arriving at 2.5 s (nft drops the
/// port on the receivers): what was due after that is lost, in every interim report after
/// the drop and in the summary, and the text says when arrivals stopped. Exit 1.
#[test]
fn a_stream_that_stops_part_way_is_lost_from_there() {
    let lab = Lab::new(3);
    let (tx, json_rx, text_rx) = (lab.host(1), lab.host(2), lab.host(3));
    let g = "239.18.1.1";
    let json = start(
        json_rx,
        &[
            "recv", g, "7777", "-q", "-d", "8s", "--report", "2s", "--json",
        ],
    );
    let text = start(text_rx, &["recv", g, "7777", "-d", "8s"]);
    let send = spawn(common::command(
        tx,
        &["send", g, "7777", "-c", "60", "--interval", "100ms"],
    ));
    std::thread::sleep(Duration::from_millis(2500));
    json_rx.drop_udp_port(7777);
    text_rx.drop_udp_port(7777);
    let sent = common::finish(send, WAIT);
    assert!(sent.status.success(), "{}", stderr(&sent));

    let out = json.wait(WAIT);
    assert_eq!(
        out.status.code(),
        Some(1),
        "loss is exit 1: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("probes were lost"),
        "{}",
        stderr(&out)
    );
    let s = summary(&out);
    let x = &s["senders"][0];
    let received = x["received"].as_u64().unwrap();
    assert!((15..=30).contains(&received), "{x}");
    assert_eq!(
        x["lost"].as_u64(),
        Some(60 - received),
        "every one not heard: {x}"
    );
    assert_eq!(x["lost_after_last"], x["lost"], "{x}");
    assert_eq!(
        (x["pending"].as_u64(), x["before_join"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(s["lost"], x["lost"]);
    assert!(x["silent_ms"].as_f64().unwrap() > 4000.0, "{x}");
    // The interim at 4 s (1.5 s after the drop) already counts what was overdue then.
    let intervals: Vec<Value> = json_lines(&out)
        .into_iter()
        .filter(|e| e["type"] == "interval")
        .collect();
    assert!(intervals.len() >= 2, "{intervals:?}");
    let at_4s = &intervals[1]["senders"][0];
    let (lost, pending) = (
        at_4s["lost"].as_u64().unwrap(),
        at_4s["pending"].as_u64().unwrap(),
    );
    assert!(lost >= 8, "overdue by 4 s: {at_4s}");
    assert!(pending >= 10, "not yet due at 4 s: {at_4s}");

    let out = text.wait(WAIT);
    assert_eq!(out.status.code(), Some(1));
    let t = stdout(&out);
    let heard = t
        .lines()
        .find(|l| l.starts_with("sender "))
        .unwrap_or_else(|| panic!("{t}"));
    let got: u64 = heard
        .split(": ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{heard}"));
    assert!(
        heard.contains(&format!("{got} received, {} lost", 60 - got)),
        "{t}"
    );
    let silence = t
        .lines()
        .find(|l| l.trim_start().starts_with("nothing from "))
        .unwrap_or_else(|| panic!("when arrivals stopped: {t}"));
    assert!(
        silence.contains("s before the end")
            && silence.contains(&format!(
                "{} of its planned probes were due since and are counted lost",
                60 - got
            )),
        "{silence}"
    );
    assert!(!t.contains("not counted as lost"), "{t}");
}

/// A receiver that joins 3 s into a planned run: what was sent before it joined is said,
/// not counted as lost. Exit 0.
#[test]
fn joining_a_planned_run_midway_is_not_loss() {
    let lab = Lab::new(3);
    let (tx, json_rx, text_rx) = (lab.host(1), lab.host(2), lab.host(3));
    let g = "239.18.1.2";
    let send = spawn(common::command(
        tx,
        &["send", g, "7777", "-c", "50", "--interval", "100ms"],
    ));
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(3000));
    let json = start(json_rx, &["recv", g, "7777", "-q", "-t", "1s", "--json"]);
    let text = start(text_rx, &["recv", g, "7777", "-t", "1s"]);
    let late_ms = started.elapsed().as_millis();
    assert!(common::finish(send, WAIT).status.success());

    let out = json.wait(WAIT);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let x = summary(&out)["senders"][0].clone();
    let received = x["received"].as_u64().unwrap();
    assert_eq!(x["lost"], 0, "{x}");
    assert_eq!(x["before_join"].as_u64(), Some(50 - received), "{x}");
    // Joined about 3 s in: about 30 were sent before (the start of mcast counts too).
    assert!(
        (20..=35).contains(&(50 - received)),
        "{late_ms} ms late: {x}"
    );

    let out = text.wait(WAIT);
    assert_eq!(out.status.code(), Some(0));
    let t = stdout(&out);
    assert!(t.contains(" received, 0 lost"), "{t}");
    let before = t
        .lines()
        .find(|l| l.contains("sent before this receiver joined, not counted"))
        .unwrap_or_else(|| panic!("{t}"));
    let n: u64 = before.trim().split(' ').next().unwrap().parse().unwrap();
    assert!((20..=35).contains(&n), "{before}");
}

fn events_of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// RFC 6450 with `-c 1` against a working reflector: the session init takes no request of
/// the count, and the one request is numbered 1 on both paths. With `-c 2`, 1 and 2.
#[test]
fn an_rfc6450_session_init_does_not_consume_the_count() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let reflect = spawn(common::command(server, &["reflect", "-d", "10s"]));
    std::thread::sleep(Duration::from_millis(300));
    let s = server.v4.to_string();
    for (count, seqs) in [("1", vec![1]), ("2", vec![1, 2])] {
        let out = common::run(
            client,
            &[
                "ping",
                &s,
                "--protocol",
                "rfc6450",
                "-c",
                count,
                "--interval",
                "200ms",
                "-t",
                "1s",
                "--json",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        let events = json_lines(&out);
        for path in ["unicast", "multicast"] {
            let got: Vec<u64> = events_of(&events, "reply")
                .iter()
                .filter(|r| r["path"] == path)
                .map(|r| r["seq"].as_u64().unwrap())
                .collect();
            assert_eq!(got, seqs, "{path} replies with -c {count}: {events:?}");
        }
        let summary = &events_of(&events, "summary")[0]["servers"][0];
        assert_eq!(summary["unicast"]["sent"].as_u64(), Some(seqs.len() as u64));
        assert_eq!(
            summary["unicast"]["loss_pct"].as_f64(),
            Some(0.0),
            "{summary}"
        );
    }
    drop(reflect);
}

/// A server that never answers an RFC 6450 init: no request was sent, so there is no loss
/// figure to give: "no reply" in text, null in JSON, never "0 sent ... 0.0% loss". A dead
/// ssmping server was asked, so its loss is 100%.
#[test]
fn nothing_sent_is_no_reply_not_zero_loss() {
    let lab = Lab::new(2);
    let silent = lab.host(1).v4.to_string();
    let fast = ["-c", "2", "--interval", "100ms", "-t", "300ms"];
    let mut args = vec!["ping", silent.as_str(), "--protocol", "rfc6450"];
    args.extend(fast);
    let out = common::run(lab.host(2), &args);
    assert_eq!(out.status.code(), Some(3), "no reply");
    let t = stdout(&out);
    assert!(!t.contains("0.0% loss"), "{t}");
    assert!(t.contains("unicast    no reply: no request sent"), "{t}");
    assert!(t.contains("verdict: no reply"), "{t}");
    args.push("--json");
    let out = common::run(lab.host(2), &args);
    let summary = json_lines(&out).pop().unwrap()["servers"][0].clone();
    for path in ["unicast", "multicast"] {
        assert!(summary[path]["loss_pct"].is_null(), "{summary}");
        assert!(summary[path]["loss_since_first_pct"].is_null(), "{summary}");
        assert_eq!(summary[path]["sent"], 0, "{summary}");
    }
    let mut args = vec!["ping", silent.as_str(), "--json"];
    args.extend(fast);
    let summary = json_lines(&common::run(lab.host(2), &args)).pop().unwrap();
    assert_eq!(
        summary["servers"][0]["unicast"]["loss_pct"].as_f64(),
        Some(100.0),
        "{summary}"
    );
}

/// An IGMPv2 querier on the link and a receiver joining with --source: recv warns that SSM
/// cannot work there and names the querier's version; watch, which sees the host's v2
/// report, says the fix is the version, not to "join it with --source" (it did).
#[test]
fn an_igmpv2_querier_under_a_source_specific_receiver_is_named_as_the_cause() {
    let lab = Lab::new(3);
    lab.querier(2, 1, 3);
    let (rx, sender, watcher) = (lab.host(1), lab.host(2), lab.host(3));
    let watch = spawn(common::command(
        watcher,
        &["watch", "-4", "-i", "eth0", "-d", "5s", "--json"],
    ));
    // A query or two, so the receiver's kernel falls back to IGMPv2.
    std::thread::sleep(Duration::from_millis(2000));
    let s = sender.v4.to_string();
    let out = common::run(
        rx,
        &[
            "recv",
            "232.18.1.1",
            "7777",
            "-i",
            "eth0",
            "--source",
            &s,
            "-d",
            "2s",
        ],
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "eth0 is in IGMPv2 compatibility mode: its membership reports cannot carry sources"
        ) && err.contains("make the querier speak IGMPv3"),
        "{err}"
    );
    let events = json_lines(&common::finish(watch, WAIT));
    let ssm: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "warning" && e["kind"] == "asm_in_ssm_range")
        .collect();
    assert!(!ssm.is_empty(), "{events:?}");
    let message = ssm[0]["message"].as_str().unwrap();
    assert!(
        message.contains("in IGMPv2, which cannot carry sources")
            && message.contains("Make the querier speak IGMPv3"),
        "{message}"
    );
    assert!(!message.contains("join it with --source"), "{message}");
}

/// A hostile host reads the sender's id off the wire and forges probes under it, from the
/// sender's own address: a number a million ahead with a planned count of 4294967295, and a
/// send time an hour off; then 2,000 spoofed strangers with one probe each. The real
/// sender's figures stay true (nothing lost, the forgeries not believed and said), the
/// strangers are not added to the totals, and recv exits 0 (issue 19, item 11).
#[test]
fn forged_probes_and_spoofed_strangers_do_not_bend_a_senders_figures() {
    use std::net::{Ipv4Addr, SocketAddrV4};
    let lab = Lab::new(3);
    let (tx, rx, hostile) = (lab.host(1), lab.host(2), lab.host(3));
    let g: Ipv4Addr = "239.18.1.9".parse().unwrap();
    let gs = g.to_string();
    let recv = start(
        rx,
        &[
            "recv", &gs, "7777", "-q", "-t", "1500ms", "--json", "--rcvbuf", "8388608",
        ],
    );
    // The hostile host listens as any receiver may, to learn the id.
    let listener = hostile.spawn(move || {
        let sock = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 7777)).unwrap();
        sock.join_multicast_v4(&g, &Ipv4Addr::UNSPECIFIED).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 2048];
        let (n, _) = sock.recv_from(&mut buf).expect("a probe to read");
        mcast::probe::Probe::decode(&buf[..n]).expect("a probe")
    });
    std::thread::sleep(Duration::from_millis(300));
    let send = spawn(common::command(
        tx,
        &["send", &gs, "7777", "-c", "40", "--interval", "50ms"],
    ));
    let seen = listener.join().unwrap();
    let real_source = tx.v4;
    hostile.run(move || {
        let raw = lab::spoof::raw_sender();
        let to = SocketAddrV4::new(g, 7777);
        let forge = |p: mcast::probe::Probe, from: SocketAddrV4| {
            let mut buf = [0u8; 64];
            assert!(p.encode(&mut buf));
            lab::spoof::send_forged(&raw, from, to, &buf);
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let from = SocketAddrV4::new(real_source, 40_000);
        let mut far = seen;
        far.seq += 1_000_000;
        far.planned = u32::MAX;
        forge(far, from);
        let mut ahead = seen;
        ahead.seq += 1_000_000;
        ahead.sent_ns = now;
        forge(ahead, from);
        let mut hour_off = seen;
        hour_off.seq += 1;
        hour_off.sent_ns = now + 3_600_000_000_000;
        forge(hour_off, from);
        for n in 0..2000u32 {
            let stranger = mcast::probe::Probe {
                sender: n,
                seq: 1_000_000,
                sent_ns: 1,
                planned: u32::MAX,
            };
            let from = SocketAddrV4::new(Ipv4Addr::new(10, 9, (n >> 8) as u8, n as u8), 40_000);
            forge(stranger, from);
        }
    });
    assert!(common::finish(send, WAIT).status.success());
    let out = recv.wait(WAIT);
    let s = summary(&out);
    let real = s["senders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["source"] == real_source.to_string() && !x["heard_once"].as_bool().unwrap())
        .unwrap_or_else(|| panic!("the real sender: {s}"))
        .clone();
    assert_eq!(
        (real["received"].as_u64(), real["lost"].as_u64()),
        (Some(40), Some(0)),
        "{real} {}",
        serde_json::json!({"probes": s["probes"], "foreign": s["foreign"], "n": s["senders"].as_array().map(|a| a.len()), "untracked": s["untracked_senders"]})
    );
    assert_eq!(real["disbelieved"], 3, "{real}");
    assert_eq!(real["planned"], 40, "{real}");
    assert!(real["delay_min_ms"].as_f64().unwrap() > -1000.0, "{real}");
    assert_eq!(s["lost"], 0, "strangers are not in the totals: {s}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The receiver's link carries 1400 bytes, the sender's 1500: a sender cycling through 200-
/// and 1472-byte probes (DF set) reaches the receiver with the small ones only, and recv
/// names the size that does not arrive, with the fix (issue 18, item 10).
#[test]
fn datagrams_of_a_size_that_does_not_arrive_are_named() {
    let lab = Lab::new(3);
    let (tx, rx, text_rx) = (lab.host(1), lab.host(2), lab.host(3));
    for h in [rx, text_rx] {
        let mtu = h.exec("ip", &["link", "set", "dev", lab::IFACE, "mtu", "1400"]);
        assert!(mtu.status.success(), "{}", stderr(&mtu));
    }
    let g = "239.18.1.10";
    let text = start(text_rx, &["recv", g, "7777", "-t", "3s"]);
    let json = start(rx, &["recv", g, "7777", "-q", "-t", "3s", "--json"]);
    let sent = common::run(
        tx,
        &[
            "send",
            g,
            "7777",
            "--sizes",
            "200,1472",
            "-c",
            "20",
            "--interval",
            "20ms",
        ],
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = json.wait(WAIT);
    assert_eq!(
        out.status.code(),
        Some(1),
        "probes were lost: {}",
        stdout(&out)
    );
    let x = summary(&out)["senders"][0].clone();
    assert_eq!(x["sizes"][0]["size"], 200, "{x}");
    assert_eq!(x["sizes"][0]["received"], 10, "{x}");
    assert_eq!(x["sizes"][1]["received"], 0, "{x}");
    assert_eq!(x["sizes_not_arriving"], serde_json::json!([1472]), "{x}");
    let out = text.wait(WAIT);
    let t = stdout(&out);
    assert!(
        t.contains("  datagrams of 1472 bytes do not arrive (200 bytes do): a link on the way carries less (its MTU)"),
        "{t}"
    );
    assert!(
        t.contains("  by size: 200 bytes 10 of 10, 1472 bytes 0 of "),
        "{t}"
    );
}
