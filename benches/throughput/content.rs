//! What reading the content costs: `mcast recv -q` over one MPEG-TS stream of about 1 Gb/s
//! (90,000 datagrams of 7 packets a second, made by ffmpeg and replayed with its counters
//! kept continuous), with the analysis on (`--content auto`) and off (`--content raw`), side
//! by side in each round; CPU time from the kernel's accounting of the receiver (wait4).

use std::io::Read;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::lab::Host;
use crate::paced::{self, median};
use crate::run::MCAST;

const GROUP: Ipv4Addr = Ipv4Addr::new(239, 77, 5, 1);
const PORT: u16 = 5004;
const DATAGRAM: usize = 7 * 188;
const RATE: u64 = 90_000;
const SECS: f64 = 3.0;

/// A few seconds of MPEG-2 video in a transport stream, cut into datagrams of 7 packets;
/// None (said on stderr) without ffmpeg.
fn stream() -> Option<Vec<[u8; DATAGRAM]>> {
    let file = std::env::temp_dir().join(format!("mcast-bench-{}.ts", std::process::id()));
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=25",
            "-t",
            "4",
        ])
        .args(["-c:v", "mpeg2video", "-b:v", "8M", "-f", "mpegts"])
        .arg(&file)
        .stdin(Stdio::null())
        .status();
    let bytes = std::fs::read(&file).ok();
    let _ = std::fs::remove_file(&file);
    match (made, bytes) {
        (Ok(s), Some(bytes)) if s.success() => Some(
            bytes
                .chunks_exact(DATAGRAM)
                .map(|c| c.try_into().unwrap())
                .collect(),
        ),
        _ => {
            eprintln!(
                "content: did not run: ffmpeg is needed to make the stream (apt-get install ffmpeg)"
            );
            None
        }
    }
}

/// The `n`th datagram of `stream` played in a loop, into `d`, each PID's continuity counter
/// carried on in `cc` so that the loop's seam is no discontinuity.
fn next(stream: &[[u8; DATAGRAM]], n: u64, cc: &mut [u8; 8192], d: &mut [u8]) {
    d.copy_from_slice(&stream[n as usize % stream.len()]);
    for p in d.chunks_exact_mut(188) {
        let pid = usize::from(p[1] & 0x1f) << 8 | usize::from(p[2]);
        if p[3] & 0x10 != 0 {
            cc[pid] = (cc[pid] + 1) & 0x0f;
        }
        p[3] = (p[3] & 0xf0) | cc[pid];
    }
}

/// The analysis alone, in this process: ns per datagram that `Streams::observe` adds to
/// making the datagrams, the stream's own pace kept in the arrival times.
fn alone(stream: &[[u8; DATAGRAM]]) -> f64 {
    use mcast::content::flow::{Options, Streams};
    let total = (RATE as f64 * SECS) as u64;
    let from = "192.0.2.2:40000".parse().unwrap();
    let run = |analyse: bool| {
        let mut streams = Streams::new(Options::default());
        let (mut cc, mut d) = ([0u8; 8192], [0u8; DATAGRAM]);
        let start = Instant::now();
        for n in 0..total {
            next(stream, n, &mut cc, &mut d);
            if analyse {
                let ns = 1_700_000_000_000_000_000 + n * 1_000_000_000 / RATE;
                streams.observe(from, &d, ns, 0, |_, t| {
                    std::hint::black_box(t);
                });
            }
            std::hint::black_box(&d);
        }
        start.elapsed().as_secs_f64()
    };
    (run(true) - run(false)) * 1e9 / total as f64
}

/// Sends `stream` in a loop from `tx` at RATE for SECS, rewriting each PID's continuity
/// counter so that the loop's seam is no discontinuity. Returns datagrams sent.
fn send(tx: &Host, stream: Vec<[u8; DATAGRAM]>) -> u64 {
    let mut cc = [0u8; 8192];
    let total = (RATE as f64 * SECS) as u64;
    paced::send(tx, vec![(GROUP, PORT)], total, RATE, move |n, d| {
        d.resize(DATAGRAM, 0);
        next(&stream, n, &mut cc, d);
        0
    })
}

/// One receiver's run: CPU seconds (user and system), and its JSON summary.
fn receive(
    rx: &Host,
    tx: &Host,
    stream: &[[u8; DATAGRAM]],
    content: &str,
) -> (f64, serde_json::Value) {
    let args: Vec<String> = [
        MCAST,
        "recv",
        &GROUP.to_string(),
        &PORT.to_string(),
        "-q",
        "--json",
        // Ends 0.7 s after the stream does: for silence, before it would be a stall.
        "-t",
        "0.7s",
        "--rcvbuf",
        "16M",
        "--content",
        content,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut child = rx.run(move || {
        Command::new(&args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mcast recv in the lab")
    });
    std::thread::sleep(Duration::from_millis(500));
    send(tx, stream.to_vec());
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    (paced::reap(child), paced::summary(&out))
}

/// Prints what the analysis costs beyond receiving, as a share of one core.
pub fn cost(rx: &Host, tx: &Host, rounds: usize) {
    let Some(stream) = stream() else { return };
    let per: Vec<f64> = (0..rounds).map(|_| alone(&stream)).collect();
    let per = median(per);
    println!(
        "content analysis alone (Streams::observe in this process): {per:.0} ns a datagram of 7 TS packets, {:.1} % of one core at {RATE}/s",
        per * RATE as f64 / 1e7
    );
    println!(
        "content analysis: mcast recv -q over one MPEG-TS stream, {RATE} datagrams/s of 7 packets ({:.2} Gb/s) for {SECS} s, median of {rounds} rounds",
        (RATE * DATAGRAM as u64 * 8) as f64 / 1e9
    );
    let (mut raw, mut auto, mut extra) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = serde_json::Value::Null;
    for round in 0..rounds {
        // Each round runs both, in turns, so that a noisy spell hits both alike.
        let (a, b) = if round % 2 == 0 {
            let r = receive(rx, tx, &stream, "raw");
            (r, receive(rx, tx, &stream, "auto"))
        } else {
            let a = receive(rx, tx, &stream, "auto");
            (receive(rx, tx, &stream, "raw"), a)
        };
        raw.push(a.0);
        auto.push(b.0);
        extra.push((b.0 - a.0) / SECS);
        println!(
            "  round {}: raw {:.3} s CPU ({} datagrams, {} kernel drops), auto {:.3} s CPU ({} datagrams, {} kernel drops)",
            round + 1,
            a.0,
            a.1["packets"],
            a.1["kernel_drops"],
            b.0,
            b.1["packets"],
            b.1["kernel_drops"]
        );
        last = b.1;
    }
    let st = &last["streams"][0];
    println!(
        "  --content raw {:.3} s CPU   --content auto {:.3} s CPU   analysis {:.1} % of one core (read as {}, verdict {} {}, {} TS packets on PID 0x100)",
        median(raw),
        median(auto),
        100.0 * median(extra),
        st["content"],
        st["verdict"],
        st["problems"],
        st["ts"]["pids"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["pid"] == 256))
            .map_or(serde_json::Value::Null, |p| p["packets"].clone())
    );
}
