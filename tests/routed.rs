//! Through a multicast router (Debian's smcroute, static (S,G) routes, in a namespace between
//! two links): replies count one hop on both paths, and a router without the route gives
//! "unicast only", for mcast ping and for Debian's ssmping against mcast reflect.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use common::{command, finish, json_lines, run, spawn, stderr, stdout};
use lab::routed::RoutedLab;
use std::net::IpAddr;
use std::time::Duration;

const PING: [&str; 7] = ["-c", "3", "--interval", "100ms", "-t", "500ms", "--json"];

fn default_groups(lab: &RoutedLab) -> [(IpAddr, IpAddr); 2] {
    [
        (lab.server.v4.into(), "232.43.211.234".parse().unwrap()),
        (lab.server.v6.into(), "ff3e::4321:1234".parse().unwrap()),
    ]
}

#[test]
fn one_hop_on_both_paths_through_the_router() {
    let Some(mut lab) = RoutedLab::new() else {
        return;
    };
    lab.route_multicast(&default_groups(&lab));
    let reflect = spawn(command(&lab.server, &["reflect", "-d", "15s"]));
    std::thread::sleep(Duration::from_millis(300));
    let (v4, v6) = (lab.server.v4.to_string(), lab.server.v6.to_string());
    let mut args = vec!["ping", v4.as_str(), v6.as_str()];
    args.extend(PING);
    let out = run(&lab.client, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let summaries = common::ping_servers(&out);
    assert_eq!(summaries.len(), 2);
    for s in &summaries {
        for path in ["unicast", "multicast"] {
            assert_eq!(s[path]["received"], 3, "{s}");
            assert_eq!(s[path]["hops"], 1, "one router on the way: {s}");
        }
    }
    // Debian's ssmping against mcast reflect, through the same router.
    let theirs = lab
        .client
        .exec("timeout", &["10", "ssmping", "-c", "2", &v4]);
    let text = String::from_utf8_lossy(&theirs.stdout);
    for path in ["  unicast", "multicast"] {
        let lines: Vec<_> = text
            .lines()
            .filter(|l| l.starts_with(&format!("{path} from {v4}")))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines.iter().all(|l| l.contains(" dist=1 ")), "{text}");
    }
    drop(reflect);
}

