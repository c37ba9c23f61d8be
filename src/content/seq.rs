//! Sequenced feeds (market data and the like): a sequence number at a fixed place in each
//! datagram (`--seq OFFSET:LEN[:be|le]`), or MoldUDP64's header (session, sequence of the
//! first message, message count), so that a datagram of N messages advances the sequence
//! by N. Per feed: received, lost, late (a gap filled after the fact), duplicates, and gap
//! events with the number expected and the number found.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

/// Where the sequence number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `len` bytes (1 to 8) at `offset`, big- or little-endian; each datagram counts one.
    Field {
        /// Bytes from the start of the datagram.
        offset: usize,
        /// Its width in bytes: the number wraps at 2^(8 len).
        len: u8,
        /// Network order (the default) or little-endian.
        big_endian: bool,
    },
    /// MoldUDP64: a 10-byte session, the 8-byte sequence number of the first message, a
    /// 2-byte message count (0 a heartbeat, 0xFFFF the end of the session).
    MoldUdp64,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        if s.eq_ignore_ascii_case("moldudp64") {
            return Ok(Format::MoldUdp64);
        }
        let bad = || {
            format!(
                "'{s}': give OFFSET:LEN[:be|le] (LEN 1 to 8 bytes, e.g. 0:4 or 8:8:le), or moldudp64"
            )
        };
        let mut parts = s.split(':');
        let offset = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let len = parts
            .next()
            .and_then(|p| p.parse::<u8>().ok())
            .filter(|l| (1..=8).contains(l))
            .ok_or_else(bad)?;
        let big_endian = match parts.next() {
            None | Some("be") => true,
            Some("le") => false,
            Some(_) => return Err(bad()),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Format::Field {
            offset,
            len,
            big_endian,
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Field {
                offset,
                len,
                big_endian,
            } => write!(
                f,
                "{offset}:{len}:{}",
                if *big_endian { "be" } else { "le" }
            ),
            Format::MoldUdp64 => f.write_str("moldudp64"),
        }
    }
}

/// A datagram too short for its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooShort {
    /// Bytes the format needs.
    pub needed: usize,
    /// Bytes there are.
    pub len: usize,
}

impl fmt::Display for TooShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the sequence number needs {} bytes, the datagram has {}",
            self.needed, self.len
        )
    }
}

impl std::error::Error for TooShort {}

/// What a datagram said, read by its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Numbered {
    session: Option<[u8; 10]>,
    first: u64,
    count: u64,
    end: bool,
}

impl Format {
    /// The numbers a datagram carries: (the first, how many), and the modulus they wrap
    /// at (None: they do not, in 64 bits); (first, 0) for a heartbeat or a session's end.
    pub fn numbers(&self, d: &[u8]) -> Result<(u64, u64, Option<u64>), TooShort> {
        let n = self.read(d)?;
        let wrap = match *self {
            Format::Field { len, .. } if len < 8 => Some(1u64 << (8 * u32::from(len))),
            _ => None,
        };
        Ok((n.first, if n.end { 0 } else { n.count }, wrap))
    }

    fn read(&self, d: &[u8]) -> Result<Numbered, TooShort> {
        match *self {
            Format::Field {
                offset,
                len,
                big_endian,
            } => {
                let n = usize::from(len);
                let bytes = d.get(offset..offset + n).ok_or(TooShort {
                    needed: offset + n,
                    len: d.len(),
                })?;
                let mut v = 0u64;
                for i in 0..n {
                    let b = if big_endian {
                        bytes[i]
                    } else {
                        bytes[n - 1 - i]
                    };
                    v = (v << 8) | u64::from(b);
                }
                Ok(Numbered {
                    session: None,
                    first: v,
                    count: 1,
                    end: false,
                })
            }
            Format::MoldUdp64 => {
                let h = d.get(..20).ok_or(TooShort {
                    needed: 20,
                    len: d.len(),
                })?;
                let count = u16::from_be_bytes([h[18], h[19]]);
                Ok(Numbered {
                    session: Some(h[..10].try_into().expect("10 bytes")),
                    first: u64::from_be_bytes(h[10..18].try_into().expect("8 bytes")),
                    count: if count == 0xffff { 0 } else { u64::from(count) },
                    end: count == 0xffff,
                })
            }
        }
    }

