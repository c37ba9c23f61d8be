//! The ping protocols' codecs against real peers in the lab: Debian's ssmpingd answers what
//! `mcast::wire::ssmping` writes, and its replies read back field by field.
#![cfg(target_os = "linux")]

mod lab;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lab::{IFACE, Lab};
use mcast::wire::ssmping::{Kind, Message};
use mcast::wire::{DEFAULT_GROUP_V4, DEFAULT_GROUP_V6, PORT, Protocol, protocol_of};
use mcast::{IfaceSpec, IpMode, McastSocket, Service};

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Sends one request from `client` to `server` and returns the replies: (destination, message, ttl).
fn ping(lab: &Lab, client: usize, server: IpAddr, group: IpAddr) -> Vec<(IpAddr, Message, u8)> {
    lab.host(client).enter();
    let mode = IpMode::for_addr(server);
    let mut sock = McastSocket::new(mode, false).unwrap();
    sock.bind(None, &Service::Port(0)).unwrap();
    sock.join(
        &group.into(),
        Some(&IfaceSpec::Name(IFACE.into())),
        Some(server),
    )
    .unwrap();
    let request = Message {
        kind: Some(Kind::Request),
        pid: Some(0x00ab_cdef),
        seq: Some(1),
        sent_ns: Some(now_ns()),
        ..Message::default()
    };
    let bytes = request.encode();
    assert_eq!(protocol_of(&bytes), Some(Protocol::Ssmping));
    sock.socket()
        .send_to(&bytes, &SocketAddr::new(server, PORT).into())
        .unwrap();
    sock.socket()
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while got.len() < 2 {
        let Ok(r) = sock.recv_from(&mut buf) else {
            break;
        };
        assert_eq!(r.source.ip(), server);
        let m = Message::decode(&buf[..r.len]).expect("a reply mcast can read");
        assert_eq!(
            (m.pid, m.seq, m.sent_ns),
            (
                request.pid,
                request.seq,
                Some(request.sent_ns.unwrap() / 1000 * 1000)
            )
        );
        got.push((r.destination.unwrap(), m, r.ttl.unwrap()));
    }
    got
}

fn both_replies(v6: bool) {
    let lab = Lab::new(2);
    let server = lab.host(1);
    let _peer = server.ssmpingd();
    let (addr, group, client_addr) = if v6 {
        (
            IpAddr::V6(server.v6),
            IpAddr::V6(DEFAULT_GROUP_V6),
            IpAddr::V6(lab.host(2).v6),
        )
    } else {
        (
            IpAddr::V4(server.v4),
            IpAddr::V4(DEFAULT_GROUP_V4),
            IpAddr::V4(lab.host(2).v4),
        )
    };
    let replies = ping(&lab, 2, addr, group);
    let mut to: Vec<IpAddr> = replies.iter().map(|r| r.0).collect();
    to.sort();
    let mut want = vec![client_addr, group];
    want.sort();
    assert_eq!(to, want, "one unicast and one multicast reply");
    for (_, m, ttl) in &replies {
        assert_eq!(m.kind, Some(Kind::Reply));
        // ssmpingd sends with TTL 64: on one link, 0 hops.
        assert_eq!(*ttl, 64);
    }
}

#[test]
fn ssmpingd_answers_our_requests_v4() {
    both_replies(false);
}

#[test]
fn ssmpingd_answers_our_requests_v6() {
    both_replies(true);
}
