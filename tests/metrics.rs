//! `mcast monitor --metrics` and Prometheus: Debian's own Prometheus server, run in a lab
//! namespace, scrapes the monitor and reports through its HTTP API the values mcast counted;
//! promtool accepts the exposition, the shipped alert rules and their tests; the Grafana
//! dashboard and the rules ask only for series mcast serves.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Guarded, json_lines, spawn, start, stderr};
use lab::{Host, Lab};
use nix::sys::signal::Signal;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);
const CONTRIB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contrib");

/// Whether promtool and prometheus are installed; when not, says in one line that the test
/// did not run and how to make it run.
fn have_prometheus(test: &str) -> bool {
    let found = ["prometheus", "promtool"].iter().all(|p| {
        Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !found {
        eprintln!(
            "{test}: did not run: prometheus and promtool are not installed (apt-get install --no-install-recommends prometheus, or bash .ci/install)"
        );
    }
    found
}

/// `curl` in `host`, returning the body.
fn curl(host: &Host, args: &[&str]) -> String {
    let out = host.exec("curl", &[&["-s", "--max-time", "5"][..], args].concat());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Prometheus's answer to an instant query, as (labels, value) pairs.
fn query(host: &Host, promql: &str) -> Vec<(Value, f64)> {
    let body = curl(
        host,
        &[
            "-G",
            "--data-urlencode",
            &format!("query={promql}"),
            "http://127.0.0.1:9090/api/v1/query",
        ],
    );
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    v["data"]["result"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|s| {
                    let value = s["value"][1]
                        .as_str()
                        .unwrap_or("nan")
                        .parse()
                        .unwrap_or(f64::NAN);
                    (s["metric"].clone(), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Fails the test unless `promtool check metrics` accepts `exposition`.
fn promtool_accepts(exposition: &str) {
    use std::io::Write;
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "{}{}\n{exposition}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// RTP to `to`, `n` datagrams 50 ms apart, from `host`.
fn send_rtp(host: &Host, to: &'static str, n: u16) {
    host.run(move || {
        let s = UdpSocket::bind("0.0.0.0:0").unwrap();
        for seq in 0..n {
            let mut d = vec![0x80, 96];
            d.extend_from_slice(&seq.to_be_bytes());
            d.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
            d.extend_from_slice(&9u32.to_be_bytes());
            d.resize(112, 0);
            s.send_to(&d, to).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

/// A directory of this test's own, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn prometheus_scrapes_the_monitor_and_reports_what_it_counted() {
    if !have_prometheus("prometheus_scrapes_the_monitor_and_reports_what_it_counted") {
        return;
    }
    let lab = Lab::new(2);
    let (sender, watcher) = (lab.host(1), lab.host(2));
    let dir =
        Scratch(std::env::temp_dir().join(format!("mcast-prometheus-{}", std::process::id())));
    std::fs::create_dir_all(dir.0.join("data")).unwrap();
    let config = dir.0.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {CONTRIB}/prometheus/alerts.yml\n\
             scrape_configs:\n  - job_name: mcast\n    static_configs:\n      - targets: ['127.0.0.1:9464']\n"
        ),
    )
    .unwrap();
    let monitor = start(
        watcher,
        &[
            "monitor",
            "239.10.0.1:5000,name=News \"HD\"",
            "239.10.0.2:5000,name=Sport",
            "-i",
            "eth0",
            "--metrics",
            "9464",
            "--json",
        ],
    );
    let first: Value = serde_json::from_str(&monitor.lines[0]).unwrap();
    assert_eq!(first["metrics"], "http://127.0.0.1:9464/metrics");
    // The server, in the watcher's namespace only, on its loopback.
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &watcher.ns, "prometheus"])
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.0.join("data").display()
        ))
        .arg("--web.listen-address=127.0.0.1:9090")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _prometheus: Guarded = spawn(cmd);
    send_rtp(sender, "239.10.0.1:5000", 40);
    // Once a scrape after the last datagram is in, Prometheus holds mcast's counts.
    let deadline = Instant::now() + WAIT;
    let news = loop {
        let got = query(watcher, "mcast_datagrams_total{group=\"239.10.0.1\"}");
        if got.first().is_some_and(|(_, v)| *v == 40.0) || Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(news.len(), 1, "{news:?}");
    let (labels, value) = &news[0];
    assert_eq!(*value, 40.0, "{news:?}");
    assert_eq!(labels["name"], "News \"HD\"");
    assert_eq!(labels["port"], "5000");
    assert_eq!(labels["interface"], "eth0");
    assert_eq!(labels["job"], "mcast");
    let one = |q: &str| -> f64 {
        let r = query(watcher, q);
        assert_eq!(r.len(), 1, "{q}: {r:?}");
        r[0].1
    };
    assert_eq!(one("mcast_bytes_total{name=\"Sport\"}"), 0.0);
    assert_eq!(one("mcast_bytes_total{group=\"239.10.0.1\"}"), 40.0 * 112.0);
    assert_eq!(one("mcast_lost_total{group=\"239.10.0.1\"}"), 0.0);
    assert_eq!(one("mcast_up{name=\"Sport\"}"), 0.0);
    // Loss of a group whose content was never read has no series: not judged, not zero.
    assert!(query(watcher, "mcast_lost_total{name=\"Sport\"}").is_empty());
    let last = one("mcast_last_datagram_timestamp_seconds{group=\"239.10.0.1\"}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - 30.0..=now).contains(&last), "{last} vs {now}");
    // The shipped rules loaded and evaluate.
    let rules: Value =
        serde_json::from_str(&curl(watcher, &["http://127.0.0.1:9090/api/v1/rules"])).unwrap();
    let loaded: Vec<&Value> = rules["data"]["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(loaded.len(), 5, "{rules}");
    // promtool accepts what curl (no OpenMetrics asked) gets.
    let exposition = curl(watcher, &["http://127.0.0.1:9464/metrics"]);
    promtool_accepts(&exposition);
    monitor.signal(Signal::SIGINT);
    let out = monitor.wait(WAIT);
    let summary = json_lines(&out)
        .into_iter()
        .find(|e| e["type"] == "summary")
        .unwrap_or_else(|| panic!("{}", stderr(&out)));
    assert_eq!(summary["datagrams"], 40);
}

#[test]
fn the_alert_rules_and_their_tests_pass_promtool() {
    if !have_prometheus("the_alert_rules_and_their_tests_pass_promtool") {
        return;
    }
    let dir = format!("{CONTRIB}/prometheus");
    for args in [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts_test.yml"],
    ] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The `mcast_...` names a text asks for.
fn names_in(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("mcast_"))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_dashboard_and_the_rules_ask_only_for_series_mcast_serves() {
    use mcast::monitor::metrics::{SocketDrops, render};
    use mcast::monitor::{Delivery, JoinLimits, Monitor, Options, Target, plan};
    // One RTP group of a known clock (payload type 0) and one of MPEG-TS, a few datagrams
    // each: every family has a series.
    // And an A/B pair of RTP legs.
    let targets: Vec<Target> = vec![
        "239.1.1.1:5000".parse().unwrap(),
        "239.1.1.2:5000".parse().unwrap(),
        "239.1.1.3:5000,name=P".parse().unwrap(),
        "239.1.1.4:5000,name=P".parse().unwrap(),
    ];
    let plans = plan(&targets, &JoinLimits::new(20, 10, 100, 64)).unwrap();
    let mut m = Monitor::new(targets, Options::default(), 0);
    assert_eq!(m.pair_by_name(), Ok(1));
    for j in &plans[0].joins {
        m.route(0, j);
    }
    let mut changes = Vec::new();
    for seq in 0..5u16 {
        let mut rtp = vec![0x80, 0];
        rtp.extend_from_slice(&seq.to_be_bytes());
        rtp.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        rtp.extend_from_slice(&1u32.to_be_bytes());
        rtp.resize(172, 0);
        let mut ts = Vec::new();
        for k in 0..7u16 {
            let mut p = [0xffu8; 188];
            p[..4].copy_from_slice(&[0x47, 0x01, 0x00, 0x10 | ((seq * 7 + k) % 16) as u8]);
            ts.extend_from_slice(&p);
        }
        let legs = [("239.1.1.3", rtp.clone()), ("239.1.1.4", rtp.clone())];
        for (group, d) in [("239.1.1.1", rtp), ("239.1.1.2", ts)]
            .into_iter()
            .chain(legs)
        {
            let came = Delivery {
                socket: 0,
                group: group.parse().unwrap(),
                source: "10.0.0.1:4000".parse().unwrap(),
                ns: 1_000_000_000 + u64::from(seq) * 20_000_000,
                drops: 0,
            };
            m.observe(&came, &d, &mut changes);
        }
    }
    let served = render(
        &m,
        &[SocketDrops {
            socket: 0,
            port: 5000,
            drops: Some(0),
        }],
    );
    // Every family, even one with no series yet: a counter's series is its name and _total.
    let series: Vec<String> = served
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, kind)| match kind {
            "counter" => format!("{name}_total"),
            _ => name.to_string(),
        })
        .collect();
    assert!(series.len() >= 10, "{served}");
    // The TS group's PID has its own series, and the RTP group's SSRC.
    assert!(
        served.lines().any(
            |l| l.starts_with("mcast_pid_cc_errors_total{group=\"239.1.1.2\"")
                && l.contains("pid=\"0x0100\"")
                && l.ends_with(" 0")
        ),
        "{served}"
    );
    assert!(
        served.lines().any(
            |l| l.starts_with("mcast_ssrc_lost_total{group=\"239.1.1.1\"")
                && l.contains("ssrc=\"00000001\"")
        ),
        "{served}"
    );
    let dashboard =
        std::fs::read_to_string(format!("{CONTRIB}/grafana/mcast-monitor.json")).unwrap();
    let parsed: Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    assert!(parsed["panels"].as_array().is_some_and(|p| p.len() >= 6));
    let rules = std::fs::read_to_string(format!("{CONTRIB}/prometheus/alerts.yml")).unwrap();
    // The names a series may be asked by: those served (a gauge or a counter's _total).
    let exprs: String = parsed["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| t["expr"].as_str().unwrap().to_string() + "\n")
        .collect();
    let asked_rules: Vec<String> = rules
        .lines()
        .filter(|l| l.trim_start().starts_with("expr:"))
        .flat_map(names_in)
        .collect();
    for name in names_in(&exprs).into_iter().chain(asked_rules) {
        assert!(series.contains(&name), "{name} is not served:\n{served}");
    }
}

#[test]
fn recv_serves_what_it_counted_and_promtool_accepts_it() {
    if !have_prometheus("recv_serves_what_it_counted_and_promtool_accepts_it") {
        return;
    }
    let lab = Lab::new(2);
    let (sender, watcher) = (lab.host(1), lab.host(2));
    let recv = start(
        watcher,
        &[
            "recv",
            "239.10.0.3",
            "5000",
            "-i",
            "eth0",
            "-q",
            "--json",
            "--metrics",
            "9465",
        ],
    );
    // 20 RTP packets, the sixth never sent: one lost in the sender's stream.
    sender.run(|| {
        let s = UdpSocket::bind("0.0.0.0:0").unwrap();
        for seq in (0..20u16).filter(|&s| s != 5) {
            let mut d = vec![0x80, 96];
            d.extend_from_slice(&seq.to_be_bytes());
            d.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
            d.extend_from_slice(&9u32.to_be_bytes());
            d.resize(112, 0);
            s.send_to(&d, "239.10.0.3:5000").unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let text = curl(watcher, &["http://127.0.0.1:9465/metrics"]);
    let group = r#"{group="239.10.0.3",port="5000"}"#;
    for line in [
        format!("mcast_datagrams_total{group} 19"),
        format!("mcast_bytes_total{group} {}", 19 * 112),
        format!("mcast_probes_lost_total{group} 0"),
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    let lost = text
        .lines()
        .find(|l| {
            l.starts_with("mcast_lost_total{group=\"239.10.0.3\",port=\"5000\",sender=\"192.0.2.1:")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(lost.ends_with(" 1"), "{lost}");
    promtool_accepts(&text);
    recv.signal(Signal::SIGINT);
    let out = recv.wait(WAIT);
    assert!(
        stderr(&out).is_empty() || out.status.code() == Some(1),
        "{}",
        stderr(&out)
    );
}

#[test]
fn reflect_serves_its_answers_and_refusals_by_reason() {
    if !have_prometheus("reflect_serves_its_answers_and_refusals_by_reason") {
        return;
    }
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let reflector = spawn(common::command(
        server,
        &["reflect", "-d", "4s", "--json", "--metrics", "9466"],
    ));
    std::thread::sleep(Duration::from_millis(400));
    let to = server.v4.to_string();
    let ping = common::run(
        client,
        &["ping", &to, "-c", "3", "--interval", "200ms", "-t", "300ms"],
    );
    assert_eq!(ping.status.code(), Some(0), "{}", stderr(&ping));
    // One datagram that is no request at all.
    client.run(move || {
        let s = UdpSocket::bind("0.0.0.0:0").unwrap();
        s.send_to(b"not a request", (to.as_str(), mcast::wire::PORT))
            .unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));
    let text = curl(server, &["http://127.0.0.1:9466/metrics"]);
    let value = |series: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    let port = format!("{{port=\"{}\"}}", mcast::wire::PORT);
    let out = common::finish(reflector, WAIT);
    let summary = json_lines(&out)
        .into_iter()
        .find(|e| e["type"] == "summary")
        .unwrap_or_else(|| panic!("{}", stderr(&out)));
    // What was served is what the reflector counted (nothing came after the scrape).
    for name in ["requests", "unicast_replies", "multicast_replies"] {
        let served = value(&format!("mcast_reflect_{name}_total{port}"));
        assert_eq!(Value::from(served), summary[name], "{name}");
    }
    assert_eq!(
        value(&format!("mcast_reflect_unicast_replies_total{port}")),
        3
    );
    let malformed = format!(
        "mcast_reflect_refused_total{{port=\"{}\",reason=\"malformed\"}}",
        mcast::wire::PORT
    );
    assert_eq!(value(&malformed), 1, "{text}");
    assert_eq!(summary["refused_malformed"], 1);
}

#[test]
fn watch_serves_the_queriers_and_memberships_it_heard() {
    if !have_prometheus("watch_serves_the_queriers_and_memberships_it_heard") {
        return;
    }
    let lab = Lab::new(2);
    let (watcher, member) = (lab.host(1), lab.host(2));
    lab.querier(3, 2, 1);
    let capture = spawn(common::command(
        watcher,
        &[
            "watch",
            "-4",
            "-i",
            "eth0",
            "-d",
            "5s",
            "--json",
            "--metrics",
            "9467",
        ],
    ));
    std::thread::sleep(Duration::from_millis(300));
    let join = spawn(common::command(
        member,
        &["join", "239.1.1.1", "-i", "eth0", "-d", "3s"],
    ));
    // Two queries a second or so and the member's reports.
    std::thread::sleep(Duration::from_millis(2500));
    let text = curl(watcher, &["http://127.0.0.1:9467/metrics"]);
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix)?.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    assert!(
        value(
            "mcast_watch_querier_queries_total{interface=\"eth0\",querier=\"192.0.2.254\",version=\"IGMPv3\"}"
        ) >= 1.0,
        "{text}"
    );
    assert!(
        value("mcast_watch_memberships{interface=\"eth0\"}") >= 1.0,
        "{text}"
    );
    assert!(value("mcast_watch_packets_total") >= 2.0, "{text}");
    assert_eq!(value("mcast_watch_bad_checksums_total"), 0.0, "{text}");
    promtool_accepts(&text);
    let _ = common::finish(join, WAIT);
    let out = common::finish(capture, WAIT);
    assert!(out.status.success(), "{}", stderr(&out));
}
