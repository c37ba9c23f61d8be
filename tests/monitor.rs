//! `mcast monitor` in the lab: 200 groups of an M3U playlist (RTP and MPEG-TS) counted
//! exactly, one group stopped for a while (one stall alarm, cleared with the outage's
//! length), one group losing every tenth datagram on the wire (loss there only), more groups
//! and sources than one socket may join (IPv4 and IPv6), and bad input refused.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::{events_of, json_lines, run, start, stderr};
use lab::{Host, Lab};
use nix::sys::signal::Signal;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

/// What a generator sends to one group.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// RTP, payload type 96, 100 bytes of payload.
    Rtp,
    /// Raw MPEG-TS: 7 packets of PID 0x100 a datagram, its continuity counter running on.
    Ts,
}

/// One group a generator feeds: where, what, and a pause (from, to) in seconds of the run.
#[derive(Clone)]
struct Feed {
    to: SocketAddr,
    kind: Kind,
    pause: Option<(f64, f64)>,
    /// Bind to this source address (for source-specific groups).
    from: Option<IpAddr>,
}

fn datagram(kind: Kind, seq: u64, ssrc: u32) -> Vec<u8> {
    match kind {
        Kind::Rtp => {
            let mut d = vec![0x80, 96];
            d.extend_from_slice(&(seq as u16).to_be_bytes());
            d.extend_from_slice(&((seq as u32).wrapping_mul(3000)).to_be_bytes());
            d.extend_from_slice(&ssrc.to_be_bytes());
            d.resize(112, 0);
            d
        }
        Kind::Ts => {
            let mut d = Vec::with_capacity(7 * 188);
            for k in 0..7 {
                let cc = ((seq * 7 + k) % 16) as u8;
                let mut p = [0xffu8; 188];
                p[..4].copy_from_slice(&[0x47, 0x01, 0x00, 0x10 | cc]);
                d.extend_from_slice(&p);
            }
            d
        }
    }
}

/// Sends to every feed `pps` datagrams a second for `seconds` from `host`, skipping each
/// feed's pause; returns how many each was sent.
fn generate(host: &Host, feeds: Vec<Feed>, pps: u32, seconds: f64) -> Vec<u64> {
    host.run(move || {
        let mut socks: Vec<UdpSocket> = Vec::new();
        for f in &feeds {
            let bind: SocketAddr = match (f.from, f.to) {
                (Some(ip), _) => SocketAddr::new(ip, 0),
                (None, SocketAddr::V4(_)) => "0.0.0.0:0".parse().unwrap(),
                (None, SocketAddr::V6(_)) => "[::]:0".parse().unwrap(),
            };
            let s = UdpSocket::bind(bind).expect("bind the generator's socket");
            if f.to.is_ipv4() {
                s.set_multicast_ttl_v4(1).unwrap();
            }
            socks.push(s);
        }
        let mut sent = vec![0u64; feeds.len()];
        let start = Instant::now();
        let ticks = (seconds * f64::from(pps)) as u64;
        for tick in 0..ticks {
            let at = tick as f64 / f64::from(pps);
            for (i, f) in feeds.iter().enumerate() {
                if f.pause.is_some_and(|(a, b)| at >= a && at < b) {
                    continue;
                }
                let d = datagram(f.kind, sent[i], 0x1000 + i as u32);
                socks[i].send_to(&d, f.to).expect("send a datagram");
                sent[i] += 1;
            }
            let due = start + Duration::from_secs_f64((tick + 1) as f64 / f64::from(pps));
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        sent
    })
}

/// A file of this test run's own, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str, text: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("mcast-monitor-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        Scratch(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn group_v4(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(239, 10, (i / 200) as u8, (i % 200 + 1) as u8)
}

/// The summary's row of `group` and `port`.
fn row<'a>(summary: &'a Value, group: &str, port: u64) -> &'a Value {
    summary["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == group && r["port"] == port)
        .unwrap_or_else(|| panic!("no row for {group}:{port}: {summary}"))
}

