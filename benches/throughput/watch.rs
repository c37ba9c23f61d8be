//! `mcast watch` under a storm of IGMPv3 reports from a generator in the lab (a raw socket
//! writing its own IP headers, so each report comes from another host for another group):
//! what the kernel dropped, what was printed, and the memory it took.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::lab::{IFACE, Lab};
use crate::run::MCAST;

/// The Internet checksum of `b`.
fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 packet carrying an IGMPv3 report from `host`: `group` joined from any source.
fn report(host: Ipv4Addr, group: Ipv4Addr) -> Vec<u8> {
    let mut igmp = vec![0x22, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0];
    igmp.extend(group.octets());
    let c = checksum(&igmp);
    igmp[2..4].copy_from_slice(&c.to_be_bytes());
    let total = (20 + igmp.len()) as u16;
    let mut p = vec![0x45, 0xc0];
    p.extend(total.to_be_bytes());
    // id, fragment, TTL 1, protocol 2, checksum (the kernel fills it in).
    p.extend([0, 0, 0, 0, 1, 2, 0, 0]);
    p.extend(host.octets());
    p.extend([224, 0, 0, 22]);
    p.extend(igmp);
    p
}

/// Sends `rate` reports a second for `secs`, each from another host for another group.
fn storm(rate: u64, secs: f64) -> u64 {
    let sock = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(libc::IPPROTO_RAW)),
    )
    .expect("raw socket");
    sock.set_header_included_v4(true).unwrap();
    let to = SocketAddrV4::new(Ipv4Addr::new(224, 0, 0, 22), 0);
    let total = (rate as f64 * secs) as u64;
    let start = Instant::now();
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        while Instant::now() < due {
            std::hint::spin_loop();
        }
        let n = i as u32;
        let host = Ipv4Addr::new(10, (n >> 16) as u8, (n >> 8) as u8, n as u8);
        let group = Ipv4Addr::new(239, 1, (n >> 8) as u8, n as u8);
        let _ = sock.send_to(&report(host, group), &to.into());
    }
    total
}

pub fn reports(rate: u64, secs: f64) {
    let lab = Lab::new(2);
    let (watcher, generator) = (lab.host(1), lab.host(2));
    let run_for = format!("{}s", secs + 2.0);
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &watcher.ns,
            MCAST,
            "watch",
            "-4",
            "-i",
            IFACE,
        ])
        .args(["-d", &run_for, "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start mcast watch");
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    // Read as a script would, as it comes.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let peak = crate::lab::follow_peak_kib(pid);
    std::thread::sleep(Duration::from_millis(700));
    let sent = generator.run(move || storm(rate, secs));
    let _ = child.wait();
    let text = reader.join().unwrap();
    let peak = peak.join().unwrap_or(0);
    let printed = text
        .lines()
        .filter(|l| l.contains("\"type\":\"report\""))
        .count();
    let summary: serde_json::Value = text
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    println!(
        "watch: a storm of {rate} IGMPv3 reports/s for {secs} s, each from another host for another group:"
    );
    println!(
        "  sent {sent}, captured {}, printed {printed} (JSON into a pipe), kernel drops {}, untracked {}, peak memory {peak} KiB",
        summary["packets"], summary["kernel_drops"], summary["untracked"]
    );
    println!();
}
