//! `mcast send`, `recv` and `join` run as a user would, between lab hosts.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::{IpAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::{json_lines, run, run_with_input, start, stderr, stdout};
use lab::{IFACE, Lab};
use nix::sys::signal::Signal;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn brief_example_ssm_recv_shows_only_the_chosen_source() {
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    let source = h2.v4.to_string();
    let rx = start(
        h1,
        &["recv", "234.2.3.4", "7777", "--source", &source, "-t", "1s"],
    );
    assert!(
        rx.lines[0].starts_with("joined 234.2.3.4 from"),
        "{:?}",
        rx.lines
    );
    let intruder = run(h3, &["send", "234.2.3.4", "7777", "not me"]);
    assert!(intruder.status.success(), "{}", stderr(&intruder));
    let sent = run(h2, &["send", "234.2.3.4", "7777", "hi"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(
        stdout(&sent).starts_with("sent 1 datagram, 2 bytes"),
        "{}",
        stdout(&sent)
    );
    let out = rx.wait(WAIT);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("{source}:")) && text.contains("\"hi\""),
        "{text}"
    );
    assert!(
        !text.contains("not me"),
        "a third host's datagram was shown:\n{text}"
    );
    assert!(text.contains("1 datagram, 2 bytes"), "{text}");
    assert!(text.contains("left 234.2.3.4"), "{text}");
}

#[test]
fn brief_example_link_local_send_with_zone() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let zoned = format!("ff02::1234%{IFACE}");
    let rx = start(
        h1,
        &["recv", &zoned, "7777", "-c", "1", "-t", "5s", "--json"],
    );
    let sent = run(h2, &["send", "ff02::1234%eth0", "7777", "hi"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&out);
    let packet = events
        .iter()
        .find(|e| e["type"] == "packet")
        .expect("a packet event");
    assert_eq!(packet["text"], "hi");
    assert_eq!(packet["group"], "ff02::1234");
    assert_eq!(packet["interface"], IFACE);
    assert_eq!(packet["source"], h2.link_local().to_string());
    assert_eq!(packet["ttl"], 1);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["joined", "packet", "left", "summary"]);
    assert_eq!(events[3]["packets"], 1);
}

#[test]
fn ipv6_any_source_and_source_specific() {
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    let asm = start(
        h1,
        &["recv", "ff15::99", "7777", "-c", "2", "-t", "3s", "--json"],
    );
    let source = h2.v6.to_string();
    let ssm = start(
        h1,
        &[
            "recv", "ff3e::99", "7778", "--source", &source, "-t", "1s", "--json",
        ],
    );
    for h in [h2, h3] {
        assert!(
            run(h, &["send", "ff15::99", "7777", "-i", IFACE, "asm"])
                .status
                .success()
        );
        assert!(
            run(h, &["send", "ff3e::99", "7778", "-i", IFACE, "ssm"])
                .status
                .success()
        );
    }
    let asm = json_lines(&asm.wait(WAIT));
    let from: Vec<&str> = asm
        .iter()
        .filter(|e| e["type"] == "packet")
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(from.len(), 2, "{asm:?}");
    let ssm = json_lines(&ssm.wait(WAIT));
    let from: Vec<&str> = ssm
        .iter()
        .filter(|e| e["type"] == "packet")
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(from, [source.as_str()]);
}

