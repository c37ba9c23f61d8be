//! Reading a capture file back (pcap or pcapng, as tcpdump, Wireshark, a switch's SPAN
//! capture or `mcast watch --pcap` wrote it) one packet at a time, each with its time, the
//! link it was seen on and the IP packet inside its link layer.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pcap_file::PcapError;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};

use super::link::{self, NotIp};

/// The first four bytes of a pcapng file (its section header block's type).
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

enum Reader {
    Pcap { r: PcapReader<File>, linktype: u32 },
    Ng(PcapNgReader<File>),
}

/// A capture file open for reading.
pub struct CaptureFile {
    reader: Reader,
    /// Records read so far (packets and, in pcapng, every other block too).
    records: u64,
}

/// One packet of a capture file.
#[derive(Debug, Clone)]
pub struct FilePacket {
    /// Its place in the file, from 1 (counting every block of a pcapng).
    pub record: u64,
    /// When it was captured.
    pub time: SystemTime,
    /// The link it was seen on: the pcapng interface's name, else `#INDEX` from a Linux
    /// cooked v2 header, else `ifN` (the file's Nth interface).
    pub link: String,
    /// Sent by the capturing host (known from Linux cooked headers only).
    pub outgoing: bool,
    /// The frame as captured, link header included.
    pub frame: Vec<u8>,
    ip: Result<Range<usize>, NotIp>,
}

impl FilePacket {
    /// The IP packet inside the frame, or why there is none that can be read.
    pub fn ip(&self) -> Result<&[u8], NotIp> {
        self.ip.clone().map(|r| &self.frame[r])
    }
}

/// A pcap-file error as an io::Error that names the record it stopped at.
fn failed(record: u64, e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the file ends inside record {record} (cut short)"),
        ),
        PcapError::IncompleteBuffer => io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the file ends inside record {record} (cut short)"),
        ),
        PcapError::IoError(e) => e,
        other => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("record {record} is not pcap or pcapng: {other}"),
        ),
    }
}

/// A pcapng timestamp in units of 10^-resol s (2^-n when the top bit is set) as a time.
fn pcapng_time(raw: u64, resol: u8) -> SystemTime {
    let ns = if resol & 0x80 == 0 {
        let exp = u32::from(resol.min(19));
        u128::from(raw) * 1_000_000_000 / 10u128.pow(exp)
    } else {
        let exp = u32::from(resol & 0x7f).min(63);
        (u128::from(raw) * 1_000_000_000) >> exp
    };
    let ns = u64::try_from(ns).unwrap_or(u64::MAX);
    UNIX_EPOCH + Duration::from_nanos(ns)
}

