//! MPEG transport stream (ISO/IEC 13818-1) over UDP: 188-byte packets, usually seven to a
//! datagram. Per PID: packets, continuity errors counted by TSDuck's rules, transport
//! errors (TEI) and scrambled packets; for the stream, sync byte errors and sync loss
//! (ETSI TR 101 290 1.1, 1.2), the PAT and PMTs and their repetition (1.3, 1.5), PIDs the
//! PMTs list that fall silent (1.6), section CRCs (2.2) and the PCR's repetition (2.3).
//!
//! Continuity: the 4-bit counter goes up by one on each packet of a PID that carries a
//! payload, and stays on one that does not; one repeated packet (a duplicate) is legal, a
//! second in a row is an error; the discontinuity indicator resets what is expected; a jump
//! from c1 to c2 means (c2 <= c1 ? 16 : 0) + c2 - c1 - 1 packets missing. The null PID
//! (0x1FFF) has no continuity.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub mod psi;

use psi::{Assembler, Section};

/// A TS packet's size.
pub const PACKET: usize = 188;
/// The sync byte every packet starts with.
pub const SYNC: u8 = 0x47;
/// The null packets' PID.
pub const NULL_PID: u16 = 0x1fff;

/// A packet's header, and its adaptation field's flags that matter here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Transport error indicator: a demodulator upstream saw it damaged.
    pub tei: bool,
    /// Payload unit start: a PES packet or a section begins in it.
    pub pusi: bool,
    /// The packet's PID.
    pub pid: u16,
    /// The scrambling control bits (0: clear).
    pub scrambling: u8,
    /// Whether it carries a payload (adaptation field control 01 or 11).
    pub has_payload: bool,
    /// The continuity counter.
    pub cc: u8,
    /// The adaptation field's discontinuity indicator.
    pub discontinuity: bool,
    /// The adaptation field's PCR, in 27 MHz units, when it has one.
    pub pcr: Option<u64>,
    /// Where the payload starts (188 when there is none).
    pub payload_offset: usize,
}

impl Header {
    /// Reads a packet's header; None when the sync byte is not there.
    pub fn parse(p: &[u8; PACKET]) -> Option<Header> {
        if p[0] != SYNC {
            return None;
        }
        let afc = (p[3] >> 4) & 3;
        let has_adaptation = afc & 2 != 0;
        // An adaptation field of length 0 has no flags byte.
        let af_len = if has_adaptation { usize::from(p[4]) } else { 0 };
        let flags = if has_adaptation && af_len > 0 {
            p[5]
        } else {
            0
        };
        let pcr = (flags & 0x10 != 0 && af_len >= 7).then(|| {
            let b = &p[6..12];
            let base = (u64::from(b[0]) << 25)
                | (u64::from(b[1]) << 17)
                | (u64::from(b[2]) << 9)
                | (u64::from(b[3]) << 1)
                | u64::from(b[4] >> 7);
            let ext = (u64::from(b[4] & 1) << 8) | u64::from(b[5]);
            base * 300 + ext
        });
        Some(Header {
            tei: p[1] & 0x80 != 0,
            pusi: p[1] & 0x40 != 0,
            pid: (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2]),
            scrambling: p[3] >> 6,
            has_payload: afc & 1 != 0,
            cc: p[3] & 0x0f,
            discontinuity: flags & 0x80 != 0,
            pcr,
            payload_offset: if afc & 1 == 0 {
                PACKET
            } else if has_adaptation {
                (5 + af_len).min(PACKET)
            } else {
                4
            },
        })
    }
}

/// A continuity error, by its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// Packets missing: the counter jumped from `last` to `found`.
    Lost {
        /// The counter of the packet before.
        last: u8,
        /// The counter that came.
        found: u8,
        /// Packets missing between them.
        missing: u8,
    },
    /// The same counter a third time: a packet repeated more than once.
    Repeated,
    /// The counter moved on a packet without payload.
    NoPayloadIncrement,
}

/// What a PID carries, as the tables say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The program association table (PID 0).
    Pat,
    /// A program map table.
    Pmt,
    /// An elementary stream of this stream type (ISO 13818-1 table 2-34).
    Stream(u8),
    /// A table on a PID fixed by the standards (CAT, DVB's NIT, SDT, EIT, TDT).
    Fixed(&'static str),
}

