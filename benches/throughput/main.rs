//! `cargo bench`: mcast's throughput beside libc yardsticks and iperf2, its pacing, peak
//! memory and start-up time, all measured inside a namespace lab built for the run.
//!
//! Machines here are shared and noisy: read the ratios, which come from one run.

#![cfg_attr(not(target_os = "linux"), allow(unused))]

#[cfg(target_os = "linux")]
#[path = "../../tests/lab/mod.rs"]
mod lab;

#[cfg(target_os = "linux")]
mod content;
#[cfg(target_os = "linux")]
mod floor;
#[cfg(target_os = "linux")]
mod monitor;
#[cfg(target_os = "linux")]
mod paced;
#[cfg(target_os = "linux")]
mod ping;
#[cfg(target_os = "linux")]
mod reference;
#[cfg(target_os = "linux")]
mod run;
#[cfg(target_os = "linux")]
mod watch;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("bench: needs Linux network namespaces; nothing measured");
}

/// Rounds of each measurement: 3, or MCAST_BENCH_ROUNDS.
fn round_count() -> usize {
    std::env::var("MCAST_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(3)
}
const PORT: u16 = 7777;

#[cfg(target_os = "linux")]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(reference::SENDER_FLAG) {
        reference::sender_process(&args[2..], PORT, lab::IFACE);
    }
    if args.get(1).map(String::as_str) == Some(floor::FLAG) {
        floor::run(mcast::wire::PORT);
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("bench: needs root to build its namespace lab (see README)");
        std::process::exit(1);
    }
    // MCAST_BENCH=throughput|pacing|json|memory|startup|reflect|rtt|mesh|watch|content|monitor runs
    // one part; unset runs all.
    // MCAST_BENCH_ROUNDS=N repeats each measurement N times (3 by default).
    let only = std::env::var("MCAST_BENCH").ok();
    let part = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let lab = lab::Lab::new(2);
    let (rx, tx) = (lab.host(1), lab.host(2));
    if part("throughput") {
        throughput(rx, tx);
    }
    if part("pacing") {
        pacing(rx, tx);
    }
    if part("json") {
        line_output(rx, tx);
    }
    if part("memory") {
        memory(rx, tx);
    }
    if part("startup") {
        startup(rx);
    }
    if part("reflect") {
        ping::reflectors(round_count());
    }
    if part("rtt") {
        ping::round_trips(10);
    }
    if part("mesh") {
        ping::mesh16();
    }
    if part("watch") {
        watch::reports(50_000, 3.0);
    }
    if part("content") {
        content::cost(rx, tx, round_count());
    }
    if part("monitor") {
        monitor::cost(rx, tx, round_count());
    }
}

/// Flat-out datagrams/s for every sender and receiver pairing, and mcast's ratios.
#[cfg(target_os = "linux")]
fn throughput(rx: &lab::Host, tx: &lab::Host) {
    use reference::{RecvKind, SendKind};
    use run::{Sample, median};
    use std::net::IpAddr;
    println!(
        "mcast throughput, datagrams/s (median of {} rounds), counted by the receiver; loss in %",
        round_count()
    );
    println!(
        "{:<5} {:>5}  {:>22} {:>22} {:>22} {:>22} {:>22} {:>22} {:>22}",
        "fam",
        "size",
        "mcast->plain",
        "gso-ref->plain",
        "mmsg-ref->plain",
        "mcast->mcast",
        "gso-ref->mcast",
        "gso-ref->gro-ref",
        "iperf2"
    );
    // A first run after the lab is built is slow (caches, neighbour entries): not counted.
    run::mcast_to_ref(
        rx,
        tx,
        "239.77.0.1".parse().unwrap(),
        64,
        100_000,
        RecvKind::Mmsg,
    );
    let mut ratios = Vec::new();
    for (family, group) in [("IPv4", "239.77.0.1"), ("IPv6", "ff15::77:1")] {
        let group: IpAddr = group.parse().unwrap();
        for size in [64usize, 1400] {
            // About a second of sending each: shorter runs are mostly start-up noise.
            let count: u64 = 1_000_000;
            let pairing = |send, recv| run::ref_to_ref(rx, tx, group, size, count, send, recv);
            let measures: [&dyn Fn() -> Sample; 7] = [
                &|| run::mcast_to_ref(rx, tx, group, size, count, RecvKind::Mmsg),
                &|| pairing(SendKind::GsoMmsg, RecvKind::Mmsg),
                &|| pairing(SendKind::Mmsg, RecvKind::Mmsg),
                &|| run::mcast_to_mcast(rx, tx, group, size, count),
                &|| run::ref_to_mcast(rx, tx, group, size, count),
                &|| pairing(SendKind::GsoMmsg, RecvKind::GroMmsg),
                &|| run::iperf(rx, tx, group, size),
            ];
            // One round runs every pairing once, each round starting one further along, so
            // drift on a shared machine falls on every column alike and each ratio compares
            // runs made side by side.
            let rounds: Vec<[Sample; 7]> = (0..round_count())
                .map(|round| {
                    let mut samples = [Sample::default(); 7];
                    for k in 0..7 {
                        let c = (round + k) % 7;
                        samples[c] = measures[c]();
                    }
                    samples
                })
                .collect();
            let column = |c: usize| median(rounds.iter().map(|r| r[c]).collect());
            let cells: Vec<String> = (0..7).map(|c| column(c).cell()).collect();
            println!("{family:<5} {size:>5}  {}", cells.join(" "));
            // mcast send (column 0) against the GSO and sendmmsg senders and iperf2.
            let ratio = |c: usize| {
                let mut each: Vec<f64> = rounds.iter().map(|r| r[0].rate / r[c].rate).collect();
                each.sort_by(f64::total_cmp);
                each[each.len() / 2]
            };
            let recv = column(4);
            ratios.push((
                family,
                size,
                ratio(1),
                ratio(2),
                (column(6).rate > 0.0).then(|| ratio(6)),
                100.0 * recv.received as f64 / recv.sent.max(1) as f64,
            ));
        }
    }
    println!();
    println!(
        "ratios: mcast send vs the GSO and sendmmsg yardsticks and iperf2 (same plain receiver,"
    );
    println!("        median of the rounds' ratios);");
    println!("        mcast recv: share of what the GSO yardstick sent that it counted");
    for (family, size, gso, mmsg, iperf, counted) in &ratios {
        println!(
            "{family:<5} {size:>5}  send/gso {gso:.2}  send/mmsg {mmsg:.2}  send/iperf2 {}  recv counted {counted:.2} %",
            iperf.map_or("n/a".into(), |r| format!("{r:.1}")),
        );
    }
    println!();
    println!();
}

