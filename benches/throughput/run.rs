//! One measurement each: who sends, who counts, and how the figures come back.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::net::IpAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::PORT;
use crate::lab::{Host, IFACE};
use crate::reference::{self, RecvKind, SendKind};

pub const MCAST: &str = env!("CARGO_BIN_EXE_mcast");
const RCVBUF: i32 = 16 << 20;
const IDLE: Duration = Duration::from_millis(700);

/// One run's figures, as the receiver counted them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub sent: u64,
    pub received: u64,
    pub rate: f64,
}

impl Sample {
    fn from(sent: u64, received: u64, span: Duration) -> Self {
        let rate = if span.is_zero() || received < 2 {
            0.0
        } else {
            (received - 1) as f64 / span.as_secs_f64()
        };
        Sample {
            sent,
            received,
            rate,
        }
    }

    /// "1234567 (0.12%)" in a fixed width.
    pub fn cell(&self) -> String {
        if self.sent == 0 {
            return format!("{:>22}", "n/a");
        }
        let loss = 100.0 * self.sent.saturating_sub(self.received) as f64 / self.sent as f64;
        format!("{:>22}", format!("{:.0} ({loss:.2}%)", self.rate))
    }
}

/// The sample with the median rate.
pub fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    samples[samples.len() / 2]
}

/// Starts `args` inside `host`, forked from a thread in its namespace (not through
/// `ip netns exec`, whose own memory would count in the child's peak RSS).
fn spawn(host: &Host, args: &[&str]) -> Child {
    spawn_into(host, args, Stdio::piped())
}

/// As `spawn`, with stdout going to `stdout`.
fn spawn_into(host: &Host, args: &[&str], stdout: Stdio) -> Child {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    host.run(move || {
        Command::new(&args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start a process in the lab")
    })
}

/// Waits for a child we started; returns the end of its stdout (the last 64 KiB, which
/// holds every summary read here), draining the rest as fast as it comes.
fn finish(mut child: Child) -> String {
    const KEEP: usize = 64 * 1024;
    let mut tail: Vec<u8> = Vec::with_capacity(2 * KEEP);
    if let Some(mut s) = child.stdout.take() {
        let mut chunk = vec![0u8; 256 * 1024];
        while let Ok(n) = s.read(&mut chunk) {
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&chunk[..n]);
            if tail.len() > 2 * KEEP {
                tail.drain(..tail.len() - KEEP);
            }
        }
    }
    let _ = child.wait();
    let text = String::from_utf8_lossy(&tail);
    // Start at a whole line.
    match text.find('\n') {
        Some(i) if tail.len() >= KEEP => text[i + 1..].to_string(),
        _ => text.into_owned(),
    }
}

fn json_last(text: &str) -> serde_json::Value {
    text.lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_default()
}

fn mcast_send(
    tx: &Host,
    group: IpAddr,
    size: usize,
    count: u64,
    rate: Option<u64>,
) -> (serde_json::Value, u64) {
    let (g, c, s) = (group.to_string(), count.to_string(), size.to_string());
    let r = rate.map_or("max".to_string(), |r| r.to_string());
    let child = spawn(
        tx,
        &[
            MCAST, "send", &g, "7777", "-i", IFACE, "--rate", &r, "-c", &c, "--size", &s, "--json",
        ],
    );
    let peak = crate::lab::follow_peak_kib(child.id());
    let out = finish(child);
    (json_last(&out), peak.join().unwrap_or(0))
}

/// Where `mcast recv` puts its per-datagram lines.
#[derive(Clone, Copy, PartialEq)]
pub enum Output {
    /// `-q`: no line per datagram, only the summary.
    Quiet,
    /// A JSON line per datagram into a pipe the bench reads as fast as it comes.
    Pipe,
    /// A JSON line per datagram into a file.
    File,
    /// A text line per datagram into a file.
    TextFile,
}

/// Starts `mcast recv` printing as `output` says (the file, when it is one, at `file`),
/// and waits for its join.
fn mcast_recv_with(rx: &Host, group: IpAddr, count: u64, output: Output, file: &Path) -> Child {
    let (g, c) = (group.to_string(), count.to_string());
    let rcvbuf = RCVBUF.to_string();
    let mut args = vec![MCAST, "recv", &g, "7777", "-i", IFACE, "--rcvbuf", &rcvbuf];
    args.extend(["-c", &c, "-t", "1s"]);
    match output {
        Output::Quiet => args.extend(["--json", "-q"]),
        Output::Pipe | Output::File => args.push("--json"),
        Output::TextFile => {}
    }
    if matches!(output, Output::File | Output::TextFile) {
        let f = std::fs::File::create(file).expect("create the bench's output file");
        let child = spawn_into(rx, &args, f.into());
        let deadline = Instant::now() + Duration::from_secs(5);
        while !std::fs::read_to_string(file).is_ok_and(|t| t.contains("joined")) {
            assert!(Instant::now() < deadline, "mcast recv did not join");
            std::thread::sleep(Duration::from_millis(5));
        }
        return child;
    }
    let mut child = spawn(rx, &args);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut joined = String::new();
    stdout.read_line(&mut joined).unwrap();
    assert!(
        joined.contains("joined"),
        "mcast recv did not join: {joined}"
    );
    child.stdout = Some(stdout.into_inner());
    child
}

