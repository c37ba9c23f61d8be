//! The library API proven with real datagrams between lab namespaces, for IPv4 and IPv6.
#![cfg(target_os = "linux")]

mod lab;

use std::net::IpAddr;
use std::time::Duration;

use lab::{Host, IFACE, Lab};
use mcast::{IfaceSpec, IpMode, McastSocket, Received, ScopedAddr, Service};

const PORT: u16 = 7777;
/// How long a receiver waits before concluding nothing more is coming.
const QUIET: Duration = Duration::from_millis(400);

/// What differs between the IPv4 and IPv6 runs of a test.
struct Family {
    mode: IpMode,
    asm: [&'static str; 3],
    ssm: &'static str,
    addr: fn(&Host) -> IpAddr,
}

const V4: Family = Family {
    mode: IpMode::V4,
    asm: ["239.1.1.1", "239.1.1.2", "239.1.1.3"],
    ssm: "232.1.1.1",
    addr: |h| IpAddr::V4(h.v4),
};

const V6: Family = Family {
    mode: IpMode::V6,
    asm: ["ff15::1:1", "ff15::1:2", "ff15::1:3"],
    ssm: "ff3e::8000:1",
    addr: |h| IpAddr::V6(h.v6),
};

fn group(s: &str) -> ScopedAddr {
    s.parse().unwrap()
}

fn eth0() -> IfaceSpec {
    IfaceSpec::Name(IFACE.into())
}

/// A socket bound to the test port, made in the calling thread's namespace.
fn receiver(mode: IpMode) -> McastSocket {
    let sock = McastSocket::new(mode, false).unwrap();
    sock.set_recv_options(Some(true), Some(true)).unwrap();
    sock.bind(None, &Service::Port(PORT)).unwrap();
    sock
}

/// A socket that sends through eth0.
fn sender(mode: IpMode) -> McastSocket {
    let mut sock = McastSocket::new(mode, false).unwrap();
    sock.set_send_options(Some(&eth0()), None, None, None)
        .unwrap();
    sock
}

fn send(sock: &McastSocket, to: &str, text: &str) {
    let sent = sock
        .send_to(text.as_bytes(), &group(to), &Service::Port(PORT))
        .unwrap();
    assert_eq!(sent, text.len());
}

/// Everything that arrives until the socket has been quiet for `QUIET`.
fn collect(sock: &mut McastSocket) -> Vec<(String, Received)> {
    sock.socket().set_read_timeout(Some(QUIET)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    for _ in 0..1000 {
        match sock.recv_from(&mut buf) {
            Ok(r) => got.push((String::from_utf8_lossy(&buf[..r.len]).into_owned(), r)),
            Err(_) => break,
        }
    }
    got
}

fn texts(got: &[(String, Received)]) -> Vec<&str> {
    got.iter().map(|(t, _)| t.as_str()).collect()
}

fn asm_join_leave_and_leave_all(f: Family) {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let [g1, g2, g3] = f.asm.map(|g| g.parse::<IpAddr>().unwrap());

    h1.enter();
    let mut rx = receiver(f.mode);
    rx.join(&group(f.asm[0]), Some(&eth0()), None).unwrap();
    rx.join(&group(f.asm[1]), Some(&eth0()), None).unwrap();
    assert!(
        h1.holds(g1) && h1.holds(g2),
        "kernel table:\n{}",
        h1.maddr()
    );
    let eth0_index = mcast::iface::resolve(&eth0()).unwrap().index;

    h2.enter();
    let tx = sender(f.mode);
    send(&tx, f.asm[0], "one");
    let got = collect(&mut rx);
    assert_eq!(texts(&got), ["one"]);
    let r = &got[0].1;
    assert_eq!(r.source.ip(), (f.addr)(h2));
    assert_eq!(r.destination, Some(g1));
    assert_eq!(r.ifindex, Some(eth0_index));

    h1.enter();
    rx.leave(&group(f.asm[0]), Some(&eth0()), None).unwrap();
    assert!(!h1.holds(g1), "left group still held:\n{}", h1.maddr());
    send(&tx, f.asm[0], "two");
    send(&tx, f.asm[1], "three");
    assert_eq!(
        texts(&collect(&mut rx)),
        ["three"],
        "a left group still delivers"
    );

    assert_eq!(rx.leave_all().unwrap(), 1);
    assert!(rx.memberships().is_empty());
    assert!(
        !h1.holds(g2),
        "leave_all left a group behind:\n{}",
        h1.maddr()
    );
    send(&tx, f.asm[1], "four");
    assert!(collect(&mut rx).is_empty());

    // Dropping the socket leaves what it joined.
    let mut other = receiver(f.mode);
    other.join(&group(f.asm[2]), Some(&eth0()), None).unwrap();
    assert!(h1.holds(g3));
    drop(other);
    assert!(!h1.holds(g3), "drop left a group behind:\n{}", h1.maddr());
}

#[test]
fn asm_join_leave_and_leave_all_v4() {
    asm_join_leave_and_leave_all(V4);
}

#[test]
fn asm_join_leave_and_leave_all_v6() {
    asm_join_leave_and_leave_all(V6);
}

fn ssm_delivers_only_the_chosen_source(f: Family) {
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    h1.enter();
    let mut rx = receiver(f.mode);
    rx.join(&group(f.ssm), Some(&eth0()), Some((f.addr)(h2)))
        .unwrap();
    h2.enter();
    send(&sender(f.mode), f.ssm, "chosen");
    h3.enter();
    send(&sender(f.mode), f.ssm, "intruder");
    let got = collect(&mut rx);
    assert_eq!(texts(&got), ["chosen"]);
    assert_eq!(got[0].1.source.ip(), (f.addr)(h2));
}

#[test]
fn ssm_delivers_only_the_chosen_source_v4() {
    ssm_delivers_only_the_chosen_source(V4);
}

#[test]
fn ssm_delivers_only_the_chosen_source_v6() {
    ssm_delivers_only_the_chosen_source(V6);
}

#[test]
fn link_local_group_with_zone_works_both_ways() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let (ll1, ll2) = (h1.link_local(), h2.link_local());
    let zoned = format!("ff02::1234%{IFACE}");

    h1.enter();
    let mut rx1 = receiver(IpMode::V6);
    let err = rx1
        .join(&group("ff02::1234"), None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("%IFACE"), "{err}");
    rx1.join(&group(&zoned), None, None).unwrap();
    // Loop off, so each receiver hears only the other host.
    let mut tx1 = McastSocket::new(IpMode::V6, false).unwrap();
    tx1.set_send_options(None, Some(false), None, None).unwrap();
    let err = tx1
        .send_to(b"x", &group("ff02::1234"), &PORT.into())
        .unwrap_err()
        .to_string();
    assert!(err.contains("%IFACE"), "{err}");

    h2.enter();
    let mut rx2 = receiver(IpMode::V6);
    rx2.join(&group(&zoned), None, None).unwrap();
    let mut tx2 = McastSocket::new(IpMode::V6, false).unwrap();
    tx2.set_send_options(None, Some(false), None, None).unwrap();
    tx2.send_to(b"ping", &group(&zoned), &PORT.into()).unwrap();
    h1.enter();
    tx1.send_to(b"pong", &group(&zoned), &PORT.into()).unwrap();

    let at1 = collect(&mut rx1);
    let at2 = collect(&mut rx2);
    assert_eq!(texts(&at1), ["ping"]);
    assert_eq!(at1[0].1.source.ip(), IpAddr::V6(ll2));
    assert_eq!(texts(&at2), ["pong"]);
    assert_eq!(at2[0].1.source.ip(), IpAddr::V6(ll1));
}

#[test]
fn ipv4_groups_on_a_dual_stack_socket() {
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    h1.enter();
    let mut rx = receiver(IpMode::Both);
    rx.join(&group("239.2.2.2"), Some(&eth0()), None).unwrap();
    rx.join(&group("ff15::2:2"), Some(&eth0()), None).unwrap();
    rx.join(&group("232.2.2.2"), Some(&eth0()), Some(IpAddr::V4(h2.v4)))
        .unwrap();

    h2.enter();
    let tx = sender(IpMode::Both);
    send(&tx, "239.2.2.2", "v4 any-source");
    send(&tx, "ff15::2:2", "v6 any-source");
    send(&tx, "232.2.2.2", "v4 from the chosen source");
    h3.enter();
    send(&sender(IpMode::V4), "232.2.2.2", "v4 from another source");

    let got = collect(&mut rx);
    assert_eq!(
        texts(&got),
        [
            "v4 any-source",
            "v6 any-source",
            "v4 from the chosen source"
        ]
    );
    // IPv4 senders and groups read as IPv4, not as ::ffff:a.b.c.d.
    assert_eq!(got[0].1.source.ip(), IpAddr::V4(h2.v4));
    assert_eq!(got[0].1.destination, Some("239.2.2.2".parse().unwrap()));
    assert_eq!(got[1].1.source.ip(), IpAddr::V6(h2.v6));
}

fn two_receivers_share_group_and_port(f: Family) {
    let lab = Lab::new(2);
    lab.host(1).enter();
    let mut a = receiver(f.mode);
    let mut b = receiver(f.mode);
    a.join(&group(f.asm[0]), Some(&eth0()), None).unwrap();
    b.join(&group(f.asm[0]), Some(&eth0()), None).unwrap();
    lab.host(2).enter();
    send(&sender(f.mode), f.asm[0], "shared");
    assert_eq!(texts(&collect(&mut a)), ["shared"]);
    assert_eq!(texts(&collect(&mut b)), ["shared"]);
}

#[test]
fn two_receivers_share_group_and_port_v4() {
    two_receivers_share_group_and_port(V4);
}

#[test]
fn two_receivers_share_group_and_port_v6() {
    two_receivers_share_group_and_port(V6);
}

fn loop_option_controls_local_delivery(f: Family) {
    let lab = Lab::new(1);
    lab.host(1).enter();
    let mut rx = receiver(f.mode);
    rx.join(&group(f.asm[0]), Some(&eth0()), None).unwrap();
    let mut tx = sender(f.mode);
    tx.set_send_options(None, Some(false), None, None).unwrap();
    send(&tx, f.asm[0], "looped off");
    assert!(
        collect(&mut rx).is_empty(),
        "loop off still delivered locally"
    );
    tx.set_send_options(None, Some(true), None, None).unwrap();
    send(&tx, f.asm[0], "looped on");
    assert_eq!(texts(&collect(&mut rx)), ["looped on"]);
}

#[test]
fn loop_option_controls_local_delivery_v4() {
    loop_option_controls_local_delivery(V4);
}

#[test]
fn loop_option_controls_local_delivery_v6() {
    loop_option_controls_local_delivery(V6);
}

fn ttl_and_precedence_reach_the_receiver(f: Family) {
    let lab = Lab::new(2);
    lab.host(1).enter();
    let mut rx = receiver(f.mode);
    rx.join(&group(f.asm[0]), Some(&eth0()), None).unwrap();
    lab.host(2).enter();
    let mut tx = sender(f.mode);
    tx.set_send_options(None, None, Some(7), Some(5)).unwrap();
    send(&tx, f.asm[0], "marked");
    let got = collect(&mut rx);
    assert_eq!(texts(&got), ["marked"]);
    assert_eq!(got[0].1.ttl, Some(7));
    assert_eq!(got[0].1.tos, Some(5 << 5));

    let err = tx
        .set_send_options(None, None, Some(256), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("256") && err.contains("0 to 255"), "{err}");
    let err = tx
        .set_send_options(None, None, None, Some(8))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("precedence 8") && err.contains("0 to 7"),
        "{err}"
    );
}