impl Role {
    /// A short name: the table, or the stream type's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Pat => "PAT",
            Role::Pmt => "PMT",
            Role::Fixed(name) => name,
            Role::Stream(t) => match t {
                0x01 => "MPEG-1 video",
                0x02 => "MPEG-2 video",
                0x03 => "MPEG-1 audio",
                0x04 => "MPEG-2 audio",
                0x06 => "private PES",
                0x0f => "AAC audio",
                0x11 => "AAC LATM audio",
                0x1b => "H.264 video",
                0x24 => "HEVC video",
                0x81 => "AC-3 audio",
                0x86 => "SCTE-35",
                _ => "other",
            },
        }
    }
}

/// What the stream told, for the caller to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A continuity error on `pid` (TR 101 290 1.4).
    ContinuityError {
        /// The PID.
        pid: u16,
        /// What went wrong.
        error: Continuity,
    },
    /// Sync lost: two or more sync bytes in a row were wrong (1.1).
    SyncLost,
    /// Sync acquired again: five sync bytes in a row were right.
    SyncRegained,
    /// A PID seen for the first time.
    NewPid {
        /// The PID.
        pid: u16,
    },
    /// 1.3: no PAT for more than 0.5 s (`table_id` None), or a section on PID 0 whose table
    /// id is not 0, or PID 0 scrambled (`scrambled`).
    PatError {
        /// The wrong table id, when that was the error.
        table_id: Option<u8>,
        /// PID 0 was scrambled.
        scrambled: bool,
    },
    /// 1.5: a PMT PID of the PAT without a PMT for more than 0.5 s.
    PmtError {
        /// The PMT's PID.
        pid: u16,
    },
    /// 1.6: a PID a PMT lists, silent for longer than the PID timeout.
    PidError {
        /// The PID.
        pid: u16,
    },
    /// 2.2: a table section whose CRC-32 does not hold.
    CrcError {
        /// The PID.
        pid: u16,
        /// The section's table id.
        table_id: u8,
    },
    /// 2.3: more than 100 ms between two PCRs of a PCR PID (no discontinuity told).
    PcrError {
        /// The PCR PID.
        pid: u16,
        /// The time between them, in ns of arrival.
        gap_ns: u64,
    },
    /// A silence (PAT, PMT or PID) is over: what was missing came again.
    Returned {
        /// The PID.
        pid: u16,
    },
}

/// The PAT and PMTs must come every 0.5 s (TR 101 290 1.3, 1.5).
const TABLE_EVERY_NS: u64 = 500_000_000;
/// At most 100 ms between PCRs (2.3).
const PCR_EVERY_NS: u64 = 100_000_000;
/// PMT PIDs followed, at most (a PAT lists programs, a hostile one thousands).
const MAX_PROGRAMS: usize = 256;

/// What is kept of a PID the tables name: when it last came, and whether its silence was
/// told.
#[derive(Debug, Clone, Default)]
struct Watched {
    last_ns: Option<u64>,
    since_ns: u64,
    told: bool,
    sections: Assembler,
}

impl Watched {
    fn new(now_ns: u64) -> Watched {
        Watched {
            since_ns: now_ns,
            ..Watched::default()
        }
    }

    /// Whether it has been silent for longer than `limit` at `now_ns`, told once.
    fn overdue(&mut self, now_ns: u64, limit: u64) -> bool {
        let from = self.last_ns.unwrap_or(self.since_ns);
        if !self.told && now_ns.saturating_sub(from) > limit {
            self.told = true;
            return true;
        }
        false
    }

    /// Notes it came; whether that ends a silence told.
    fn came(&mut self, now_ns: u64) -> bool {
        self.last_ns = Some(now_ns);
        std::mem::take(&mut self.told)
    }
}

/// One PID's figures.
#[derive(Debug, Clone, Default)]
pub struct Pid {
    /// Packets.
    pub packets: u64,
    /// Continuity errors (every kind).
    pub cc_errors: u64,
    /// Packets missing, from the counter's jumps.
    pub missing: u64,
    /// Packets with the transport error indicator set (2.1).
    pub transport_errors: u64,
    /// Scrambled packets.
    pub scrambled: u64,
    /// Legal single repeats.
    pub duplicates: u64,
    last_cc: Option<u8>,
    repeats: u8,
}

