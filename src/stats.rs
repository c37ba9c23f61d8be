//! Receive statistics over probes: loss, duplicates, reordering, one-way delay and jitter.
//!
//! Memory stays bounded whatever arrives: at most `MAX_SENDERS` senders are tracked (more
//! are counted, not followed), and each sender's probes are remembered in a window of the
//! last `WINDOW` sequence numbers. Every probe costs the same few operations whatever the
//! pattern of sequence numbers: the window's words are reused by tag, never cleared in bulk.

use std::net::IpAddr;

use crate::probe::{MAX_SIZES, Probe, SizeCycle};

mod judge;
pub use judge::{JOIN_GRACE_NS, Listened, TAIL_GRACE_NS, Tally};

/// The most senders followed at once; later ones are counted in `untracked`.
pub const MAX_SENDERS: usize = 256;
/// How many recent sequence numbers per sender are remembered, so a duplicate is known as
/// one: 131,072 (16 KiB of bits and 8 KiB of tags per sender).
pub const WINDOW: u64 = 1 << 17;
const WORDS: usize = (WINDOW / 64) as usize;
/// A probe whose one-way delay is this far outside the range its sender's probes showed does
/// not belong to that sender's run (a forged send time, or another sender using its id).
pub const DELAY_SLACK_NS: u64 = 10_000_000_000;
/// Before a sender has a pace, a jump of more than this many numbers (beyond one per 100 ns
/// of its own send times) is not believed.
pub const FIRST_JUMP: u64 = 1 << 16;

/// A sender whose sequence numbers span more than this is not a real run (a million probes a
/// second for 12 days): its figures are flagged, not added to the totals.
pub const PLAUSIBLE_SPAN: u64 = 1 << 40;

/// Senders heard once wait here (their first probe only, a few dozen bytes each) until a
/// second probe shows they are a run: a flood of one-probe strangers, spoofed from as many
/// addresses, then never takes the place of a sender with traffic.
pub const MAX_HEARD_ONCE: usize = 4096;

/// One size of a sender's cycle: how many of its probes of that size came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeTally {
    /// The datagram size, in bytes.
    pub size: u16,
    /// Distinct probes of that size received.
    pub received: u64,
    /// Probes of that size numbered between the lowest and highest heard.
    pub expected: u64,
}

/// Statistics of every probe sender heard.
#[derive(Debug, Default)]
pub struct ProbeStats {
    senders: Vec<SenderStats>,
    /// Probes from senders past the `MAX_SENDERS` cap, and from senders heard once that were
    /// forgotten to make room for newer ones.
    pub untracked: u64,
    last: usize,
    /// Senders heard once: their first probe, its source and arrival, and the order it came
    /// in, oldest first.
    once: std::collections::VecDeque<(Probe, Option<SizeCycle>, IpAddr, u64, u64)>,
    /// Where each sender heard once is in `once`, by the order it came in: a flood of
    /// strangers costs a lookup a probe, not a scan of thousands.
    once_at: std::collections::HashMap<(u32, IpAddr), u64>,
    /// Senders heard once so far, in all: the next one's order.
    once_ticks: u64,
}

/// What one sender's probes showed.
#[non_exhaustive]
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
    /// Probes that arrived more than `WINDOW` numbers late: too old to tell a late probe
    /// from a duplicate, so counted neither as received once nor as duplicates.
    pub stale: u64,
    /// The count the sender planned, 0 when open-ended: from its first probe, never changed.
    pub planned: u32,
    /// Probes under this sender's id and address that do not fit its run: another planned
    /// count, a send time far outside the delays seen, or a number far beyond its pace.
    /// Another sender using its id, or forged: not counted.
    pub disbelieved: u64,
    /// Distinct sequence numbers received.
    unique: u64,
    min_seq: u64,
    max_seq: u64,
    /// Send times (the sender's clock) of the lowest and highest sequence numbers heard:
    /// their difference over the numbers between is the sender's pace.
    min_sent_ns: u64,
    max_sent_ns: u64,
    /// Arrival times (this receiver's clock) of the lowest and highest numbers heard, from
    /// which the pace tells when the missing ones before and after were due here; and of
    /// the latest probe of all, to say when arrivals stopped.
    min_arrival_ns: u64,
    max_arrival_ns: u64,
    last_arrival_ns: u64,
    delay_min_ns: i64,
    delay_max_ns: i64,
    delay_sum_ns: i128,
    delays: u64,
    jitter_ns: f64,
    last_transit_ns: Option<i64>,
    /// The sizes its probes cycle through, from its first probe, and the distinct probes
    /// received of each.
    cycle: Option<SizeCycle>,
    by_size: [u64; MAX_SIZES],
    /// One bit per sequence number in the window; `tags[i]` says which run of 64 numbers
    /// (`seq / 64`) word `i` holds, so a word from an older run reads as empty.
    bits: Box<[u64]>,
    tags: Box<[u64]>,
}

