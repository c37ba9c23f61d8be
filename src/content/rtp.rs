//! RTP (RFC 3550): the header, and per sender (SSRC) what arrived of its sequence numbers
//! (received, lost as appendix A.3 counts it, duplicates, late packets, restarts) and its
//! interarrival jitter (appendix A.8).
//!
//! A sender is followed from its second packet in order (A.1's probation, MIN_SEQUENTIAL
//! 2): a stray datagram that happens to parse as RTP starts nothing. A jump of more than
//! 3,000 ahead or 100 behind is a restart once the packet after it confirms it, not tens
//! of thousands lost; the figures before a restart are kept.

use std::collections::HashMap;
use std::fmt;

/// What cannot be read as RTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header, or than its CSRCs and extension say.
    Short {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes there are.
        len: usize,
    },
    /// A version other than 2.
    Version(u8),
    /// Padding longer than what follows the header.
    Padding(u8),
}

impl fmt::Display for RtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtpError::Short { needed, len } => {
                write!(f, "RTP header needs {needed} bytes, the datagram has {len}")
            }
            RtpError::Version(v) => write!(f, "RTP version {v}, not 2"),
            RtpError::Padding(n) => {
                write!(f, "RTP padding of {n} bytes is longer than the payload")
            }
        }
    }
}

impl std::error::Error for RtpError {}

/// The fixed header, and where the payload lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The marker bit (a frame's last packet, for video).
    pub marker: bool,
    /// The payload type (0-127).
    pub payload_type: u8,
    /// The sequence number (16 bits, wraps).
    pub seq: u16,
    /// The timestamp, in the payload's clock.
    pub timestamp: u32,
    /// The synchronisation source: who sends the stream.
    pub ssrc: u32,
    /// Contributing sources listed.
    pub csrc_count: u8,
    /// The header extension's profile word, when there is one.
    pub extension: Option<u16>,
    /// Where the payload starts: after the CSRCs and extension.
    pub payload_offset: usize,
    /// Payload bytes, padding left out.
    pub payload_len: usize,
}

impl Header {
    /// Reads the header of `datagram`.
    pub fn parse(datagram: &[u8]) -> Result<Header, RtpError> {
        let len = datagram.len();
        let short = |needed| RtpError::Short { needed, len };
        if len < 12 {
            return Err(short(12));
        }
        let version = datagram[0] >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let padded = datagram[0] & 0x20 != 0;
        let has_extension = datagram[0] & 0x10 != 0;
        let csrc_count = datagram[0] & 0x0f;
        let mut offset = 12 + 4 * usize::from(csrc_count);
        if len < offset {
            return Err(short(offset));
        }
        let extension = if has_extension {
            if len < offset + 4 {
                return Err(short(offset + 4));
            }
            let profile = u16::from_be_bytes([datagram[offset], datagram[offset + 1]]);
            let words = u16::from_be_bytes([datagram[offset + 2], datagram[offset + 3]]);
            offset += 4 + 4 * usize::from(words);
            if len < offset {
                return Err(short(offset));
            }
            Some(profile)
        } else {
            None
        };
        let padding = if padded { datagram[len - 1] } else { 0 };
        // The padding count includes itself, so 0 is not a valid one.
        if padded && (padding == 0 || usize::from(padding) > len - offset) {
            return Err(RtpError::Padding(padding));
        }
        Ok(Header {
            marker: datagram[1] & 0x80 != 0,
            payload_type: datagram[1] & 0x7f,
            seq: u16::from_be_bytes([datagram[2], datagram[3]]),
            timestamp: u32::from_be_bytes([datagram[4], datagram[5], datagram[6], datagram[7]]),
            ssrc: u32::from_be_bytes([datagram[8], datagram[9], datagram[10], datagram[11]]),
            csrc_count,
            extension,
            payload_offset: offset,
            payload_len: len - offset - usize::from(padding),
        })
    }
}

/// The clock rate of a static payload type (RFC 3551), in Hz; None for the dynamic ones
/// (96-127, whose rate an SDP gives) and the unassigned.
pub fn clock_rate(payload_type: u8) -> Option<u32> {
    Some(match payload_type {
        0 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 13 | 15 | 18 => 8_000,
        6 => 16_000,
        10 | 11 => 44_100,
        16 => 11_025,
        17 => 22_050,
        14 | 25 | 26 | 28 | 31 | 32 | 33 | 34 => 90_000,
        _ => return None,
    })
}

/// A1's constants: in-order packets that validate a sender, and the largest jump ahead and
/// behind taken as loss or lateness rather than a restart.
const MIN_SEQUENTIAL: u8 = 2;
const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
const SEQ_MOD: u32 = 1 << 16;
/// Sequence numbers remembered to tell a duplicate from a late packet.
const WINDOW: usize = 1024;