    /// Bits of the number before it wraps.
    fn bits(&self) -> u32 {
        match self {
            Format::Field { len, .. } => 8 * u32::from(*len),
            Format::MoldUdp64 => 64,
        }
    }
}

/// What one datagram did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The first of the feed (or of a new session).
    First,
    /// The next number (or a heartbeat that names it).
    InOrder,
    /// Numbers skipped: `expected` awaited, `found` came, `missing` between.
    Gap {
        /// The number awaited.
        expected: u64,
        /// The number that came.
        found: u64,
        /// Numbers between them.
        missing: u64,
    },
    /// Numbers behind, that filled a gap: late, not lost.
    Late,
    /// Numbers already received.
    Duplicate,
    /// MoldUDP64: another session began; the figures go on from its first number.
    NewSession,
    /// MoldUDP64: the session's end.
    EndOfSession,
}

/// Gaps remembered to tell a late datagram from a duplicate; past this, the oldest gap's
/// numbers are lost for good.
const MAX_GAPS: usize = 256;

/// One feed's sequence.
#[derive(Debug, Clone)]
pub struct Feed {
    format: Format,
    session: Option<[u8; 10]>,
    /// The next number expected, extended past the field's wrap.
    next: Option<u64>,
    /// Ranges [from, to) skipped and not yet filled, oldest first.
    gaps: VecDeque<(u64, u64)>,
    /// Numbers received once (messages, for MoldUDP64).
    pub received: u64,
    /// Numbers skipped and never filled (so far).
    pub lost: u64,
    /// Numbers that came after a later one, filling a gap.
    pub late: u64,
    /// Numbers that came again.
    pub duplicates: u64,
    /// Gap events.
    pub gap_events: u64,
    /// Datagrams too short to hold the number.
    pub unreadable: u64,
}

impl Feed {
    /// A feed read with `format`, nothing seen yet.
    pub fn new(format: Format) -> Feed {
        Feed {
            format,
            session: None,
            next: None,
            gaps: VecDeque::new(),
            received: 0,
            lost: 0,
            late: 0,
            duplicates: 0,
            gap_events: 0,
            unreadable: 0,
        }
    }

    /// Where it reads the number.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The number a datagram carries, extended to the one nearest `next` (a field of fewer
    /// than 8 bytes wraps).
    fn extend(&self, raw: u64, next: u64) -> u64 {
        let bits = self.format.bits();
        if bits >= 64 {
            return raw;
        }
        let modulus = 1u64 << bits;
        let base = next & !(modulus - 1);
        // The candidates in this cycle and its neighbours: the nearest to `next` wins.
        [base.wrapping_sub(modulus), base, base.wrapping_add(modulus)]
            .into_iter()
            .map(|c| c.wrapping_add(raw))
            .min_by_key(|c| c.abs_diff(next))
            .unwrap_or(raw)
    }