impl Pid {
    fn count(&mut self, h: &Header) -> Option<Continuity> {
        self.packets += 1;
        self.transport_errors += u64::from(h.tei);
        self.scrambled += u64::from(h.scrambling != 0);
        let last = self.last_cc.replace(h.cc);
        let Some(last) = last.filter(|_| !h.discontinuity) else {
            self.repeats = 0;
            return None;
        };
        let error = if !h.has_payload {
            (h.cc != last).then_some(Continuity::NoPayloadIncrement)
        } else if h.cc == last {
            self.repeats += 1;
            if self.repeats == 1 {
                self.duplicates += 1;
                None
            } else {
                Some(Continuity::Repeated)
            }
        } else {
            self.repeats = 0;
            let expected = (last + 1) & 0x0f;
            (h.cc != expected).then(|| {
                let missing = if h.cc <= last { 16 } else { 0 } + h.cc - last - 1;
                Continuity::Lost {
                    last,
                    found: h.cc,
                    missing,
                }
            })
        };
        if let Some(e) = error {
            self.cc_errors += 1;
            if let Continuity::Lost { missing, .. } = e {
                self.missing += u64::from(missing);
            }
        }
        error
    }
}

/// Hashes a PID in a multiplication: PIDs are 13 bits, at most 8,192 of them, so no
/// choice of PIDs can make long chains, and SipHash's guard against that would be wasted in
/// the loop every TS packet goes through (several lookups a packet, 630,000 packets a second
/// at a gigabit).
#[derive(Default)]
struct PidHasher(u64);

impl Hasher for PidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u16(u16::from(*b));
        }
    }

    fn write_u16(&mut self, pid: u16) {
        let x = (self.0 ^ u64::from(pid)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The high bits mixed into the low ones, which pick the bucket.
        self.0 = x ^ (x >> 29);
    }
}

/// A map keyed by PID.
type PidMap<V> = HashMap<u16, V, BuildHasherDefault<PidHasher>>;

/// One transport stream (one group and port).
#[derive(Debug, Default)]
pub struct Ts {
    /// At most 8,191 (a PID has 13 bits, and the null PID is not followed): bounded.
    pids: PidMap<Pid>,
    /// Null packets (PID 0x1FFF).
    pub null_packets: u64,
    /// Packets whose sync byte was wrong (1.2).
    pub sync_byte_errors: u64,
    /// Times sync was lost (1.1).
    pub sync_losses: u64,
    /// Whether sync is lost now.
    pub sync_lost: bool,
    bad_in_a_row: u32,
    good_in_a_row: u32,
    /// Datagrams whose length is not a whole number of packets (the tail is not read).
    pub ragged: u64,
    /// How long a PID the PMT lists may be silent (1.6); 5 s unless set.
    pub pid_timeout_ns: u64,
    /// Errors of each indicator: PAT (1.3), PMT (1.5), PID (1.6), CRC (2.2), PCR (2.3).
    pub pat_errors: u64,
    /// See `pat_errors`.
    pub pmt_errors: u64,
    /// See `pat_errors`.
    pub pid_errors: u64,
    /// See `pat_errors`.
    pub crc_errors: u64,
    /// See `pat_errors`.
    pub pcr_errors: u64,
    pat: Option<Watched>,
    pmts: PidMap<Watched>,
    streams: PidMap<Watched>,
    pcr_last: PidMap<Option<u64>>,
    /// Each listed PID's stream type, from the PMTs.
    types: PidMap<u8>,
}

impl Ts {
    /// A stream with nothing seen.
    pub fn new() -> Ts {
        Ts {
            pid_timeout_ns: 5_000_000_000,
            ..Ts::default()
        }
    }