impl CaptureFile {
    /// Opens `path`, telling pcap from pcapng by its first bytes.
    pub fn open(path: &Path) -> io::Result<CaptureFile> {
        let mut magic = [0u8; 4];
        File::open(path)?.read_exact(&mut magic).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "too short to be pcap or pcapng")
        })?;
        let file = File::open(path)?;
        let reader = if magic == PCAPNG_MAGIC {
            Reader::Ng(PcapNgReader::new(file).map_err(|e| failed(1, e))?)
        } else {
            let r = PcapReader::new(file).map_err(|e| match e {
                PcapError::InvalidField(_) => io::Error::new(
                    io::ErrorKind::InvalidData,
                    "not a pcap or pcapng file (no magic number of either at its start): give one written by tcpdump -w, Wireshark or mcast watch --pcap",
                ),
                other => failed(0, other),
            })?;
            let linktype = u32::from(r.header().datalink);
            Reader::Pcap { r, linktype }
        };
        Ok(CaptureFile { reader, records: 0 })
    }

    /// The next packet, None at the end of the file.
    pub fn next_packet(&mut self) -> io::Result<Option<FilePacket>> {
        loop {
            self.records += 1;
            let record = self.records;
            let (time, linktype, link, data) = match &mut self.reader {
                Reader::Pcap { r, linktype } => match r.next_packet() {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(failed(record, e)),
                    Some(Ok(p)) => (
                        UNIX_EPOCH + p.timestamp,
                        *linktype,
                        None,
                        p.data.into_owned(),
                    ),
                },
                Reader::Ng(r) => {
                    let block = match r.next_block() {
                        None => return Ok(None),
                        Some(Err(e)) => return Err(failed(record, e)),
                        // Owned, so the reader can be asked about its interfaces.
                        Some(Ok(b)) => b.into_owned(),
                    };
                    let Block::EnhancedPacket(epb) = block else {
                        continue;
                    };
                    let Some(iface) = r.packet_interface(&epb) else {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "record {record} names interface {}, which no interface block described",
                                epb.interface_id
                            ),
                        ));
                    };
                    let mut resol = 6;
                    let mut name = None;
                    for o in &iface.options {
                        match o {
                            InterfaceDescriptionOption::IfTsResol(r) => resol = *r,
                            InterfaceDescriptionOption::IfName(n) => name = Some(n.to_string()),
                            _ => {}
                        }
                    }
                    // pcap-file hands the raw count over as nanoseconds; its unit is the
                    // interface's if_tsresol (microseconds when absent).
                    let raw = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                    let link = name.unwrap_or_else(|| format!("if{}", epb.interface_id));
                    (
                        pcapng_time(raw, resol),
                        u32::from(iface.linktype),
                        Some(link),
                        epb.data.into_owned(),
                    )
                }
            };
            let base = data.as_ptr() as usize;
            let (ip, ifindex, outgoing) = match link::unwrap(linktype, &data) {
                Ok(u) => {
                    let start = u.ip.as_ptr() as usize - base;
                    (Ok(start..start + u.ip.len()), u.ifindex, u.outgoing)
                }
                Err(e) => (Err(e), None, false),
            };
            let link = link.unwrap_or_else(|| match ifindex {
                Some(i) => format!("#{i}"),
                None => "if0".to_string(),
            });
            return Ok(Some(FilePacket {
                record,
                time,
                link,
                outgoing,
                frame: data,
                ip,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_end_of_file_is_called_cut_short() {
        let eof = failed(3, PcapError::IoError(io::ErrorKind::UnexpectedEof.into()));
        assert_eq!(eof.to_string(), "the file ends inside record 3 (cut short)");
        let disk = failed(3, PcapError::IoError(io::Error::other("disk on fire")));
        assert_eq!(
            (disk.kind(), disk.to_string()),
            (io::ErrorKind::Other, "disk on fire".into())
        );
        let odd = failed(4, PcapError::InvalidField("bad"));
        assert_eq!(odd.kind(), io::ErrorKind::InvalidData);
        assert!(
            odd.to_string()
                .starts_with("record 4 is not pcap or pcapng")
        );
    }

    #[test]
    fn pcapng_times_follow_the_interfaces_resolution() {
        let at = |raw, r| pcapng_time(raw, r).duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(at(1_500_000, 6), Duration::from_millis(1500));
        assert_eq!(at(1_500_000_000, 9), Duration::from_millis(1500));
        assert_eq!(at(3, 0x81), Duration::from_millis(1500), "2^-1 s units");
        assert_eq!(at(15, 1), Duration::from_millis(1500));
    }

    /// A pcap of Ethernet frames, as tcpdump -i eth0 -w writes it, microseconds.
    #[test]
    fn a_classic_pcap_of_ethernet_frames() {
        let mut f = Vec::new();
        f.extend(0xa1b2_c3d4u32.to_le_bytes());
        f.extend(2u16.to_le_bytes());
        f.extend(4u16.to_le_bytes());
        f.extend([0; 8]);
        f.extend(65535u32.to_le_bytes());
        f.extend(1u32.to_le_bytes());
        let mut eth = vec![1, 0, 0x5e, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        eth.extend([0x45, 0, 0, 20]);
        f.extend(10u32.to_le_bytes());
        f.extend(250_000u32.to_le_bytes());
        f.extend((eth.len() as u32).to_le_bytes());
        f.extend((eth.len() as u32).to_le_bytes());
        f.extend(&eth);
        // The next record cut short, as a killed tcpdump leaves it.
        f.extend(11u32.to_le_bytes());
        let path = std::env::temp_dir().join(format!("mcast-eth-{}.pcap", std::process::id()));
        std::fs::write(&path, &f).unwrap();
        let mut file = CaptureFile::open(&path).unwrap();
        let p = file.next_packet().unwrap().unwrap();
        let cut = file.next_packet().unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(p.ip().unwrap(), &[0x45, 0, 0, 20]);
        assert_eq!((p.link.as_str(), p.outgoing, p.record), ("if0", false, 1));
        assert_eq!(
            p.time.duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_micros(10_250_000)
        );
        assert_eq!(cut.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(cut.to_string(), "the file ends inside record 2 (cut short)");
    }
}
