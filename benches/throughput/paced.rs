//! What the content and monitor benches share: a sender paced by absolute deadlines, and the
//! kernel's account of a receiver once it has ended (CPU, peak memory, its JSON summary).

use std::net::Ipv4Addr;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::lab::Host;

/// Sends `total` datagrams at `rate` a second from `tx` over IPv4 multicast (TTL 1): `fill`
/// writes datagram `n` into the buffer and says to which of `to` it goes. Returns `total`.
pub fn send<F>(tx: &Host, to: Vec<(Ipv4Addr, u16)>, total: u64, rate: u64, mut fill: F) -> u64
where
    F: FnMut(u64, &mut Vec<u8>) -> usize + Send + 'static,
{
    let from = tx.v4;
    tx.run(move || {
        let sock = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )
        .unwrap();
        sock.set_multicast_if_v4(&from).unwrap();
        sock.set_multicast_ttl_v4(1).unwrap();
        let to: Vec<socket2::SockAddr> = to
            .into_iter()
            .map(|(g, port)| std::net::SocketAddrV4::new(g, port).into())
            .collect();
        let mut d = Vec::new();
        let start = Instant::now();
        for n in 0..total {
            let i = fill(n, &mut d);
            let _ = sock.send_to(&d, &to[i]);
            // Absolute deadlines, checked every 32 datagrams: a late spell is made up.
            if n % 32 == 31 {
                let due = Duration::from_secs_f64((n + 1) as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        }
        total
    })
}

/// What a receiver cost once it ended: CPU seconds (user and system), from the kernel's
/// accounting (wait4, which Child::wait cannot give). Not its peak memory: wait4's maxrss
/// also counts the bench process it was forked from (see `lab::follow_peak_kib`).
#[allow(clippy::zombie_processes)] // reaped here by wait4
pub fn reap(child: Child) -> f64 {
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a child of this process, waited for once; status and usage are ours.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The last summary among the JSON lines a run printed (null when none).
pub fn summary(out: &str) -> serde_json::Value {
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .rfind(|v| v["type"] == "summary")
        .unwrap_or_default()
}

/// The median of some rounds' figures (0 with none).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
