//! A pcapng file of what a capture saw, for tcpdump and Wireshark: one interface block per
//! link (its name, nanosecond timestamps), each packet a Linux cooked v2 record (so the
//! interface index and the direction travel with it) stamped with the kernel's time.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::UNIX_EPOCH;

use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::{DataLink, PcapError};

use super::{Cooked, Frame};

const SNAPLEN: u32 = 262_144;

/// A pcapng file being written.
pub struct Pcap {
    out: PcapNgWriter<BufWriter<File>>,
    /// Each link's interface block, by the index it was captured on.
    links: HashMap<u32, u32>,
}

fn io_error(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

impl Pcap {
    /// Creates `path` (or truncates it) and writes the section header.
    pub fn create(path: &Path) -> io::Result<Pcap> {
        let out = PcapNgWriter::new(BufWriter::new(File::create(path)?)).map_err(io_error)?;
        Ok(Pcap {
            out,
            links: HashMap::new(),
        })
    }

    /// Gives the file to `uid` and `gid` (the user who ran sudo, say), by its descriptor.
    pub fn give_to(&self, uid: u32, gid: u32) -> io::Result<()> {
        std::os::unix::fs::fchown(self.out.get_ref().get_ref(), Some(uid), Some(gid))
    }

    /// Appends `packet` (from its IP header on), captured as `frame` says on the link named
    /// `link`; the link's interface block is written before its first packet.
    pub fn write(&mut self, frame: &Frame, link: &str, packet: &[u8]) -> io::Result<()> {
        let id = match self.links.get(&frame.ifindex) {
            Some(id) => *id,
            None => {
                let id = self.links.len() as u32;
                let block = InterfaceDescriptionBlock {
                    linktype: DataLink::LINUX_SLL2,
                    snaplen: SNAPLEN,
                    options: vec![
                        InterfaceDescriptionOption::IfName(link.to_string().into()),
                        // Timestamps in nanoseconds (10^-9 s).
                        InterfaceDescriptionOption::IfTsResol(9),
                    ],
                };
                self.out.write_pcapng_block(block).map_err(io_error)?;
                self.links.insert(frame.ifindex, id);
                id
            }
        };
        let packet = &packet[..packet.len().min(SNAPLEN as usize - Cooked::LEN)];
        let mut data = Vec::with_capacity(Cooked::LEN + packet.len());
        data.extend_from_slice(&frame.cooked.encode());
        data.extend_from_slice(packet);
        let block = EnhancedPacketBlock {
            interface_id: id,
            timestamp: frame.time.duration_since(UNIX_EPOCH).unwrap_or_default(),
            original_len: data.len() as u32,
            data: data.into(),
            options: Vec::new(),
        };
        self.out.write_pcapng_block(block).map_err(io_error)?;
        Ok(())
    }

    /// Writes out what is buffered, so that a reader sees every packet so far.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.get_mut().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::file::CaptureFile;
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_packet_past_the_snapshot_length_is_cut_to_it() {
        let path = std::env::temp_dir().join(format!("mcast-snap-{}", std::process::id()));
        let mut p = Pcap::create(&path).unwrap();
        let frame = Frame {
            len: 300_000,
            ifindex: 1,
            outgoing: false,
            time: UNIX_EPOCH,
            cooked: Cooked::default(),
        };
        p.write(&frame, "lo", &vec![0x45; 300_000]).unwrap();
        p.flush().unwrap();
        let got = CaptureFile::open(&path)
            .unwrap()
            .next_packet()
            .unwrap()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(got.frame.len(), SNAPLEN as usize);
    }

    #[test]
    fn packets_written_read_back_with_their_link_direction_and_time() {
        let path = std::env::temp_dir().join(format!("mcast-pcapng-{}", std::process::id()));
        let mut p = Pcap::create(&path).unwrap();
        let frame = |ifindex, outgoing, ns| Frame {
            len: 3,
            ifindex,
            outgoing,
            time: UNIX_EPOCH + Duration::from_nanos(ns),
            cooked: Cooked {
                protocol: 0x0800,
                ifindex,
                pkttype: if outgoing { 4 } else { 2 },
                hatype: 1,
                ..Cooked::default()
            },
        };
        p.write(&frame(7, false, 1_000_000_000_123), "eth0", &[0x45, 1, 2])
            .unwrap();
        p.write(&frame(9, true, 1_000_000_001_456), "eth1", &[0x45, 3])
            .unwrap();
        p.write(&frame(7, false, 1_000_000_002_789), "eth0", &[0x45])
            .unwrap();
        p.flush().unwrap();
        let mut file = CaptureFile::open(&path).unwrap();
        let mut got = Vec::new();
        while let Some(r) = file.next_packet().unwrap() {
            got.push(r);
        }
        std::fs::remove_file(&path).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|r| {
                let ns = r.time.duration_since(UNIX_EPOCH).unwrap().as_nanos();
                (r.link.as_str(), r.outgoing, ns, r.ip().unwrap().to_vec())
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("eth0", false, 1_000_000_000_123, vec![0x45, 1, 2]),
                ("eth1", true, 1_000_000_001_456, vec![0x45, 3]),
                ("eth0", false, 1_000_000_002_789, vec![0x45]),
            ]
        );
    }
}
