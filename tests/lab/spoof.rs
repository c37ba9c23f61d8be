//! The hostile host's tools: a raw IPv4 socket that writes its own headers, and UDP packets
//! with whatever source address and port the attacker likes.

use std::net::SocketAddrV4;

/// A raw IPv4 socket that writes its own headers: the spoofer's.
pub fn raw_sender() -> socket2::Socket {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(libc::IPPROTO_RAW)),
    )
    .unwrap();
    sock.set_header_included_v4(true).unwrap();
    sock
}

/// An IPv4 UDP packet from `from` to `to` carrying `payload` (checksums left to the kernel for
/// IP and zero, "none", for UDP), TTL 64.
pub fn udp_packet(from: SocketAddrV4, to: SocketAddrV4, payload: &[u8]) -> Vec<u8> {
    let udp_len = (8 + payload.len()) as u16;
    let mut p = vec![0x45, 0];
    p.extend((20 + udp_len).to_be_bytes());
    p.extend([0, 0, 0, 0, 64, 17, 0, 0]);
    p.extend(from.ip().octets());
    p.extend(to.ip().octets());
    p.extend(from.port().to_be_bytes());
    p.extend(to.port().to_be_bytes());
    p.extend(udp_len.to_be_bytes());
    p.extend([0, 0]);
    p.extend(payload);
    p
}

/// Sends `payload` from the forged `from` to `to` through `sock` (a `raw_sender`).
pub fn send_forged(sock: &socket2::Socket, from: SocketAddrV4, to: SocketAddrV4, payload: &[u8]) {
    sock.send_to(&udp_packet(from, to, payload), &to.into())
        .unwrap();
}

/// The Internet checksum (RFC 1071) of `bytes`.
pub fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 packet of protocol `proto` from `from` to `to` with TTL 1 (as IGMP is sent),
/// carrying `payload`; the kernel fills in the header checksum.
pub fn ip_packet(
    from: std::net::Ipv4Addr,
    to: std::net::Ipv4Addr,
    proto: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = vec![0x45, 0];
    p.extend((20 + payload.len() as u16).to_be_bytes());
    p.extend([0, 0, 0, 0, 1, proto, 0, 0]);
    p.extend(from.octets());
    p.extend(to.octets());
    p.extend(payload);
    p
}

/// An IGMPv3 general query (RFC 3376 4.1): max response 1 s, QRV 2, QQI 125 s.
pub fn igmpv3_query() -> Vec<u8> {
    let mut q = vec![0x11, 10, 0, 0, 0, 0, 0, 0, 0x02, 125, 0, 0];
    let c = checksum(&q);
    q[2..4].copy_from_slice(&c.to_be_bytes());
    q
}

/// An IGMPv3 report (RFC 3376 4.2) with one ALLOW_NEW_SOURCES record for `group`.
pub fn igmpv3_allow(group: std::net::Ipv4Addr, sources: &[std::net::Ipv4Addr]) -> Vec<u8> {
    igmpv3_report(5, group, sources)
}

/// An IGMPv2 general query (RFC 2236): max response 10 s.
pub fn igmpv2_query() -> Vec<u8> {
    let mut q = vec![0x11, 100, 0, 0, 0, 0, 0, 0];
    let c = checksum(&q);
    q[2..4].copy_from_slice(&c.to_be_bytes());
    q
}

/// An IGMPv3 report with one record of type `kind` (4: CHANGE_TO_EXCLUDE, 5: ALLOW) for
/// `group` and `sources`.
pub fn igmpv3_report(
    kind: u8,
    group: std::net::Ipv4Addr,
    sources: &[std::net::Ipv4Addr],
) -> Vec<u8> {
    let mut r = vec![0x22, 0, 0, 0, 0, 0, 0, 1];
    r.extend([kind, 0]);
    r.extend((sources.len() as u16).to_be_bytes());
    r.extend(group.octets());
    for s in sources {
        r.extend(s.octets());
    }
    let c = checksum(&r);
    r[2..4].copy_from_slice(&c.to_be_bytes());
    r
}