fn the_summary(events: &[Value]) -> &Value {
    let s: Vec<&Value> = events.iter().filter(|e| e["type"] == "summary").collect();
    assert_eq!(s.len(), 1, "one summary: {events:?}");
    s[0]
}

fn seconds(v: &Value) -> f64 {
    let t = humantime::parse_rfc3339(v.as_str().unwrap()).unwrap();
    t.duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(names: &[&[&str]]) -> Vec<String> {
    let mut k: Vec<String> = names.concat().iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

/// The keys of mcast-json(7), record by record: what a script relies on.
fn every_record_has_its_documented_keys(events: &[Value]) {
    const TARGET: &[&str] = &["name", "group", "port", "source", "interface"];
    const HEAD: &[&str] = &["type", "command", "time"];
    let row = sorted(&[
        TARGET,
        &[
            "state",
            "datagrams",
            "bytes",
            "datagrams_per_s",
            "bits_per_s",
            "lost",
            "duplicates",
            "reordered",
            "cc_errors",
            "jitter_ms",
            "last_time",
            "alarms",
            "alarms_raised",
        ],
    ]);
    for e in events {
        assert_eq!(e["command"], "monitor", "{e}");
        let want = match e["type"].as_str().unwrap() {
            "monitoring" => sorted(&[
                HEAD,
                &[
                    "groups",
                    "sockets",
                    "igmp_max_memberships",
                    "igmp_max_msf",
                    "mld_max_msf",
                    "stall_ms",
                    "pairs",
                    "metrics",
                ],
            ]),
            "alarm" => sorted(&[
                HEAD,
                TARGET,
                &["alarm", "since", "silent_ms", "lost", "expected", "fix"],
            ]),
            "clear" => sorted(&[HEAD, TARGET, &["alarm", "lasted_ms"]]),
            "diagnosis" => sorted(&[HEAD, TARGET, &["checks"]]),
            "interval" => sorted(&[HEAD, &["start", "end", "groups", "pairs"]]),
            "summary" => sorted(&[
                HEAD,
                &[
                    "version",
                    "elapsed_ms",
                    "ended_by",
                    "sockets",
                    "datagrams",
                    "unmatched",
                    "kernel_drops",
                    "alarms_raised",
                    "alarms_standing",
                    "groups",
                    "pairs",
                ],
            ]),
            other => panic!("a record of type {other}: {e}"),
        };
        assert_eq!(keys(e), want, "{e}");
        for r in e["groups"].as_array().into_iter().flatten() {
            assert_eq!(keys(r), row, "{r}");
        }
        let pair = sorted(&[&[
            "name",
            "a",
            "b",
            "a_lost",
            "b_lost",
            "merged_lost",
            "only_a",
            "only_b",
            "both",
            "restarts",
            "skew_p50_ms",
            "skew_max_ms",
            "legs_up",
        ]]);
        for p in e["pairs"].as_array().into_iter().flatten() {
            assert_eq!(keys(p), pair, "{p}");
        }
    }
}

#[test]
fn two_hundred_groups_of_a_playlist_are_counted_exactly_and_alarms_name_the_one_in_trouble() {
    let lab = Lab::new(2);
    let (sender, watcher) = (lab.host(1), lab.host(2));
    const GROUPS: usize = 200;
    const STOPPED: usize = 7;
    const LOSSY: usize = 4;
    // The playlist, as IPTV set-ups have it: a name, then the group.
    let mut m3u = String::from("#EXTM3U\n");
    for i in 0..GROUPS {
        m3u.push_str(&format!(
            "#EXTINF:-1 tvg-id=\"c{i}\",Channel {i}\nudp://@{}:5000\n",
            group_v4(i)
        ));
    }
    let list = Scratch::new("channels.m3u", &m3u);
    // Every tenth datagram of one group dropped on the wire: the sixth, the sixteenth...
    lab.switch_nft(&format!(
        "table bridge lossy {{\n chain forward {{\n type filter hook forward priority 0;\n \
         ip daddr {} udp dport 5000 numgen inc mod 10 5 drop\n }}\n}}\n",
        group_v4(LOSSY)
    ));
    let monitor = start(
        watcher,
        &[
            "monitor",
            "--file",
            list.path(),
            "-i",
            "eth0",
            "--json",
            "--report",
            "2s",
        ],
    );
    assert!(
        monitor.lines[0].contains("\"monitoring\""),
        "{:?}",
        monitor.lines
    );
    let feeds: Vec<Feed> = (0..GROUPS)
        .map(|i| Feed {
            to: SocketAddr::new(group_v4(i).into(), 5000),
            kind: if i % 2 == 0 { Kind::Rtp } else { Kind::Ts },
            pause: (i == STOPPED).then_some((1.5, 3.0)),
            from: None,
        })
        .collect();
    let sent = generate(sender, feeds, 20, 4.5);
    // Stopped before the end of the run is a stall of every group.
    std::thread::sleep(Duration::from_millis(200));
    monitor.signal(Signal::SIGINT);
    let out = monitor.wait(WAIT);
    assert_eq!(
        out.status.code(),
        Some(1),
        "alarms were raised: {}",
        stderr(&out)
    );
    let events = json_lines(&out);
    every_record_has_its_documented_keys(&events);
    assert!(
        events.iter().any(|e| e["type"] == "interval"),
        "--report 2s"
    );
    let start = &events[0];
    assert_eq!(start["groups"], GROUPS);
    // 20 groups a socket by default in a new namespace.
    assert_eq!(start["sockets"], 10);
    let summary = the_summary(&events);
    assert_eq!(summary["unmatched"], 0);
    let dropped = (0..sent[LOSSY]).filter(|k| k % 10 == 5).count() as u64;
    for (i, &sent_to) in sent.iter().enumerate() {
        let r = row(summary, &group_v4(i).to_string(), 5000);
        assert_eq!(r["name"], format!("Channel {i}"));
        let expect = sent_to - if i == LOSSY { dropped } else { 0 };
        assert_eq!(r["datagrams"], expect, "group {i}: {r}");
        let lost = if i == LOSSY { dropped } else { 0 };
        assert_eq!(r["lost"], lost, "group {i}: {r}");
        if i % 2 == 1 {
            assert_eq!(r["cc_errors"], 0, "group {i}: {r}");
        }
    }
    // Exactly one stall, for the group stopped, raised within the limit and 100 ms of its
    // last datagram, and cleared with the outage's length.
    let alarms = events_of(&out, "alarm");
    let stalls: Vec<&Value> = alarms.iter().filter(|a| a["alarm"] == "stall").collect();
    assert_eq!(stalls.len(), 1, "{alarms:?}");
    assert_eq!(stalls[0]["group"], group_v4(STOPPED).to_string());
    let late = seconds(&stalls[0]["time"]) - seconds(&stalls[0]["since"]);
    assert!(
        (1.0..=1.1).contains(&late),
        "raised {late} s after the last datagram"
    );
    let clears = events_of(&out, "clear");
    let stall_clear: Vec<&Value> = clears.iter().filter(|c| c["alarm"] == "stall").collect();
    assert_eq!(stall_clear.len(), 1, "{clears:?}");
    assert_eq!(stall_clear[0]["group"], group_v4(STOPPED).to_string());
    let outage = stall_clear[0]["lasted_ms"].as_f64().unwrap();
    // Paused from 1.5 s to 3.0 s: 1.5 s and one spacing (50 ms) between the datagrams.
    assert!((1450.0..=1700.0).contains(&outage), "outage {outage} ms");
    // Loss on the lossy group only; no group failed to start.
    let loss: Vec<&Value> = alarms.iter().filter(|a| a["alarm"] == "loss").collect();
    assert!(!loss.is_empty(), "{alarms:?}");
    assert!(
        loss.iter()
            .all(|a| a["group"] == group_v4(LOSSY).to_string()),
        "{loss:?}"
    );
    assert!(
        alarms.iter().all(|a| a["alarm"] != "never_started"),
        "{alarms:?}"
    );
}

#[test]
fn a_text_run_tells_alarms_doctor_s_finding_and_tables_for_people() {
    let lab = Lab::new(2);
    let (sender, watcher) = (lab.host(1), lab.host(2));
    // This host's firewall drops the quiet group's port: the cause is here, and doctor's
    // checks, run for the group that never started, name the rule.
    watcher.drop_udp_port(5001);
    let mut monitor = start(
        watcher,
        &[
            "monitor",
            "239.10.0.1:5001,name=Quiet \u{1b}[31mred",
            "239.10.0.2:5000,name=Live",
            "-i",
            "eth0",
            "--report",
            "1500ms",
            "--stall",
            "500ms",
        ],
    );
    assert!(
        monitor.lines[0].starts_with("monitoring 2 groups on 2 sockets"),
        "{:?}",
        monitor.lines
    );
    let feeds = ["239.10.0.1:5001", "239.10.0.2:5000"]
        .iter()
        .map(|to| Feed {
            to: to.parse().unwrap(),
            kind: Kind::Rtp,
            pause: None,
            from: None,
        })
        .collect();
    generate(sender, feeds, 50, 2.0);
    monitor.wait_for_line("in trouble", WAIT);
    monitor.signal(Signal::SIGINT);
    let out = monitor.wait(WAIT);
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The silent group is named, escaped, with what to do.
    let alarm = text
        .lines()
        .find(|l| l.contains("ALARM never_started"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        alarm.contains("Quiet \\x1b[31mred (239.10.0.1:5001)"),
        "{alarm}"
    );
    assert!(alarm.contains("no datagram in the 0.5"), "{alarm}");
    assert!(alarm.contains("mcast doctor"), "{alarm}");
    assert!(!text.contains('\u{1b}'), "{text}");
    let doctor = text
        .lines()
        .find(|l| l.contains(" DOCTOR "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        doctor.contains("(239.10.0.1:5001): FAIL firewall: ")
            && doctor.contains(
                "`udp dport 5001 drop` (inet labfault input) drops UDP to 239.10.0.1 port 5001"
            )
            && doctor.contains("; fix: nft delete rule inet labfault input handle "),
        "{doctor}"
    );
    assert_eq!(text.matches(" DOCTOR ").count(), 1, "{text}");
    // The last table (the summary's) puts it first, then the live one with its rate over
    // the last whole second, 50 a second.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().rposition(|l| l.starts_with("STATE")).unwrap();
    let table = &lines[at..at + 3];
    assert!(table[1].starts_with("never_started"), "{table:?}");
    assert!(
        table[2].starts_with("flowing") && table[2].contains("Live"),
        "{table:?}"
    );
    let rate: f64 = table[2].split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!((45.0..=55.0).contains(&rate), "{table:?}");
    assert!(text.contains("2 groups, 1 in trouble"), "{text}");
    assert!(text.contains("alarms raised 1, standing 1"), "{text}");
}

#[test]
fn doctor_s_checks_for_a_group_that_never_started_come_as_a_diagnosis_record() {
    let lab = Lab::new(1);
    let watcher = lab.host(1);
    let out = run(
        watcher,
        &[
            "monitor",
            "239.10.0.1:5000",
            "-i",
            "eth0",
            "--stall",
            "300ms",
            "-d",
            "1500ms",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let events = json_lines(&out);
    every_record_has_its_documented_keys(&events);
    let d = events_of(&out, "diagnosis");
    assert_eq!(d.len(), 1, "{events:?}");
    let checks = d[0]["checks"].as_array().unwrap();
    let names: Vec<&str> = checks
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    // Every receiver check of doctor but the port's, whose holder is the monitor itself.
    assert_eq!(
        names,
        [
            "interface",
            "route",
            "group",
            "mac_alias",
            "rp_filter",
            "version",
            "limits",
            "firewall"
        ],
        "{d:?}"
    );
    assert!(checks.iter().all(|c| c["status"] != "fail"), "{d:?}");
}

#[test]
fn more_groups_and_sources_than_one_socket_takes_are_spread_over_sockets() {
    let lab = Lab::new(2);
    let (sender, watcher) = (lab.host(1), lab.host(2));
    // Lower limits in the watcher's namespace: 5 IPv4 groups a socket, 3 sources a group,
    // and option memory for some 35 IPv6 groups.
    watcher.run(|| {
        std::fs::write("/proc/sys/net/ipv4/igmp_max_memberships", "5").unwrap();
        std::fs::write("/proc/sys/net/ipv4/igmp_max_msf", "3").unwrap();
        std::fs::write("/proc/sys/net/core/optmem_max", "2000").unwrap();
    });
    // Five more addresses on the sender, each a source of 232.1.1.1.
    let sources: Vec<Ipv4Addr> = (101..=105).map(|i| Ipv4Addr::new(192, 0, 2, i)).collect();
    for s in &sources {
        sender.exec("ip", &["addr", "add", &format!("{s}/24"), "dev", "eth0"]);
    }
    let mut targets: Vec<String> = (0..12).map(|i| format!("{}:5000", group_v4(i))).collect();
    targets.extend(sources.iter().map(|s| format!("{s}@232.1.1.1:5000")));
    targets.extend((1..=50).map(|i| format!("[ff3e::{i:x}]:5000")));
    let mut args = vec!["monitor", "-i", "eth0", "--json", "--content", "raw"];
    args.extend(targets.iter().map(String::as_str));
    let monitor = start(watcher, &args);
    let first: Value = serde_json::from_str(&monitor.lines[0]).unwrap();
    assert_eq!(first["igmp_max_memberships"], 5);
    assert_eq!(first["igmp_max_msf"], 3);
    // 12 groups 5 a socket, then 232.1.1.1 with 3 of its sources in the third's room and
    // 2 in a fourth; 50 IPv6 groups, refused past the option memory, on 2 or more.
    let sockets = first["sockets"].as_u64().unwrap();
    assert!(sockets >= 6, "{first}");
    let mut feeds: Vec<Feed> = (0..12)
        .map(|i| Feed {
            to: SocketAddr::new(group_v4(i).into(), 5000),
            kind: Kind::Rtp,
            pause: None,
            from: None,
        })
        .collect();
    feeds.extend(sources.iter().map(|s| Feed {
        to: "232.1.1.1:5000".parse().unwrap(),
        kind: Kind::Rtp,
        pause: None,
        from: Some((*s).into()),
    }));
    let idx = sender.run(|| nix::net::if_::if_nametoindex("eth0").unwrap());
    feeds.extend((1..=50).map(|i| Feed {
        to: SocketAddr::V6(std::net::SocketAddrV6::new(
            format!("ff3e::{i:x}").parse().unwrap(),
            5000,
            0,
            idx,
        )),
        kind: Kind::Rtp,
        pause: None,
        from: None,
    }));
    let sent = generate(sender, feeds, 10, 1.0);
    std::thread::sleep(Duration::from_millis(200));
    monitor.signal(Signal::SIGINT);
    let out = monitor.wait(WAIT);
    let events = json_lines(&out);
    let summary = the_summary(&events);
    assert_eq!(summary["sockets"], sockets);
    assert_eq!(summary["unmatched"], 0);
    for (i, &sent_to) in sent.iter().enumerate().take(12) {
        let r = row(summary, &group_v4(i).to_string(), 5000);
        assert_eq!(r["datagrams"], sent_to, "{r}");
    }
    for (k, s) in sources.iter().enumerate() {
        let r = summary["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["source"] == s.to_string())
            .unwrap();
        assert_eq!(r["datagrams"], sent[12 + k], "{r}");
    }
    for i in 1..=50 {
        let r = row(summary, &format!("ff3e::{i:x}"), 5000);
        assert_eq!(r["datagrams"], sent[16 + i], "{r}");
    }
}

#[test]
fn bad_targets_and_lists_are_refused_with_what_to_write() {
    let lab = Lab::new(1);
    let h = lab.host(1);
    let list = Scratch::new("list.txt", "# feeds\n239.1.1.1:5000\n239.1.1.2\n");
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "monitor",
                "--pair",
                "f=239.1.1.1:5000,239.2.1.1:5000,239.3.1.1:5000",
            ],
            "3 legs; give NAME=A,B",
        ),
        (
            &["monitor", "--pair", "239.1.1.1:5000,239.2.1.1:5000"],
            "give NAME=A,B",
        ),
        (
            &[
                "monitor",
                "239.1.1.1:5000,name=X",
                "239.1.1.2:5000,name=X",
                "239.1.1.3:5000,name=X",
            ],
            "3 targets are named 'X'",
        ),
        (&["monitor"], "no target: give GROUP:PORT"),
        (&["monitor", "--file", list.path()], "list.txt: line 3: "),
        (
            &["monitor", "239.1.1.1:5000,name=A", "239.1.1.1:5000"],
            "target 239.1.1.1:5000 is given twice (as number 1 and 2)",
        ),
        (
            &["monitor", "239.1.1.1:5000", "--stall", "0"],
            "'0' is no time at all",
        ),
        (
            &["monitor", "239.1.1.1:5000", "--loss-alarm", "150"],
            "'150': give a percentage from 0 to 100",
        ),
    ];
    for (args, says) in cases {
        let out = run(h, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

/// An A/B pair fed the same RTP numbers on two groups, each leg losing every tenth datagram
/// on the bridge from `offsets` (A's, B's), leg A paused for `pause`: returns the summary's
/// pair row and every record.
fn pair_run(offsets: Option<(u32, u32)>, pause: Option<(f64, f64)>) -> (Value, Vec<Value>) {
    let lab = Lab::new(2);
    let (sender, watcher) = (lab.host(1), lab.host(2));
    if let Some(offsets) = offsets {
        lab.switch_nft(&format!(
            "table bridge lossy {{\n chain forward {{\n type filter hook forward priority 0;\n \
         ip daddr 239.10.1.1 udp dport 5000 numgen inc mod 10 {} drop\n \
         ip daddr 239.10.2.1 udp dport 5000 numgen inc mod 10 {} drop\n }}\n}}\n",
            offsets.0, offsets.1
        ));
    }
    let monitor = start(
        watcher,
        &[
            "monitor",
            "--pair",
            "feed=239.10.1.1:5000,239.10.2.1:5000",
            "-i",
            "eth0",
            "--json",
        ],
    );
    let first: Value = serde_json::from_str(&monitor.lines[0]).unwrap();
    assert_eq!(first["pairs"], 1, "{first}");
    let feeds = ["239.10.1.1:5000", "239.10.2.1:5000"]
        .iter()
        .enumerate()
        .map(|(i, to)| Feed {
            to: to.parse().unwrap(),
            kind: Kind::Rtp,
            pause: pause.filter(|_| i == 0),
            from: None,
        })
        .collect();
    let sent = generate(sender, feeds, 50, if pause.is_some() { 3.0 } else { 2.0 });
    if pause.is_none() {
        assert_eq!(sent, [100, 100]);
    }
    std::thread::sleep(Duration::from_millis(200));
    monitor.signal(Signal::SIGINT);
    let out = monitor.wait(WAIT);
    let events = json_lines(&out);
    every_record_has_its_documented_keys(&events);
    let summary = the_summary(&events);
    let pairs = summary["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{summary}");
    (pairs[0].clone(), events)
}

#[test]
fn an_a_b_pair_whose_legs_lose_different_datagrams_loses_nothing_merged() {
    // A drops the 4th, 14th...; B the 8th, 18th...: ten each, never the same number.
    let (p, _) = pair_run(Some((3, 7)), None);
    assert_eq!(
        (p["a"].as_str(), p["b"].as_str()),
        (Some("239.10.1.1:5000"), Some("239.10.2.1:5000"))
    );
    assert_eq!(
        (&p["a_lost"], &p["b_lost"]),
        (&Value::from(10), &Value::from(10)),
        "{p}"
    );
    assert_eq!(p["merged_lost"], 0, "{p}");
    assert_eq!(
        (&p["only_a"], &p["only_b"]),
        (&Value::from(10), &Value::from(10)),
        "{p}"
    );
    assert_eq!(p["both"], 80, "{p}");
    let skew = p["skew_max_ms"].as_f64().unwrap();
    assert!((0.0..50.0).contains(&skew), "{p}");
}

#[test]
fn an_a_b_pair_whose_legs_lose_the_same_datagrams_counts_them_merged() {
    let (p, _) = pair_run(Some((3, 3)), None);
    assert_eq!(
        (&p["a_lost"], &p["b_lost"]),
        (&Value::from(10), &Value::from(10)),
        "{p}"
    );
    assert_eq!(p["merged_lost"], 10, "{p}");
    assert_eq!(
        (&p["only_a"], &p["only_b"], &p["both"]),
        (&Value::from(0), &Value::from(0), &Value::from(90)),
        "{p}"
    );
}

#[test]
fn a_leg_down_while_the_other_carries_the_feed_is_an_alarm_and_costs_no_merged_loss() {
    // No loss on the wire; leg A's sender pauses from 0.5 s to 2.0 s of the 3 s run.
    let (p, events) = pair_run(None, Some((0.5, 2.0)));
    let about_a = |kind: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["type"] == kind && e["group"] == "239.10.1.1")
            .cloned()
            .collect()
    };
    let raised: Vec<String> = about_a("alarm")
        .iter()
        .map(|a| a["alarm"].as_str().unwrap().to_string())
        .collect();
    assert!(
        raised.contains(&"stall".to_string()) && raised.contains(&"leg_down".to_string()),
        "{events:?}"
    );
    let cleared: Vec<Value> = about_a("clear")
        .into_iter()
        .filter(|c| c["alarm"] == "leg_down")
        .collect();
    assert_eq!(cleared.len(), 1, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e["group"] != "239.10.2.1" || e["type"] != "alarm"),
        "{events:?}"
    );
    // A lost what it did not send during its pause; B had every number.
    assert_eq!(p["merged_lost"], 0, "{p}");
    assert_eq!(p["only_a"], 0, "{p}");
    assert_eq!(p["only_b"], 75, "{p}");
}

/// A tmux server of this test's own (its own socket), killed when dropped.
struct Tmux(String);

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.0])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen now.
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "view"])
    }

    /// Waits until the screen shows every one of `texts`, and returns it.
    fn wait_for(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {texts:?} on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
}