    /// Reads one datagram.
    pub fn observe(&mut self, datagram: &[u8]) -> Result<Seen, TooShort> {
        let n = self
            .format
            .read(datagram)
            .inspect_err(|_| self.unreadable += 1)?;
        if n.end {
            return Ok(Seen::EndOfSession);
        }
        let new_session =
            n.session.is_some() && self.session.is_some() && n.session != self.session;
        self.session = n.session;
        let Some(next) = self.next.filter(|_| !new_session) else {
            self.next = Some(n.first.saturating_add(n.count));
            self.received = self.received.saturating_add(n.count);
            self.gaps.clear();
            return Ok(if new_session {
                Seen::NewSession
            } else {
                Seen::First
            });
        };
        let first = self.extend(n.first, next);
        // Saturating: a forged number near 2^64 must not wrap the arithmetic below.
        let end = first.saturating_add(n.count);
        if first == next {
            self.next = Some(end);
            self.received = self.received.saturating_add(n.count);
            return Ok(Seen::InOrder);
        }
        if first > next {
            let missing = first - next;
            self.gaps.push_back((next, first));
            if self.gaps.len() > MAX_GAPS {
                self.gaps.pop_front();
            }
            self.lost = self.lost.saturating_add(missing);
            self.gap_events += 1;
            self.next = Some(end);
            self.received = self.received.saturating_add(n.count);
            return Ok(Seen::Gap {
                expected: next,
                found: first,
                missing,
            });
        }
        // Behind: the part that falls in a gap is late; the rest was received already.
        let filled = self.fill(first, end.min(next));
        self.late = self.late.saturating_add(filled);
        self.lost = self.lost.saturating_sub(filled);
        self.received = self.received.saturating_add(filled);
        let again = end.min(next) - first - filled;
        self.duplicates = self.duplicates.saturating_add(again);
        // A datagram reaching past `next` while starting behind it: its new numbers.
        if end > next {
            self.received = self.received.saturating_add(end - next);
            self.next = Some(end);
        }
        Ok(if filled > 0 {
            Seen::Late
        } else {
            Seen::Duplicate
        })
    }

