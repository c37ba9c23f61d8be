//! A/B legs: two groups carrying one feed (SMPTE ST 2022-7 video, a market-data A and B
//! line). Each leg keeps its own loss as a group; the pair merges their sequence numbers as a
//! receiver taking each number from whichever leg has it would, and counts what neither leg
//! had, what only one had, and how far apart the legs deliver the same number (the skew).

use std::collections::VecDeque;

/// Numbers held open for the other leg: one is judged once it is this far behind the
/// highest (or at the end).
pub const WINDOW: u64 = 1024;
/// Skews kept for the median: the latest ones.
const SKEWS: usize = 1024;

/// One number's arrivals on the two legs, ns since the epoch (0: not yet).
#[derive(Debug, Clone, Copy)]
struct Slot {
    number: u64,
    at: [u64; 2],
}

const EMPTY: Slot = Slot {
    number: u64::MAX,
    at: [0, 0],
};

/// The merge of two legs' sequence numbers.
#[derive(Debug)]
pub struct Merge {
    slots: Box<[Slot]>,
    /// The lowest number not judged yet, and the highest seen, extended.
    open: Option<(u64, u64)>,
    /// Numbers neither leg had: the merged loss.
    pub lost: u64,
    /// Numbers only leg A (0) or B (1) had: the other lost them, the merge did not.
    pub only: [u64; 2],
    /// Numbers both had.
    pub both: u64,
    /// Jumps too far to judge (a sender restarted): the merge started again.
    pub restarts: u64,
    skews: VecDeque<i64>,
    /// The largest skew seen, in ns (either way).
    pub skew_max_ns: u64,
    /// Whether any number came on either leg.
    seen: bool,
}

impl Default for Merge {
    fn default() -> Merge {
        Merge {
            slots: vec![EMPTY; WINDOW as usize].into_boxed_slice(),
            open: None,
            lost: 0,
            only: [0, 0],
            both: 0,
            restarts: 0,
            skews: VecDeque::new(),
            skew_max_ns: 0,
            seen: false,
        }
    }
}

/// `raw` as the extended number nearest `highest`, for numbers that wrap at `wrap`.
fn extend(raw: u64, wrap: Option<u64>, highest: Option<u64>) -> u64 {
    let (Some(w), Some(h)) = (wrap, highest) else {
        return raw;
    };
    let base = h - h % w + raw % w;
    // The candidates one cycle either side: the nearest wins.
    [base.checked_sub(w), Some(base), base.checked_add(w)]
        .into_iter()
        .flatten()
        .min_by_key(|c| c.abs_diff(h))
        .unwrap_or(base)
}

impl Merge {
    /// Leg `leg` (0 for A, 1 for B) delivered `count` numbers from `first` at `ns`; numbers
    /// wrap at `wrap` (65536 for RTP).
    pub fn saw(&mut self, leg: usize, first: u64, count: u64, wrap: Option<u64>, ns: u64) {
        let first = extend(first, wrap, self.open.map(|(_, h)| h));
        for n in (0..count.min(WINDOW)).map(|k| first.saturating_add(k)) {
            self.one(leg, n, ns);
        }
    }

    fn one(&mut self, leg: usize, n: u64, ns: u64) {
        self.seen = true;
        let (low, high) = match self.open {
            None => (n, n),
            Some((low, high))
                if n > high.saturating_add(WINDOW) || n.saturating_add(WINDOW) < low =>
            {
                // Too far to be the same run of numbers: judge what is open, start again.
                self.finish();
                self.restarts += 1;
                (n, n)
            }
            Some((low, _)) if n < low => return, // judged already: a late copy
            Some(open) => open,
        };
        let high = high.max(n);
        let mut low = low;
        while high - low >= WINDOW {
            self.judge(low);
            low += 1;
        }
        self.open = Some((low, high));
        let slot = &mut self.slots[(n % WINDOW) as usize];
        if slot.number != n {
            *slot = Slot {
                number: n,
                at: [0, 0],
            };
        }
        if slot.at[leg] != 0 {
            return;
        }
        slot.at[leg] = ns.max(1);
        if slot.at[1 - leg] != 0 {
            let skew = slot.at[1] as i64 - slot.at[0] as i64;
            self.skew_max_ns = self.skew_max_ns.max(skew.unsigned_abs());
            if self.skews.len() == SKEWS {
                self.skews.pop_front();
            }
            self.skews.push_back(skew);
        }
    }

