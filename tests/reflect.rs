//! `mcast reflect` answering Debian's ssmping and asmping in the lab, and holding firm
//! against floods, garbage and requests that would make it an amplifier.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use common::{command, finish, json_lines, run, stderr, stdout};
use lab::{Host, Lab};
use mcast::wire::ssmping::{Kind, Message};

const WAIT: Duration = Duration::from_secs(15);

/// `mcast reflect` for `secs` seconds in `host`, its JSON on stdout.
fn reflector(host: &Host, secs: &str) -> common::Guarded {
    let child = common::spawn(command(host, &["reflect", "-d", secs, "--json"]));
    std::thread::sleep(Duration::from_millis(400));
    child
}

fn summary(out: &std::process::Output) -> serde_json::Value {
    let last = json_lines(out).pop().expect("a summary");
    assert_eq!(
        (last["type"].as_str(), last["command"].as_str()),
        (Some("summary"), Some("reflect"))
    );
    last
}

#[test]
fn debian_ssmping_and_asmping_get_both_replies() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let r = reflector(server, "9s");
    let v4 = server.v4.to_string();
    let v6 = server.v6.to_string();
    for args in [
        vec!["-c", "3", v4.as_str()],
        vec!["-6", "-c", "3", v6.as_str()],
    ] {
        let out = client.exec("ssmping", &args);
        let text = stdout(&out);
        assert!(
            text.contains("3 packets received, 0% packet loss\n"),
            "unicast: {text}"
        );
        assert!(
            text.contains("3 packets received, 0% packet loss since first mc packet"),
            "multicast: {text}"
        );
    }
    let asm = client.exec("asmping", &["-c", "2", "239.1.1.234", &v4]);
    assert!(
        stdout(&asm).contains("2 packets received, 0% packet loss since first mc packet"),
        "{}",
        stdout(&asm)
    );
    let out = finish(r, WAIT);
    let s = summary(&out);
    assert_eq!(
        (
            s["unicast_replies"].as_u64(),
            s["multicast_replies"].as_u64()
        ),
        (Some(8), Some(8)),
        "{s}"
    );
    assert_eq!(s["clients"], 2, "one IPv4 and one IPv6 client: {s}");
}

