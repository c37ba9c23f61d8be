//! PSI sections as a TS carries them: reassembled from the packets of one PID, checked with
//! their CRC-32 (MPEG-2: polynomial 0x04C11DB7, initial all ones, no reflection, no final
//! xor), and the two tables a monitor needs read: the PAT (program number to PMT PID) and
//! the PMT (the PCR PID and each elementary stream's type and PID).

/// CRC-32/MPEG-2 of `bytes`; a whole section, its CRC included, gives 0.
pub fn crc32_mpeg2(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The longest section (a private section may be 4,096 bytes with its header).
const MAX_SECTION: usize = 4096 + 3;

/// Collects one PID's sections across its packets.
#[derive(Debug, Default, Clone)]
pub struct Assembler {
    buf: Vec<u8>,
    /// The section's whole length, once its header is in.
    want: Option<usize>,
    active: bool,
}

/// A section whole, or what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// A section whose CRC holds: its bytes, CRC included.
    Good(Vec<u8>),
    /// A section whose CRC does not hold (TR 101 290 2.2), with its table id.
    BadCrc {
        /// Its table id.
        table_id: u8,
    },
}

impl Assembler {
    /// Takes one packet's payload (`start`: its payload unit start indicator) and gives
    /// each section it completes to `on`.
    pub fn push(&mut self, payload: &[u8], start: bool, mut on: impl FnMut(Section)) {
        let mut rest = payload;
        if start {
            let Some((&pointer, after)) = rest.split_first() else {
                return;
            };
            let pointer = usize::from(pointer);
            // The end of the section before, then new ones.
            if self.active && pointer <= after.len() {
                self.take(&after[..pointer], &mut on);
            }
            rest = after.get(pointer..).unwrap_or(&[]);
            self.begin();
        } else if !self.active {
            return;
        }
        // Sections follow one another until stuffing (0xFF) or the end.
        while !rest.is_empty() {
            if self.buf.is_empty() && rest[0] == 0xff {
                self.active = false;
                return;
            }
            let used = self.take(rest, &mut on);
            rest = &rest[used..];
            if used == 0 {
                break;
            }
        }
    }

    fn begin(&mut self) {
        self.buf.clear();
        self.want = None;
        self.active = true;
    }

    /// Appends what the current section still lacks; returns the bytes used.
    fn take(&mut self, bytes: &[u8], on: &mut impl FnMut(Section)) -> usize {
        let mut used = 0;
        if self.want.is_none() {
            let need = 3usize.saturating_sub(self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..need]);
            used = need;
            if self.buf.len() < 3 {
                return used;
            }
            let len = 3 + usize::from(u16::from_be_bytes([self.buf[1], self.buf[2]]) & 0x0fff);
            if !(3 + 4..=MAX_SECTION).contains(&len) {
                // Not a section this reader can hold: wait for the next start.
                self.buf.clear();
                self.active = false;
                return bytes.len();
            }
            self.want = Some(len);
        }
        let want = self.want.expect("set above");
        let need = (want - self.buf.len()).min(bytes.len() - used);
        self.buf.extend_from_slice(&bytes[used..used + need]);
        used += need;
        if self.buf.len() == want {
            let section = std::mem::take(&mut self.buf);
            self.want = None;
            on(if crc32_mpeg2(&section) == 0 {
                Section::Good(section)
            } else {
                Section::BadCrc {
                    table_id: section[0],
                }
            });
        }
        used
    }
}

/// The entries of a long-form section: after its 8-byte header, before its CRC.
fn body(section: &[u8]) -> &[u8] {
    section
        .get(8..section.len().saturating_sub(4))
        .unwrap_or(&[])
}

/// A PAT's programs: (program number, PMT PID); program 0 (the NIT) left out.
pub fn pat(section: &[u8]) -> Vec<(u16, u16)> {
    body(section)
        .chunks_exact(4)
        .map(|e| {
            (
                u16::from_be_bytes([e[0], e[1]]),
                u16::from_be_bytes([e[2], e[3]]) & 0x1fff,
            )
        })
        .filter(|(program, _)| *program != 0)
        .collect()
}

/// A PMT: its PCR PID, and each elementary stream as (stream type, PID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pmt {
    /// The PID whose packets carry the program's clock.
    pub pcr_pid: u16,
    /// The streams: (stream type, PID).
    pub streams: Vec<(u8, u16)>,
}

/// Reads a PMT section; None when it is cut short.
pub fn pmt(section: &[u8]) -> Option<Pmt> {
    let b = body(section);
    let pcr_pid = u16::from_be_bytes([*b.first()?, *b.get(1)?]) & 0x1fff;
    let info = usize::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]) & 0x0fff);
    let mut rest = b.get(4 + info..)?;
    let mut streams = Vec::new();
    while rest.len() >= 5 {
        let pid = u16::from_be_bytes([rest[1], rest[2]]) & 0x1fff;
        let es_info = usize::from(u16::from_be_bytes([rest[3], rest[4]]) & 0x0fff);
        streams.push((rest[0], pid));
        rest = rest.get(5 + es_info..).unwrap_or(&[]);
    }
    Some(Pmt { pcr_pid, streams })
}
