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