#[test]
fn the_live_view_shows_every_group_and_its_alarms_and_q_ends_with_the_summary() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!(
            "the_live_view_shows_every_group_and_its_alarms_and_q_ends_with_the_summary: did not run: tmux is not installed (apt-get install tmux, or bash .ci/install)"
        );
        return;
    }
    let lab = Lab::new(2);
    let (sender, watcher) = (lab.host(1), lab.host(2));
    let tmux = Tmux(format!("mcast-view-{}", std::process::id()));
    let command = format!(
        "ip netns exec {} {} monitor 239.10.0.1:5000,name=Live 239.10.0.2:5000,name=Silent -i eth0 --stall 500ms; echo EXIT=$?; sleep 60",
        watcher.ns,
        env!("CARGO_BIN_EXE_mcast")
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "view",
        "-x",
        "160",
        "-y",
        "40",
        &command,
    ]);
    tmux.wait_for(&["rows 1-2 of 2", "q quits"]);
    let feeds = vec![Feed {
        to: "239.10.0.1:5000".parse().unwrap(),
        kind: Kind::Rtp,
        pause: None,
        from: None,
    }];
    generate(sender, feeds, 50, 1.5);
    // A row for each group, the silent one first, its alarm in the log below.
    let screen = tmux.wait_for(&[
        "never_started",
        "ALARM never_started Silent (239.10.0.2",
        "DOCTOR",
    ]);
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("239.10.0.")).collect();
    assert!(
        rows[0].contains("Silent") && rows[0].contains("never_started"),
        "{screen}"
    );
    assert!(
        rows[1].contains("Live") && rows[1].contains("239.10.0.1"),
        "{screen}"
    );
    tmux.run(&["send-keys", "-t", "view", "q"]);
    let end = tmux.wait_for(&["EXIT="]);
    // The usual summary, and the status the run would have without the view.
    assert!(end.contains("EXIT=1"), "{end}");
    assert!(end.contains("alarms raised"), "{end}");
    assert!(end.contains("never_started  Silent"), "{end}");
}