/// Sends hand-made probes with a gap, a duplicate and a reordering from a plain socket.
#[test]
fn probe_statistics_count_loss_duplicates_and_reordering_exactly() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &["recv", "239.9.9.9", "7777", "-c", "7", "-t", "3s", "--json"],
    );
    let from = h2.v4;
    h2.run(move || {
        let sock = UdpSocket::bind((from, 0)).unwrap();
        sock.set_multicast_ttl_v4(1).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        for seq in [0u64, 1, 2, 4, 3, 3, 6] {
            let mut buf = [0u8; 64];
            assert!(
                mcast::probe::Probe {
                    sender: 0xabcd,
                    seq,
                    sent_ns: now.as_nanos() as u64,
                    planned: 8,
                }
                .encode(&mut buf)
            );
            sock.send_to(&buf, "239.9.9.9:7777").unwrap();
        }
    });
    let out = rx.wait(WAIT);
    let events = json_lines(&out);
    let summary = events.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["packets"], 7);
    assert_eq!(summary["probes"], 7);
    let s = &summary["senders"][0];
    assert_eq!(s["sender"], "0000abcd");
    // 5 is a gap; 7, planned but not yet sent when -c 7 stopped receiving, is still to come.
    assert_eq!(
        (
            s["received"].as_u64(),
            s["lost"].as_u64(),
            s["pending"].as_u64()
        ),
        (Some(7), Some(1), Some(1))
    );
    assert_eq!(
        (s["duplicates"].as_u64(), s["reordered"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(summary["lost"], 1);
    assert_eq!(summary["ended_by"], "count");
    let seqs: Vec<u64> = events
        .iter()
        .filter(|e| e["type"] == "packet")
        .map(|e| e["probe"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [0, 1, 2, 4, 3, 3, 6]);
}

#[test]
fn mcast_probes_arrive_counted_with_no_loss() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &[
            "recv",
            "239.9.9.8",
            "7777",
            "-c",
            "20",
            "-t",
            "3s",
            "-q",
            "--json",
        ],
    );
    let sent = run(
        h2,
        &[
            "send",
            "239.9.9.8",
            "7777",
            "-c",
            "20",
            "--interval",
            "5ms",
            "--size",
            "100",
            "--json",
        ],
    );
    let sent = json_lines(&sent);
    assert_eq!(sent[0]["packets"], 20);
    assert_eq!(sent[0]["bytes"], 2000);
    let events = json_lines(&rx.wait(WAIT));
    assert!(
        events.iter().all(|e| e["type"] != "packet"),
        "--quiet printed packets"
    );
    let summary = events.last().unwrap();
    assert_eq!(summary["packets"], 20);
    assert_eq!(summary["senders"][0]["planned"], 20);
    assert_eq!(summary["lost"], 0);
    assert!(summary["senders"][0]["delay_max_ms"].as_f64().unwrap() < 1000.0);
}

/// A quote in a payload cannot end the quoted text early and forge fields; invisible
/// characters show; an IPv6 sender's address and port are told apart.
#[test]
fn payloads_cannot_forge_fields_and_ipv6_ports_are_bracketed() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &[
            "recv",
            "ff15::4321",
            "7777",
            "-i",
            IFACE,
            "-c",
            "2",
            "-t",
            "3s",
        ],
    );
    let forged = r#"ok"  ttl 64  "see"#;
    let hidden = "tag\u{e0041} soft\u{ad}hyphen";
    for payload in [forged, hidden] {
        let sent = run(h2, &["send", "ff15::4321", "7777", "-i", IFACE, payload]);
        assert!(sent.status.success(), "{}", stderr(&sent));
    }
    let out = rx.wait(WAIT);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(" > ")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].ends_with(r#"ttl 1  "ok\"  ttl 64  \"see""#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(r#""tag\u{e0041} soft\xadhyphen""#),
        "{}",
        lines[1]
    );
    let source = format!("[{}]:", h2.v6);
    assert!(lines.iter().all(|l| l.contains(&source)), "{text}");
}

#[test]
fn standard_input_lines_become_datagrams_and_hostile_bytes_are_escaped() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(h1, &["recv", "239.9.9.7", "7777", "-c", "2", "-t", "3s"]);
    let sent = run_with_input(
        h2,
        &["send", "239.9.9.7", "7777", "-"],
        "plain\n\x1b[2J\x07evil\n",
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = rx.wait(WAIT);
    let text = stdout(&out);
    assert!(text.contains("\"plain\""), "{text}");
    assert!(text.contains("\"\\x1b[2J\\x07evil\""), "{text}");
    assert!(!text.contains('\x1b'), "an escape byte reached the output");
}

#[test]
fn recv_with_nothing_sent_times_out_with_status_1() {
    let lab = Lab::new(1);
    let began = Instant::now();
    let out = run(
        lab.host(1),
        &["recv", "239.9.9.6", "7777", "--timeout", "1s"],
    );
    let took = began.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("timeout passed and no datagram arrived"),
        "{}",
        stderr(&out)
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn sigint_prints_the_summary_and_leaves_the_group() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let mut rx = start(h1, &["recv", "239.9.9.5", "7777"]);
    assert!(h1.holds("239.9.9.5".parse::<IpAddr>().unwrap()));
    assert!(
        run(h2, &["send", "239.9.9.5", "7777", "once"])
            .status
            .success()
    );
    rx.wait_for_line("\"once\"", WAIT);
    rx.signal(Signal::SIGINT);
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("\"once\"") && text.contains("left 239.9.9.5"),
        "{text}"
    );
    assert!(text.contains("1 datagram, 4 bytes"), "{text}");
    assert!(
        !h1.holds("239.9.9.5".parse::<IpAddr>().unwrap()),
        "{}",
        h1.maddr()
    );
}