/// Asked against achieved rates, as the receiver measured them.
#[cfg(target_os = "linux")]
fn pacing(rx: &lab::Host, tx: &lab::Host) {
    use std::net::IpAddr;
    println!("pacing: mcast send --rate R for 2 s, rate measured by mcast recv");
    println!(
        "{:>8} {:>12} {:>8} {:>10} {:>10}",
        "asked", "achieved", "error %", "p50 gap", "p99 gap"
    );
    let group: IpAddr = "239.77.0.2".parse().unwrap();
    for rate in [10u64, 1_000, 10_000, 100_000, 200_000] {
        let p = run::pacing(rx, tx, group, rate);
        println!(
            "{rate:>8} {:>12.1} {:>8.3} {:>8.1}µs {:>8.1}µs",
            p.achieved,
            100.0 * (p.achieved - rate as f64) / rate as f64,
            p.gap_p50_us,
            p.gap_p99_us
        );
    }
    println!();
}

/// What a JSON line per datagram (into a pipe read as fast as it comes, and into a file)
/// costs against `-q`, with the GSO yardstick sending flat out.
#[cfg(target_os = "linux")]
fn line_output(rx: &lab::Host, tx: &lab::Host) {
    use run::Output;
    let group: std::net::IpAddr = "239.77.0.4".parse().unwrap();
    let count = 1_000_000;
    let sample = |output| run::ref_to_mcast_with(rx, tx, group, 64, count, output);
    // Rounds of quiet, JSON into a pipe, JSON and text into a file, side by side, as in the
    // throughput table.
    let outputs = [Output::Quiet, Output::Pipe, Output::File, Output::TextFile];
    let rounds: Vec<Vec<run::Sample>> = (0..round_count())
        .map(|_| outputs.iter().map(|&o| sample(o)).collect())
        .collect();
    let column = |c: usize| run::median(rounds.iter().map(|r| r[c]).collect());
    // The rate is the receiver's own (first to last datagram): with the sender flat out, a
    // receiver printing lines is always behind, so its rate is what it can do. Counted is kinder: it
    // includes what the receive buffer held while the receiver fell behind.
    println!(
        "a line per datagram, 64-byte probes flat out (median of {} rounds), against -q:",
        round_count()
    );
    let counted = |s: &run::Sample| 100.0 * s.received as f64 / s.sent.max(1) as f64;
    let quiet = column(0);
    println!(
        "  quiet          {:>9.0}/s counted {:5.1} %",
        quiet.rate,
        counted(&quiet)
    );
    for (c, name) in [(1, "json, pipe"), (2, "json, file"), (3, "text, file")] {
        let lines = column(c);
        let mut each: Vec<f64> = rounds.iter().map(|r| r[c].rate / r[0].rate).collect();
        each.sort_by(f64::total_cmp);
        println!(
            "  {name:<14} {:>9.0}/s counted {:5.1} %   rate ratio {:.2}",
            lines.rate,
            counted(&lines),
            each[each.len() / 2],
        );
    }
    println!();
}

/// Peak resident memory of send and recv, flat out.
#[cfg(target_os = "linux")]
fn memory(rx: &lab::Host, tx: &lab::Host) {
    let (send_kb, recv_kb) = run::peak_memory(rx, tx, "239.77.0.3".parse().unwrap());
    println!(
        "peak resident memory: mcast send {send_kb} KiB, mcast recv {recv_kb} KiB (flat out, 1400-byte probes)"
    );
    println!();
}

/// Start-up time of ifaces and groups against iproute2.
#[cfg(target_os = "linux")]
fn startup(rx: &lab::Host) {
    println!("start-up, mean of 200 runs inside a lab host:");
    for (ours, theirs) in [
        (
            vec![run::MCAST, "ifaces", "--json"],
            vec!["ip", "-j", "addr"],
        ),
        (
            vec![run::MCAST, "groups", "--json"],
            vec!["ip", "maddr", "show"],
        ),
    ] {
        let a = run::startup(rx, &ours, 200);
        let b = run::startup(rx, &theirs, 200);
        println!(
            "  mcast {:<14} {:>7.0} µs   {:<14} {:>7.0} µs   ratio {:.2}",
            ours[1..].join(" "),
            a.as_secs_f64() * 1e6,
            theirs.join(" "),
            b.as_secs_f64() * 1e6,
            a.as_secs_f64() / b.as_secs_f64()
        );
    }
    // Every check of doctor that reads the host (no --listen), whole runs.
    let d = run::startup(rx, &[run::MCAST, "doctor", "239.1.1.1", "7777"], 200);
    println!(
        "  mcast doctor 239.1.1.1 7777 {:>7.0} µs  (all checks, process start to exit)",
        d.as_secs_f64() * 1e6
    );
}