/// Starts `mcast recv -q` and waits for its join.
fn mcast_recv(rx: &Host, group: IpAddr, count: u64) -> Child {
    mcast_recv_with(rx, group, count, Output::Quiet, Path::new(""))
}

/// Starts a reference receiver in `rx` and returns once it has joined.
fn ref_recv(
    rx: &Host,
    kind: RecvKind,
    group: IpAddr,
    expect: u64,
) -> std::thread::JoinHandle<(u64, Duration)> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let handle = rx.spawn(move || {
        let r =
            reference::Receiver::new(kind, group, PORT, IFACE, RCVBUF).expect("reference receiver");
        ready_tx.send(()).unwrap();
        r.count(expect, IDLE)
    });
    ready_rx.recv().expect("reference receiver ready");
    handle
}

/// Runs a reference sender as a process of its own in `tx`; returns how many datagrams went.
fn ref_send(tx: &Host, kind: SendKind, group: IpAddr, size: usize, count: u64) -> u64 {
    let exe = std::env::current_exe().expect("the bench's own path");
    let exe = exe.to_str().expect("a UTF-8 path");
    let rest = reference::sender_args(kind, group, size, count);
    let mut args = vec![exe, reference::SENDER_FLAG];
    args.extend(rest.iter().map(String::as_str));
    let out = finish(spawn(tx, &args));
    out.trim().parse().expect("the reference sender's count")
}

pub fn mcast_to_ref(
    rx: &Host,
    tx: &Host,
    group: IpAddr,
    size: usize,
    count: u64,
    kind: RecvKind,
) -> Sample {
    let counter = ref_recv(rx, kind, group, count);
    let (summary, _) = mcast_send(tx, group, size, count, None);
    let (received, span) = counter.join().unwrap();
    Sample::from(summary["packets"].as_u64().unwrap_or(0), received, span)
}

pub fn ref_to_ref(
    rx: &Host,
    tx: &Host,
    group: IpAddr,
    size: usize,
    count: u64,
    send: SendKind,
    recv: RecvKind,
) -> Sample {
    let counter = ref_recv(rx, recv, group, count);
    let sent = ref_send(tx, send, group, size, count);
    let (received, span) = counter.join().unwrap();
    Sample::from(sent, received, span)
}

/// Reads a receiver's stdout from now on, as a consumer that keeps up would (a pipe left
/// unread would stall the receiver after 64 KiB and measure the pipe, not mcast).
fn drain(child: Child) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || finish(child))
}

/// The figures of a receiver whose output was `out` (JSON, or text without `--json`), for
/// `sent` datagrams.
fn recv_sample(out: &str, sent: u64) -> Sample {
    let s = json_last(out);
    let (received, rate) = match s["packets"].as_u64() {
        Some(packets) => (packets, s["rate_pps"].as_f64().unwrap_or(0.0)),
        None => text_summary(out).unwrap_or((0, 0.0)),
    };
    Sample {
        sent,
        received,
        rate,
    }
}

/// Datagrams and rate from a text summary: "N datagrams, B bytes in T s (R/s while arriving)".
fn text_summary(out: &str) -> Option<(u64, f64)> {
    let line = out
        .lines()
        .rev()
        .find(|l| l.contains("/s while arriving)"))?;
    let packets = line.split_whitespace().next()?.parse().ok()?;
    let (_, rate) = line.split_once(" s (")?;
    let rate = rate.split_once("/s while")?.0.parse().ok()?;
    Some((packets, rate))
}

pub fn mcast_to_mcast(rx: &Host, tx: &Host, group: IpAddr, size: usize, count: u64) -> Sample {
    let drained = drain(mcast_recv(rx, group, count));
    let (summary, _) = mcast_send(tx, group, size, count, None);
    let out = drained.join().unwrap_or_default();
    recv_sample(&out, summary["packets"].as_u64().unwrap_or(0))
}

pub fn ref_to_mcast(rx: &Host, tx: &Host, group: IpAddr, size: usize, count: u64) -> Sample {
    ref_to_mcast_with(rx, tx, group, size, count, Output::Quiet)
}