#[test]
fn floods_garbage_amplification_and_foreign_groups_are_refused_and_counted() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let r = reflector(server, "3s");
    let to = SocketAddr::new(server.v4.into(), mcast::wire::PORT);
    let from = client.v4;
    let replies = client.run(move || {
        let sock = UdpSocket::bind((from, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        // Garbage, a truncated option, and a reply (which is not a request).
        for junk in [
            &b"hello"[..],
            &[b'Q', 0, 2, 0, 4, 0][..],
            &[b'A', 0, 2, 0, 4, 0, 0, 0, 1][..],
        ] {
            sock.send_to(junk, to).unwrap();
        }
        // A 60-byte request asking for a 65,000-byte reply: the answer is no larger.
        let big = Message {
            kind: Some(Kind::Request),
            pid: Some(1),
            seq: Some(1),
            sent_ns: Some(1),
            reply_size: Some(65_000),
            padding: 40,
            ..Message::default()
        }
        .encode();
        sock.send_to(&big, to).unwrap();
        let mut buf = [0u8; 70_000];
        let (n, _) = sock
            .recv_from(&mut buf)
            .expect("an answer to the big request");
        assert_eq!(
            n,
            big.len(),
            "the reply is as long as the request, no longer"
        );
        // A group the reflector does not serve: unicast only.
        let foreign = Message {
            kind: Some(Kind::Request),
            pid: Some(1),
            seq: Some(2),
            group: Some("239.1.1.1".parse().unwrap()),
            ..Message::default()
        }
        .encode();
        sock.send_to(&foreign, to).unwrap();
        // A flood of 100 from one client: a burst of 20 a client, then 10 a second.
        let request = Message {
            kind: Some(Kind::Request),
            pid: Some(2),
            seq: Some(3),
            ..Message::default()
        }
        .encode();
        for _ in 0..100 {
            sock.send_to(&request, to).unwrap();
        }
        let mut answered = 0;
        while sock.recv_from(&mut buf).is_ok() {
            answered += 1;
        }
        answered
    });
    let out = finish(r, WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = summary(&out);
    assert_eq!(s["refused_malformed"], 3, "{s}");
    assert_eq!(s["refused_group"], 1, "{s}");
    assert_eq!(s["capped_size"], 1, "the 65,000-byte reply asked for: {s}");
    // The big request and the foreign one took 2 of the client's 20; the flood got 18.
    assert_eq!(s["refused_rate"], 82, "{s}");
    assert_eq!(replies, 1 + 18, "unicast replies after the first: {s}");
    assert_eq!(s["unicast_replies"], 20);
    assert_eq!(
        s["multicast_replies"], 19,
        "no multicast for the foreign group"
    );
}

/// omping, built from the sources in ../shared/peers (a copy, made in a temporary folder:
/// that folder is read-only in CI), pings `mcast reflect` over RFC 6450. Its init is smaller
/// than any response with a session, so by default it is told to stop (no answer is larger
/// than its request); with --max-reply-size 128 it is answered.
#[test]
fn omping_gets_unicast_and_multicast_echo_replies() {
    let Some(omping) = lab::omping_or_skip("omping_gets_unicast_and_multicast_echo_replies") else {
        return;
    };
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let (s4, c4) = (server.v4.to_string(), client.v4.to_string());
    let omping_args = ["-c", "3", "-i", "0.2", "-F", "-T", "3", &s4, &c4];
    let strict = reflector(server, "5s");
    let out = client.exec(omping.to_str().unwrap(), &omping_args);
    assert!(
        stdout(&out).contains("server told us to stop"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = finish(strict, WAIT);
    let s = summary(&out);
    assert!(s["refused_small_init"].as_u64() >= Some(1), "{s}");
    assert_eq!(s["multicast_replies"], 0, "{s}");
    let args = ["reflect", "-d", "6s", "--json", "--max-reply-size", "128"];
    let r = common::spawn(command(server, &args));
    std::thread::sleep(Duration::from_millis(400));
    let out = client.exec(omping.to_str().unwrap(), &omping_args);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{s4} :   unicast, xmt/rcv/%loss = 3/3/0%")),
        "{text}{}",
        stderr(&out)
    );
    assert!(
        text.contains(&format!("{s4} : multicast, xmt/rcv/%loss = 3/3/0%")),
        "{text}"
    );
    let out = finish(r, WAIT);
    let s = summary(&out);
    assert_eq!(s["multicast_replies"], 3, "{s}");
    assert_eq!(s["refused_session"], 0, "{s}");
    assert_eq!(s["refused_small_init"], 0, "{s}");
}

/// An RFC 6450 echo request outside a session is told to stop (a response with no group),
/// and an init gives a session with the group to use.
#[test]
fn rfc6450_needs_a_session() {
    use mcast::wire::rfc6450::{Kind as K, Message as M};
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let r = reflector(server, "2s");
    let to = SocketAddr::new(server.v4.into(), mcast::wire::PORT);
    let from = client.v4;
    let (stop, session) = client.run(move || {
        let sock = UdpSocket::bind((from, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 2048];
        let mut ask = |m: M| {
            sock.send_to(&m.encode(), to).unwrap();
            let (n, _) = sock.recv_from(&mut buf).expect("an answer");
            M::decode(&buf[..n]).unwrap()
        };
        let mut q = M::new(K::Request);
        q.client_id = Some(b"c".to_vec());
        q.seq = Some(1);
        q.group = Some("232.43.211.234".parse().unwrap());
        q.session_id = Some(vec![0; 16]);
        let stop = ask(q);
        let mut init = M::new(K::Init);
        init.client_id = Some(b"c".to_vec());
        // Room for the response: no answer is larger than its request.
        init.option_request = vec![0; 40];
        (stop, ask(init))
    });
    assert_eq!(
        (stop.kind, stop.group),
        (K::Response, None),
        "told to stop: {stop:?}"
    );
    assert_eq!(session.kind, K::Response);
    assert_eq!(session.group, Some("232.43.211.234".parse().unwrap()));
    assert_eq!(session.session_id.map(|s| s.len()), Some(16));
    assert_eq!(session.client_id.as_deref(), Some(&b"c"[..]));
    let s = summary(&finish(r, WAIT));
    assert_eq!(s["refused_session"], 1, "{s}");
}

/// A reflector with a second address on its link answers a request sent there from that
/// address on both paths: the client joined (that address, group), and Debian's ssmping
/// drops replies from any other.
#[test]
fn replies_leave_from_the_address_the_request_came_to() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    for (addr, extra) in [
        ("192.0.2.101/24", &[][..]),
        ("2001:db8::101/64", &["nodad"][..]),
    ] {
        let mut args = vec!["addr", "add", addr, "dev", lab::IFACE];
        args.extend(extra);
        assert!(server.exec("ip", &args).status.success());
    }
    let r = reflector(server, "6s");
    let out = run(
        client,
        &[
            "ping",
            "192.0.2.101",
            "2001:db8::101",
            "-c",
            "2",
            "--interval",
            "100ms",
            "-t",
            "500ms",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let theirs = client.exec("ssmping", &["-c", "2", "192.0.2.101"]);
    let text = stdout(&theirs);
    assert!(
        text.contains("2 packets received, 0% packet loss since first mc packet"),
        "{text}"
    );
    drop(r);
}

/// With --max-reply-size, ssmping's reply-size option is honoured up to that size, on both
/// paths; beyond it the reply is cut to the limit and counted.
#[test]
fn reply_size_is_honoured_up_to_the_limit() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let args = ["reflect", "-d", "2s", "--json", "--max-reply-size", "1000"];
    let r = common::spawn(command(server, &args));
    std::thread::sleep(Duration::from_millis(400));
    let to = SocketAddr::new(server.v4.into(), mcast::wire::PORT);
    let from = client.v4;
    let sizes = client.run(move || {
        let sock = UdpSocket::bind((from, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut sizes = Vec::new();
        for (seq, asked) in [(1, 900), (2, 65_000)] {
            let request = Message {
                kind: Some(Kind::Request),
                pid: Some(1),
                seq: Some(seq),
                reply_size: Some(asked),
                ..Message::default()
            }
            .encode();
            sock.send_to(&request, to).unwrap();
            let mut buf = [0u8; 70_000];
            let (n, _) = sock.recv_from(&mut buf).expect("a reply");
            assert_eq!(Message::decode(&buf[..n]).unwrap().seq, Some(seq));
            sizes.push(n);
        }
        sizes
    });
    assert_eq!(sizes, [900, 1000]);
    let s = summary(&finish(r, WAIT));
    assert_eq!(
        (s["capped_size"].as_u64(), s["multicast_replies"].as_u64()),
        (Some(1), Some(2)),
        "{s}"
    );
}

/// Sends 100,000 ssmping requests to `to` from as many spoofed sources (10.0.0.0/8, no
/// route back, so the unicast replies fail and are counted), about 50,000 a second.
fn flood_from_distinct_clients(flooder: &Host, to: std::net::Ipv4Addr) {
    flooder.run(move || {
        let sock = raw_sender();
        let dest = std::net::SocketAddrV4::new(to, mcast::wire::PORT);
        for n in 0..100_000u32 {
            let payload = Message {
                kind: Some(Kind::Request),
                pid: Some(n),
                seq: Some(1),
                ..Message::default()
            }
            .encode();
            let from = std::net::Ipv4Addr::new(10, (n >> 16) as u8, (n >> 8) as u8, n as u8);
            let p = spoofed_udp(from, to, &payload);
            sock.send_to(&p, &dest.into()).unwrap();
            if n % 1000 == 999 {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    });
}

/// A flood from 100,000 distinct (spoofed) clients: by default the total rate holds (1000 a
/// second, bursts of 2000); with it lifted, the reflector follows at most 10,000 clients.
/// Every request is answered or counted as refused, and memory stays small.
#[test]
fn a_flood_of_distinct_clients_is_bounded() {
    let lab = Lab::new(2);
    let (server, flooder) = (lab.host(1), lab.host(2));
    let lifted = ["reflect", "-d", "4s", "--json", "--total-rate", "1e9"];
    for args in [&["reflect", "-d", "4s", "--json"][..], &lifted[..]] {
        let r = common::spawn(command(server, args));
        std::thread::sleep(Duration::from_millis(400));
        let peak = lab::follow_peak_kib(r.id());
        let started = std::time::Instant::now();
        flood_from_distinct_clients(flooder, server.v4);
        let s = summary(&finish(r, WAIT));
        let peak = peak.join().unwrap();
        let elapsed = started.elapsed().as_secs() + 1;
        let requests = s["requests"].as_u64().unwrap();
        // Whatever of the 100,000 overflowed the socket's buffer was the kernel's refusal.
        assert!(requests > 20_000, "{s}");
        let answered = s["unicast_replies"].as_u64().unwrap() + s["send_errors"].as_u64().unwrap();
        let refused = s["refused_rate"].as_u64().unwrap() + s["refused_source"].as_u64().unwrap();
        assert_eq!(answered + refused, requests, "answered or refused: {s}");
        if args.len() == 4 {
            assert!(
                answered <= 2000 + 1000 * elapsed,
                "the total rate holds: {s}"
            );
        } else {
            // Every client is followed (the least recently heard forgotten first).
            assert_eq!(s["clients"], s["requests"], "{s}");
            assert_eq!(s["refused_rate"], 0, "{s}");
        }
        // One group, whoever asks: its rate holds (100 a second, bursts of 200).
        let multicast = s["multicast_replies"].as_u64().unwrap();
        assert!(
            multicast <= 200 + 100 * elapsed,
            "the group's rate holds: {s}"
        );
        assert!(multicast > 0, "{s}");
        assert!(peak < 16 * 1024, "peak memory {peak} KiB: {s}");
    }
}

use lab::spoof::raw_sender;

/// An IPv4 UDP packet from `from`:40000 to `to`'s reflector port.
fn spoofed_udp(from: std::net::Ipv4Addr, to: std::net::Ipv4Addr, payload: &[u8]) -> Vec<u8> {
    use std::net::SocketAddrV4;
    lab::spoof::udp_packet(
        SocketAddrV4::new(from, 40_000),
        SocketAddrV4::new(to, mcast::wire::PORT),
        payload,
    )
}

/// One ssmping request from `from` (spoofed, through a raw socket in `host`) to `to`.
fn spoofed_request(host: &Host, from: std::net::Ipv4Addr, to: std::net::Ipv4Addr) {
    host.run(move || {
        let payload = Message {
            kind: Some(Kind::Request),
            pid: Some(7),
            seq: Some(1),
            ..Message::default()
        }
        .encode();
        let dest = std::net::SocketAddrV4::new(to, mcast::wire::PORT);
        raw_sender()
            .send_to(&spoofed_udp(from, to, &payload), &dest.into())
            .unwrap();
    });
}

/// Broadcast sources are judged by the prefixes of the reflector's interfaces, not by the
/// last octet: a real client at 10.80.1.255 in a /16 is answered; a spoofed 10.79.0.127,
/// the broadcast address of a /25 on the link, is refused (issue 19, item 4).
#[test]
fn broadcast_sources_are_judged_by_the_prefix() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    for (h, addr) in [
        (server, "10.80.0.1/16"),
        (client, "10.80.1.255/16"),
        (server, "10.79.0.1/25"),
    ] {
        let out = h.exec("ip", &["addr", "add", addr, "dev", lab::IFACE]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let routed = client.exec("ip", &["route", "add", "10.79.0.0/25", "dev", lab::IFACE]);
    assert!(routed.status.success());
    let r = reflector(server, "3s");
    let out = run(
        client,
        &[
            "ping",
            "10.80.0.1",
            "-c",
            "2",
            "--interval",
            "200ms",
            "-t",
            "500ms",
        ],
    );
    assert!(
        stdout(&out).contains("unicast    2 sent, 2 received"),
        "the client at 10.80.1.255 is answered: {}{}",
        stdout(&out),
        stderr(&out)
    );
    spoofed_request(
        client,
        "10.79.0.127".parse().unwrap(),
        "10.79.0.1".parse().unwrap(),
    );
    let s = summary(&finish(r, WAIT));
    assert_eq!(s["refused_source"], 1, "{s}");
}

/// An RFC 6450 init padded (as mcast ping pads its own) so that a session's response fits.
fn padded_init(client_id: u32) -> Vec<u8> {
    use mcast::wire::rfc6450::{Kind as K, Message as M};
    let mut init = M::new(K::Init);
    init.client_id = Some(client_id.to_be_bytes().to_vec());
    init.option_request = vec![0; 40];
    init.encode()
}

/// `mcast ping --protocol rfc6450` from `host` to `server`: its stdout, after `count` requests.
fn rfc6450_ping(host: &Host, server: std::net::Ipv4Addr, count: &str) -> String {
    let server = server.to_string();
    let args = [
        "ping",
        &server,
        "--protocol",
        "rfc6450",
        "-c",
        count,
        "--interval",
        "200ms",
        "-t",
        "1s",
    ];
    let out = run(host, &args);
    format!("{}{}", stdout(&out), stderr(&out))
}

/// A hostile host's burst of 12,000 RFC 6450 inits from as many spoofed sources in about
/// 0.2 s, and then a steady stream of them, do not shut a real client out: sessions are kept
/// only for answers that passed the limits, and the least recently used go first (issue 19,
/// item 1).
#[test]
fn spoofed_inits_do_not_shut_out_a_client() {
    let lab = Lab::new(3);
    let (server, client, hostile) = (lab.host(1), lab.host(2), lab.host(3));
    let to = server.v4;
    // The total rate lifted, so that what is tested is the state, not the shared budget.
    let args = ["reflect", "-d", "12s", "--json", "--total-rate", "1e9"];
    let r = common::spawn(command(server, &args));
    std::thread::sleep(Duration::from_millis(400));
    let spray = move |n0: u32, n: u32, pause_every: u32| {
        let sock = raw_sender();
        let dest = std::net::SocketAddrV4::new(to, mcast::wire::PORT);
        for n in n0..n0 + n {
            let from = std::net::Ipv4Addr::new(10, (n >> 16) as u8, (n >> 8) as u8, n as u8);
            let p = spoofed_udp(from, to, &padded_init(n));
            sock.send_to(&p, &dest.into()).unwrap();
            if n % pause_every == pause_every - 1 {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    };
    hostile.run(move || spray(0, 12_000, 600));
    let after_burst = rfc6450_ping(client, server.v4, "3");
    // Now a steady 10,000 a second while the client pings.
    let steady = hostile.spawn(move || spray(100_000, 40_000, 100));
    let during = rfc6450_ping(client, server.v4, "10");
    steady.join().unwrap();
    let s = summary(&finish(r, WAIT));
    for (when, text, n) in [
        ("after the burst", &after_burst, 3),
        ("during", &during, 10),
    ] {
        for path in ["unicast", "multicast"] {
            assert!(
                text.contains(&format!("{path:<9}  {n} sent, {n} received")),
                "{when}, {path}: {text}\n{s}"
            );
        }
    }
    assert!(
        s["requests"].as_u64().unwrap() > 20_000,
        "the flood arrived: {s}"
    );
}

/// Two pings from one host at once keep a session each (sessions are keyed by address, port
/// and id, not by address alone: issue 19, item 9).
#[test]
fn two_rfc6450_pings_from_one_host_keep_their_own_sessions() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let r = reflector(server, "6s");
    let addr = server.v4;
    let pings: Vec<_> = (0..2)
        .map(|_| {
            let h = client.clone();
            std::thread::spawn(move || rfc6450_ping(&h, addr, "8"))
        })
        .collect();
    for p in pings {
        let text = p.join().unwrap();
        for path in ["unicast", "multicast"] {
            assert!(
                text.contains(&format!("{path:<9}  8 sent, 8 received")),
                "{path}: {text}"
            );
        }
    }
    let s = summary(&finish(r, WAIT));
    assert_eq!(s["refused_session"], 0, "{s}");
}

/// A request sent to the subnet's broadcast address (its source spoofed as the victim's) is
/// not answered: every reflector on the subnet would answer it (issue 19, item 3).
#[test]
fn requests_to_a_broadcast_address_are_not_answered() {
    let lab = Lab::new(3);
    let (server, victim, hostile) = (lab.host(1), lab.host(2), lab.host(3));
    let r = reflector(server, "3s");
    let (from, broadcast) = (victim.v4, std::net::Ipv4Addr::new(192, 0, 2, 255));
    hostile.run(move || {
        let sock = raw_sender();
        sock.set_broadcast(true).unwrap();
        let dest = std::net::SocketAddrV4::new(broadcast, mcast::wire::PORT);
        let ssmping = Message {
            kind: Some(Kind::Request),
            pid: Some(7),
            seq: Some(1),
            ..Message::default()
        }
        .encode();
        for payload in [ssmping, padded_init(7)] {
            let p = spoofed_udp(from, broadcast, &payload);
            sock.send_to(&p, &dest.into()).unwrap();
        }
    });
    // A control: the same request to the reflector's own address is answered.
    spoofed_request(hostile, from, server.v4);
    let s = summary(&finish(r, WAIT));
    assert_eq!(s["refused_destination"], 2, "{s}");
    assert_eq!(s["unicast_replies"], 1, "only the control: {s}");
}

/// A request from a service's port (mDNS's 5353) gets its unicast reply, but no multicast
/// one: the group's traffic is never aimed at a service (issue 19, item 5).
#[test]
fn multicast_replies_never_go_to_a_service_port() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let r = reflector(server, "3s");
    let to = SocketAddr::new(server.v4.into(), mcast::wire::PORT);
    let from = client.v4;
    let answered = client.run(move || {
        let request = Message {
            kind: Some(Kind::Request),
            pid: Some(7),
            seq: Some(1),
            group: Some("224.0.0.234".parse().unwrap()),
            ..Message::default()
        }
        .encode();
        let mut answered = 0;
        for port in [5353, 0] {
            let sock = UdpSocket::bind((from, port)).unwrap();
            sock.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            sock.send_to(&request, to).unwrap();
            let mut buf = [0u8; 2048];
            answered += usize::from(sock.recv_from(&mut buf).is_ok());
        }
        answered
    });
    assert_eq!(answered, 2, "both unicast replies");
    let s = summary(&finish(r, WAIT));
    assert_eq!(
        (s["multicast_replies"].as_u64(), s["refused_port"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
}

/// `--bind ADDR` answers only requests sent to that address, `-i IFACE` only those arriving
/// on that interface; the rest are counted (issue 23, item 9).
#[test]
fn bind_and_interface_limit_what_is_answered() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let added = server.exec("ip", &["addr", "add", "192.0.2.101/24", "dev", lab::IFACE]);
    assert!(added.status.success(), "{}", stderr(&added));
    let ask = |to: std::net::Ipv4Addr| {
        let from = client.v4;
        client.run(move || {
            let sock = UdpSocket::bind((from, 0)).unwrap();
            sock.set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let request = Message {
                kind: Some(Kind::Request),
                pid: Some(3),
                seq: Some(1),
                ..Message::default()
            }
            .encode();
            sock.send_to(&request, (to, mcast::wire::PORT)).unwrap();
            let mut buf = [0u8; 2048];
            sock.recv_from(&mut buf).is_ok()
        })
    };
    let bound = common::spawn(command(
        server,
        &["reflect", "-d", "2s", "--json", "--bind", "192.0.2.101"],
    ));
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        ask("192.0.2.101".parse().unwrap()),
        "the bound address answers"
    );
    assert!(!ask(server.v4), "another address of the host does not");
    let s = summary(&finish(bound, WAIT));
    assert_eq!(s["unicast_replies"], 1, "{s}");
    let on_lo = common::spawn(command(
        server,
        &["reflect", "-d", "2s", "--json", "-i", "lo"],
    ));
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        !ask(server.v4),
        "a request on eth0 is not answered with -i lo"
    );
    let s = summary(&finish(on_lo, WAIT));
    assert_eq!(
        (
            s["unicast_replies"].as_u64(),
            s["refused_interface"].as_u64()
        ),
        (Some(0), Some(1)),
        "{s}"
    );
}

#[test]
fn report_and_ctrl_backslash_print_the_interval_and_the_figures_in_all() {
    let lab = Lab::new(2);
    let (server, client) = (lab.host(1), lab.host(2));
    let r = common::spawn(command(
        server,
        &["reflect", "-d", "4s", "--json", "--report", "1s"],
    ));
    std::thread::sleep(Duration::from_millis(400));
    let v4 = server.v4.to_string();
    let ping = common::spawn(command(
        client,
        &["ping", &v4, "-c", "6", "--interval", "0.4s", "-t", "0.5s"],
    ));
    std::thread::sleep(Duration::from_millis(1500));
    // Ctrl-\ between two reports: one more interval, at once.
    let pid = nix::unistd::Pid::from_raw(r.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGQUIT).expect("SIGQUIT");
    assert!(finish(ping, WAIT).status.success());
    let out = finish(r, WAIT);
    let lines = json_lines(&out);
    let intervals: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["type"] == "interval").collect();
    // Three or so reports a second apart, and the one Ctrl-\ asked for.
    assert!(intervals.len() >= 4, "{lines:?}");
    let mut sum = 0;
    for (i, v) in intervals.iter().enumerate() {
        assert_eq!(v["command"], "reflect");
        assert_eq!(v["time"], v["end"], "{v}");
        if i > 0 {
            assert_eq!(v["start"], intervals[i - 1]["end"], "intervals follow on");
        }
        sum += v["interval"]["requests"].as_u64().unwrap();
        assert_eq!(
            v["requests"], sum,
            "in all is the sum of the intervals: {v}"
        );
        assert!(v["interval"]["unicast_replies"].as_u64() <= v["interval"]["requests"].as_u64());
    }
    assert!(
        sum >= 4,
        "the pings were counted as they came: {intervals:?}"
    );
    let s = summary(&out);
    assert_eq!(s["requests"], 6, "{s}");
    assert!(s["requests"].as_u64().unwrap() >= sum);
}
