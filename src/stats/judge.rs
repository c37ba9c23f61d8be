//! Which of a sender's probes count as lost: judged against when this receiver listened.
//!
//! Gaps between the lowest and highest numbers heard are lost. For a planned run (numbered
//! from 0 up to its count) the numbers before the lowest heard and after the highest are
//! judged one by one: the sender's own pace (its send times over its numbers) says when each
//! was due to arrive here, counted on this receiver's clock from the arrivals of the lowest
//! and highest heard, so the two hosts' clocks need not agree. A probe due before the
//! receiver joined could not be heard (`before_join`); one due after the receiver stopped
//! (less a grace for the network's delay) was not late yet (`pending`); the rest are lost.

use super::SenderStats;

/// Probes due this soon after joining are counted with those sent before it: a join takes
/// a moment to reach the kernel and the switch.
pub const JOIN_GRACE_NS: u64 = 20_000_000;
/// A probe is overdue once this long (plus the delay variation seen) has passed since it
/// was due: the sender's pacer and the network are not exact.
pub const TAIL_GRACE_NS: u64 = 250_000_000;

/// When this receiver listened, on its own clock (ns since the Unix epoch): what it could
/// have heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listened {
    /// When it joined (or started receiving).
    pub since_ns: u64,
    /// When it stopped, or now for figures so far.
    pub until_ns: u64,
}

/// One sender's probes, judged. Every planned number is in exactly one of received (once),
/// lost, pending, before_join or unjudged.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Never received though due while listening: gaps, and planned numbers overdue.
    pub lost: u64,
    /// Of those, the planned numbers after the highest heard: where arrivals stopped.
    pub lost_after_last: u64,
    /// Planned numbers not yet due when listening ended: not heard, not lost.
    pub pending: u64,
    /// Planned numbers due before this receiver joined: it could not hear them.
    pub before_join: u64,
    /// Planned numbers that could not be timed: one probe heard gives no pace.
    pub unjudged: u64,
}

impl SenderStats {
    /// The sender's pace in ns per sequence number, from its own send times; None until
    /// two numbers are heard (or when its clock ran backwards).
    pub fn pace_ns(&self) -> Option<f64> {
        let span = self.max_seq - self.min_seq;
        (span > 0 && self.max_sent_ns >= self.min_sent_ns)
            .then(|| (self.max_sent_ns - self.min_sent_ns) as f64 / span as f64)
    }

    /// Judges every number this sender used or planned against `listened`.
    pub fn tally(&self, listened: Listened) -> Tally {
        let heard_span = (self.max_seq - self.min_seq).saturating_add(1);
        let mut t = Tally {
            lost: heard_span.saturating_sub(self.unique),
            ..Tally::default()
        };
        if self.planned == 0 {
            // Open-ended: nothing says how many there were to be before or after.
            return t;
        }
        let head = self.min_seq.min(u64::from(self.planned));
        let tail = u64::from(self.planned).saturating_sub(self.max_seq.saturating_add(1));
        let Some(pace) = self.pace_ns() else {
            t.unjudged = head + tail;
            return t;
        };
        // Before the lowest heard: number min_seq - k was due at min_arrival - k * pace.
        let hearing_from = listened.since_ns.saturating_add(JOIN_GRACE_NS);
        let heard_after_join = match self.min_arrival_ns.checked_sub(hearing_from) {
            Some(room) => steps_within(room, pace, head),
            None => 0,
        };
        t.before_join = head - heard_after_join;
        t.lost += heard_after_join;
        // After the highest heard: number max_seq + k was due at max_arrival + k * pace.
        let grace = TAIL_GRACE_NS.saturating_add(self.delay_variation_ns());
        let overdue = match listened
            .until_ns
            .checked_sub(self.max_arrival_ns.saturating_add(grace))
        {
            Some(room) => steps_within(room, pace, tail),
            None => 0,
        };
        t.lost_after_last = overdue;
        t.lost = t.lost.saturating_add(overdue);
        t.pending = tail - overdue;
        t
    }

    /// How far apart the longest and shortest one-way delays were: the two clocks' offset
    /// cancels out of it.
    fn delay_variation_ns(&self) -> u64 {
        if self.delays == 0 {
            return 0;
        }
        (i128::from(self.delay_max_ns) - i128::from(self.delay_min_ns))
            .clamp(0, i128::from(u64::MAX)) as u64
    }
}

