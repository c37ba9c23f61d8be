//! What `mcast doctor --listen` sees of the group on the wire (with CAP_NET_RAW): datagrams
//! and fragments addressed to the group, seen by a packet socket before this host's firewall
//! and reverse-path filter, so "it reached the interface" is known rather than guessed.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::capture::Capture;
use crate::wire::ip::{self, Fragment};

/// Bounded: a flood from spoofed sources must not grow this.
const MAX_SOURCES: usize = 64;

/// What arrived at the interface for the group.
#[derive(Debug, Default, Clone)]
pub struct OnTheWire {
    /// Datagrams to the port, whole or as their first fragment.
    pub datagrams: u64,
    /// First fragments among them: datagrams larger than the link's MTU.
    pub first_fragments: u64,
    /// Later fragments (no port to tell: any to the group).
    pub later_fragments: u64,
    /// The largest packet seen for the port, IP header included.
    pub largest: usize,
    /// Who sent them, with how many each (the first `MAX_SOURCES` senders).
    pub sources: BTreeMap<IpAddr, u64>,
    /// Datagrams to the group for other ports.
    pub other_ports: u64,
}

impl OnTheWire {
    fn count(&mut self, p: &ip::IpPacket, port: u16) {
        if p.fragment == Fragment::Later {
            self.later_fragments += 1;
            return;
        }
        match p.udp_ports {
            Some((_, dst)) if dst == port => {
                self.datagrams += 1;
                self.first_fragments += u64::from(p.fragment == Fragment::First);
                self.largest = self.largest.max(p.wire_len);
                if let Some(n) = self.sources.get_mut(&p.source) {
                    *n += 1;
                } else if self.sources.len() < MAX_SOURCES {
                    self.sources.insert(p.source, 1);
                }
            }
            Some(_) => self.other_ports += 1,
            None => {}
        }
    }
}

/// Reads `cap` (a capture of what is addressed to `group`, or why it could not be opened:
/// no CAP_NET_RAW, not Linux) on `ifindex` until `until`.
pub fn watch(
    cap: Result<Capture, String>,
    group: IpAddr,
    port: u16,
    ifindex: u32,
    until: Instant,
) -> Result<OnTheWire, String> {
    let mut cap = cap?;
    let mut seen = OnTheWire::default();
    let mut buf = vec![0u8; 2048];
    while Instant::now() < until {
        let left = until.saturating_duration_since(Instant::now());
        let Ok(Some(frame)) = cap.recv(&mut buf, left.min(Duration::from_millis(200))) else {
            continue;
        };
        if frame.ifindex != ifindex || frame.outgoing {
            continue;
        }
        if let Some(p) = ip::parse(&buf[..frame.len.min(buf.len())])
            && p.destination == group
        {
            seen.count(&p, port);
        }
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(fragment: Fragment, dport: Option<u16>, len: usize) -> ip::IpPacket {
        ip::IpPacket {
            source: "192.0.2.2".parse().unwrap(),
            destination: "239.1.1.1".parse().unwrap(),
            wire_len: len,
            fragment,
            protocol: 17,
            udp_ports: dport.map(|d| (40000, d)),
        }
    }

    #[test]
    fn datagrams_fragments_and_other_ports_are_counted_apart() {
        let mut w = OnTheWire::default();
        w.count(&packet(Fragment::Whole, Some(7777), 100), 7777);
        w.count(&packet(Fragment::First, Some(7777), 1500), 7777);
        w.count(&packet(Fragment::Later, None, 600), 7777);
        w.count(&packet(Fragment::Whole, Some(5000), 100), 7777);
        assert_eq!(
            (
                w.datagrams,
                w.first_fragments,
                w.later_fragments,
                w.other_ports
            ),
            (2, 1, 1, 1)
        );
        assert_eq!(w.largest, 1500);
        assert_eq!(w.sources.len(), 1);
    }

    #[test]
    fn senders_are_bounded() {
        let mut w = OnTheWire::default();
        for i in 0..1000u32 {
            let mut p = packet(Fragment::Whole, Some(1), 64);
            p.source = std::net::Ipv4Addr::from(0x0a00_0000 + i).into();
            w.count(&p, 1);
        }
        assert_eq!((w.datagrams, w.sources.len()), (1000, MAX_SOURCES));
    }
}
