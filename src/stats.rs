//! Receive statistics over probes: loss, duplicates, reordering, one-way delay and jitter.
//!
//! Memory stays bounded whatever arrives: at most `MAX_SENDERS` senders are tracked (more
//! are counted, not followed), and duplicates are recognised within a window of the last
//! `WINDOW` sequence numbers of each sender.

use std::net::IpAddr;

use crate::probe::Probe;

/// The most senders followed at once; later ones are counted in `untracked`.
pub const MAX_SENDERS: usize = 256;
/// How many recent sequence numbers per sender are remembered for duplicate detection.
pub const WINDOW: u64 = 1 << 16;

/// Statistics of every probe sender heard.
#[derive(Debug, Default)]
pub struct ProbeStats {
    senders: Vec<SenderStats>,
    /// Probes from senders past the `MAX_SENDERS` cap.
    pub untracked: u64,
    last: usize,
}

/// What one sender's probes showed.
#[derive(Debug, Clone)]
pub struct SenderStats {
    /// The sender id from the probes.
    pub sender: u32,
    /// The address they came from.
    pub source: IpAddr,
    /// Probes received, duplicates included.
    pub received: u64,
    /// Probes received more than once.
    pub duplicates: u64,
    /// Probes that arrived after one with a higher sequence number.
    pub reordered: u64,
    /// The count the sender planned, 0 when open-ended.
    pub planned: u32,
    min_seq: u64,
    max_seq: u64,
    delay_min_ns: i64,
    delay_max_ns: i64,
    delay_sum_ns: i128,
    delays: u64,
    jitter_ns: f64,
    last_transit_ns: Option<i64>,
    seen: Box<[u64]>,
}

impl ProbeStats {
    /// Counts one probe from `source` that arrived at `arrival_ns` (ns since the Unix epoch).
    pub fn record(&mut self, probe: &Probe, source: IpAddr, arrival_ns: u64) {
        let found = match self.senders.get(self.last) {
            Some(s) if s.sender == probe.sender && s.source == source => Some(self.last),
            _ => self
                .senders
                .iter()
                .position(|s| s.sender == probe.sender && s.source == source),
        };
        let at = match found {
            Some(at) => at,
            None if self.senders.len() < MAX_SENDERS => {
                self.senders.push(SenderStats::new(probe, source));
                self.senders.len() - 1
            }
            None => {
                self.untracked += 1;
                return;
            }
        };
        self.last = at;
        self.senders[at].record(probe, arrival_ns);
    }

    /// Every sender followed, in the order first heard.
    pub fn senders(&self) -> &[SenderStats] {
        &self.senders
    }
}

impl SenderStats {
    fn new(probe: &Probe, source: IpAddr) -> Self {
        SenderStats {
            sender: probe.sender,
            source,
            received: 0,
            duplicates: 0,
            reordered: 0,
            planned: probe.planned,
            min_seq: probe.seq,
            max_seq: probe.seq,
            delay_min_ns: i64::MAX,
            delay_max_ns: i64::MIN,
            delay_sum_ns: 0,
            delays: 0,
            jitter_ns: 0.0,
            last_transit_ns: None,
            seen: vec![0u64; (WINDOW / 64) as usize].into_boxed_slice(),
        }
    }

    fn bit(seq: u64) -> (usize, u64) {
        let slot = seq % WINDOW;
        ((slot / 64) as usize, 1u64 << (slot % 64))
    }

    fn record(&mut self, probe: &Probe, arrival_ns: u64) {
        self.received += 1;
        self.planned = self.planned.max(probe.planned);
        let seq = probe.seq;
        if self.received == 1 {
            self.mark(seq);
        } else if seq > self.max_seq {
            // Forget the slots the new numbers reuse, so old marks do not read as duplicates.
            if seq - self.max_seq >= WINDOW {
                self.seen.fill(0);
            } else {
                for s in self.max_seq + 1..=seq {
                    let (word, mask) = Self::bit(s);
                    self.seen[word] &= !mask;
                }
            }
            self.max_seq = seq;
            self.mark(seq);
        } else if self.max_seq - seq >= WINDOW {
            // Too old to tell a duplicate from a late arrival; count it late.
            self.reordered += 1;
        } else if self.is_marked(seq) {
            self.duplicates += 1;
            return;
        } else {
            self.reordered += 1;
            self.mark(seq);
        }
        self.min_seq = self.min_seq.min(seq);
        self.delay(probe.sent_ns, arrival_ns);
    }