#[test]
fn sigterm_with_nothing_received_exits_1_and_leaves() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let rx = start(h, &["recv", "ff15::9:5", "7777", "-i", IFACE, "--json"]);
    assert!(h.holds("ff15::9:5".parse::<IpAddr>().unwrap()));
    rx.signal(Signal::SIGTERM);
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(1));
    let events = json_lines(&out);
    assert_eq!(events.last().unwrap()["packets"], 0);
    assert!(
        stderr(&out).contains("stopped and no datagram arrived"),
        "{}",
        stderr(&out)
    );
    assert!(!h.holds("ff15::9:5".parse::<IpAddr>().unwrap()));
}

#[test]
fn join_holds_groups_shows_the_kernel_table_and_leaves() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let source = h.v4.to_string();
    let j = start(
        h,
        &[
            "join",
            "239.9.1.1",
            "232.9.1.1",
            "ff15::9:1",
            "-i",
            IFACE,
            "--source",
            &source,
            "-d",
            "1s",
            "--json",
        ],
    );
    // 232.9.1.1 gets the IPv4 source; the IPv6 group has no source of its family and is any-source.
    assert!(h.holds("ff15::9:1".parse::<IpAddr>().unwrap()));
    let out = j.wait(WAIT);
    assert!(out.status.success(), "{}", stderr(&out));
    let events = json_lines(&out);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "joined",
            "joined",
            "joined",
            "memberships",
            "left",
            "left",
            "left",
            "summary"
        ]
    );
    let held = events[3]["groups"].as_array().unwrap();
    let ssm = held
        .iter()
        .find(|g| g["group"] == "232.9.1.1")
        .expect("232.9.1.1 held");
    assert_eq!(ssm["mode"], "include");
    assert_eq!(ssm["sources"][0], source.as_str());
    for g in ["239.9.1.1", "232.9.1.1", "ff15::9:1"] {
        assert!(
            !h.holds(g.parse().unwrap()),
            "{g} still held after join ended"
        );
    }
}

#[test]
fn ttl_precedence_and_bind_reach_the_receiver() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &["recv", "239.9.2.1", "7777", "-c", "1", "-t", "3s", "--json"],
    );
    let from = h2.v4.to_string();
    let sent = run(
        h2,
        &[
            "send",
            "239.9.2.1",
            "7777",
            "--ttl",
            "9",
            "--prec",
            "6",
            "--bind",
            &from,
            "marked",
        ],
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let events = json_lines(&rx.wait(WAIT));
    let p = events
        .iter()
        .find(|e| e["type"] == "packet")
        .expect("packet");
    assert_eq!(
        (p["ttl"].as_u64(), p["tos"].as_u64()),
        (Some(9), Some(6 << 5))
    );
    assert_eq!(p["source"], from.as_str());
}

#[test]
fn rate_and_duration_bound_a_probe_run() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &["recv", "239.9.2.2", "7777", "-t", "1s", "-q", "--json"],
    );
    let began = Instant::now();
    let sent = run(
        h2,
        &[
            "send",
            "239.9.2.2",
            "7777",
            "--rate",
            "50",
            "-d",
            "1s",
            "--json",
        ],
    );
    let took = began.elapsed();
    let summary = &json_lines(&sent)[0];
    // 50/s for 1 s with absolute deadlines: departures at 0, 20, ..., 980 ms.
    assert_eq!(summary["packets"], 50, "{summary}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let got = json_lines(&rx.wait(WAIT));
    let s = got.last().unwrap();
    assert_eq!(s["packets"], 50);
    assert_eq!(s["lost"], 0);
    assert_eq!(s["kernel_drops"], 0);
    let rate = s["rate_pps"].as_f64().unwrap();
    assert!(
        (45.0..55.0).contains(&rate),
        "receiver saw {rate}/s for 50/s"
    );
    assert_eq!(
        s["senders"][0]["planned"], 0,
        "a run bounded by time plans no count"
    );
}

#[test]
fn a_closed_stdout_ends_recv_quietly() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = common::start_then_close_stdout(h1, &["recv", "239.9.2.3", "7777", "-t", "5s"]);
    let began = Instant::now();
    for _ in 0..3 {
        assert!(
            run(h2, &["send", "239.9.2.3", "7777", "after the reader left"])
                .status
                .success()
        );
    }
    let out = rx.wait(WAIT);
    // It ended on the broken pipe, long before its 5 s timeout would have.
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert!(!h1.holds("239.9.2.3".parse::<IpAddr>().unwrap()));
}

