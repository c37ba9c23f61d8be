//! The link layers a capture file's frames come in, down to the IP packet inside: Ethernet
//! (with VLAN tags, as a switch's SPAN port gives them), Linux cooked v1 (SLL) and v2
//! (SLL2), raw IP. Ethernet, VLAN and SLL are read by etherparse; SLL2, which it does not
//! know, is the 20-byte header below.

use etherparse::{LaxSlicedPacket, LinuxSllPacketType, LinuxSllProtocolType, LinuxSllSlice};

/// LINKTYPE_ETHERNET.
pub const ETHERNET: u32 = 1;
/// LINKTYPE_RAW: the frame is an IPv4 or IPv6 packet (also 12 on some systems, 14 on OpenBSD).
pub const RAW: u32 = 101;
/// LINKTYPE_LINUX_SLL: Linux cooked capture, version 1 (tcpdump -i any before 4.99).
pub const LINUX_SLL: u32 = 113;
/// LINKTYPE_IPV4: raw IPv4 packets.
pub const IPV4: u32 = 228;
/// LINKTYPE_IPV6: raw IPv6 packets.
pub const IPV6: u32 = 229;
/// LINKTYPE_LINUX_SLL2: Linux cooked capture, version 2 (with the interface index).
pub const LINUX_SLL2: u32 = 276;

/// PACKET_OUTGOING in a cooked header's packet type.
const OUTGOING: u8 = 4;

/// A Linux cooked v2 header (LINKTYPE_LINUX_SLL2): what a packet socket says of a packet
/// beside its bytes. 20 bytes on the wire, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cooked {
    /// The ethertype (0x0800 IPv4, 0x86dd IPv6).
    pub protocol: u16,
    /// The interface, by index on the host that captured.
    pub ifindex: u32,
    /// ARPHRD_ type of the link (1: Ethernet).
    pub hatype: u16,
    /// PACKET_ type: 0 to this host, 2 multicast, 4 sent by this host...
    pub pkttype: u8,
    /// The link-layer source address, `addr_len` bytes of it.
    pub addr: [u8; 8],
    /// Bytes of `addr` that are the address (6 for Ethernet).
    pub addr_len: u8,
}

impl Cooked {
    /// Bytes of the header.
    pub const LEN: usize = 20;

    /// The header's bytes, as a pcap record starts.
    pub fn encode(&self) -> [u8; Cooked::LEN] {
        let mut h = [0u8; Cooked::LEN];
        h[0..2].copy_from_slice(&self.protocol.to_be_bytes());
        // 2..4 reserved, zero.
        h[4..8].copy_from_slice(&self.ifindex.to_be_bytes());
        h[8..10].copy_from_slice(&self.hatype.to_be_bytes());
        h[10] = self.pkttype;
        h[11] = self.addr_len.min(8);
        h[12..20].copy_from_slice(&self.addr);
        h
    }

    /// The header at the start of `frame`, and what follows it; None when shorter.
    pub fn decode(frame: &[u8]) -> Option<(Cooked, &[u8])> {
        let h = frame.get(..Cooked::LEN)?;
        let mut addr = [0u8; 8];
        addr.copy_from_slice(&h[12..20]);
        let cooked = Cooked {
            protocol: u16::from_be_bytes([h[0], h[1]]),
            ifindex: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            hatype: u16::from_be_bytes([h[8], h[9]]),
            pkttype: h[10],
            addr,
            addr_len: h[11].min(8),
        };
        Some((cooked, &frame[Cooked::LEN..]))
    }
}

/// The IP packet inside a frame, and what the link layer said of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwrapped<'a> {
    /// The packet from its IP header on.
    pub ip: &'a [u8],
    /// The interface index the capture recorded (Linux cooked v2 only).
    pub ifindex: Option<u32>,
    /// Sent by the capturing host (Linux cooked headers only; Ethernet cannot tell).
    pub outgoing: bool,
}

/// Why a frame holds no IP packet that can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotIp {
    /// A link type this reader does not know.
    LinkType(u32),
    /// Shorter than its link header.
    Truncated,
    /// Not IPv4 or IPv6 (ARP, LLDP, ...).
    Other,
}

/// Whether `ethertype` is IPv4's or IPv6's.
fn is_ip(ethertype: u16) -> bool {
    ethertype == 0x0800 || ethertype == 0x86dd
}

