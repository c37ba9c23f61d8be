//! The library's scope rules against the seed: a zone picks the interface for any IPv6
//! group, a multicast-only socket stays multicast-only, and the simple receiver takes
//! unicast too.
#![cfg(all(target_os = "linux", feature = "cli"))]

mod common;
mod lab;

use std::net::IpAddr;
use std::time::Duration;

use common::{run, stderr};
use lab::{Host, IFACE, Lab};
use mcast::{IfaceSpec, IpMode, McastSocket, ReceiverMcastSocket, SenderMcastSocket, Service};

const PORT: u16 = 7777;
const QUIET: Duration = Duration::from_millis(400);

/// Everything `rx` receives until it is quiet, as text.
fn texts(rx: &mut ReceiverMcastSocket) -> Vec<String> {
    rx.socket().socket().set_read_timeout(Some(QUIET)).unwrap();
    let mut got = Vec::new();
    while let Ok((bytes, _)) = rx.receive() {
        got.push(String::from_utf8_lossy(bytes).into_owned());
    }
    got
}

/// A second link, `eth1`, straight from `a` to `b`, with link-local IPv6 only.
fn second_link(a: &Host, b: &Host) {
    let ok = |args: &[&str]| {
        let out = std::process::Command::new("ip")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&[
        "-n", &a.ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1", "netns", &b.ns,
    ]);
    for h in [a, b] {
        ok(&["-n", &h.ns, "link", "set", "eth1", "up"]);
    }
    // Wait for both link-local addresses: without one, nothing is sent or received there.
    for h in [a, b] {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let out = std::process::Command::new("ip")
                .args(["-n", &h.ns, "-6", "addr", "show", "dev", "eth1"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            if text.contains("fe80") && !text.contains("tentative") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "eth1 has no link-local address"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A zone on a group wider than the link (`ff15::77:24%eth1`) sends through that
/// interface, not the route's: with the lib and with the CLI.
#[test]
fn a_zone_on_a_site_scope_group_picks_the_interface() {
    let lab = Lab::new(3);
    let (h1, h2, h3) = (lab.host(1), lab.host(2), lab.host(3));
    second_link(h1, h3);
    let g: mcast::ScopedAddr = "ff15::77:24".parse().unwrap();
    h2.enter();
    let mut on_bridge =
        ReceiverMcastSocket::new(&g, &PORT.into(), Some(&IfaceSpec::Name(IFACE.into()))).unwrap();
    h3.enter();
    let mut on_link =
        ReceiverMcastSocket::new(&g, &PORT.into(), Some(&IfaceSpec::Name("eth1".into()))).unwrap();
    h1.enter();
    let zoned: mcast::ScopedAddr = "ff15::77:24%eth1".parse().unwrap();
    let tx = SenderMcastSocket::new(&zoned, &PORT.into(), None).unwrap();
    tx.send("by the zone").unwrap();
    let cli = run(h1, &["send", "ff15::77:24%eth1", "7777", "by the CLI"]);
    assert!(cli.status.success(), "{}", stderr(&cli));
    let (link, bridge) = (texts(&mut on_link), texts(&mut on_bridge));
    assert!(bridge.is_empty(), "it left through eth0: {bridge:?}");
    assert_eq!(link, ["by the zone", "by the CLI"]);
}

#[test]
fn a_multicast_only_socket_refuses_unicast_binds_and_ignores_unicast() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    h1.enter();
    let strict = McastSocket::new(IpMode::V4, true).unwrap();
    let here = IfaceSpec::Addr(IpAddr::V4(h1.v4).into());
    let err = strict
        .bind(Some(&here), &PORT.into())
        .unwrap_err()
        .to_string();
    assert!(err.contains("multicast-only"), "{err}");
    let err = strict
        .connect(&IpAddr::V4(h2.v4).into(), &PORT.into())
        .unwrap_err()
        .to_string();
    assert!(err.contains("multicast-only"), "{err}");
    // Bound to the wildcard, it takes its group and passes over unicast to the same port.
    let mut strict = strict;
    strict.bind(None, &PORT.into()).unwrap();
    strict
        .join(
            &"239.12.0.1".parse().unwrap(),
            Some(&IfaceSpec::Name(IFACE.into())),
            None,
        )
        .unwrap();
    h2.enter();
    let tx = McastSocket::new(IpMode::V4, false).unwrap();
    tx.send_to(b"unicast", &IpAddr::V4(h1.v4).into(), &PORT.into())
        .unwrap();
    tx.send_to(b"group", &"239.12.0.1".parse().unwrap(), &PORT.into())
        .unwrap();
    strict.socket().set_read_timeout(Some(QUIET)).unwrap();
    let mut buf = [0u8; 64];
    let r = strict.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..r.len], b"group");
    assert!(
        strict.recv_from(&mut buf).is_err(),
        "a second datagram arrived"
    );
}

#[test]
fn the_simple_receiver_takes_a_unicast_address_and_keeps_the_port() {
    let lab = Lab::new(2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    h1.enter();
    let here: mcast::ScopedAddr = IpAddr::V4(h1.v4).into();
    let mut rx = ReceiverMcastSocket::new(&here, &PORT.into(), None).unwrap();
    let err = ReceiverMcastSocket::new(&here, &Service::Port(PORT), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bind 192.0.2.1 port 7777"), "{err}");
    h2.enter();
    let tx = SenderMcastSocket::new(&here, &PORT.into(), None).unwrap();
    tx.send("one to one").unwrap();
    assert_eq!(texts(&mut rx), ["one to one"]);
}