impl ProbeStats {
    /// Counts one probe from `source` that arrived at `arrival_ns` (ns since the Unix epoch).
    pub fn record(&mut self, probe: &Probe, source: IpAddr, arrival_ns: u64) {
        self.record_sized(probe, None, source, arrival_ns);
    }

    /// As `record`, for a probe that carries the sizes its sender cycles through: each size
    /// is then counted apart (the sender's first probe says which cycle it keeps).
    pub fn record_sized(
        &mut self,
        probe: &Probe,
        cycle: Option<SizeCycle>,
        source: IpAddr,
        arrival_ns: u64,
    ) {
        let found = match self.senders.get(self.last) {
            Some(s) if s.sender == probe.sender && s.source == source => Some(self.last),
            _ => self
                .senders
                .iter()
                .position(|s| s.sender == probe.sender && s.source == source),
        };
        let at = match found {
            Some(at) => at,
            None => {
                let key = (probe.sender, source);
                let known = self
                    .once_at
                    .get(&key)
                    .and_then(|tick| self.once.binary_search_by_key(tick, |(.., t)| *t).ok());
                let Some(i) = known else {
                    // Heard once so far: it waits, the oldest forgotten to make room.
                    if self.once.len() == MAX_HEARD_ONCE
                        && let Some((old, _, from, ..)) = self.once.pop_front()
                    {
                        self.once_at.remove(&(old.sender, from));
                        self.untracked += 1;
                    }
                    self.once
                        .push_back((*probe, cycle, source, arrival_ns, self.once_ticks));
                    self.once_at.insert(key, self.once_ticks);
                    self.once_ticks += 1;
                    return;
                };
                if self.senders.len() == MAX_SENDERS {
                    self.untracked += 1;
                    return;
                }
                // A second probe: a run. It is followed from its first probe on.
                let (first, first_cycle, _, first_arrival, _) = self.once.remove(i).expect("found");
                self.once_at.remove(&key);
                let mut s = SenderStats::new(&first, source);
                s.cycle = first_cycle;
                s.record(&first, first_arrival);
                self.senders.push(s);
                self.senders.len() - 1
            }
        };
        self.last = at;
        self.senders[at].record(probe, arrival_ns);
    }