    /// Takes [from, to) out of the gaps; how many numbers it filled.
    fn fill(&mut self, from: u64, to: u64) -> u64 {
        let mut filled = 0;
        let mut kept = VecDeque::with_capacity(self.gaps.len() + 1);
        for &(a, b) in &self.gaps {
            let (lo, hi) = (a.max(from), b.min(to));
            if lo >= hi {
                kept.push_back((a, b));
                continue;
            }
            filled += hi - lo;
            if a < lo {
                kept.push_back((a, lo));
            }
            if hi < b {
                kept.push_back((hi, b));
            }
        }
        self.gaps = kept;
        filled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_short_says_how_many_bytes_were_needed_and_how_many_came() {
        let e = TooShort { needed: 12, len: 7 };
        assert_eq!(
            e.to_string(),
            "the sequence number needs 12 bytes, the datagram has 7"
        );
    }

    fn field(v: u64, len: usize) -> Vec<u8> {
        let mut d = vec![0xee; 4];
        d.extend(&v.to_be_bytes()[8 - len..]);
        d
    }

    fn mold(session: &[u8; 10], seq: u64, count: u16) -> Vec<u8> {
        let mut d = session.to_vec();
        d.extend(seq.to_be_bytes());
        d.extend(count.to_be_bytes());
        for _ in 0..count.min(100) {
            d.extend([0, 2, b'A', b'B']);
        }
        d
    }

    #[test]
    fn formats_parse_and_bad_ones_say_what_is_expected() {
        assert_eq!(
            "4:4".parse(),
            Ok(Format::Field {
                offset: 4,
                len: 4,
                big_endian: true
            })
        );
        assert_eq!(
            "0:8:le".parse(),
            Ok(Format::Field {
                offset: 0,
                len: 8,
                big_endian: false
            })
        );
        assert_eq!("MoldUDP64".parse(), Ok(Format::MoldUdp64));
        for bad in ["", "4", "4:0", "4:9", "x:4", "4:4:me", "4:4:be:1"] {
            let e = bad.parse::<Format>().unwrap_err();
            assert!(e.contains("give OFFSET:LEN[:be|le]"), "{bad}: {e}");
        }
        // Shown as it is read back.
        for good in ["4:4:be", "0:8:le", "moldudp64"] {
            assert_eq!(good.parse::<Format>().unwrap().to_string(), good);
        }
    }

    #[test]
    fn numbers_are_read_in_either_order_and_short_datagrams_refused() {
        let le = Format::Field {
            offset: 1,
            len: 2,
            big_endian: false,
        };
        assert_eq!(le.read(&[9, 0x34, 0x12]).unwrap().first, 0x1234);
        assert_eq!(le.read(&[9, 0x34]), Err(TooShort { needed: 3, len: 2 }));
        let mut f = Feed::new(le);
        assert!(f.observe(&[1]).is_err());
        assert_eq!(f.unreadable, 1);
    }

    #[test]
    fn gaps_late_numbers_and_duplicates_are_counted_apart() {
        let mut f = Feed::new("4:4".parse().unwrap());
        let seen: Vec<Seen> = [10, 11, 14, 12, 14, 15, 13]
            .iter()
            .map(|&v| f.observe(&field(v, 4)).unwrap())
            .collect();
        assert_eq!(seen[0], Seen::First);
        assert_eq!(
            seen[2],
            Seen::Gap {
                expected: 12,
                found: 14,
                missing: 2
            }
        );
        assert_eq!(seen[3], Seen::Late);
        assert_eq!(seen[4], Seen::Duplicate);
        assert_eq!(seen[6], Seen::Late);
        assert_eq!(
            (f.received, f.lost, f.late, f.duplicates, f.gap_events),
            (6, 0, 2, 1, 1)
        );
    }

    #[test]
    fn a_short_field_wraps_without_loss() {
        let mut f = Feed::new("4:1".parse().unwrap());
        for v in (250..=255).chain(0..=4) {
            f.observe(&field(v, 1)).unwrap();
        }
        assert_eq!((f.received, f.lost, f.duplicates), (11, 0, 0));
        // A gap across the wrap.
        let seen = f.observe(&field(7, 1)).unwrap();
        assert_eq!(
            seen,
            Seen::Gap {
                expected: 261,
                found: 263,
                missing: 2
            }
        );
    }

    #[test]
    fn moldudp64_advances_by_its_message_count() {
        let s = *b"SESSION001";
        let mut f = Feed::new(Format::MoldUdp64);
        assert_eq!(f.observe(&mold(&s, 1, 3)).unwrap(), Seen::First);
        assert_eq!(f.observe(&mold(&s, 4, 2)).unwrap(), Seen::InOrder);
        // A heartbeat names the next number: nothing lost, nothing received.
        assert_eq!(f.observe(&mold(&s, 6, 0)).unwrap(), Seen::InOrder);
        assert_eq!(
            f.observe(&mold(&s, 9, 1)).unwrap(),
            Seen::Gap {
                expected: 6,
                found: 9,
                missing: 3
            }
        );
        // A retransmission of 5..=7: 5 again, 6 and 7 late.
        assert_eq!(f.observe(&mold(&s, 5, 3)).unwrap(), Seen::Late);
        assert_eq!((f.received, f.lost, f.late, f.duplicates), (8, 1, 2, 1));
        assert_eq!(
            f.observe(&mold(&s, 10, 0xffff)).unwrap(),
            Seen::EndOfSession
        );
        // The next session starts its own numbers.
        let t = *b"SESSION002";
        assert_eq!(f.observe(&mold(&t, 1, 1)).unwrap(), Seen::NewSession);
        assert_eq!(f.observe(&mold(&t, 2, 1)).unwrap(), Seen::InOrder);
        assert_eq!(f.lost, 1);
    }

    #[test]
    fn forged_numbers_near_the_top_saturate_rather_than_wrap() {
        // Found by the feeds fuzz target: MoldUDP64 numbers near 2^64, twice.
        let s = *b"SESSION001";
        let mut f = Feed::new(Format::MoldUdp64);
        f.observe(&mold(&s, 1, 1)).unwrap();
        f.observe(&mold(&s, u64::MAX - 2, 5)).unwrap();
        f.observe(&mold(&s, u64::MAX - 1, 9)).unwrap();
        f.observe(&mold(&s, 3, 2)).unwrap();
        // The gap after 1 runs to 2^64 - 3; the numbers past 2^64 saturate at its top and
        // come again as a duplicate; 3 and 4 fill the gap late.
        assert_eq!(
            (f.lost, f.received, f.late, f.duplicates),
            (u64::MAX - 6, 8, 2, 1)
        );
    }

    #[test]
    fn gaps_remembered_are_bounded() {
        let mut f = Feed::new("0:4".parse().unwrap());
        for v in 0..2000u64 {
            f.observe(&field(v * 2, 4)[4..]).unwrap();
        }
        assert_eq!(f.gaps.len(), MAX_GAPS);
        assert_eq!(f.lost, 1999);
        // A late number of a gap forgotten is a duplicate now: lost for good.
        assert_eq!(f.observe(&field(1, 4)[4..]).unwrap(), Seen::Duplicate);
        assert_eq!(f.observe(&field(3997, 4)[4..]).unwrap(), Seen::Late);
    }

    #[test]
    fn numbers_give_the_first_the_count_and_where_they_wrap() {
        let f = |spec: &str| spec.parse::<Format>().unwrap();
        assert_eq!(f("4:1").numbers(&field(7, 1)), Ok((7, 1, Some(1 << 8))));
        assert_eq!(
            f("4:2").numbers(&field(513, 2)),
            Ok((513, 1, Some(1 << 16)))
        );
        assert_eq!(f("4:7").numbers(&field(9, 7)), Ok((9, 1, Some(1 << 56))));
        assert_eq!(f("4:8").numbers(&field(9, 8)), Ok((9, 1, None)));
        let s = *b"SESSION001";
        let m = Format::MoldUdp64;
        assert_eq!(m.numbers(&mold(&s, 40, 3)), Ok((40, 3, None)));
        // A heartbeat and the session's end carry no numbers.
        assert_eq!(m.numbers(&mold(&s, 43, 0)), Ok((43, 0, None)));
        assert_eq!(m.numbers(&mold(&s, 43, 0xffff)), Ok((43, 0, None)));
        assert!(m.numbers(&[0; 19]).is_err());
    }

    #[test]
    fn a_datagram_from_behind_reaching_past_the_next_counts_its_new_numbers() {
        let s = *b"SESSION001";
        let mut f = Feed::new(Format::MoldUdp64);
        f.observe(&mold(&s, 1, 5)).unwrap();
        // 4..=9: 4 and 5 again, 6 to 9 new; then 10 follows in order.
        assert_eq!(f.observe(&mold(&s, 4, 6)).unwrap(), Seen::Duplicate);
        assert_eq!(f.observe(&mold(&s, 10, 1)).unwrap(), Seen::InOrder);
        assert_eq!((f.received, f.lost, f.duplicates), (10, 0, 2));
    }

    #[test]
    fn a_gap_filled_in_pieces_leaves_what_is_still_missing() {
        let s = *b"SESSION001";
        let mut f = Feed::new(Format::MoldUdp64);
        f.observe(&mold(&s, 1, 9)).unwrap();
        f.observe(&mold(&s, 20, 1)).unwrap(); // 10..=19 missing
        // The middle, then the front, then the back: each late, nothing twice.
        assert_eq!(f.observe(&mold(&s, 14, 2)).unwrap(), Seen::Late);
        assert_eq!(f.gaps, [(10, 14), (16, 20)]);
        assert_eq!(f.observe(&mold(&s, 10, 4)).unwrap(), Seen::Late);
        assert_eq!(f.observe(&mold(&s, 16, 4)).unwrap(), Seen::Late);
        assert!(f.gaps.is_empty(), "{:?}", f.gaps);
        assert_eq!((f.lost, f.late, f.duplicates), (0, 10, 0));
    }
}