#[test]
fn ttl_and_precedence_reach_the_receiver_v4() {
    ttl_and_precedence_reach_the_receiver(V4);
}

#[test]
fn ttl_and_precedence_reach_the_receiver_v6() {
    ttl_and_precedence_reach_the_receiver(V6);
}

#[test]
fn the_ipv4_membership_limit_is_named() {
    let lab = Lab::new(1);
    lab.host(1).enter();
    let mut sock = receiver(IpMode::V4);
    for i in 1..=20 {
        sock.join(&group(&format!("239.3.0.{i}")), Some(&eth0()), None)
            .unwrap_or_else(|e| panic!("join {i} of 20: {e}"));
    }
    let err = sock
        .join(&group("239.3.0.21"), Some(&eth0()), None)
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        mcast::ErrorKind::MembershipLimit { .. }
    ));
    let text = err.to_string();
    assert!(
        text.contains("net.ipv4.igmp_max_memberships = 20"),
        "{text}"
    );
    assert!(text.starts_with("join 239.3.0.21 on eth0"), "{text}");
    assert_eq!(sock.memberships().len(), 20);
}

#[test]
fn the_ipv6_membership_limit_is_named() {
    // Linux has no IPv6 twin of igmp_max_memberships: IPv6 joins are bounded by the socket's
    // option memory, net.core.optmem_max (per namespace). Lower it in the lab host so that
    // 21 groups do not fit, and the failing join must name it.
    let lab = Lab::new(1);
    lab.host(1).enter();
    std::fs::write("/proc/sys/net/core/optmem_max", "1000").unwrap();
    let mut sock = receiver(IpMode::V6);
    let failed = (1..=21).find_map(|i| {
        sock.join(&group(&format!("ff15::3:{i}")), Some(&eth0()), None)
            .err()
            .map(|e| (i, e))
    });
    let (i, err) = failed.expect("21 IPv6 groups fit in 1000 bytes of option memory");
    assert!(matches!(
        err.kind(),
        mcast::ErrorKind::MembershipLimit { .. }
    ));
    let text = err.to_string();
    assert!(text.contains("net.core.optmem_max = 1000"), "{text}");
    assert!(
        text.starts_with(&format!("join ff15::3:{i} on eth0")),
        "{text}"
    );
    assert_eq!(sock.memberships().len(), i - 1);
}