/// What one packet did to its sender's figures, beyond being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Before the sender is validated (A.1's probation): not counted.
    Probation,
    /// The next number.
    InOrder,
    /// Ahead of the next expected: `missing` numbers skipped, `expected` the one awaited.
    Gap {
        /// The number awaited.
        expected: u16,
        /// The number that came.
        found: u16,
        /// Numbers between them.
        missing: u32,
    },
    /// Behind the highest number, and not seen before: late, not lost.
    Late,
    /// A number already seen.
    Duplicate,
    /// A jump too far to be loss, not yet confirmed: set aside (not counted).
    Jump,
    /// The jump was confirmed by the packet after it: the sender started again.
    Restart,
}

/// One sender's sequence numbers and jitter.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Its SSRC.
    pub ssrc: u32,
    /// The payload type of its latest packet.
    pub payload_type: u8,
    probation: u8,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    /// Packets counted since the last restart (duplicates included, as A.3 counts them).
    received: u64,
    /// Figures of the stretches before each restart: (expected, received).
    before: (u64, u64),
    /// Numbers seen twice.
    pub duplicates: u64,
    /// Packets behind the highest number that filled a gap.
    pub late: u64,
    /// Restarts (confirmed jumps).
    pub restarts: u64,
    /// Packets set aside in probation or as an unconfirmed jump.
    pub set_aside: u64,
    /// The extended numbers of the last WINDOW packets, by number modulo WINDOW.
    window: Box<[u32]>,
    jitter: f64,
    last_transit: Option<u32>,
}

impl Stream {
    fn new(ssrc: u32, h: &Header) -> Stream {
        Stream {
            ssrc,
            payload_type: h.payload_type,
            probation: MIN_SEQUENTIAL,
            max_seq: h.seq.wrapping_sub(1),
            cycles: 0,
            base_seq: u32::from(h.seq),
            bad_seq: SEQ_MOD + 1,
            received: 0,
            before: (0, 0),
            duplicates: 0,
            late: 0,
            restarts: 0,
            set_aside: 0,
            window: vec![u32::MAX; WINDOW].into_boxed_slice(),
            jitter: 0.0,
            last_transit: None,
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.window.fill(u32::MAX);
        self.remember(u32::from(seq));
    }

    fn remember(&mut self, extended: u32) {
        self.window[extended as usize % WINDOW] = extended;
    }

    fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected: from the first number counted to the highest, over every
    /// stretch between restarts.
    pub fn expected(&self) -> u64 {
        let now = if self.probation == 0 {
            u64::from(self.extended_max().wrapping_sub(self.base_seq)) + 1
        } else {
            0
        };
        self.before.0 + now
    }

    /// Packets received, duplicates included (RFC 3550 A.3).
    pub fn received(&self) -> u64 {
        self.before.1 + self.received
    }

    /// Lost as RFC 3550 A.3 (and tshark) count it: expected less received, which
    /// duplicates can make negative.
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received() as i64
    }

    /// Numbers never received: A.3's lost without duplicates making up for lost packets
    /// (five lost and five duplicated is five missing, where A.3 says 0).
    pub fn missing(&self) -> u64 {
        self.expected()
            .saturating_sub(self.received().saturating_sub(self.duplicates))
    }

    /// The interarrival jitter (A.8), in timestamp units; 0 until two packets were timed.
    pub fn jitter_units(&self) -> f64 {
        self.jitter
    }

    /// The jitter in milliseconds at `rate` Hz.
    pub fn jitter_ms(&self, rate: u32) -> f64 {
        self.jitter * 1000.0 / f64::from(rate.max(1))
    }

