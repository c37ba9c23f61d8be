//! Datagrams of every size up to the protocol's largest leave `mcast send` and arrive whole,
//! including those larger than the link's MTU (fragmented), and GSO refused by the device.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::time::Duration;

use common::{json_lines, run, start, stderr, stdout};
use lab::{IFACE, Lab};

const WAIT: Duration = Duration::from_secs(15);

/// The payload sizes at the edges: one under and at the largest unfragmented datagram
/// (MTU less IP and UDP headers), MTU - 8, twice the MTU, jumbo, both sides of 32,500 (where
/// a GSO batch stops holding two), and the protocol's largest.
fn sizes(ip_header: usize, largest: usize) -> Vec<usize> {
    let mtu = 1500;
    vec![
        64,
        mtu - ip_header - 8,
        mtu - ip_header - 7,
        mtu - 8,
        2 * mtu,
        9000,
        32_500,
        32_501,
        largest,
    ]
}

/// A message of `n` bytes that shows where it was cut or shifted.
fn message(n: usize) -> String {
    (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect()
}

fn every_size_arrives_whole(group: &str, ip_header: usize, largest: usize) {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let sizes = sizes(ip_header, largest);
    let expected = 2 * sizes.len();
    let count = expected.to_string();
    let rx = start(
        h1,
        &[
            "recv", group, "7777", "-i", IFACE, "-c", &count, "-t", "5s", "--json",
        ],
    );
    for &n in &sizes {
        let text = message(n);
        let sent = run(h2, &["send", group, "7777", "-i", IFACE, &text]);
        assert!(sent.status.success(), "message of {n}: {}", stderr(&sent));
        let size = n.to_string();
        let sent = run(
            h2,
            &[
                "send", group, "7777", "-i", IFACE, "--size", &size, "-c", "1",
            ],
        );
        assert!(sent.status.success(), "probe of {n}: {}", stderr(&sent));
        assert!(
            stdout(&sent).starts_with("sent 1 datagram"),
            "{}",
            stdout(&sent)
        );
    }
    let out = rx.wait(WAIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let packets: Vec<_> = json_lines(&out)
        .into_iter()
        .filter(|e| e["type"] == "packet")
        .collect();
    assert_eq!(packets.len(), expected, "sizes {sizes:?}");
    for (k, &n) in sizes.iter().enumerate() {
        let (msg, probe) = (&packets[2 * k], &packets[2 * k + 1]);
        assert_eq!(msg["size"], n, "message of {n}");
        assert_eq!(msg["truncated"], false);
        assert!(
            msg["text"] == message(n).as_str(),
            "message of {n} arrived changed"
        );
        assert_eq!(probe["size"], n, "probe of {n}");
        assert_eq!(probe["probe"]["seq"], 0, "probe of {n} not read as a probe");
    }
}

#[test]
fn datagrams_up_to_the_largest_arrive_whole_v4() {
    every_size_arrives_whole("239.7.7.7", 20, 65_507);
}

#[test]
fn datagrams_up_to_the_largest_arrive_whole_v6() {
    every_size_arrives_whole("ff15::777", 40, 65_527);
}

/// A socket without UDP checksums cannot take UDP GSO (the kernel refuses it with EINVAL):
/// sending goes on one datagram per sendmmsg message, and every datagram arrives.
#[test]
fn gso_refused_by_the_kernel_falls_back_to_sendmmsg() {
    use mcast::{IfaceSpec, IpMode, McastSocket, SendPath, Service};
    use std::os::fd::AsRawFd;
    let lab = Lab::new(2);
    lab.host(1).enter();
    let eth0 = IfaceSpec::Name(IFACE.into());
    let group: mcast::ScopedAddr = "239.7.7.8".parse().unwrap();
    let mut rx = McastSocket::new(IpMode::V4, false).unwrap();
    rx.bind(None, &Service::Port(7777)).unwrap();
    rx.join(&group, Some(&eth0), None).unwrap();
    rx.socket()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    lab.host(2).enter();
    let mut tx = McastSocket::new(IpMode::V4, false).unwrap();
    tx.set_send_options(Some(&eth0), None, None, None).unwrap();
    let on: libc::c_int = 1;
    // SAFETY: a live socket, and a c_int of the size given.
    let rc = unsafe {
        libc::setsockopt(
            tx.socket().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_NO_CHECK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_NO_CHECK)");
    let dest = tx.destination(&group, &Service::Port(7777)).unwrap();
    assert_eq!(tx.send_path(100), SendPath::Gso);
    let buf: Vec<u8> = (0..64u8).flat_map(|i| [i; 100]).collect();
    assert_eq!(tx.send_many(&buf, 100, &dest).unwrap(), 64);
    assert_eq!(tx.send_path(100), SendPath::Sendmmsg, "GSO still in use");
    let mut got = Vec::new();
    let mut one = [0u8; 2048];
    while let Ok(r) = rx.recv_from(&mut one) {
        assert_eq!(r.len, 100);
        got.push(one[0]);
    }
    assert_eq!(got, (0..64u8).collect::<Vec<_>>());
}
