//! What watching many groups costs: `mcast monitor` over 10, 100 and 1,000 RTP groups that
//! together carry 100,000 datagrams a second, beside one `mcast recv -q` taking the same
//! 100,000 a second on one group, side by side in each round; CPU time and peak memory from
//! the kernel's accounting of the receiver (wait4).

use std::io::Read;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::lab::Host;
use crate::paced::{self, median};
use crate::run::MCAST;

const PORT: u16 = 5006;
const RATE: u64 = 100_000;
const SECS: f64 = 10.0;

fn group(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(239, 78, (i / 250) as u8, (i % 250 + 1) as u8)
}

/// Sends RATE datagrams a second for SECS from `tx`, RTP of 188 bytes of payload, spread
/// over `groups` groups in turn (each its own SSRC and sequence). Returns datagrams sent.
fn send(tx: &Host, groups: usize) -> u64 {
    let to = (0..groups).map(|i| (group(i), PORT)).collect();
    let total = (RATE as f64 * SECS) as u64;
    paced::send(tx, to, total, RATE, move |n, d| {
        d.resize(200, 0);
        d[0] = 0x80;
        d[1] = 96;
        let g = (n % groups as u64) as usize;
        let seq = n / groups as u64;
        d[2..4].copy_from_slice(&(seq as u16).to_be_bytes());
        d[4..8].copy_from_slice(&((seq as u32).wrapping_mul(900)).to_be_bytes());
        d[8..12].copy_from_slice(&(0x5000 + g as u32).to_be_bytes());
        g
    })
}

/// One receiver's run: CPU seconds, peak resident KiB, and its JSON summary.
fn receive(
    rx: &Host,
    tx: &Host,
    args: Vec<String>,
    groups: usize,
) -> (f64, u64, serde_json::Value) {
    let args_are_monitor = args[0] == "monitor";
    let mut child = rx.run(move || {
        Command::new(MCAST)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mcast in the lab")
    });
    // Peak memory from the process's own VmHWM: wait4's maxrss also counts the pages of the
    // bench process it was forked from (exec keeps the larger), which the content part grew.
    let peak = crate::lab::follow_peak_kib(child.id());
    // Sent once it has joined: recv says so in its first line, the monitor in its first.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut out).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    send(tx, groups);
    // recv ends on its own after 0.7 s of silence; the monitor is stopped as Ctrl-C would.
    if args_are_monitor {
        std::thread::sleep(Duration::from_millis(300));
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    }
    stdout.read_to_string(&mut out).unwrap();
    let cpu = paced::reap(child);
    (cpu, peak.join().unwrap_or(0), paced::summary(&out))
}

fn recv_args() -> Vec<String> {
    let g = group(0).to_string();
    let port = PORT.to_string();
    let args = [
        "recv", &g, &port, "-q", "--json", "-t", "0.7s", "--rcvbuf", "4M",
    ];
    args.iter().map(|s| s.to_string()).collect()
}

fn monitor_args(list: &std::path::Path) -> Vec<String> {
    let args = [
        "monitor",
        "--file",
        list.to_str().unwrap(),
        "-i",
        crate::lab::IFACE,
        "--json",
        "--no-tui",
        "--rcvbuf",
        "4M",
    ];
    args.iter().map(|s| s.to_string()).collect()
}

/// Prints the monitor's CPU and memory for 10, 100 and 1,000 groups beside recv's on one.
pub fn cost(rx: &Host, tx: &Host, rounds: usize) {
    println!(
        "monitor: {RATE} RTP datagrams/s for {SECS} s over N groups, mcast monitor (RTP read per group) beside one mcast recv -q on one group at the same rate; CPU from wait4, median of {rounds} rounds"
    );
    println!(
        "{:>6} {:>12} {:>12} {:>8} {:>12} {:>22} {:>22}",
        "groups",
        "monitor CPU",
        "recv CPU",
        "ratio",
        "peak RSS",
        "monitor got (drops)",
        "recv got (drops)"
    );
    for groups in [10usize, 100, 1000] {
        let list =
            std::env::temp_dir().join(format!("mcast-bench-{}-{groups}.txt", std::process::id()));
        let text: String = (0..groups)
            .map(|i| format!("{}:{PORT},name=ch{i}\n", group(i)))
            .collect();
        std::fs::write(&list, text).unwrap();
        let (mut cpu_m, mut cpu_r, mut ratio, mut rss) = (vec![], vec![], vec![], 0u64);
        let (mut got_m, mut got_r) = (String::new(), String::new());
        for round in 0..rounds {
            // In turns, so that a noisy spell hits both alike.
            let run_m = || receive(rx, tx, monitor_args(&list), groups);
            let run_r = || receive(rx, tx, recv_args(), 1);
            let (m, r) = if round % 2 == 0 {
                let m = run_m();
                (m, run_r())
            } else {
                let r = run_r();
                (run_m(), r)
            };
            cpu_m.push(m.0);
            cpu_r.push(r.0);
            ratio.push(m.0 / r.0.max(1e-9));
            rss = rss.max(m.1);
            // The least counted of the rounds, with that round's kernel drops.
            let got = |v: &serde_json::Value, key: &str| {
                format!("{} ({})", v[key].as_u64().unwrap_or(0), v["kernel_drops"])
            };
            if got_m.is_empty()
                || m.2["datagrams"].as_u64() < got_m.split(' ').next().and_then(|x| x.parse().ok())
            {
                got_m = got(&m.2, "datagrams");
            }
            if got_r.is_empty()
                || r.2["packets"].as_u64() < got_r.split(' ').next().and_then(|x| x.parse().ok())
            {
                got_r = got(&r.2, "packets");
            }
        }
        let _ = std::fs::remove_file(&list);
        println!(
            "{groups:>6} {:>10.2} s {:>10.2} s {:>8.2} {:>8.1} MiB {:>22} {:>22}",
            median(cpu_m),
            median(cpu_r),
            median(ratio),
            rss as f64 / 1024.0,
            got_m,
            got_r
        );
    }
    println!();
}