    fn mark(&mut self, seq: u64) {
        let (word, mask) = Self::bit(seq);
        self.seen[word] |= mask;
    }

    fn is_marked(&self, seq: u64) -> bool {
        let (word, mask) = Self::bit(seq);
        self.seen[word] & mask != 0
    }

    fn delay(&mut self, sent_ns: u64, arrival_ns: u64) {
        let transit = (i128::from(arrival_ns) - i128::from(sent_ns))
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        self.delay_min_ns = self.delay_min_ns.min(transit);
        self.delay_max_ns = self.delay_max_ns.max(transit);
        self.delay_sum_ns += i128::from(transit);
        self.delays += 1;
        // RFC 3550 section 6.4.1: J += (|D| - J) / 16 over successive transit times.
        if let Some(last) = self.last_transit_ns {
            let d = (i128::from(transit) - i128::from(last)).unsigned_abs() as f64;
            self.jitter_ns += (d - self.jitter_ns) / 16.0;
        }
        self.last_transit_ns = Some(transit);
    }

    /// Distinct probes received.
    pub fn unique(&self) -> u64 {
        self.received - self.duplicates
    }

    /// Probes expected: all planned when the sender said how many (numbered from 0),
    /// otherwise the span from the lowest to the highest sequence number heard.
    pub fn expected(&self) -> u64 {
        if self.planned > 0 {
            u64::from(self.planned).max(self.max_seq.saturating_add(1))
        } else {
            (self.max_seq - self.min_seq).saturating_add(1)
        }
    }

    /// Probes never received: gaps, and the missing tail when the count was planned.
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.unique())
    }

    /// (min, average, max) one-way delay in milliseconds, None before any probe counted.
    pub fn delay_ms(&self) -> Option<(f64, f64, f64)> {
        (self.delays > 0).then(|| {
            let avg = self.delay_sum_ns as f64 / self.delays as f64;
            (
                self.delay_min_ns as f64 / 1e6,
                avg / 1e6,
                self.delay_max_ns as f64 / 1e6,
            )
        })
    }

    /// The RFC 3550 interarrival jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter_ns / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(seq: u64, planned: u32) -> Probe {
        Probe {
            sender: 1,
            seq,
            sent_ns: seq.wrapping_mul(1_000_000),
            planned,
        }
    }

    fn run(seqs: &[u64], planned: u32) -> SenderStats {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        for &s in seqs {
            stats.record(
                &probe(s, planned),
                src,
                s.wrapping_mul(1_000_000).wrapping_add(500_000),
            );
        }
        stats.senders()[0].clone()
    }

    #[test]
    fn gaps_duplicates_reordering_and_the_planned_tail() {
        let s = run(&[0, 1, 2, 4, 3, 3, 5], 8);
        assert_eq!((s.received, s.duplicates, s.reordered), (7, 1, 1));
        assert_eq!((s.unique(), s.expected(), s.lost()), (6, 8, 2));
    }

    #[test]
    fn open_ended_runs_count_from_the_first_heard() {
        let s = run(&[10, 11, 13, 14], 0);
        assert_eq!((s.expected(), s.lost()), (5, 1));
    }

    #[test]
    fn constant_delay_has_no_jitter() {
        let s = run(&[0, 1, 2, 3], 0);
        let (min, avg, max) = s.delay_ms().unwrap();
        assert_eq!((min, avg, max), (0.5, 0.5, 0.5));
        assert_eq!(s.jitter_ms(), 0.0);
    }

    #[test]
    fn absurd_sequence_numbers_stay_bounded() {
        let s = run(&[0, u64::MAX, 5, u64::MAX], 0);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.reordered, 1, "5 is too old to judge and counted late");
        assert_eq!(s.expected(), u64::MAX);
    }

    #[test]
    fn senders_beyond_the_cap_are_counted_not_followed() {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        for id in 0..(MAX_SENDERS as u32 + 10) {
            let p = Probe {
                sender: id,
                ..probe(0, 0)
            };
            stats.record(&p, src, 0);
        }
        assert_eq!(stats.senders().len(), MAX_SENDERS);
        assert_eq!(stats.untracked, 10);
    }
}