    /// Judges number `n`, leaving the window.
    fn judge(&mut self, n: u64) {
        let slot = &mut self.slots[(n % WINDOW) as usize];
        // A slot holding `n` has an arrival on one leg at least.
        match (slot.number == n, slot.at[0] != 0, slot.at[1] != 0) {
            (true, true, true) => self.both += 1,
            (true, true, false) => self.only[0] += 1,
            (true, false, true) => self.only[1] += 1,
            _ => self.lost += 1,
        }
        *slot = EMPTY;
    }

    /// Judges every number still open (at the end of a run).
    pub fn finish(&mut self) {
        if let Some((low, high)) = self.open.take() {
            for n in low..=high {
                self.judge(n);
            }
        }
    }

    /// Whether any number was seen.
    pub fn started(&self) -> bool {
        self.seen
    }

    /// The median of the latest skews (B's arrival less A's), in ns; None before a number
    /// came on both legs.
    pub fn skew_p50_ns(&self) -> Option<i64> {
        if self.skews.is_empty() {
            return None;
        }
        let mut s: Vec<i64> = self.skews.iter().copied().collect();
        s.sort_unstable();
        Some(s[s.len() / 2])
    }
}

/// Two groups that carry one feed.
#[derive(Debug)]
pub struct Pair {
    /// What both legs are called.
    pub name: String,
    /// The groups of leg A and leg B.
    pub legs: [usize; 2],
    /// Their merged numbers.
    pub merge: Merge,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn run(a_drops: &[u64], b_drops: &[u64], n: u64) -> Merge {
        let mut m = Merge::default();
        for k in 0..n {
            let at = 1_000 * MS + k * 10 * MS;
            if !a_drops.contains(&k) {
                m.saw(0, k % 65536, 1, Some(65536), at);
            }
            if !b_drops.contains(&k) {
                m.saw(1, k % 65536, 1, Some(65536), at + 2 * MS);
            }
        }
        m.finish();
        m
    }

    #[test]
    fn each_leg_losing_other_numbers_loses_nothing_merged() {
        let m = run(&[3, 13, 23], &[7, 17], 100);
        assert_eq!((m.lost, m.only, m.both), (0, [2, 3], 95));
        assert_eq!(m.skew_p50_ns(), Some(2 * MS as i64));
        assert_eq!(m.skew_max_ns, 2 * MS);
    }

    #[test]
    fn a_number_both_legs_lost_is_merged_loss() {
        let m = run(&[3, 50], &[50, 51], 100);
        assert_eq!((m.lost, m.only, m.both), (1, [1, 1], 97));
    }

    #[test]
    fn numbers_wrap_and_are_judged_once_past_the_window() {
        let mut m = Merge::default();
        for k in 65_000u64..67_000 {
            if k != 65_600 {
                m.saw(0, k % 65536, 1, Some(65536), k);
            }
        }
        // 65,600 is more than the window behind: judged lost; so are the others that far
        // behind (A's only: B never came), and the last window's are not judged yet.
        assert_eq!(m.lost, 1);
        assert_eq!(m.only[0], 67_000 - 65_000 - WINDOW - 1);
        m.finish();
        assert_eq!((m.lost, m.only[0], m.restarts), (1, 1999, 0));
    }

    #[test]
    fn a_jump_past_the_window_starts_again_without_counting_the_gap() {
        let mut m = Merge::default();
        m.saw(0, 10, 1, None, 1);
        m.saw(1, 10, 1, None, 2);
        m.saw(0, 1_000_000, 1, None, 3);
        m.saw(1, 1_000_000, 1, None, 4);
        m.finish();
        assert_eq!((m.lost, m.both, m.restarts), (0, 2, 1));
        // Several numbers a datagram (MoldUDP64), and a late copy of a judged one.
        let mut m = Merge::default();
        m.saw(0, 100, 5, None, 1);
        m.saw(1, 102, 5, None, 2);
        m.finish();
        assert_eq!((m.lost, m.only, m.both), (0, [2, 2], 3));
        assert!(m.started() && !Merge::default().started());
        assert_eq!(Merge::default().skew_p50_ns(), None);
    }