/// How many of steps 1..=n, `pace` ns each, fit within `room` ns.
fn steps_within(room: u64, pace: f64, n: u64) -> u64 {
    if pace <= 0.0 {
        return n;
    }
    let fit = (room as f64 / pace).floor();
    if fit >= n as f64 { n } else { fit as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Probe;
    use crate::stats::ProbeStats;
    use std::net::IpAddr;

    const MS: u64 = 1_000_000;
    /// The sender's clock runs 5 s ahead of the receiver's: only differences may matter.
    const SKEW: u64 = 5_000 * MS;

    /// A run of `planned` probes, one every 100 ms from t = 1 s (receiver's clock), each
    /// arriving 1 ms after it was sent; only `heard` arrive.
    fn run(heard: impl IntoIterator<Item = u64>, planned: u32) -> SenderStats {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        for seq in heard {
            let sent = 1_000 * MS + seq * 100 * MS;
            let p = Probe {
                sender: 1,
                seq,
                sent_ns: sent + SKEW,
                planned,
            };
            stats.record(&p, src, sent + MS);
        }
        match stats.senders().first() {
            Some(s) => s.clone(),
            None => stats.heard_once().next().expect("one sender"),
        }
    }

    fn listened(since_ms: u64, until_ms: u64) -> Listened {
        Listened {
            since_ns: since_ms * MS,
            until_ns: until_ms * MS,
        }
    }

    #[test]
    fn a_stream_that_stops_part_way_is_lost_from_where_it_stopped_to_now() {
        // 100 planned, 30 heard (0..29, the last arriving at 3.901 s): number n was due at
        // 1.001 + n/10 s, and is overdue 250 ms later.
        let s = run(0..30, 100);
        let t = s.tally(listened(0, 12_000));
        assert_eq!(t.lost, 70, "all of 30..99 were overdue by 11.151 s: {t:?}");
        assert_eq!(t.pending, 0);
        // Stopped at 11 s: 98 (due 10.801 s) is overdue, 99 (due 10.901 s) not yet.
        let t = s.tally(listened(0, 11_000));
        assert_eq!((t.lost, t.pending), (68, 2), "{t:?}");
        // Stopped at 6 s: 30..47 were due by 5.701 s, 48 is due at 5.801 s (+250 ms: 6.051 s).
        let t = s.tally(listened(0, 6_000));
        assert_eq!(
            (t.lost, t.lost_after_last, t.pending),
            (18, 18, 52),
            "{t:?}"
        );
        assert_eq!(t.lost + t.pending + s.unique(), 100);
    }

    #[test]
    fn a_receiver_that_stopped_early_has_the_rest_pending() {
        let s = run(0..5, 100);
        let t = s.tally(listened(0, 1_402));
        assert_eq!((t.lost, t.pending), (0, 95), "{t:?}");
    }

    #[test]
    fn probes_due_before_the_join_are_not_lost() {
        // Joined at 5.9 s, after 49 was due (5.901 s is within the join's 20 ms): 50 (due
        // 6.001 s) is the first it could hear, and it did.
        let s = run(50..100, 100);
        let t = s.tally(listened(5_900, 20_000));
        assert_eq!((t.before_join, t.lost, t.pending), (50, 0, 0), "{t:?}");
        // Joined at 4.99 s but the first heard is 50: 41..49 (due from 5.101 s) were due
        // after the join and its grace, so lost; 40 (due 5.001 s) was not.
        let t = s.tally(listened(4_990, 20_000));
        assert_eq!((t.before_join, t.lost), (41, 9), "{t:?}");
        // Joined just before 50 was due: within the join's grace, none is lost.
        let t = s.tally(listened(5_995, 20_000));
        assert_eq!((t.before_join, t.lost), (50, 0), "{t:?}");
    }

    #[test]
    fn gaps_between_heard_numbers_are_lost_whenever_they_were_due() {
        let s = run([0, 1, 2, 4, 5, 9], 10);
        let t = s.tally(listened(0, 100_000));
        assert_eq!((t.lost, t.lost_after_last, t.pending), (4, 0, 0), "{t:?}");
    }

    #[test]
    fn one_probe_gives_no_pace_so_the_rest_is_not_judged() {
        let s = run([4], 10);
        let t = s.tally(listened(0, 100_000));
        assert_eq!((t.lost, t.unjudged, t.pending, t.before_join), (0, 9, 0, 0));
        assert_eq!(s.pace_ns(), None);
    }

    #[test]
    fn open_ended_runs_count_gaps_only() {
        let s = run([10, 11, 13, 14], 0);
        let t = s.tally(listened(0, 100_000));
        assert_eq!((t.lost, t.pending, t.before_join), (1, 0, 0));
    }

    #[test]
    fn the_delay_variation_widens_the_grace() {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        // 0 arrives 1 ms after sending, 1 arrives 301 ms after: 300 ms of variation.
        for (seq, delay) in [(0u64, MS), (1, 301 * MS)] {
            let sent = seq * 100 * MS;
            let p = Probe {
                sender: 1,
                seq,
                sent_ns: sent,
                planned: 3,
            };
            stats.record(&p, src, sent + delay);
        }
        let s = &stats.senders()[0];
        // 2 was due at 501 ms; overdue after 501 + 250 + 300 = 1051 ms.
        assert_eq!(s.tally(listened(0, 1_050)).pending, 1);
        assert_eq!(s.tally(listened(0, 1_051)).lost, 1);
    }

    #[test]
    fn a_burst_with_no_pace_between_sends_is_all_due_at_once() {
        let mut stats = ProbeStats::default();
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        for seq in 3..6 {
            let p = Probe {
                sender: 1,
                seq,
                sent_ns: 7,
                planned: 10,
            };
            stats.record(&p, src, 1_000 * MS);
        }
        let s = &stats.senders()[0];
        let t = s.tally(listened(0, 2_000));
        assert_eq!((t.lost, t.before_join, t.pending), (3 + 4, 0, 0), "{t:?}");
        let t = s.tally(listened(999, 1_100));
        assert_eq!((t.before_join, t.pending), (3, 4), "{t:?}");
    }

    #[test]
    fn steps_within_counts_whole_steps_and_stops_at_n() {
        assert_eq!(steps_within(250, 100.0, 10), 2);
        assert_eq!(steps_within(300, 100.0, 10), 3);
        assert_eq!(steps_within(u64::MAX, 1e-9, 10), 10);
        assert_eq!(steps_within(0, 0.0, 4), 4);
    }
}