/// The IP packet of `frame`, a record of a capture whose link type is `linktype`.
pub fn unwrap(linktype: u32, frame: &[u8]) -> Result<Unwrapped<'_>, NotIp> {
    let plain = |ip| Unwrapped {
        ip,
        ifindex: None,
        outgoing: false,
    };
    match linktype {
        ETHERNET => {
            let sliced = LaxSlicedPacket::from_ethernet(frame).map_err(|_| NotIp::Truncated)?;
            let payload = sliced.ether_payload().ok_or(NotIp::Truncated)?;
            if !is_ip(payload.ether_type.0) {
                return Err(NotIp::Other);
            }
            Ok(plain(payload.payload))
        }
        LINUX_SLL => {
            let sll = LinuxSllSlice::from_slice(frame).map_err(|_| NotIp::Truncated)?;
            match sll.protocol_type() {
                LinuxSllProtocolType::EtherType(t) if is_ip(t.0) => Ok(Unwrapped {
                    ip: sll.payload_slice(),
                    ifindex: None,
                    outgoing: sll.packet_type() == LinuxSllPacketType::OUTGOING,
                }),
                _ => Err(NotIp::Other),
            }
        }
        LINUX_SLL2 => {
            let (cooked, ip) = Cooked::decode(frame).ok_or(NotIp::Truncated)?;
            if !is_ip(cooked.protocol) {
                return Err(NotIp::Other);
            }
            Ok(Unwrapped {
                ip,
                ifindex: Some(cooked.ifindex),
                outgoing: cooked.pkttype == OUTGOING,
            })
        }
        RAW | 12 | 14 | IPV4 | IPV6 => match frame.first().map(|b| b >> 4) {
            Some(4 | 6) => Ok(plain(frame)),
            Some(_) => Err(NotIp::Other),
            None => Err(NotIp::Truncated),
        },
        other => Err(NotIp::LinkType(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: [u8; 4] = [0x45, 0, 0, 20];

    #[test]
    fn a_cooked_header_reads_back_as_written() {
        let c = Cooked {
            protocol: 0x86dd,
            ifindex: 0x0102_0304,
            hatype: 1,
            pkttype: 4,
            addr: [2, 0, 0, 0, 0, 1, 0, 0],
            addr_len: 6,
        };
        let mut frame = c.encode().to_vec();
        assert_eq!(&frame[..12], &[0x86, 0xdd, 0, 0, 1, 2, 3, 4, 0, 1, 4, 6]);
        frame.extend([0x60, 0]);
        assert_eq!(Cooked::decode(&frame), Some((c, &[0x60u8, 0][..])));
        let u = unwrap(LINUX_SLL2, &frame).unwrap();
        assert_eq!(
            (u.ifindex, u.outgoing, u.ip),
            (Some(0x0102_0304), true, &[0x60, 0][..])
        );
        assert_eq!(Cooked::decode(&frame[..19]), None);
    }

    #[test]
    fn ethernet_with_or_without_vlan_tags_gives_the_ip_packet() {
        let mut eth = vec![1, 0, 0x5e, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        eth.extend(IP);
        assert_eq!(unwrap(ETHERNET, &eth).unwrap().ip, &IP);
        // 802.1Q, VLAN 10, then 802.1ad outside it: both tags walked.
        let mut tagged = eth[..12].to_vec();
        tagged.extend([0x88, 0xa8, 0, 20, 0x81, 0x00, 0, 10, 0x86, 0xdd]);
        tagged.extend([0x60, 0, 0, 0]);
        let u = unwrap(ETHERNET, &tagged).unwrap();
        assert_eq!(
            (u.ip, u.outgoing, u.ifindex),
            (&[0x60, 0, 0, 0][..], false, None)
        );
        let mut arp = eth[..12].to_vec();
        arp.extend([0x08, 0x06, 0, 1]);
        assert_eq!(unwrap(ETHERNET, &arp), Err(NotIp::Other));
        assert_eq!(unwrap(ETHERNET, &eth[..6]), Err(NotIp::Truncated));
    }

    #[test]
    fn linux_cooked_v1_says_which_way_the_packet_went() {
        // Packet type 4 (outgoing), ARPHRD_ETHER, 6-byte address, IPv4.
        let mut sll = vec![0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        sll.extend(IP);
        let u = unwrap(LINUX_SLL, &sll).unwrap();
        assert_eq!((u.ip, u.outgoing), (&IP[..], true));
        sll[1] = 0;
        assert!(!unwrap(LINUX_SLL, &sll).unwrap().outgoing);
        // ARP in a cooked header: no IP packet.
        sll[14..16].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(unwrap(LINUX_SLL, &sll), Err(NotIp::Other));
    }

    #[test]
    fn raw_links_and_unknown_ones() {
        assert_eq!(unwrap(RAW, &IP).unwrap().ip, &IP);
        assert_eq!(unwrap(IPV6, &[0x60]).unwrap().ip, &[0x60]);
        assert_eq!(unwrap(RAW, &[0x10]), Err(NotIp::Other));
        assert_eq!(unwrap(RAW, &[]), Err(NotIp::Truncated));
        assert_eq!(unwrap(147, &IP), Err(NotIp::LinkType(147)));
    }
}
