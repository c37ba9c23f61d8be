//! `cargo bench`: mcast's throughput beside libc yardsticks and iperf2, its pacing, peak
//! memory and start-up time, all measured inside a namespace lab built for the run.
//!
//! Machines here are shared and noisy: read the ratios, which come from one run.

#![cfg_attr(not(target_os = "linux"), allow(unused))]

#[cfg(target_os = "linux")]
#[path = "../../tests/lab/mod.rs"]
mod lab;
#[cfg(target_os = "linux")]
mod reference;
#[cfg(target_os = "linux")]
mod run;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("bench: needs Linux network namespaces; nothing measured");
}

const REPS: usize = 3;
const PORT: u16 = 7777;

#[cfg(target_os = "linux")]
fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("bench: needs root to build its namespace lab (see README)");
        std::process::exit(1);
    }
    // MCAST_BENCH=throughput|pacing|json|memory|startup runs one part; unset runs all.
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
        json_output(rx, tx);
    }
    if part("memory") {
        memory(rx, tx);
    }
    if part("startup") {
        startup(rx);
    }
}

/// Flat-out datagrams/s for every sender and receiver pairing, and mcast's ratios.
#[cfg(target_os = "linux")]
fn throughput(rx: &lab::Host, tx: &lab::Host) {
    use reference::{RecvKind, SendKind};
    use run::{Sample, median};
    use std::net::IpAddr;
    println!(
        "mcast throughput, datagrams/s (median of {REPS}), counted by the receiver; loss in %"
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
    let mut ratios = Vec::new();
    for (family, group) in [("IPv4", "239.77.0.1"), ("IPv6", "ff15::77:1")] {
        let group: IpAddr = group.parse().unwrap();
        for size in [64usize, 1400] {
            let count: u64 = if size == 64 { 1_000_000 } else { 300_000 };
            let m = |f: &dyn Fn() -> Sample| median((0..REPS).map(|_| f()).collect());
            let mcast_plain = m(&|| run::mcast_to_ref(rx, tx, group, size, count, RecvKind::Mmsg));
            let gso_plain = m(&|| {
                run::ref_to_ref(
                    rx,
                    tx,
                    group,
                    size,
                    count,
                    SendKind::GsoMmsg,
                    RecvKind::Mmsg,
                )
            });
            let mmsg_plain =
                m(&|| run::ref_to_ref(rx, tx, group, size, count, SendKind::Mmsg, RecvKind::Mmsg));
            let mcast_mcast = m(&|| run::mcast_to_mcast(rx, tx, group, size, count));
            let gso_mcast = m(&|| run::ref_to_mcast(rx, tx, group, size, count));
            let gso_gro = m(&|| {
                run::ref_to_ref(
                    rx,
                    tx,
                    group,
                    size,
                    count,
                    SendKind::GsoMmsg,
                    RecvKind::GroMmsg,
                )
            });
            let iperf = m(&|| run::iperf(rx, tx, group, size));
            println!(
                "{family:<5} {size:>5}  {} {} {} {} {} {} {}",
                mcast_plain.cell(),
                gso_plain.cell(),
                mmsg_plain.cell(),
                mcast_mcast.cell(),
                gso_mcast.cell(),
                gso_gro.cell(),
                iperf.cell()
            );
            ratios.push((
                family,
                size,
                mcast_plain,
                gso_plain,
                mmsg_plain,
                gso_mcast,
                iperf,
            ));
        }
    }
    println!();
    println!(
        "ratios: mcast send vs the GSO and sendmmsg yardsticks and iperf2 (same plain receiver);"
    );
    println!("        mcast recv: share of what the GSO yardstick sent that it counted");
    for (family, size, mcast, gso, mmsg, gso_mcast, iperf) in &ratios {
        println!(
            "{family:<5} {size:>5}  send/gso {:.2}  send/mmsg {:.2}  send/iperf2 {}  recv counted {:.2} %",
            mcast.rate / gso.rate,
            mcast.rate / mmsg.rate,
            if iperf.rate > 0.0 {
                format!("{:.1}", mcast.rate / iperf.rate)
            } else {
                "n/a".into()
            },
            100.0 * gso_mcast.received as f64 / gso_mcast.sent.max(1) as f64,
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
fn json_output(rx: &lab::Host, tx: &lab::Host) {
    use run::Output;
    let group: std::net::IpAddr = "239.77.0.4".parse().unwrap();
    let count = 1_000_000;
    let sample = |output| {
        run::median(
            (0..REPS)
                .map(|_| run::ref_to_mcast_with(rx, tx, group, 64, count, output))
                .collect(),
        )
    };
    let quiet = sample(Output::Quiet);
    // The rate is the receiver's own (first to last datagram): with the sender flat out, a
    // JSON receiver is always behind, so its rate is what it can do. Counted is kinder: it
    // includes what the receive buffer held while the receiver fell behind.
    println!("per-datagram JSON, 64-byte probes flat out (median of {REPS}), against -q:");
    let counted = |s: &run::Sample| 100.0 * s.received as f64 / s.sent.max(1) as f64;
    println!(
        "  quiet          {:>9.0}/s counted {:5.1} %",
        quiet.rate,
        counted(&quiet)
    );
    for (name, output) in [("into a pipe", Output::Pipe), ("into a file", Output::File)] {
        let json = sample(output);
        println!(
            "  {name:<14} {:>9.0}/s counted {:5.1} %   rate ratio {:.2}",
            json.rate,
            counted(&json),
            json.rate / quiet.rate.max(1.0),
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
}