    /// Reads one datagram's packets, which arrived at `now_ns`, telling `on` each event.
    pub fn observe(&mut self, datagram: &[u8], now_ns: u64, mut on: impl FnMut(Event)) {
        self.pat.get_or_insert_with(|| Watched::new(now_ns));
        if !datagram.len().is_multiple_of(PACKET) {
            self.ragged += 1;
        }
        for p in datagram.chunks_exact(PACKET) {
            let p: &[u8; PACKET] = p.try_into().expect("exact chunks");
            let Some(h) = Header::parse(p) else {
                self.sync_byte_errors += 1;
                self.good_in_a_row = 0;
                self.bad_in_a_row += 1;
                if self.bad_in_a_row >= 2 && !self.sync_lost {
                    self.sync_lost = true;
                    self.sync_losses += 1;
                    on(Event::SyncLost);
                }
                continue;
            };
            self.bad_in_a_row = 0;
            self.good_in_a_row += 1;
            if self.sync_lost && self.good_in_a_row >= 5 {
                self.sync_lost = false;
                on(Event::SyncRegained);
            }
            if h.pid == NULL_PID {
                self.null_packets += 1;
                continue;
            }
            let pid = match self.pids.get_mut(&h.pid) {
                Some(p) => p,
                None => {
                    on(Event::NewPid { pid: h.pid });
                    self.pids.entry(h.pid).or_default()
                }
            };
            if let Some(error) = pid.count(&h) {
                on(Event::ContinuityError { pid: h.pid, error });
            }
            self.tables(p, &h, now_ns, &mut on);
        }
        self.tick(now_ns, &mut on);
    }

    /// What a packet does to the tables and timers the indicators watch.
    fn tables(&mut self, p: &[u8; PACKET], h: &Header, now_ns: u64, on: &mut impl FnMut(Event)) {
        let payload = &p[h.payload_offset..];
        let mut sections = Vec::new();
        if h.pid == 0 {
            if h.scrambling != 0 {
                self.pat_errors += 1;
                on(Event::PatError {
                    table_id: None,
                    scrambled: true,
                });
                return;
            }
            let pat = self.pat.get_or_insert_with(|| Watched::new(now_ns));
            pat.sections.push(payload, h.pusi, |s| sections.push(s));
            for s in sections {
                match s {
                    Section::Good(s) if s[0] == 0 => {
                        if self.pat.as_mut().is_some_and(|w| w.came(now_ns)) {
                            on(Event::Returned { pid: 0 });
                        }
                        for (_, pmt_pid) in psi::pat(&s) {
                            if self.pmts.len() < MAX_PROGRAMS || self.pmts.contains_key(&pmt_pid) {
                                self.pmts
                                    .entry(pmt_pid)
                                    .or_insert_with(|| Watched::new(now_ns));
                            }
                        }
                    }
                    Section::Good(s) => {
                        self.pat_errors += 1;
                        on(Event::PatError {
                            table_id: Some(s[0]),
                            scrambled: false,
                        });
                    }
                    Section::BadCrc { table_id } => {
                        self.crc_errors += 1;
                        on(Event::CrcError { pid: 0, table_id });
                    }
                }
            }
        } else if let Some(w) = self.pmts.get_mut(&h.pid) {
            w.sections.push(payload, h.pusi, |s| sections.push(s));
            for s in sections {
                match s {
                    Section::Good(s) if s[0] == 2 => {
                        if self.pmts.get_mut(&h.pid).is_some_and(|w| w.came(now_ns)) {
                            on(Event::Returned { pid: h.pid });
                        }
                        if let Some(pmt) = psi::pmt(&s) {
                            self.pcr_last.entry(pmt.pcr_pid).or_insert(None);
                            for (kind, pid) in pmt.streams {
                                self.types.insert(pid, kind);
                                self.streams
                                    .entry(pid)
                                    .or_insert_with(|| Watched::new(now_ns));
                            }
                        }
                    }
                    Section::Good(_) => {}
                    Section::BadCrc { table_id } => {
                        self.crc_errors += 1;
                        on(Event::CrcError {
                            pid: h.pid,
                            table_id,
                        });
                    }
                }
            }
        }
        if let Some(w) = self.streams.get_mut(&h.pid)
            && w.came(now_ns)
        {
            on(Event::Returned { pid: h.pid });
        }
        if h.pcr.is_some()
            && let Some(last) = self.pcr_last.get_mut(&h.pid)
        {
            if let Some(before) = last.filter(|_| !h.discontinuity) {
                let gap_ns = now_ns.saturating_sub(before);
                if gap_ns > PCR_EVERY_NS {
                    self.pcr_errors += 1;
                    on(Event::PcrError { pid: h.pid, gap_ns });
                }
            }
            *last = Some(now_ns);
        }
    }

