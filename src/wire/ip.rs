//! The IP and UDP headers of a captured packet, as far as a diagnosis needs them: who sent
//! it to whom, its size on the wire, whether it is a fragment (and which), and the UDP ports
//! where the packet holds them. A pure view over bytes; every length is checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where a packet stands among the fragments of its datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    /// A whole datagram, not fragmented.
    Whole,
    /// The first fragment (offset 0, more to come): it holds the UDP header.
    First,
    /// A later fragment: only payload.
    Later,
}

/// What a captured IP packet says of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket {
    /// The source address.
    pub source: IpAddr,
    /// The destination address.
    pub destination: IpAddr,
    /// The packet's length on the wire, IP header included, as its header says.
    pub wire_len: usize,
    /// Whether, and which, fragment it is.
    pub fragment: Fragment,
    /// The transport protocol (17 for UDP), after any IPv6 extension headers.
    pub protocol: u8,
    /// UDP's source and destination ports, where this packet holds the UDP header.
    pub udp_ports: Option<(u16, u16)>,
}

/// Reads the headers of an IPv4 or IPv6 packet; None when they are cut short or malformed.
///
/// ```
/// use mcast::wire::ip::{parse, Fragment};
/// // IPv4, 20-byte header, total 36, DF, UDP from 192.0.2.1:5000 to 239.1.1.1:7777.
/// let p = [
///     0x45, 0, 0, 36, 0, 0, 0x40, 0, 1, 17, 0, 0, 192, 0, 2, 1, 239, 1, 1, 1,
///     0x13, 0x88, 0x1e, 0x61, 0, 16, 0, 0,
/// ];
/// let ip = parse(&p).unwrap();
/// assert_eq!((ip.wire_len, ip.fragment, ip.udp_ports), (36, Fragment::Whole, Some((5000, 7777))));
/// ```
pub fn parse(packet: &[u8]) -> Option<IpPacket> {
    match packet.first()? >> 4 {
        4 => parse_v4(packet),
        6 => parse_v6(packet),
        _ => None,
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn fragment_of(offset: u16, more: bool) -> Fragment {
    match (offset, more) {
        (0, false) => Fragment::Whole,
        (0, true) => Fragment::First,
        _ => Fragment::Later,
    }
}

fn parse_v4(b: &[u8]) -> Option<IpPacket> {
    let header = usize::from(b.first()? & 0x0f) * 4;
    if header < 20 || b.len() < 20 {
        return None;
    }
    let flags = u16_at(b, 6)?;
    let fragment = fragment_of(flags & 0x1fff, flags & 0x2000 != 0);
    let protocol = b[9];
    let addr = |at: usize| IpAddr::V4(Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3]));
    let udp_ports = (protocol == 17 && fragment != Fragment::Later)
        .then(|| Some((u16_at(b, header)?, u16_at(b, header + 2)?)))
        .flatten();
    Some(IpPacket {
        source: addr(12),
        destination: addr(16),
        wire_len: usize::from(u16_at(b, 2)?),
        fragment,
        protocol,
        udp_ports,
    })
}

/// IPv6 extension headers walked to reach the transport: hop-by-hop, routing, destination
/// options (each (length + 1) x 8 bytes) and fragment (8 bytes).
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const DEST_OPTS: u8 = 60;

