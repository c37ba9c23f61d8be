//! Departure pacing on absolute deadlines, and a fixed-size histogram of departure gaps.
//!
//! Datagram `i` is due at `start + i / rate`: a late wake-up is made up at once rather than
//! pushing every later departure back, so the rate over a run is exact.

use std::time::{Duration, Instant};

/// Below this much time to wait, spin rather than sleep: sleeps overshoot by tens of µs.
const SPIN: Duration = Duration::from_micros(200);
/// The longest single sleep, so a stop request is seen promptly.
const MAX_SLEEP: Duration = Duration::from_millis(50);

/// Decides when datagrams are due.
#[derive(Debug, Clone, Copy)]
pub struct Pacer {
    start: Instant,
    interval_ns: Option<f64>,
}

impl Pacer {
    /// Paces `rate` datagrams a second from now; None sends flat out.
    pub fn new(rate: Option<f64>) -> Self {
        Pacer {
            start: Instant::now(),
            interval_ns: rate.filter(|r| *r > 0.0).map(|r| 1e9 / r),
        }
    }

    /// When datagram number `n` (from 0) is due.
    pub fn due(&self, n: u64) -> Instant {
        match self.interval_ns {
            Some(i) => self.start + Duration::from_nanos((i * n as f64) as u64),
            None => self.start,
        }
    }

    /// Waits until datagram `sent` is due and returns how many are due by then, at most
    /// `most`. Returns 0 without waiting longer when `stop` says so or `deadline` passes first.
    pub fn wait(
        &self,
        sent: u64,
        most: u64,
        deadline: Option<Instant>,
        stop: impl Fn() -> bool,
    ) -> u64 {
        let Some(interval) = self.interval_ns else {
            let over = stop() || deadline.is_some_and(|d| Instant::now() >= d);
            return if over { 0 } else { most };
        };
        let due = self.due(sent);
        if deadline.is_some_and(|d| due >= d) {
            return 0;
        }
        loop {
            if stop() {
                return 0;
            }
            let now = Instant::now();
            if now >= due {
                let due_total = due_by(now.duration_since(self.start), interval);
                let limit = deadline.map_or(u64::MAX, |d| {
                    (d.duration_since(self.start).as_nanos() as f64 / interval).ceil() as u64
                });
                return due_total
                    .min(limit)
                    .saturating_sub(sent)
                    .clamp(1, most.max(1));
            }
            nap(due - now);
        }
    }
}

/// How many datagrams are due `elapsed` after the start at one every `interval_ns`: the
/// first at once, then one more at each interval.
fn due_by(elapsed: Duration, interval_ns: f64) -> u64 {
    (elapsed.as_nanos() as f64 / interval_ns).floor() as u64 + 1
}

/// Waits a little of `left`: sleeps while it is long, spins through its last 200 µs, as
/// sleeps overshoot by tens of µs.
fn nap(left: Duration) {
    if left > SPIN {
        std::thread::sleep((left - SPIN).min(MAX_SLEEP));
    } else {
        std::hint::spin_loop();
    }
}

/// Sub-buckets per power of two, as bits: 32 keep values to about 3 %, reported at the
/// bucket's middle, so within 1.6 %.
const SUB_BITS: usize = 5;
const SUB: usize = 1 << SUB_BITS;
const BUCKETS: usize = 64 * SUB;

/// A histogram of nanosecond gaps in fixed memory (16 KiB), for percentiles.
#[derive(Debug, Clone)]
pub struct GapHistogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    last: Option<Instant>,
}

impl Default for GapHistogram {
    fn default() -> Self {
        GapHistogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            last: None,
        }
    }
}

fn bucket(ns: u64) -> usize {
    if ns < SUB as u64 {
        return ns as usize;
    }
    let exp = 63 - ns.leading_zeros() as usize; // at least SUB_BITS
    let mantissa = ((ns >> (exp - SUB_BITS)) & (SUB as u64 - 1)) as usize;
    (exp - SUB_BITS + 1) * SUB + mantissa
}

fn bucket_floor(b: usize) -> u64 {
    if b < SUB {
        return b as u64;
    }
    let exp = b / SUB + SUB_BITS - 1;
    let mantissa = (b % SUB) as u64;
    (SUB as u64 + mantissa) << (exp - SUB_BITS)
}

/// The middle of a bucket, the value a percentile reports.
fn bucket_middle(b: usize) -> u64 {
    if b < SUB {
        return b as u64;
    }
    let width = 1u64 << (b / SUB + SUB_BITS - 1 - SUB_BITS);
    bucket_floor(b) + width / 2
}

impl GapHistogram {
    /// Records that `n` datagrams left at `at`: the first after the gap since the last
    /// departure, the rest of the batch with no gap.
    pub fn record(&mut self, at: Instant, n: u64) {
        if n == 0 {
            return;
        }
        let mut zeros = n;
        if let Some(last) = self.last {
            self.add(at.saturating_duration_since(last).as_nanos() as u64, 1);
            zeros -= 1;
        } else {
            zeros -= 1; // the very first departure has no gap before it
        }
        self.add(0, zeros);
        self.last = Some(at);
    }