/// The GSO yardstick into `mcast recv`, quiet or writing a JSON line per datagram.
pub fn ref_to_mcast_with(
    rx: &Host,
    tx: &Host,
    group: IpAddr,
    size: usize,
    count: u64,
    output: Output,
) -> Sample {
    let file = std::env::temp_dir().join(format!("mcast-bench-{}.jsonl", std::process::id()));
    let child = mcast_recv_with(rx, group, count, output, &file);
    if matches!(output, Output::Quiet | Output::Pipe) {
        let drained = drain(child);
        let sent = ref_send(tx, SendKind::GsoMmsg, group, size, count);
        return recv_sample(&drained.join().unwrap_or_default(), sent);
    }
    let sent = ref_send(tx, SendKind::GsoMmsg, group, size, count);
    finish(child); // its stdout is the file, where the summary is
    let summary = tail_of(&file);
    let _ = std::fs::remove_file(&file);
    recv_sample(&summary, sent)
}

/// The last 64 KiB of a file, from its first whole line.
fn tail_of(path: &Path) -> String {
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut text = String::new();
    let _ = f.read_to_string(&mut text);
    match text.find('\n') {
        Some(i) if len > 64 * 1024 => text[i + 1..].to_string(),
        _ => text,
    }
}

/// iperf2 flat out for 2 s; figures from the server's Lost/Total line.
pub fn iperf(rx: &Host, tx: &Host, group: IpAddr, size: usize) -> Sample {
    if Command::new("iperf").arg("-v").output().is_err() {
        return Sample::default();
    }
    let v6 = group.is_ipv6();
    let bind = if v6 {
        format!("{group}%{IFACE}")
    } else {
        group.to_string()
    };
    let len = size.to_string();
    let mut server_args = vec!["timeout", "6", "iperf", "-s", "-u", "-B", &bind, "-l", &len];
    let mut client_args = vec![
        "iperf", "-c", &bind, "-u", "-l", &len, "-b", "100G", "-t", "2", "-T", "1",
    ];
    if v6 {
        server_args.push("-V");
        client_args.push("-V");
    }
    let server = spawn(rx, &server_args);
    std::thread::sleep(Duration::from_millis(300));
    finish(spawn(tx, &client_args));
    std::thread::sleep(Duration::from_millis(300));
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    );
    let out = finish(server);
    // "[  1] 0.0000-2.0001 sec  ...  0.004 ms 2792/132189 (2.1%)"
    let Some(line) = out
        .lines()
        .rev()
        .find(|l| l.contains(" sec ") && l.contains('/') && l.contains('('))
    else {
        return Sample::default();
    };
    let secs = line
        .split_whitespace()
        .find_map(|w| {
            w.split_once('-')
                .and_then(|(a, b)| Some(b.parse::<f64>().ok()? - a.parse::<f64>().ok()?))
        })
        .unwrap_or(0.0);
    let pair = line
        .split_whitespace()
        .find(|w| w.contains('/') && !w.contains("sec"))
        .unwrap_or("0/0");
    let (lost, total) = pair.split_once('/').map_or((0, 0), |(a, b)| {
        (a.parse().unwrap_or(0u64), b.parse().unwrap_or(0u64))
    });
    let received = total.saturating_sub(lost);
    Sample {
        sent: total,
        received,
        rate: if secs > 0.0 {
            received as f64 / secs
        } else {
            0.0
        },
    }
}

pub struct Pacing {
    pub achieved: f64,
    pub gap_p50_us: f64,
    pub gap_p99_us: f64,
}

pub fn pacing(rx: &Host, tx: &Host, group: IpAddr, rate: u64) -> Pacing {
    let count = rate * 2;
    let drained = drain(mcast_recv(rx, group, count));
    let (summary, _) = mcast_send(tx, group, 64, count, Some(rate));
    let got = recv_sample(&drained.join().unwrap_or_default(), count);
    Pacing {
        achieved: got.rate,
        gap_p50_us: summary["gap_p50_us"].as_f64().unwrap_or(f64::NAN),
        gap_p99_us: summary["gap_p99_us"].as_f64().unwrap_or(f64::NAN),
    }
}

/// Peak RSS of mcast send and mcast recv, flat out with 1400-byte probes.
pub fn peak_memory(rx: &Host, tx: &Host, group: IpAddr) -> (u64, u64) {
    let child = mcast_recv(rx, group, 200_000);
    let recv_peak = crate::lab::follow_peak_kib(child.id());
    let (_, send_kb) = mcast_send(tx, group, 1400, 200_000, None);
    finish(child);
    (send_kb, recv_peak.join().unwrap_or(0))
}

/// Mean wall time of running `argv` to completion `n` times inside `host`.
pub fn startup(host: &Host, argv: &[&str], n: u32) -> Duration {
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    host.run(move || {
        let start = Instant::now();
        for _ in 0..n {
            let ok = Command::new(&argv[0])
                .args(&argv[1..])
                .stdout(Stdio::null())
                .status();
            assert!(ok.is_ok_and(|s| s.success()), "{argv:?} failed");
        }
        start.elapsed() / n
    })
}