fn parse_v6(b: &[u8]) -> Option<IpPacket> {
    if b.len() < 40 {
        return None;
    }
    let addr = |at: usize| {
        let mut o = [0u8; 16];
        o.copy_from_slice(&b[at..at + 16]);
        IpAddr::V6(Ipv6Addr::from(o))
    };
    let mut next = b[6];
    let mut at = 40;
    let mut fragment = Fragment::Whole;
    // A handful of extension headers at most: a packet of nothing but them is malformed.
    for _ in 0..8 {
        match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS => {
                next = *b.get(at)?;
                at += (usize::from(*b.get(at + 1)?) + 1) * 8;
            }
            FRAGMENT => {
                next = *b.get(at)?;
                let word = u16_at(b, at + 2)?;
                fragment = fragment_of(word >> 3, word & 1 != 0);
                at += 8;
            }
            _ => break,
        }
    }
    let udp_ports = (next == 17 && fragment != Fragment::Later)
        .then(|| Some((u16_at(b, at)?, u16_at(b, at + 2)?)))
        .flatten();
    Some(IpPacket {
        source: addr(8),
        destination: addr(24),
        wire_len: 40 + usize::from(u16_at(b, 4)?),
        fragment,
        protocol: next,
        udp_ports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(flags: u16, protocol: u8) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0x05, 0xdc, 0, 0];
        p.extend(flags.to_be_bytes());
        p.extend([64, protocol, 0, 0, 192, 0, 2, 1, 239, 1, 1, 1]);
        p.extend([0x13, 0x88, 0x1e, 0x61, 0, 16, 0, 0]);
        p
    }

    #[test]
    fn ipv4_fragments_are_told_apart_and_only_the_first_has_ports() {
        let first = parse(&v4(0x2000, 17)).unwrap();
        assert_eq!((first.fragment, first.wire_len), (Fragment::First, 1500));
        assert_eq!(first.udp_ports, Some((5000, 7777)));
        let later = parse(&v4(0x00b9, 17)).unwrap();
        assert_eq!((later.fragment, later.udp_ports), (Fragment::Later, None));
        let last_later = parse(&v4(0x20b9, 17)).unwrap();
        assert_eq!(last_later.fragment, Fragment::Later);
        let whole = parse(&v4(0x4000, 17)).unwrap();
        assert_eq!(whole.fragment, Fragment::Whole);
        assert_eq!(
            (whole.source, whole.destination),
            (
                "192.0.2.1".parse::<IpAddr>().unwrap(),
                "239.1.1.1".parse().unwrap()
            )
        );
        let igmp = parse(&v4(0, 2)).unwrap();
        assert_eq!((igmp.protocol, igmp.udp_ports), (2, None));
    }

    #[test]
    fn ipv4_options_move_the_udp_header() {
        let mut p = v4(0, 17);
        p[0] = 0x46;
        p.splice(20..20, [1, 1, 1, 0]);
        assert_eq!(parse(&p).unwrap().udp_ports, Some((5000, 7777)));
    }

    fn v6(next: u8, ext: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend(1232u16.to_be_bytes());
        p.extend([next, 64]);
        p.extend("2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        p.extend("ff3e::1".parse::<Ipv6Addr>().unwrap().octets());
        p.extend(ext);
        p.extend([0x13, 0x88, 0x1e, 0x61, 0, 16, 0, 0]);
        p
    }

    #[test]
    fn ipv6_walks_extension_headers_to_fragments_and_udp() {
        let whole = parse(&v6(17, &[])).unwrap();
        assert_eq!((whole.wire_len, whole.fragment), (1272, Fragment::Whole));
        assert_eq!(whole.udp_ports, Some((5000, 7777)));
        // A fragment header: next 17, offset 0, M set.
        let first = parse(&v6(44, &[17, 0, 0, 1, 0, 0, 0, 9])).unwrap();
        assert_eq!(
            (first.fragment, first.udp_ports),
            (Fragment::First, Some((5000, 7777)))
        );
        // Offset 1232/8, M clear: the last, later fragment.
        let off = (1232u16 / 8) << 3;
        let [hi, lo] = off.to_be_bytes();
        let later = parse(&v6(44, &[17, 0, hi, lo, 0, 0, 0, 9])).unwrap();
        assert_eq!((later.fragment, later.udp_ports), (Fragment::Later, None));
        // Hop-by-hop (8 bytes) before the UDP header.
        let hbh = parse(&v6(0, &[17, 0, 5, 2, 0, 0, 1, 0])).unwrap();
        assert_eq!((hbh.protocol, hbh.udp_ports), (17, Some((5000, 7777))));
    }

    #[test]
    fn every_address_byte_is_read_from_its_place() {
        let mut p = v4(0, 17);
        p[10..20].copy_from_slice(&[0xab, 0xcd, 198, 51, 100, 7, 232, 9, 8, 7]);
        let ip = parse(&p).unwrap();
        assert_eq!(ip.source, "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(ip.destination, "232.9.8.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn headers_alone_are_read_and_an_atomic_fragment_is_whole() {
        let p = v4(0, 17);
        let bare = parse(&p[..20]).unwrap();
        assert_eq!((bare.protocol, bare.udp_ports), (17, None));
        let p = v6(59, &[]);
        assert_eq!(parse(&p[..40]).unwrap().protocol, 59);
        // A fragment header with offset 0 and M clear (RFC 6946's atomic fragment).
        let atomic = parse(&v6(44, &[17, 0, 0, 0, 0, 0, 0, 9])).unwrap();
        assert_eq!(
            (atomic.fragment, atomic.udp_ports),
            (Fragment::Whole, Some((5000, 7777)))
        );
    }

    #[test]
    fn short_or_foreign_packets_are_none() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[0x45; 19]), None);
        assert_eq!(parse(&[0x44; 40]), None, "a header under 20 bytes");
        assert_eq!(parse(&[0x60; 39]), None);
        assert_eq!(parse(&[0x50; 60]), None, "version 5");
        // UDP ports cut off: the packet is still read, without them.
        let p = v4(0, 17);
        assert_eq!(parse(&p[..22]).unwrap().udp_ports, None);
        // Extension headers that run past the end.
        assert_eq!(parse(&v6(0, &[])[..41]), None);
    }
}
