//! The ping family beside its peers, in the same lab and the same run: `mcast reflect`
//! against Debian's ssmpingd (requests answered a second), `mcast ping` against ssmping
//! (round trips, side by side against one reflector), and a 16-host `mcast mesh` against
//! omping doing the same work.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcast::wire::ssmping::{Kind, Message};
use mcast::{IpMode, McastSocket, ScopedAddr, Service};

use crate::lab::{self, Host, Lab};
use crate::paced::median;
use crate::run::MCAST;

/// `program ARGS` inside `host`, its output discarded.
fn start(host: &Host, program: &str, args: &[&str]) -> Child {
    Command::new("ip")
        .args(["netns", "exec", &host.ns, program])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {program}: {e}"))
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Requests a reflector at `server` answers a second on both paths, as a client in `client`
/// sees it: ssmping requests sent 32 a call (sendmmsg) with up to 256 in flight for `secs`,
/// replies read 64 a call (recvmmsg), so that the reflector, not the client, sets the pace.
fn answered_per_second(client: &Host, server: std::net::Ipv4Addr, secs: f64) -> f64 {
    client.run(move || {
        let mut sock = McastSocket::new(IpMode::V4, false).unwrap();
        sock.bind(None, &Service::Port(0)).unwrap();
        let group: ScopedAddr = "232.43.211.234".parse().unwrap();
        sock.join(&group, None, Some(server.into())).unwrap();
        sock.socket().set_nonblocking(true).unwrap();
        let _ = sock.set_recv_buffer(4 << 20);
        let to = sock
            .destination(
                &ScopedAddr::from(std::net::IpAddr::V4(server)),
                &Service::Port(mcast::wire::PORT),
            )
            .unwrap();
        let request = Message {
            kind: Some(Kind::Request),
            pid: Some(7),
            seq: Some(1),
            sent_ns: Some(1),
            ..Message::default()
        }
        .encode();
        let burst = request.repeat(32);
        let mut batch = mcast::RecvBatch::new(64, 2048);
        let (mut sent, mut unicast, mut multicast) = (0u64, 0u64, 0u64);
        let mut last_reply = Instant::now();
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < secs {
            // Keep the window full; a window lost for 50 ms is written off.
            if last_reply.elapsed() > Duration::from_millis(50) {
                sent = unicast;
                last_reply = Instant::now();
            }
            while sent - unicast < 256 {
                match sock.send_many(&burst, request.len(), &to) {
                    Ok(n) if n > 0 => sent += n as u64,
                    _ => break,
                }
            }
            let _ = sock.wait_readable(Some(Duration::from_millis(5)));
            while sock.recv_batch(&mut batch).is_ok_and(|n| n > 0) {
                last_reply = Instant::now();
                for (r, _) in batch.iter() {
                    if r.destination.is_some_and(|d| d.is_multicast()) {
                        multicast += 1;
                    } else {
                        unicast += 1;
                    }
                }
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        unicast.min(multicast) as f64 / elapsed
    })
}

/// mcast reflect (limits lifted) against ssmpingd, answered requests a second.
pub fn reflectors(rounds: usize) {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    println!(
        "reflectors: ssmping requests answered on both paths a second (up to 256 in flight, sent 32 a call, 2 s, median of {rounds} rounds)"
    );
    // Every limit lifted, the per-group one (100 multicast replies a second by default)
    // included: this measures the reflector's own speed.
    let lifted = [
        "reflect",
        "--rate",
        "1e9",
        "--total-rate",
        "1e9",
        "--group-rate",
        "1e9",
    ];
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut ratios = Vec::new();
    let (mut floors, mut of_floor) = (Vec::new(), Vec::new());
    let mut peak = 0;
    for _ in 0..rounds {
        let r = start(server, MCAST, &lifted);
        let follow = crate::lab::follow_peak_kib(r.id());
        std::thread::sleep(Duration::from_millis(300));
        let a = answered_per_second(client, server.v4, 2.0);
        stop(r);
        peak = peak.max(follow.join().unwrap_or(0));
        let d = start(server, "ssmpingd", &[]);
        std::thread::sleep(Duration::from_millis(300));
        let b = answered_per_second(client, server.v4, 2.0);
        stop(d);
        let bench = std::env::current_exe().expect("the bench's own path");
        let f = start(server, bench.to_str().unwrap(), &[crate::floor::FLAG]);
        std::thread::sleep(Duration::from_millis(300));
        let c = answered_per_second(client, server.v4, 2.0);
        stop(f);
        println!(
            "  round: mcast reflect {a:.0}/s, ssmpingd {b:.0}/s, echo floor {c:.0}/s: {:.2} of the floor",
            a / c
        );
        ours.push(a);
        theirs.push(b);
        floors.push(c);
        ratios.push(a / b);
        of_floor.push(a / c);
    }
    println!(
        "  mcast reflect {:>9.0}/s   ssmpingd {:>9.0}/s   ratio {:.2}   mcast reflect peak memory {peak} KiB",
        median(ours),
        median(theirs),
        median(ratios)
    );
    println!(
        "  echo floor    {:>9.0}/s (recvmmsg and sendmmsg, 32 a call, no checks)   mcast reflect / floor {:.2}",
        median(floors),
        median(of_floor)
    );
    println!();
}

/// mcast ping and ssmping side by side against one ssmpingd: median unicast round trips.
pub fn round_trips(count: u32) {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let d = start(server, "ssmpingd", &[]);
    std::thread::sleep(Duration::from_millis(300));
    let n = count.to_string();
    let s = server.v4.to_string();
    // Both at one a second, half a second apart: side by side, never in each other's way.
    let theirs = Command::new("ip")
        .args(["netns", "exec", &client.ns, "ssmping", "-c", &n, &s])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let ours = client.exec(MCAST, &["ping", &s, "-c", &n, "--json"]);
    let theirs = theirs.wait_with_output().unwrap();
    stop(d);
    let mut a: Vec<f64> = String::from_utf8_lossy(&ours.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "reply" && v["path"] == "unicast")
        .filter_map(|v| v["rtt_ms"].as_f64())
        .collect();
    let mut b: Vec<f64> = String::from_utf8_lossy(&theirs.stdout)
        .lines()
        .filter(|l| l.starts_with("  unicast from"))
        .filter_map(|l| l.split("time=").nth(1))
        .filter_map(|t| t.trim_end_matches(" ms").trim().parse().ok())
        .collect();
    println!(
        "round trips: mcast ping and ssmping against one ssmpingd, {count} requests each at 1/s, half a second apart, unicast"
    );
    let (ma, mb) = (
        median(std::mem::take(&mut a)),
        median(std::mem::take(&mut b)),
    );
    println!(
        "  mcast ping median {ma:.3} ms   ssmping median {mb:.3} ms   ratio {:.2}",
        ma / mb
    );
    println!();
}

/// Wall time until every host of a 16-host lab has finished: mcast mesh, then omping, each
/// with 5 requests to every other host at one a second.
pub fn mesh16() {
    let lab = Lab::new(16);
    let hosts: Vec<String> = (1..=16).map(|i| lab.host(i).v4.to_string()).collect();
    let time_all = |program: &str, args: Vec<String>| {
        let started = Instant::now();
        let children: Vec<Child> = (1..=16)
            .map(|i| {
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                start(lab.host(i), program, &a)
            })
            .collect();
        let ok = children
            .into_iter()
            .filter_map(|mut c| c.wait().ok())
            .filter(|s| s.success())
            .count();
        (started.elapsed(), ok)
    };
    let mut ours = vec!["mesh".to_string(), "-c".into(), "5".into()];
    ours.extend(hosts.iter().cloned());
    let mcast_time = time_all(MCAST, ours);
    let Some(omping) = lab::omping_or_skip("bench: mesh against omping") else {
        return;
    };
    let mut theirs = vec![
        "-c".to_string(),
        "5".into(),
        "-i".into(),
        "1".into(),
        "-q".into(),
    ];
    theirs.extend(hosts.iter().cloned());
    let omping_time = time_all(omping.to_str().unwrap(), theirs);
    println!("mesh of 16 hosts, 5 requests from every host to every other at 1/s, until all end:");
    println!(
        "  mcast mesh {:.1} s ({} of 16 hosts saw multicast from every other)   omping {:.1} s",
        mcast_time.0.as_secs_f64(),
        mcast_time.1,
        omping_time.0.as_secs_f64()
    );
    println!();
}