fn unicast_works_and_mcast_only_refuses_it(f: Family) {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    h1.enter();
    let mut rx = receiver(f.mode);
    h2.enter();
    let tx = McastSocket::new(f.mode, false).unwrap();
    let to = (f.addr)(h1).to_string();
    send(&tx, &to, "direct");
    let got = collect(&mut rx);
    assert_eq!(texts(&got), ["direct"]);
    assert_eq!(got[0].1.destination, Some((f.addr)(h1)));

    let strict = McastSocket::new(f.mode, true).unwrap();
    let err = strict
        .send_to(b"x", &group(&to), &PORT.into())
        .unwrap_err()
        .to_string();
    assert!(err.contains("multicast-only"), "{err}");
    let mut strict = strict;
    let err = strict
        .join(&group(&to), None, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a multicast group"), "{err}");
    assert!(collect(&mut rx).is_empty());
}

#[test]
fn unicast_works_and_mcast_only_refuses_it_v4() {
    unicast_works_and_mcast_only_refuses_it(V4);
}

#[test]
fn unicast_works_and_mcast_only_refuses_it_v6() {
    unicast_works_and_mcast_only_refuses_it(V6);
}

#[test]
fn service_names_resolve_and_unknown_ones_fail() {
    let lab = Lab::new(2);
    lab.host(1).enter();
    let mut rx = McastSocket::new(IpMode::V4, false).unwrap();
    let bound = rx.bind(None, &"echo".parse().unwrap()).unwrap();
    assert_eq!(bound.port(), 7);
    rx.join(&group("239.4.4.4"), Some(&eth0()), None).unwrap();
    lab.host(2).enter();
    let tx = sender(IpMode::V4);
    tx.send_to(b"by name", &group("239.4.4.4"), &"echo".parse().unwrap())
        .unwrap();
    assert_eq!(texts(&collect(&mut rx)), ["by name"]);

    let err = tx
        .send_to(
            b"x",
            &group("239.4.4.4"),
            &"no-such-service".parse().unwrap(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'no-such-service'") && err.contains("port number"),
        "{err}"
    );
}

#[test]
fn a_datagram_larger_than_the_buffer_is_reported_truncated() {
    let lab = Lab::new(2);
    lab.host(1).enter();
    let mut rx = receiver(IpMode::V4);
    rx.join(&group("239.5.5.5"), Some(&eth0()), None).unwrap();
    lab.host(2).enter();
    send(&sender(IpMode::V4), "239.5.5.5", &"x".repeat(1000));
    rx.socket().set_read_timeout(Some(QUIET)).unwrap();
    let mut small = [0u8; 100];
    let r = rx.recv_from(&mut small).unwrap();
    assert!(r.truncated);
    assert_eq!((r.len, r.wire_len), (100, 1000));
}

#[test]
fn the_simple_pair_talks() {
    let lab = Lab::new(2);
    lab.host(1).enter();
    let g = group("239.6.6.6");
    let mut rx = mcast::ReceiverMcastSocket::new(&g, &PORT.into(), Some(&eth0())).unwrap();
    lab.host(2).enter();
    let tx = mcast::SenderMcastSocket::new(&g, &PORT.into(), Some(&eth0())).unwrap();
    assert_eq!(tx.send("give me €uros").unwrap(), "give me €uros".len());
    rx.socket().socket().set_read_timeout(Some(QUIET)).unwrap();
    let (bytes, from) = rx.receive().unwrap();
    assert_eq!(bytes, "give me €uros".as_bytes());
    assert_eq!(from.ip(), IpAddr::V4(lab.host(2).v4));
}

fn numbered(n: usize, size: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| std::iter::repeat_n(i as u8, size))
        .collect()
}

fn send_many_lands_as_separate_datagrams(f: Family) {
    let lab = Lab::new(2);
    lab.host(1).enter();
    let mut plain = receiver(f.mode);
    plain.join(&group(f.asm[0]), Some(&eth0()), None).unwrap();
    lab.host(2).enter();
    let mut tx = sender(f.mode);
    let dest = tx.destination(&group(f.asm[0]), &PORT.into()).unwrap();
    assert_eq!(tx.send_path(64), mcast::SendPath::Gso);
    let sent = tx.send_many(&numbered(100, 64), 64, &dest).unwrap();
    assert_eq!(sent, 100);
    assert_eq!(
        tx.send_path(64),
        mcast::SendPath::Gso,
        "the kernel refused GSO"
    );
    let got = collect(&mut plain);
    assert_eq!(
        got.len(),
        100,
        "a plain receiver sees each datagram on its own"
    );
    for (i, (text, r)) in got.iter().enumerate() {
        assert_eq!((r.len, r.segment_size), (64, None));
        assert_eq!(
            text.as_bytes()[0],
            i as u8,
            "datagram {i} out of order or mixed"
        );
    }
}

#[test]
fn send_many_lands_as_separate_datagrams_v4() {
    send_many_lands_as_separate_datagrams(V4);
}

#[test]
fn send_many_lands_as_separate_datagrams_v6() {
    send_many_lands_as_separate_datagrams(V6);
}

#[test]
fn a_gro_receiver_splits_coalesced_buffers_back_into_datagrams() {
    let lab = Lab::new(2);
    lab.host(1).enter();
    let mut rx = receiver(IpMode::V4);
    assert!(rx.enable_gro().unwrap());
    assert!(rx.enable_kernel_drop_count().unwrap());
    rx.join(&group("239.7.1.1"), Some(&eth0()), None).unwrap();
    rx.socket().set_nonblocking(true).unwrap();
    lab.host(2).enter();
    let mut tx = sender(IpMode::V4);
    let dest = tx.destination(&group("239.7.1.1"), &PORT.into()).unwrap();
    // Batches of 1, 2 and 37: single datagrams carry no GRO size, the others do, and a
    // receiver must split each by its own size.
    for n in [1usize, 2, 37, 1, 2] {
        assert_eq!(tx.send_many(&numbered(n, 100), 100, &dest).unwrap(), n);
    }
    let mut batch = mcast::RecvBatch::new(8, 65536);
    let mut sizes = Vec::new();
    let deadline = std::time::Instant::now() + QUIET;
    while sizes.len() < 43 && std::time::Instant::now() < deadline {
        if rx.recv_batch(&mut batch).unwrap() == 0 {
            rx.wait_readable(Some(QUIET)).unwrap();
            continue;
        }
        for (r, data) in batch.iter() {
            assert_eq!(
                r.destination,
                Some("239.7.1.1".parse().unwrap()),
                "control data lost"
            );
            sizes.extend(r.segments(data).map(<[u8]>::len));
        }
    }
    assert_eq!(sizes, vec![100; 43]);
}

/// Transmit stamps: each send numbered in order from 0, stamped by the kernel between the
/// times read just before and just after the send; a receive stamp later still.
#[test]
fn transmit_stamps_are_numbered_and_between_the_clocks() {
    let lab = Lab::new(2);
    let to = lab.host(2).v4;
    lab.host(1).run(move || {
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        };
        let sock = McastSocket::new(IpMode::V4, false).unwrap();
        sock.bind(None, &Service::Port(0)).unwrap();
        assert!(sock.enable_tx_timestamps().unwrap(), "Linux has them");
        let mut clocks = Vec::new();
        for _ in 0..3 {
            let before = now();
            sock.socket()
                .send_to(b"stamp", &std::net::SocketAddr::from((to, PORT)).into())
                .unwrap();
            clocks.push((before, now()));
        }
        std::thread::sleep(Duration::from_millis(50));
        let stamps = sock.tx_timestamps();
        assert_eq!(stamps.iter().map(|s| s.0).collect::<Vec<_>>(), [0, 1, 2]);
        for ((_, ns), (before, after)) in stamps.iter().zip(&clocks) {
            assert!(
                (*before..=*after).contains(ns),
                "{before} <= {ns} <= {after}"
            );
        }
        assert!(sock.tx_timestamps().is_empty(), "each stamp is read once");
    });
}