    /// Counts a packet (A.1's update_seq, with duplicates and late packets told apart).
    fn update(&mut self, seq: u16) -> Seen {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return Seen::InOrder;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            self.set_aside += 1;
            return Seen::Probation;
        }
        if udelta < MAX_DROPOUT {
            let expected = self.max_seq.wrapping_add(1);
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            let extended = self.cycles.wrapping_add(u32::from(seq));
            if udelta == 0 {
                self.duplicates += 1;
                self.received += 1;
                return Seen::Duplicate;
            }
            self.max_seq = seq;
            self.remember(extended);
            self.received += 1;
            return if udelta == 1 {
                Seen::InOrder
            } else {
                Seen::Gap {
                    expected,
                    found: seq,
                    missing: u32::from(udelta) - 1,
                }
            };
        }
        if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            // A large jump: a restart when the next packet follows it.
            if u32::from(seq) == self.bad_seq {
                let before = (self.expected(), self.received());
                self.init_seq(seq);
                self.before = before;
                self.received = 1;
                self.restarts += 1;
                // The timestamps start again too: the transit before says nothing now.
                self.last_transit = None;
                return Seen::Restart;
            }
            self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
            self.set_aside += 1;
            return Seen::Jump;
        }
        // Behind the highest number: late, or a duplicate.
        let behind = u32::from(self.max_seq.wrapping_sub(seq));
        let extended = self.extended_max().wrapping_sub(behind);
        self.received += 1;
        if self.window[extended as usize % WINDOW] == extended {
            self.duplicates += 1;
            Seen::Duplicate
        } else {
            self.remember(extended);
            self.late += 1;
            Seen::Late
        }
    }

    /// A.8: with R and S the arrival and RTP times in timestamp units, D = (R_i - R_j) -
    /// (S_i - S_j) and J += (|D| - J) / 16.
    fn time(&mut self, timestamp: u32, arrival_ns: u64, rate: u32) {
        let arrival = (u128::from(arrival_ns) * u128::from(rate) / 1_000_000_000) as u32;
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(last) = self.last_transit {
            let d = f64::from((transit.wrapping_sub(last) as i32).unsigned_abs());
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }
}

/// What a datagram was, for the caller to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A packet of a sender already followed.
    Packet {
        /// Its SSRC.
        ssrc: u32,
        /// What it did to the sender's figures.
        seen: Seen,
    },
    /// The first packet of a sender not followed before (a second sender on the group
    /// and port, when one was already there).
    NewSender {
        /// Its SSRC.
        ssrc: u32,
        /// How many senders were followed before it.
        others: usize,
    },
    /// A sender beyond the most followed: counted as untracked only.
    Untracked,
}

/// Senders followed, at most: a flood of forged SSRCs must not grow memory.
pub const MAX_SENDERS: usize = 1024;

/// Every RTP sender of one group and port.
#[derive(Debug, Default)]
pub struct Rtp {
    /// The clock rate for dynamic payload types (`--clock-rate`); static ones use the table.
    pub clock_rate: Option<u32>,
    streams: HashMap<u32, Stream>,
    /// Packets of senders beyond MAX_SENDERS.
    pub untracked: u64,
    /// Datagrams that were not RTP.
    pub unreadable: u64,
    /// Times a packet's SSRC differed from the one before it.
    pub switches: u64,
    last_ssrc: Option<u32>,
}

impl Rtp {
    /// Senders followed, with `clock_rate` for dynamic payload types.
    pub fn new(clock_rate: Option<u32>) -> Rtp {
        Rtp {
            clock_rate,
            ..Rtp::default()
        }
    }

    /// Reads one datagram that arrived at `arrival_ns` (the kernel's time, ns since the
    /// epoch).
    pub fn observe(&mut self, datagram: &[u8], arrival_ns: u64) -> Result<Event, RtpError> {
        let h = Header::parse(datagram).inspect_err(|_| self.unreadable += 1)?;
        let others = self.streams.len();
        let (stream, new) = match self.streams.get_mut(&h.ssrc) {
            Some(s) => (s, false),
            None if others >= MAX_SENDERS => {
                self.untracked += 1;
                return Ok(Event::Untracked);
            }
            None => (
                self.streams
                    .entry(h.ssrc)
                    .or_insert_with(|| Stream::new(h.ssrc, &h)),
                true,
            ),
        };
        stream.payload_type = h.payload_type;
        if self.last_ssrc.is_some_and(|last| last != h.ssrc) {
            self.switches += 1;
        }
        self.last_ssrc = Some(h.ssrc);
        let seen = stream.update(h.seq);
        if let Some(rate) = clock_rate(h.payload_type).or(self.clock_rate)
            && seen != Seen::Jump
            && seen != Seen::Duplicate
        {
            stream.time(h.timestamp, arrival_ns, rate);
        }
        Ok(if new {
            Event::NewSender {
                ssrc: h.ssrc,
                others,
            }
        } else {
            Event::Packet { ssrc: h.ssrc, seen }
        })
    }

    /// The senders followed, in no particular order.
    pub fn streams(&self) -> impl Iterator<Item = &Stream> {
        self.streams.values()
    }

    /// One sender, by SSRC.
    pub fn stream(&self, ssrc: u32) -> Option<&Stream> {
        self.streams.get(&ssrc)
    }

    /// True when senders took turns: an SSRC came back after another one's packets. A
    /// sender that restarted under a new SSRC hands over once, and each new one adds one
    /// switch; any switch beyond those is two senders at once.
    pub fn concurrent(&self) -> bool {
        self.switches >= self.streams.len() as u64
    }
}

#[cfg(test)]
mod tests;