    fn add(&mut self, ns: u64, times: u64) {
        if times > 0 {
            self.counts[bucket(ns)] += times;
            self.total += times;
        }
    }

    /// The gap below which `p` (0 to 1) of the gaps fall; None before two departures.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        let want = ((p.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return Some(Duration::from_nanos(bucket_middle(b)));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_values_to_a_few_percent() {
        for v in [
            0u64,
            1,
            15,
            16,
            17,
            100,
            1_000,
            5_000,
            1_000_000,
            123_456_789,
            u64::MAX / 3,
        ] {
            let floor = bucket_floor(bucket(v));
            assert!(floor <= v, "{v} -> {floor}");
            assert!(v - floor <= v / SUB as u64 + 1, "{v} -> {floor}");
            let middle = bucket_middle(bucket(v));
            assert!(
                middle.abs_diff(v) <= v / (SUB as u64) + 1,
                "{v} -> {middle}"
            );
        }
    }

    #[test]
    fn percentiles_of_even_gaps() {
        let mut h = GapHistogram::default();
        let t0 = Instant::now();
        for i in 0..101u64 {
            h.record(t0 + Duration::from_micros(10 * i), 1);
        }
        let p50 = h.percentile(0.5).unwrap();
        let err = p50.as_nanos().abs_diff(10_000);
        assert!(err <= 160, "{p50:?} is more than 1.6 % off 10 µs");
        assert_eq!(h.percentile(0.99), h.percentile(0.5));
    }

    #[test]
    fn batches_count_as_back_to_back() {
        let mut h = GapHistogram::default();
        let t0 = Instant::now();
        h.record(t0, 4);
        h.record(t0 + Duration::from_millis(1), 4);
        assert_eq!(h.percentile(0.5), Some(Duration::ZERO));
        assert!(h.percentile(1.0).unwrap() >= Duration::from_micros(900));
    }

    #[test]
    fn flat_out_is_always_due_until_its_deadline_or_a_stop() {
        let p = Pacer::new(None);
        assert_eq!(p.wait(5, 64, None, || false), 64);
        let later = Some(Instant::now() + Duration::from_secs(60));
        assert_eq!(p.wait(5, 64, later, || false), 64);
        let passed = Some(Instant::now());
        assert_eq!(p.wait(5, 64, passed, || false), 0, "the deadline passed");
        assert_eq!(p.wait(5, 64, later, || true), 0, "stop wins");
        assert_eq!(p.due(1000), p.due(0), "flat out, everything is due at once");
    }

    #[test]
    fn a_late_wake_up_sends_what_fell_due_but_not_past_the_deadline() {
        let p = Pacer::new(Some(1000.0));
        std::thread::sleep(Duration::from_millis(30));
        // About 31 were due by now (one a millisecond, the first at once): all go at once.
        let n = p.wait(0, 1000, None, || false);
        assert!((30..=200).contains(&n), "{n}");
        // A deadline 10 ms after the start lets only the 10 due before it go.
        let deadline = Some(p.start + Duration::from_millis(10));
        assert_eq!(p.wait(0, 1000, deadline, || false), 10);
        assert_eq!(p.wait(4, 1000, deadline, || false), 6);
    }

    #[test]
    fn the_first_is_due_at_once_and_one_more_each_interval() {
        let ms = |n: u64| Duration::from_millis(n);
        assert_eq!(due_by(ms(0), 1e6), 1);
        assert_eq!(due_by(ms(1) - Duration::from_nanos(1), 1e6), 1);
        assert_eq!(due_by(ms(1), 1e6), 2);
        assert_eq!(due_by(ms(30), 1e6), 31);
    }

    #[test]
    fn datagram_n_is_due_n_intervals_after_the_start() {
        let p = Pacer::new(Some(100.0));
        assert_eq!(p.due(0), p.start);
        assert_eq!(p.due(1), p.start + Duration::from_millis(10));
        assert_eq!(p.due(250), p.start + Duration::from_millis(2500));
        // A rate of zero is no rate at all: flat out.
        assert_eq!(Pacer::new(Some(0.0)).wait(0, 8, None, || false), 8);
    }

    #[test]
    fn paced_waits_for_the_deadline_and_stops_at_the_limit() {
        let p = Pacer::new(Some(1000.0));
        let n = p.wait(0, 64, None, || false);
        assert!(n >= 1);
        let t = Instant::now();
        p.wait(20, 64, None, || false);
        assert!(Instant::now() >= p.due(20), "woke early");
        assert!(t.elapsed() < Duration::from_secs(1));
        let soon = Some(p.due(30));
        assert_eq!(
            p.wait(30, 64, soon, || false),
            0,
            "due at the deadline is not sent"
        );
        assert_eq!(p.wait(25, 64, None, || true), 0, "stop wins");
    }
}
