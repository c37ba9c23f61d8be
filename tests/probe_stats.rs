//! What `recv` reports about probes, against real senders: loss only where it happened,
//! delay as the network made it, and crafted senders kept out of the totals.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::UdpSocket;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{json_lines, run, start, stderr, stdout};
use lab::{Host, Lab};
use nix::sys::signal::Signal;

const WAIT: Duration = Duration::from_secs(10);

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Sends hand-made probes `(sender, seq)` from `host` to `group` port 7777.
fn send_probes(host: &Host, group: &'static str, planned: u32, probes: Vec<(u32, u64)>) {
    let from = host.v4;
    host.run(move || {
        let sock = UdpSocket::bind((from, 0)).unwrap();
        for (sender, seq) in probes {
            let mut buf = [0u8; 64];
            assert!(
                mcast::probe::Probe {
                    sender,
                    seq,
                    sent_ns: now_ns(),
                    planned,
                }
                .encode(&mut buf)
            );
            sock.send_to(&buf, (group, 7777)).unwrap();
        }
    });
}

fn summary(out: &std::process::Output) -> serde_json::Value {
    let events = json_lines(out);
    let last = events.last().expect("a summary").clone();
    assert_eq!(last["type"], "summary", "{last}");
    last
}

#[test]
fn a_count_that_stops_recv_early_is_not_loss() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(h1, &["recv", "239.8.1.1", "7777", "-c", "5", "--json"]);
    let sent = run(
        h2,
        &[
            "send",
            "239.8.1.1",
            "7777",
            "-c",
            "100",
            "--interval",
            "10ms",
        ],
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = summary(&out);
    assert_eq!(s["ended_by"], "count");
    assert_eq!(s["lost"], 0);
    let sender = &s["senders"][0];
    assert_eq!(
        (sender["received"].as_u64(), sender["lost"].as_u64()),
        (Some(5), Some(0))
    );
    assert_eq!(sender["pending"], 95);
}

#[test]
fn a_duration_that_stops_recv_early_says_so_and_counts_no_loss() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(h1, &["recv", "239.8.1.2", "7777", "-d", "1s"]);
    let sender = h2.clone();
    let tx = std::thread::spawn(move || {
        run(
            &sender,
            &["send", "239.8.1.2", "7777", "-c", "10", "-r", "5"],
        )
    });
    let out = rx.wait(WAIT);
    assert!(tx.join().unwrap().status.success());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains(" received, 0 lost, 0 duplicates, 0 reordered"),
        "{text}"
    );
    assert!(
        text.contains("receiving ended (--duration over) before this sender finished: "),
        "{text}"
    );
    assert!(
        text.contains("more planned, not yet due, not counted as lost"),
        "{text}"
    );
}

#[test]
fn a_planned_tail_that_never_came_is_lost_when_receiving_ends_quietly() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(h1, &["recv", "239.8.1.3", "7777", "-t", "1s", "--json"]);
    send_probes(h2, "239.8.1.3", 8, (0..6).map(|seq| (7, seq)).collect());
    let out = rx.wait(WAIT);
    let s = summary(&out);
    assert_eq!(s["ended_by"], "timeout");
    let sender = &s["senders"][0];
    assert_eq!(
        (sender["lost"].as_u64(), sender["pending"].as_u64()),
        (Some(2), Some(0))
    );
}

#[test]
fn crafted_senders_are_disbelieved_and_do_not_wrap_the_totals() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(h1, &["recv", "239.8.1.4", "7777", "-t", "1s", "--json"]);
    let probes = vec![
        (1, 0),
        (1, u64::MAX - 1),
        (2, 0),
        (2, u64::MAX - 1),
        (3, 0),
        (3, 2), // one real gap
    ];
    send_probes(h2, "239.8.1.4", 0, probes);
    let out = rx.wait(WAIT);
    let s = summary(&out);
    // A jump of 2^64 no pace allows: the crafted probe is not believed, so not counted.
    let disbelieved: Vec<u64> = s["senders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["disbelieved"].as_u64().unwrap())
        .collect();
    assert_eq!(disbelieved, [1, 1, 0], "{s}");
    assert_eq!(s["lost"], 1, "only the real sender's gap is added: {s}");
}

#[test]
fn delay_is_the_networks_not_the_stopped_readers() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let rx = start(h1, &["recv", "239.8.1.5", "7777", "-c", "3", "--json"]);
    rx.signal(Signal::SIGSTOP);
    let sent = run(h2, &["send", "239.8.1.5", "7777", "-c", "3", "-r", "100"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    std::thread::sleep(Duration::from_secs(1));
    rx.signal(Signal::SIGCONT);
    let out = rx.wait(WAIT);
    let events = json_lines(&out);
    let delays: Vec<f64> = events
        .iter()
        .filter(|e| e["type"] == "packet")
        .map(|e| e["probe"]["delay_ms"].as_f64().unwrap())
        .collect();
    assert_eq!(delays.len(), 3);
    assert!(
        delays.iter().all(|d| *d < 500.0),
        "the reader's 1 s stop counted as delay: {delays:?}"
    );
    // The line's delay and the summary's are the same figure, to the nanosecond.
    let s = &summary(&out)["senders"][0];
    let min = delays.iter().cloned().fold(f64::MAX, f64::min);
    let max = delays.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(s["delay_min_ms"].as_f64(), Some(min));
    assert_eq!(s["delay_max_ms"].as_f64(), Some(max));
}

#[test]
fn count_means_exactly_that_many_and_fewer_is_status_1() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let began = std::time::Instant::now();
    let rx = start(
        h1,
        &[
            "recv",
            "239.8.1.6",
            "7777",
            "-c",
            "5",
            "-t",
            "10s",
            "--json",
        ],
    );
    // One burst: the 8 arrive together (one GRO buffer), and the count must cut inside it.
    assert!(
        run(h2, &["send", "239.8.1.6", "7777", "-c", "8", "-r", "max"])
            .status
            .success()
    );
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        began.elapsed() < Duration::from_secs(8),
        "it waited for the timeout"
    );
    let packets = json_lines(&out)
        .iter()
        .filter(|e| e["type"] == "packet")
        .count();
    assert_eq!(packets, 5);
    assert_eq!(summary(&out)["packets"], 5);

    let rx = start(h1, &["recv", "239.8.1.6", "7777", "-c", "5", "-t", "1s"]);
    assert!(
        run(h2, &["send", "239.8.1.6", "7777", "-c", "3", "-r", "1000"])
            .status
            .success()
    );
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim_end(),
        "mcast: the timeout passed with 3 of 5 datagrams received"
    );
}

#[test]
fn every_line_names_its_own_sender() {
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    let rx = start(
        h1,
        &["recv", "239.8.1.7", "7777", "-c", "4", "-t", "5s", "--json"],
    );
    for _ in 0..2 {
        for h in [h2, h3] {
            let text = format!("from {}", h.v4);
            assert!(
                run(h, &["send", "239.8.1.7", "7777", &text])
                    .status
                    .success()
            );
        }
    }
    let out = rx.wait(WAIT);
    let packets: Vec<serde_json::Value> = json_lines(&out)
        .into_iter()
        .filter(|e| e["type"] == "packet")
        .collect();
    assert_eq!(packets.len(), 4);
    for p in &packets {
        assert_eq!(
            p["text"],
            format!("from {}", p["source"].as_str().unwrap()),
            "{p}"
        );
    }
    let sources: std::collections::BTreeSet<&str> = packets
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 2);
}