#[test]
fn paced_bursts_are_counted_datagram_by_datagram() {
    // At 100,000/s the sender hands over one or a few datagrams at a time, some as GSO
    // batches, some not; the receiver must count each datagram, whatever the kernel merged.
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let recv = "recv 239.9.3.1 7777 -c 10000 -t 2s -q --json --rcvbuf 4000000";
    let rx = start(h1, &recv.split(' ').collect::<Vec<_>>());
    let send = "send 239.9.3.1 7777 --rate 100000 -c 10000 --size 100 --json";
    let sent = run(h2, &send.split(' ').collect::<Vec<_>>());
    assert_eq!(json_lines(&sent)[0]["packets"], 10000);
    let events = json_lines(&rx.wait(WAIT));
    let s = events.last().unwrap();
    let got = (s["packets"].as_u64(), s["bytes"].as_u64());
    assert_eq!(got, (Some(10_000), Some(1_000_000)), "{s}");
    assert_eq!(
        (s["lost"].as_u64(), s["kernel_drops"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn send_shows_a_live_status_line_on_a_terminal_only() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let send = format!(
        "{} send 239.9.4.1 7777 -c 3 --interval 700ms",
        common::MCAST
    );
    // `script` gives mcast a terminal, as a person at a shell would have.
    let tty = h.exec("script", &["-q", "-c", &send, "/dev/null"]);
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(screen.contains("\r\x1b[Kmcast: sent "), "{screen:?}");
    assert!(screen.contains("sent 3 datagrams"), "{screen:?}");
    let piped = run(
        h,
        &[
            "send",
            "239.9.4.1",
            "7777",
            "-c",
            "3",
            "--interval",
            "700ms",
        ],
    );
    assert!(
        stderr(&piped).is_empty(),
        "status line without a terminal: {}",
        stderr(&piped)
    );
}

#[test]
fn brief_example_verbatim_with_a_sender_at_10_0_0_5() {
    // The brief's line exactly as written; the lab's host 2 also holds 10.0.0.5 (inside its
    // own namespace) and sends from it.
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let add = h2.exec("ip", &["addr", "add", "10.0.0.5/24", "dev", IFACE]);
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let rx = start(
        h1,
        &[
            "recv",
            "234.2.3.4",
            "7777",
            "--source",
            "10.0.0.5",
            "-c",
            "1",
            "-t",
            "5s",
        ],
    );
    let sent = run(
        h2,
        &["send", "234.2.3.4", "7777", "--bind", "10.0.0.5", "hi"],
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = rx.wait(WAIT);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("10.0.0.5:") && text.contains("\"hi\""),
        "{text}"
    );
}

#[test]
fn send_report_and_ctrl_backslash_print_the_interval_and_the_run_so_far() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(
        h1,
        &["recv", "239.1.9.9", "7777", "-q", "-t", "1s", "--json"],
    );
    std::thread::sleep(Duration::from_millis(300));
    let tx = start(
        h2,
        &[
            "send",
            "239.1.9.9",
            "7777",
            "-r",
            "20",
            "-d",
            "2.6s",
            "--report",
            "1s",
            "--json",
        ],
    );
    // `start` waited for the first line, the report at 1 s: Ctrl-\ half way to the next
    // one, which comes at the next datagram.
    std::thread::sleep(Duration::from_millis(500));
    tx.signal(Signal::SIGQUIT);
    let out = tx.wait(WAIT);
    let lines = json_lines(&out);
    let intervals: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["type"] == "interval").collect();
    assert!(intervals.len() >= 3, "{lines:?}");
    let mut sum = 0;
    for (i, v) in intervals.iter().enumerate() {
        assert_eq!((&v["command"], &v["time"]), (&"send".into(), &v["end"]));
        if i > 0 {
            assert_eq!(v["start"], intervals[i - 1]["end"], "intervals follow on");
        }
        sum += v["interval"]["packets"].as_u64().unwrap();
        assert_eq!(v["packets"], sum, "so far is the sum of the intervals: {v}");
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    let sent = summary["packets"].as_u64().unwrap();
    assert!(sent >= sum && sent > 40, "{summary}");
    // What the receiver counted is what was sent, intervals or not.
    let got = json_lines(&rx.wait(WAIT));
    assert_eq!(got.last().unwrap()["probes"], sent, "{got:?}");
}