    #[test]
    fn a_late_copy_of_a_judged_number_disturbs_nothing_open() {
        // Leg A alone up to 1,499: everything below 476 is judged. A copy of 10 on leg B
        // is late; its slot holds 1,034, still open, which must stay A's.
        let mut m = Merge::default();
        for k in 0..1_500 {
            m.saw(0, k, 1, None, 1 + k);
        }
        let low = 1_500 - WINDOW;
        m.saw(1, 10, 1, None, 5_000);
        // The lowest number still open, on leg B, is in time: both legs had it.
        m.saw(1, low, 1, None, 5_001);
        m.finish();
        assert_eq!((m.lost, m.only, m.both, m.restarts), (0, [1_499, 0], 1, 0));
    }

    #[test]
    fn a_number_exactly_a_window_away_slides_and_does_not_restart() {
        // Above: 0 leaves the window, the numbers between were lost.
        let mut m = Merge::default();
        m.saw(0, 0, 1, None, 1);
        m.saw(0, WINDOW, 1, None, 2);
        m.finish();
        assert_eq!((m.lost, m.only[0], m.restarts), (WINDOW - 1, 2, 0));
        // Below: a window under the lowest open number is a late copy, not a restart.
        let mut m = Merge::default();
        for k in 0..3_000 {
            m.saw(0, k, 1, None, 1 + k);
        }
        m.saw(1, 3_000 - WINDOW - WINDOW, 1, None, 9_000);
        m.finish();
        assert_eq!((m.lost, m.only, m.both, m.restarts), (0, [3_000, 0], 0, 0));
        // One further either way is a restart.
        let mut m = Merge::default();
        m.saw(0, 0, 1, None, 1);
        m.saw(0, WINDOW + 1, 1, None, 2);
        assert_eq!(m.restarts, 1);
    }

    #[test]
    fn the_skew_is_the_median_of_the_latest_and_a_leg_alone_is_started() {
        let mut m = Merge::default();
        for (k, skew) in [5u64, 1, 3, 2, 4].into_iter().enumerate() {
            let at = 1_000 * MS + k as u64 * 10 * MS;
            m.saw(0, k as u64, 1, None, at);
            m.saw(1, k as u64, 1, None, at + skew * MS);
        }
        assert_eq!(m.skew_p50_ns(), Some(3 * MS as i64));
        assert_eq!(m.skew_max_ns, 5 * MS);
        // B ahead of A is a negative skew.
        let mut m = Merge::default();
        m.saw(1, 7, 1, None, 1_000);
        m.saw(0, 7, 1, None, 1_500);
        assert_eq!((m.skew_p50_ns(), m.skew_max_ns), (Some(-500), 500));
        // A feed on leg B only has started; judged, it is B's alone.
        let mut m = Merge::default();
        m.saw(1, 7, 1, None, 1_000);
        m.finish();
        assert!(m.started());
        assert_eq!((m.lost, m.only, m.both), (0, [0, 1], 0));
    }

    #[test]
    fn extension_takes_the_nearest_cycle() {
        assert_eq!(extend(5, Some(65536), Some(65530)), 65541);
        assert_eq!(extend(65530, Some(65536), Some(65541)), 65530);
        assert_eq!(extend(7, Some(65536), None), 7);
        assert_eq!(extend(7, None, Some(1 << 40)), 7);
        assert_eq!(extend(65535, Some(65536), Some(2)), 65535);
        // Several cycles in: the cycle is found from the highest, not guessed.
        assert_eq!(extend(5, Some(65536), Some(200_000)), 3 * 65536 + 5);
        assert_eq!(
            extend(65_000, Some(65536), Some(200_000)),
            2 * 65536 + 65_000
        );
    }
}