    /// Tells the silences that began by `now_ns`: the PAT, each PMT, each PID the PMTs
    /// list. Call it on a timer too: a stream that stops sends nothing to observe.
    pub fn tick(&mut self, now_ns: u64, mut on: impl FnMut(Event)) {
        if let Some(pat) = self.pat.as_mut()
            && pat.overdue(now_ns, TABLE_EVERY_NS)
        {
            self.pat_errors += 1;
            on(Event::PatError {
                table_id: None,
                scrambled: false,
            });
        }
        for (pid, w) in &mut self.pmts {
            if w.overdue(now_ns, TABLE_EVERY_NS) {
                self.pmt_errors += 1;
                on(Event::PmtError { pid: *pid });
            }
        }
        for (pid, w) in &mut self.streams {
            if w.overdue(now_ns, self.pid_timeout_ns) {
                self.pid_errors += 1;
                on(Event::PidError { pid: *pid });
            }
        }
    }

    /// After a silence of the whole stream (a stall, told as such), starts the timers of
    /// the PAT, PMTs, PIDs and PCRs again at `now_ns`: the silence is not told a second
    /// time as every table and PID missing.
    pub fn resume(&mut self, now_ns: u64) {
        let watched = self.pat.iter_mut().chain(self.pmts.values_mut());
        for w in watched.chain(self.streams.values_mut()) {
            w.last_ns = None;
            w.since_ns = now_ns;
            w.told = false;
        }
        for last in self.pcr_last.values_mut() {
            *last = None;
        }
    }

    /// After the sender started again (a new RTP SSRC, or a confirmed jump in its numbers):
    /// a new multiplexer counts from anywhere, so every PID's counter, every table half read
    /// and every timer start afresh, as a discontinuity indicator would have them.
    pub fn sender_restarted(&mut self, now_ns: u64) {
        self.resume(now_ns);
        for p in self.pids.values_mut() {
            p.last_cc = None;
            p.repeats = 0;
        }
        let watched = self.pat.iter_mut().chain(self.pmts.values_mut());
        for w in watched.chain(self.streams.values_mut()) {
            w.sections = Assembler::default();
        }
    }

    /// The PIDs the PMTs list, with the PCR PIDs among them.
    pub fn listed(&self) -> (Vec<u16>, Vec<u16>) {
        let mut streams: Vec<u16> = self.streams.keys().copied().collect();
        let mut pcr: Vec<u16> = self.pcr_last.keys().copied().collect();
        streams.sort_unstable();
        pcr.sort_unstable();
        (streams, pcr)
    }

    /// What a PID is: a table (PAT, PMT) or its stream type from a PMT.
    pub fn role(&self, pid: u16) -> Option<Role> {
        match pid {
            0 => Some(Role::Pat),
            _ if self.pmts.contains_key(&pid) => Some(Role::Pmt),
            _ => match self.types.get(&pid) {
                Some(t) => Some(Role::Stream(*t)),
                // Fixed by ISO 13818-1 (CAT) and DVB (EN 300 468), not by a table.
                None => match pid {
                    1 => Some(Role::Fixed("CAT")),
                    0x10 => Some(Role::Fixed("NIT")),
                    0x11 => Some(Role::Fixed("SDT")),
                    0x12 => Some(Role::Fixed("EIT")),
                    0x14 => Some(Role::Fixed("TDT")),
                    _ => None,
                },
            },
        }
    }

    /// One PID's figures.
    pub fn pid(&self, pid: u16) -> Option<&Pid> {
        self.pids.get(&pid)
    }

    /// Every PID followed, in no particular order.
    pub fn pids(&self) -> impl Iterator<Item = (u16, &Pid)> {
        self.pids.iter().map(|(k, v)| (*k, v))
    }

    /// Whether `datagram` looks like raw TS: a whole number of packets, each with its sync
    /// byte.
    pub fn looks_like(datagram: &[u8]) -> bool {
        !datagram.is_empty()
            && datagram.len().is_multiple_of(PACKET)
            && datagram.chunks_exact(PACKET).all(|p| p[0] == SYNC)
    }
}

#[cfg(test)]
mod tests;