#[test]
fn without_the_routers_multicast_route_it_is_unicast_only() {
    let Some(mut lab) = RoutedLab::new() else {
        return;
    };
    // The router forwards another group from the server, not the one asked for.
    lab.route_multicast(&[(lab.server.v4.into(), "232.1.1.1".parse().unwrap())]);
    let reflect = spawn(command(&lab.server, &["reflect", "-d", "3s"]));
    std::thread::sleep(Duration::from_millis(300));
    let v4 = lab.server.v4.to_string();
    let mut args = vec!["ping", v4.as_str()];
    args.extend(PING);
    let out = run(&lab.client, &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(
        (
            summary["verdict"].as_str(),
            summary["servers"][0]["unicast"]["received"].as_u64(),
            summary["servers"][0]["multicast"]["received"].as_u64()
        ),
        (Some("unicast_only"), Some(3), Some(0)),
        "{summary}"
    );
    assert_eq!(summary["servers"][0]["unicast"]["hops"], 1);
    // The reflector did send its multicast replies: the router dropped them.
    let served = finish(reflect, Duration::from_secs(15));
    let text = stdout(&served);
    assert!(text.contains("3 unicast and 3 multicast replies"), "{text}");
}

/// The router forwards the reflector's default group and not the application's: ping on
/// the default says multicast works for that group alone, and asked for a group the router
/// does not forward, the verdict puts each cause where it lives (the routers first).
#[test]
fn a_working_default_group_is_said_to_be_that_group_only() {
    let Some(mut lab) = RoutedLab::new() else {
        return;
    };
    lab.route_multicast(&default_groups(&lab)[..1]);
    let reflect = spawn(command(&lab.server, &["reflect", "-d", "6s"]));
    std::thread::sleep(Duration::from_millis(300));
    let v4 = lab.server.v4.to_string();
    let fast = ["-c", "3", "--interval", "100ms", "-t", "500ms"];
    let mut args = vec!["ping", v4.as_str()];
    args.extend(fast);
    let out = run(&lab.client, &args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains(
            "verdict: multicast works: multicast from it to 232.43.211.234 reaches this host \
             (your application's group may differ: test that one with --group)"
        ),
        "{text}"
    );
    // A group the reflector serves (.234) but the router does not forward.
    args.extend(["--group", "232.1.1.234"]);
    let out = run(&lab.client, &args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        stderr(&out).is_empty(),
        "a served group gets no warning: {}",
        stderr(&out)
    );
    let verdict = text.lines().find(|l| l.contains("verdict:")).unwrap();
    assert!(
        verdict.contains("unicast only: it answers, but its multicast never arrived. On the routers between it and you: a missing multicast route"),
        "{verdict}"
    );
    assert!(!verdict.contains("may not serve"), "{verdict}");
    drop(reflect);
}

/// The router's link toward the client carries 1400 bytes: 1472-byte probes leave the
/// server (MTU 1500) with Don't Fragment set, as the kernel does by default, and the router
/// drops them (with --df too); with --no-df it fragments them and they arrive.
#[test]
fn dont_fragment_decides_whether_a_smaller_link_on_the_way_passes_big_datagrams() {
    let Some(mut lab) = RoutedLab::new() else {
        return;
    };
    let group: IpAddr = "239.18.3.3".parse().unwrap();
    lab.route_multicast(&[(lab.server.v4.into(), group)]);
    for (host, dev) in [(&lab.router, "lan0"), (&lab.client, lab::IFACE)] {
        assert!(
            host.exec("ip", &["link", "set", dev, "mtu", "1400"])
                .status
                .success()
        );
    }
    let g = group.to_string();
    for (flag, expect) in [(None, 0u64), (Some("--df"), 0), (Some("--no-df"), 10)] {
        let rx = common::start(&lab.client, &["recv", &g, "7777", "-t", "1500ms", "--json"]);
        let mut args = vec![
            "send", &g, "7777", "-c", "10", "-r", "50", "--size", "1472", "--ttl", "4",
        ];
        args.extend(flag);
        let sent = run(&lab.server, &args);
        assert!(sent.status.success(), "{flag:?}: {}", stderr(&sent));
        let out = rx.wait(Duration::from_secs(15));
        let summary = json_lines(&out).pop().unwrap();
        assert_eq!(
            summary["packets"].as_u64(),
            Some(expect),
            "{flag:?}: {summary}"
        );
    }
}

/// The router does not forward the reflector's multicast, but a host on the client's link
/// (here the router's namespace itself, which sees the unicast replies pass) replays each
/// reply to the group under the reflector's address: the verdict can be forged so, and ping
/// says the multicast replies did not come the way the unicast ones did (issue 19, item 10).
#[test]
fn replayed_multicast_is_told_by_its_hops() {
    use std::net::{Ipv4Addr, SocketAddrV4};
    let Some(mut lab) = RoutedLab::new() else {
        return;
    };
    lab.route_multicast(&[(lab.server.v4.into(), "232.1.1.1".parse().unwrap())]);
    let reflect = spawn(command(&lab.server, &["reflect", "-d", "5s"]));
    let (server, group) = (lab.server.v4, Ipv4Addr::new(232, 43, 211, 234));
    let route = lab
        .router
        .exec("ip", &["route", "add", "224.0.0.0/4", "dev", "lan0"]);
    assert!(route.status.success(), "{}", stderr(&route));
    let replayer = lab.router.spawn(move || {
        use socket2::{Domain, Protocol, Socket, Type};
        // Every IPv4 packet the router sees, from the IP header on.
        let ip = i32::from((libc::ETH_P_IP as u16).to_be());
        let cap = Socket::new(Domain::PACKET, Type::DGRAM, Some(Protocol::from(ip))).unwrap();
        cap.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let raw = lab::spoof::raw_sender();
        let end = std::time::Instant::now() + Duration::from_secs(4);
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 2048];
        let mut replayed = 0;
        while std::time::Instant::now() < end {
            let Ok(n) = cap.recv(&mut buf) else { continue };
            let p: Vec<u8> = buf[..n]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            let header = usize::from(p[0] & 0x0f) * 4;
            if p.len() < header + 8 || header < 20 {
                continue;
            }
            let (src, proto) = (Ipv4Addr::new(p[12], p[13], p[14], p[15]), p[9]);
            let sport = u16::from_be_bytes([p[header], p[header + 1]]);
            // The reflector's unicast replies on their way to the client.
            if proto != 17 || src != server || sport != mcast::wire::PORT || p[16] >= 224 {
                continue;
            }
            let dport = u16::from_be_bytes([p[header + 2], p[header + 3]]);
            let payload = &p[header + 8..];
            let from = SocketAddrV4::new(server, mcast::wire::PORT);
            let to = SocketAddrV4::new(group, dport);
            lab::spoof::send_forged(&raw, from, to, payload);
            replayed += 1;
        }
        replayed
    });
    std::thread::sleep(Duration::from_millis(300));
    let v4 = server.to_string();
    let args = [
        "ping",
        v4.as_str(),
        "-c",
        "3",
        "--interval",
        "200ms",
        "-t",
        "500ms",
    ];
    let out = run(&lab.client, &args);
    let replayed = replayer.join().unwrap();
    let text = stdout(&out);
    assert!(replayed >= 3, "{replayed} replayed: {text}");
    assert!(
        text.contains("note: the multicast replies came 0 hops away, the unicast ones 1: they did not come the same way"),
        "{text}{}",
        stderr(&out)
    );
    finish(reflect, Duration::from_secs(15));
}
