//! A pcap file of what a capture saw, for tcpdump and Wireshark: link type RAW
//! (each record an IPv4 or IPv6 packet from its header on), microsecond timestamps.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// LINKTYPE_RAW: packets begin with an IPv4 or IPv6 header.
const LINKTYPE_RAW: u32 = 101;
const SNAPLEN: u32 = 262_144;

/// A pcap file being written.
pub struct Pcap {
    out: BufWriter<File>,
}

impl Pcap {
    /// Creates `path` (or truncates it) and writes the file header.
    pub fn create(path: &Path) -> io::Result<Pcap> {
        let mut out = BufWriter::new(File::create(path)?);
        // Written in this machine's byte order; the magic number tells readers which.
        out.write_all(&0xa1b2_c3d4u32.to_ne_bytes())?;
        out.write_all(&2u16.to_ne_bytes())?;
        out.write_all(&4u16.to_ne_bytes())?;
        out.write_all(&0i32.to_ne_bytes())?;
        out.write_all(&0u32.to_ne_bytes())?;
        out.write_all(&SNAPLEN.to_ne_bytes())?;
        out.write_all(&LINKTYPE_RAW.to_ne_bytes())?;
        Ok(Pcap { out })
    }

    /// Gives the file to `uid` and `gid` (the user who ran sudo, say), by its descriptor.
    pub fn give_to(&self, uid: u32, gid: u32) -> io::Result<()> {
        std::os::unix::fs::fchown(self.out.get_ref(), Some(uid), Some(gid))
    }

    /// Appends one packet seen at `when`.
    pub fn write(&mut self, when: SystemTime, packet: &[u8]) -> io::Result<()> {
        let t = when.duration_since(UNIX_EPOCH).unwrap_or_default();
        let len = packet.len().min(SNAPLEN as usize) as u32;
        self.out.write_all(&(t.as_secs() as u32).to_ne_bytes())?;
        self.out.write_all(&t.subsec_micros().to_ne_bytes())?;
        self.out.write_all(&len.to_ne_bytes())?;
        self.out.write_all(&(packet.len() as u32).to_ne_bytes())?;
        self.out.write_all(&packet[..len as usize])
    }

    /// Writes out what is buffered, so that a reader sees every packet so far.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_then_records_of_the_packets() {
        let path = std::env::temp_dir().join(format!("mcast-pcap-{}", std::process::id()));
        let mut p = Pcap::create(&path).unwrap();
        let when = UNIX_EPOCH + std::time::Duration::from_micros(1_000_000_123);
        p.write(when, &[0x45, 1, 2]).unwrap();
        p.flush().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(bytes.len(), 24 + 16 + 3);
        assert_eq!(&bytes[..4], &0xa1b2_c3d4u32.to_ne_bytes());
        assert_eq!(&bytes[20..24], &101u32.to_ne_bytes());
        assert_eq!(&bytes[24..28], &1000u32.to_ne_bytes());
        assert_eq!(&bytes[28..32], &123u32.to_ne_bytes());
        assert_eq!(&bytes[40..], &[0x45, 1, 2]);
    }
}