    /// Senders heard once (one probe each), as senders: the most recent `MAX_SENDERS`.
    pub fn heard_once(&self) -> impl Iterator<Item = SenderStats> + '_ {
        let skip = self.once.len().saturating_sub(MAX_SENDERS);
        self.once
            .iter()
            .skip(skip)
            .map(|(p, cycle, source, arrival, _)| {
                let mut s = SenderStats::new(p, *source);
                s.cycle = *cycle;
                s.record(p, *arrival);
                s
            })
    }

    /// How many senders were heard once and are still remembered.
    pub fn heard_once_count(&self) -> usize {
        self.once.len()
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
            stale: 0,
            planned: probe.planned,
            disbelieved: 0,
            cycle: None,
            by_size: [0; MAX_SIZES],
            unique: 0,
            min_seq: probe.seq,
            max_seq: probe.seq,
            min_sent_ns: probe.sent_ns,
            max_sent_ns: probe.sent_ns,
            min_arrival_ns: 0,
            max_arrival_ns: 0,
            last_arrival_ns: 0,
            delay_min_ns: i64::MAX,
            delay_max_ns: i64::MIN,
            delay_sum_ns: 0,
            delays: 0,
            jitter_ns: 0.0,
            last_transit_ns: None,
            bits: vec![0u64; WORDS].into_boxed_slice(),
            // No run of 64 numbers has this tag (it would start past u64::MAX).
            tags: vec![u64::MAX; WORDS].into_boxed_slice(),
        }
    }

    /// Marks `seq` as received; false when it already was.
    fn mark(&mut self, seq: u64) -> bool {
        let run = seq / 64;
        let word = (run % WORDS as u64) as usize;
        let mask = 1u64 << (seq % 64);
        if self.tags[word] != run {
            self.tags[word] = run;
            self.bits[word] = 0;
        }
        let fresh = self.bits[word] & mask == 0;
        self.bits[word] |= mask;
        fresh
    }

    /// Whether `probe` fits this sender's run so far: the plan of its first probe, a one-way
    /// delay near those seen (the clocks' offset is constant, so a forged send time stands
    /// out), and a number no further ahead than its pace allows.
    fn fits(&self, probe: &Probe, arrival_ns: u64) -> bool {
        if probe.planned != self.planned {
            return false;
        }
        if self.delays > 0 {
            let transit = i128::from(arrival_ns) - i128::from(probe.sent_ns);
            let slack = i128::from(DELAY_SLACK_NS);
            if transit < i128::from(self.delay_min_ns) - slack
                || transit > i128::from(self.delay_max_ns) + slack
            {
                return false;
            }
        }
        // How far beyond the numbers heard, and how long beyond their send times.
        let (beyond, elapsed_ns) = if probe.seq > self.max_seq {
            (
                probe.seq - self.max_seq,
                probe.sent_ns.saturating_sub(self.max_sent_ns),
            )
        } else if probe.seq < self.min_seq {
            (
                self.min_seq - probe.seq,
                self.min_sent_ns.saturating_sub(probe.sent_ns),
            )
        } else {
            return true;
        };
        match self.pace_ns() {
            // Its pace is an average from the start, and a sender goes faster in bursts (or
            // after a slow start): 64 times what its own send times allow, and a margin. A
            // forged jump of a million at the moment of the last probe is still refused.
            Some(pace) if pace > 0.0 => {
                (beyond as f64) <= 64.0 * elapsed_ns as f64 / pace + FIRST_JUMP as f64
            }
            // No pace yet (one probe, or a batch sent at one instant): no sender numbers
            // faster than one probe per 100 ns (10 million a second), whatever it showed.
            _ => beyond <= FIRST_JUMP.saturating_add(elapsed_ns / 100),
        }
    }

    /// Heard once: one distinct probe (a stranger, or a run that just began).
    pub fn once(&self) -> bool {
        self.unique <= 1
    }

    fn record(&mut self, probe: &Probe, arrival_ns: u64) {
        if self.unique > 0 && !self.fits(probe, arrival_ns) {
            self.disbelieved += 1;
            return;
        }
        self.received += 1;
        self.last_arrival_ns = self.last_arrival_ns.max(arrival_ns);
        let seq = probe.seq;
        // Below the highest heard (the first probe set it to its own). At the highest, both
        // branches agree: the mark says it is a duplicate.
        if seq < self.max_seq {
            // Judged by runs of 64: a word whose run is a whole window behind may already
            // hold a newer run, which a mark must not wipe.
            if self.max_seq / 64 - seq / 64 >= WORDS as u64 {
                self.stale += 1;
                return;
            }
            if !self.mark(seq) {
                self.duplicates += 1;
                return;
            }
            self.reordered += 1;
        } else if !self.mark(seq) {
            self.duplicates += 1;
            return;
        }
        self.unique += 1;
        if let Some(c) = &self.cycle {
            self.by_size[c.index_of(seq)] += 1;
        }
        if seq >= self.max_seq {
            self.max_seq = seq;
            self.max_sent_ns = probe.sent_ns;
            self.max_arrival_ns = arrival_ns;
        }
        if seq <= self.min_seq {
            self.min_seq = seq;
            self.min_sent_ns = probe.sent_ns;
            self.min_arrival_ns = arrival_ns;
        }
        self.delay(probe.sent_ns, arrival_ns);
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

    /// Per size of its cycle (none for a sender of one size): the size, the distinct probes
    /// of that size received, and how many of that size were numbered between the lowest and
    /// highest heard.
    pub fn by_size(&self) -> Vec<SizeTally> {
        let Some(c) = &self.cycle else {
            return Vec::new();
        };
        let n = c.sizes().len() as u64;
        // Numbers x in [min, max] with x % n == k.
        let upto = |x: u64, k: u64| if x < k { 0 } else { (x - k) / n + 1 };
        c.sizes()
            .iter()
            .enumerate()
            .map(|(k, &size)| {
                let k = k as u64;
                let below = if self.min_seq == 0 {
                    0
                } else {
                    upto(self.min_seq - 1, k)
                };
                SizeTally {
                    size,
                    received: self.by_size[k as usize],
                    expected: upto(self.max_seq, k) - below,
                }
            })
            .collect()
    }

    /// Distinct probes received.
    pub fn unique(&self) -> u64 {
        self.unique
    }

    /// When the latest probe from this sender arrived (ns since the Unix epoch, this
    /// receiver's clock).
    pub fn last_arrival_ns(&self) -> u64 {
        self.last_arrival_ns
    }

    /// True when the sequence numbers span more than any real run: crafted or corrupt
    /// probes, whose figures should not be added to anyone's totals.
    pub fn implausible(&self) -> bool {
        self.max_seq - self.min_seq > PLAUSIBLE_SPAN
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

    /// Long after any probe: everything planned was due.
    const LATER: Listened = Listened {
        since_ns: 0,
        until_ns: u64::MAX,
    };

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
        let t = s.tally(LATER);
        assert_eq!((s.unique(), t.lost, t.pending), (6, 2, 0));
    }

    #[test]
    fn open_ended_runs_count_from_the_first_heard() {
        let s = run(&[10, 11, 13, 14], 0);
        assert_eq!(s.tally(LATER).lost, 1);
    }

    #[test]
    fn constant_delay_has_no_jitter() {
        let s = run(&[0, 1, 2, 3], 0);
        let (min, avg, max) = s.delay_ms().unwrap();
        assert_eq!((min, avg, max), (0.5, 0.5, 0.5));
        assert_eq!(s.jitter_ms(), 0.0);
    }

    #[test]
    fn delay_and_jitter_follow_the_transit_times() {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        // Transit 1, 3, 2 ms: |D| 2 then 1; J = 2/16, then J += (1 - J)/16.
        for (seq, transit_ms) in [(0u64, 1u64), (1, 3), (2, 2)] {
            let sent = seq * 10_000_000;
            stats.record(&probe_at(seq, sent), src, sent + transit_ms * 1_000_000);
        }
        let s = &stats.senders()[0];
        assert_eq!(s.delay_ms(), Some((1.0, 2.0, 3.0)));
        let j1 = 2.0 / 16.0;
        let expected = j1 + (1.0 - j1) / 16.0;
        assert!(
            (s.jitter_ms() - expected).abs() < 1e-12,
            "{}",
            s.jitter_ms()
        );
    }

    fn probe_at(seq: u64, sent_ns: u64) -> Probe {
        Probe {
            sender: 1,
            seq,
            sent_ns,
            planned: 0,
        }
    }

    #[test]
    fn absurd_sequence_numbers_stay_bounded_and_are_flagged() {
        // A jump no pace allows is not believed.
        let s = run(&[0, u64::MAX, 5, u64::MAX], 0);
        assert_eq!((s.disbelieved, s.unique(), s.duplicates), (2, 2, 0));
        assert!(!s.implausible());
        // One that the send times allow (a sender whose pace made it so) is flagged.
        let s = run(&[0, 1, 1 << 42, 5, 1 << 42], 0);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.stale, 1, "5 is too old to judge");
        assert!(s.implausible());
        assert!(!run(&[0, 1, 1 << 30], 0).implausible());
    }

    #[test]
    fn stale_copies_of_an_old_number_are_duplicates_and_do_not_hide_loss() {
        // 0..99,999 with every 10th missing, and a stale copy of 0 after every 10th.
        let mut seqs = Vec::new();
        for seq in 0..100_000u64 {
            if seq % 10 != 9 {
                seqs.push(seq);
            }
            if seq % 10 == 5 {
                seqs.push(0);
            }
        }
        seqs.push(100_000); // so the last gap, 99,999, is before the highest heard
        let s = run(&seqs, 0);
        assert_eq!(s.duplicates, 10_000);
        assert_eq!(s.tally(LATER).lost, 10_000);
        assert_eq!((s.reordered, s.stale), (0, 0));
    }

    #[test]
    fn a_number_a_window_late_does_not_wipe_newer_marks() {
        // 63 sits in the run one whole window before the run of WINDOW: their words collide.
        // (Each run begins with two neighbours: a pace, so that the jumps are believed.)
        let s = run(&[62, 63, WINDOW, WINDOW, 63 + 64], 0);
        assert_eq!(s.duplicates, 1, "WINDOW's mark survived");
        assert_eq!(s.stale, 0);
        let s = run(&[WINDOW + 63, WINDOW + 64, 63, WINDOW + 64], 0);
        assert_eq!((s.stale, s.duplicates), (1, 1));
    }

    #[test]
    fn every_probe_costs_the_same_whatever_the_jumps() {
        // Jumps of just under a window each: a bit-by-bit clearing took ~80x the time here.
        let mut seqs = vec![1];
        seqs.extend((0..200_000u64).map(|i| i * (WINDOW - 1)));
        let s = run(&seqs, 0);
        assert_eq!((s.unique(), s.duplicates, s.stale), (200_001, 0, 0));
    }

    #[test]
    fn senders_are_told_apart_by_id_and_by_address() {
        let mut stats = ProbeStats::default();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        // Two ids from one address, then one id from two addresses, interleaved.
        for seq in 0..3 {
            for (id, src) in [(1, a), (2, a), (1, b)] {
                let p = Probe {
                    sender: id,
                    ..probe(seq, 0)
                };
                stats.record(&p, src, 0);
            }
        }
        let got: Vec<(u32, IpAddr, u64, u64)> = stats
            .senders()
            .iter()
            .map(|s| (s.sender, s.source, s.received, s.duplicates))
            .collect();
        assert_eq!(got, [(1, a, 3, 0), (2, a, 3, 0), (1, b, 3, 0)]);
    }

    #[test]
    fn probes_that_do_not_fit_their_senders_run_are_not_believed() {
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        let ms = 1_000_000u64;
        let at = |seq: u64, sent: u64, planned: u32| Probe {
            sender: 1,
            seq,
            sent_ns: sent,
            planned,
        };
        let mut stats = ProbeStats::default();
        // A real run of 100, one every 100 ms, 1 ms on the way.
        for seq in 0..30 {
            let sent = 1_000_000 * ms + seq * 100 * ms;
            stats.record(&at(seq, sent, 100), src, sent + ms);
        }
        let now = 1_000_000 * ms + 30 * 100 * ms;
        // Forged: a number a million ahead, the same plan and a plausible send time.
        stats.record(&at(1_000_030, now, 100), src, now + ms);
        // Forged: another plan.
        stats.record(&at(30, now, u32::MAX), src, now + ms);
        // Forged: a send time an hour off (a delay of -1 h).
        stats.record(&at(31, now + 3_600_000 * ms, 100), src, now + ms);
        // The run goes on: believed.
        for seq in 30..40 {
            let sent = 1_000_000 * ms + seq * 100 * ms;
            stats.record(&at(seq, sent, 100), src, sent + ms);
        }
        let s = &stats.senders()[0];
        assert_eq!((s.disbelieved, s.unique(), s.stale), (3, 40, 0));
        assert_eq!(s.planned, 100, "the plan of the first probe");
        let (min, _, max) = s.delay_ms().unwrap();
        assert!(min >= 0.0 && max < 2.0, "{min} {max}");
        let t = s.tally(Listened {
            since_ns: 0,
            until_ns: 1_000_000 * ms + 40 * 100 * ms,
        });
        assert_eq!(t.lost, 0, "{t:?}");
    }

    #[test]
    fn a_flat_out_sender_whose_first_batch_shares_one_send_time_is_believed_past_a_gap() {
        // Found by the lab's flood test: the first probes heard came in one batch (one send
        // time, so no pace), then the kernel dropped 100,000.
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        let at = |seq: u64, sent: u64| Probe {
            sender: 1,
            seq,
            sent_ns: sent,
            planned: 200_000,
        };
        for seq in 0..8 {
            stats.record(&at(seq, 1_000_000), src, 1_050_000);
        }
        // 443 ns a probe, as a flat-out sender goes.
        for seq in 100_008..100_100 {
            let sent = 1_000_000 + seq * 443;
            stats.record(&at(seq, sent), src, sent + 50_000);
        }
        let s = &stats.senders()[0];
        assert_eq!((s.disbelieved, s.unique()), (0, 8 + 92));
        // And a forged jump at the same moment is still not believed.
        let now = 1_000_000 + 100_099 * 443;
        stats.record(&at(5_000_000, now), src, now + 50_000);
        assert_eq!(stats.senders()[0].disbelieved, 1);
    }

    #[test]
    fn a_sender_with_traffic_keeps_its_place_over_one_probe_strangers() {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        for seq in 0..10 {
            stats.record(&probe(seq, 0), src, seq * 1_000_000 + 500_000);
        }
        for id in 0..100_000u32 {
            let p = Probe {
                sender: 1000 + id,
                seq: 1_000_000,
                sent_ns: 1,
                planned: u32::MAX,
            };
            stats.record(&p, "192.0.2.9".parse().unwrap(), 10_000_000);
        }
        stats.record(&probe(10, 0), src, 10_500_000);
        let real = stats.senders().iter().find(|s| s.sender == 1).unwrap();
        assert_eq!(real.unique(), 11, "still followed");
        assert_eq!(stats.senders().len(), 1, "strangers wait apart");
        assert_eq!(stats.heard_once_count(), MAX_HEARD_ONCE);
        assert_eq!(stats.untracked, 100_000 - MAX_HEARD_ONCE as u64);
        assert_eq!(stats.heard_once().count(), MAX_SENDERS);
        // A second probe from the latest stranger makes it a run, from its first probe on;
        // one from the first (forgotten to make room) waits again as heard once.
        let stranger = |id: u32, seq: u64| Probe {
            sender: 1000 + id,
            seq,
            sent_ns: 1,
            planned: u32::MAX,
        };
        let from: IpAddr = "192.0.2.9".parse().unwrap();
        stats.record(&stranger(99_999, 1_000_001), from, 10_600_000);
        stats.record(&stranger(0, 1_000_001), from, 10_700_000);
        assert_eq!(stats.senders().len(), 2);
        let run = &stats.senders()[1];
        assert_eq!((run.sender, run.unique()), (1000 + 99_999, 2));
        assert_eq!(stats.heard_once_count(), MAX_HEARD_ONCE);
        assert!(stats.heard_once().any(|s| s.sender == 1000));
    }

    #[test]
    fn a_size_cycle_is_counted_size_by_size() {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        let cycle = SizeCycle::new(&[200, 1472]).unwrap();
        // Every 1472-byte probe (the odd numbers) lost; from 3 on (a late join).
        for seq in (3..40u64).filter(|s| s % 2 == 0) {
            let p = probe(seq, 0);
            stats.record_sized(&p, Some(cycle), src, seq * 1_000_000 + 500_000);
        }
        let s = &stats.senders()[0];
        let by = s.by_size();
        assert_eq!(
            by,
            [
                SizeTally {
                    size: 200,
                    received: 18,
                    expected: 18
                },
                SizeTally {
                    size: 1472,
                    received: 0,
                    expected: 17
                }
            ]
        );
        assert!(ProbeStats::default().senders().is_empty());
    }

    #[test]
    fn implausible_means_a_span_beyond_2_to_the_40() {
        // (4 then 5 first: a pace, so that the jump is believed.)
        assert!(!run(&[4, 5, 4 + PLAUSIBLE_SPAN], 0).implausible());
        assert!(run(&[4, 5, 5 + PLAUSIBLE_SPAN], 0).implausible());
    }

    #[test]
    fn senders_beyond_the_cap_are_counted_not_followed() {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        for id in 0..(MAX_SENDERS as u32 + 10) {
            for seq in 0..2 {
                let p = Probe {
                    sender: id,
                    ..probe(seq, 0)
                };
                stats.record(&p, src, seq * 1_000_000 + 500_000);
            }
        }
        assert_eq!(stats.senders().len(), MAX_SENDERS);
        assert_eq!(stats.untracked, 10);
        assert_eq!(stats.heard_once_count(), 10, "their first probes wait");
    }
}
