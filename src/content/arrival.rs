//! How a stream's datagrams arrive: the time between them (p50, p99, max) in a histogram of
//! fixed size, and RFC 4445's Media Delivery Index for a stream of constant rate.
//!
//! The histogram keeps 8 buckets per power of two of nanoseconds, so a percentile is known
//! to within 1/16 of its value, in 4 KiB whatever the stream's length.
//!
//! MDI: over each second, the virtual buffer VB = bytes arrived - bytes drained at the
//! stream's rate; the delay factor DF is (max VB - min VB) / rate, in ms, and the media loss
//! rate MLR the media packets lost in that second. RFC 4445 drains at the nominal rate; mcast
//! does not know it, so it drains at the rate measured over the second before (a stream of
//! constant rate has the same), and the first second has no DF.

/// Buckets per power of two.
const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;
/// 64 powers of two, SUB buckets each.
const BUCKETS: usize = 64 * SUB as usize;

/// The spacing of one stream's datagrams.
#[derive(Debug, Clone)]
pub struct Arrival {
    counts: Box<[u64]>,
    gaps: u64,
    max_ns: u64,
    last_ns: Option<u64>,
}

impl Default for Arrival {
    fn default() -> Arrival {
        Arrival {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            gaps: 0,
            max_ns: 0,
            last_ns: None,
        }
    }
}

/// The bucket of a gap of `ns`: below SUB exact, above it by power of two and sub-bucket.
fn bucket(ns: u64) -> usize {
    if ns < SUB {
        return ns as usize;
    }
    let power = 63 - ns.leading_zeros();
    let sub = (ns >> (power - SUB_BITS)) & (SUB - 1);
    ((power - SUB_BITS + 1) as usize) * SUB as usize + sub as usize
}

/// The middle of a bucket's range, in ns.
fn middle(index: usize) -> u64 {
    let (row, sub) = (index as u64 / SUB, index as u64 % SUB);
    if row == 0 {
        return sub;
    }
    let power = row + u64::from(SUB_BITS) - 1;
    let low = (1u64 << power) + (sub << (power - u64::from(SUB_BITS)));
    low + (1u64 << (power - u64::from(SUB_BITS))) / 2
}

impl Arrival {
    /// Notes a datagram that arrived at `ns`. An arrival before the last one (a clock
    /// stepped back) is a gap of 0.
    pub fn arrived(&mut self, ns: u64) {
        if let Some(last) = self.last_ns.replace(ns) {
            let gap = ns.saturating_sub(last);
            self.counts[bucket(gap)] += 1;
            self.gaps += 1;
            self.max_ns = self.max_ns.max(gap);
        }
    }

    /// Gaps measured (datagrams less one).
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// The longest gap, in ns; None before two datagrams.
    pub fn max_ns(&self) -> Option<u64> {
        (self.gaps > 0).then_some(self.max_ns)
    }

    /// The gap below which a share `q` (0 to 1) of them fall, in ns (to within 1/16, never
    /// above the longest); None before two datagrams.
    pub fn quantile_ns(&self, q: f64) -> Option<u64> {
        if self.gaps == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.gaps as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(middle(i).min(self.max_ns));
            }
        }
        Some(self.max_ns)
    }
}

/// One second of RFC 4445's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MdiSecond {
    /// The delay factor, in ms; None in the first second (no rate to drain at yet).
    pub df_ms: Option<f64>,
    /// Media packets lost in the second.
    pub lost: u64,
}

/// The Media Delivery Index of one stream, second by second.
#[derive(Debug, Clone, Default)]
pub struct Mdi {
    start_ns: Option<u64>,
    bytes: u64,
    /// Bytes a second drained, from the second before.
    drain: Option<f64>,
    vb_max: f64,
    vb_min: f64,
    lost: u64,
    /// The last whole second.
    pub last: Option<MdiSecond>,
    /// The largest delay factor of any whole second, in ms.
    pub df_max_ms: Option<f64>,
    /// The most media packets lost in any whole second.
    pub mlr_max: u64,
    /// Whole seconds measured.
    pub seconds: u64,
}

const SECOND_NS: u64 = 1_000_000_000;

impl Mdi {
    /// Notes `bytes` of media that arrived at `ns`, with `lost` media packets found missing
    /// in them.
    pub fn arrived(&mut self, ns: u64, bytes: usize, lost: u64) {
        let start = *self.start_ns.get_or_insert(ns);
        if ns.saturating_sub(start) >= SECOND_NS {
            self.close(ns);
        }
        let start = self.start_ns.unwrap_or(ns);
        if let Some(rate) = self.drain {
            let drained = rate * ns.saturating_sub(start) as f64 / 1e9;
            // Before the datagram lands and after: the lowest and highest the buffer holds.
            let before = self.bytes as f64 - drained;
            let after = before + bytes as f64;
            self.vb_min = self.vb_min.min(before);
            self.vb_max = self.vb_max.max(after);
        }
        self.bytes += bytes as u64;
        self.lost += lost;
    }

    /// Ends the second that began at `start_ns`; a new one starts at `ns`. A stream that
    /// went silent for seconds has no rate to drain at afterwards.
    fn close(&mut self, ns: u64) {
        let start = self.start_ns.unwrap_or(ns);
        let length = ns.saturating_sub(start);
        let df_ms = self.drain.filter(|r| *r > 0.0).map(|rate| {
            let span = (self.vb_max - self.vb_min).max(0.0);
            span / rate * 1e3
        });
        let second = MdiSecond {
            df_ms,
            lost: self.lost,
        };
        if let Some(df) = df_ms {
            self.df_max_ms = Some(self.df_max_ms.map_or(df, |m| m.max(df)));
        }
        self.mlr_max = self.mlr_max.max(self.lost);
        self.last = Some(second);
        self.seconds += 1;
        self.drain = (length < 2 * SECOND_NS).then(|| self.bytes as f64 * 1e9 / length as f64);
        self.start_ns = Some(ns);
        self.bytes = 0;
        self.lost = 0;
        self.vb_max = 0.0;
        self.vb_min = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order_and_their_middles_lie_inside() {
        let mut last = 0;
        for ns in [
            0u64,
            1,
            7,
            8,
            9,
            15,
            16,
            17,
            100,
            1_000,
            999_999,
            1 << 40,
            u64::MAX,
        ] {
            let b = bucket(ns);
            assert!(b >= last, "{ns} in bucket {b}, below {last}");
            assert!(b < BUCKETS);
            last = b;
            let m = middle(b);
            // Within 1/16 of the value (exact below 8).
            assert!(m.abs_diff(ns) <= ns / 16 + 1, "{ns}: middle {m}");
        }
    }

    #[test]
    fn quantiles_of_a_steady_stream_with_one_late_datagram() {
        let mut a = Arrival::default();
        assert_eq!(a.quantile_ns(0.5), None);
        let mut t = 1_000_000_000u64;
        a.arrived(t);
        assert_eq!(a.max_ns(), None);
        // 99 gaps of 1 ms, then one of 30 ms.
        for _ in 0..99 {
            t += 1_000_000;
            a.arrived(t);
        }
        t += 30_000_000;
        a.arrived(t);
        assert_eq!(a.gaps(), 100);
        let p50 = a.quantile_ns(0.5).unwrap();
        assert!(p50.abs_diff(1_000_000) <= 1_000_000 / 16, "{p50}");
        let p99 = a.quantile_ns(0.99).unwrap();
        assert!(p99.abs_diff(1_000_000) <= 1_000_000 / 16, "{p99}");
        assert_eq!(a.quantile_ns(1.0), Some(30_000_000));
        assert_eq!(a.max_ns(), Some(30_000_000));
    }

    #[test]
    fn a_clock_stepped_back_is_a_gap_of_zero() {
        let mut a = Arrival::default();
        a.arrived(5_000);
        a.arrived(4_000);
        assert_eq!(a.max_ns(), Some(0));
    }

    #[test]
    fn mdi_of_a_constant_stream_is_small_and_of_a_burst_large() {
        // 1,000 datagrams of 1,316 bytes a second, evenly spaced, for three seconds.
        let mut even = Mdi::default();
        for i in 0..3_000u64 {
            even.arrived(i * 1_000_000, 1316, 0);
        }
        // The first second closed with no rate; the second had one: DF about one
        // datagram's time (1 ms).
        let s = even.last.unwrap();
        assert_eq!(even.seconds, 2);
        let df = s.df_ms.unwrap();
        assert!((0.9..1.1).contains(&df), "{df}");
        // The same bytes, in bursts of 100 every 100 ms: the buffer swings by 100
        // datagrams, 100 ms of them.
        let mut bursty = Mdi::default();
        for i in 0..3_000u64 {
            let ns = (i / 100) * 100_000_000 + (i % 100) * 1_000;
            bursty.arrived(ns, 1316, u64::from(i == 1_500) * 7);
        }
        let df = bursty.df_max_ms.unwrap();
        assert!((90.0..110.0).contains(&df), "{df}");
        assert_eq!(bursty.mlr_max, 7);
    }

    #[test]
    fn after_a_long_silence_the_next_second_has_no_rate_to_drain_at() {
        let mut m = Mdi::default();
        for i in 0..1_001u64 {
            m.arrived(i * 1_000_000, 100, 0);
        }
        // Quiet for ten seconds, then back.
        m.arrived(12_000_000_000, 100, 0);
        m.arrived(13_100_000_000, 100, 0);
        assert_eq!(m.last.unwrap().df_ms, None);
    }

    /// Feeds `count` datagrams of `bytes`, `every_ns` apart from `from_ns`.
    fn steady(m: &mut Mdi, from_ns: u64, count: u64, every_ns: u64, bytes: usize) {
        for k in 0..count {
            m.arrived(from_ns + k * every_ns, bytes, 0);
        }
    }

    #[test]
    fn the_drain_is_the_second_befores_bytes_over_its_length() {
        // A second that lasted 1.5 s (nothing in its last half) drains at 2/3 of its
        // bytes a second; the next, at the first one's pace, fills the buffer by a third of
        // its bytes: DF 500 ms.
        let mut m = Mdi::default();
        steady(&mut m, 0, 1_000, 1_000_000, 1316);
        steady(&mut m, 1_500_000_000, 1_000, 1_000_000, 1316);
        m.arrived(2_500_000_000, 1316, 0);
        let df = m.last.unwrap().df_ms.unwrap();
        assert!((495.0..507.0).contains(&df), "{df}");
        // Half the pace of the second before: the buffer empties by half a second's worth.
        let mut m = Mdi::default();
        steady(&mut m, 0, 1_000, 1_000_000, 1316);
        steady(&mut m, 1_000_000_000, 500, 2_000_000, 1316);
        m.arrived(2_000_000_000, 1316, 0);
        let df = m.last.unwrap().df_ms.unwrap();
        assert!((495.0..505.0).contains(&df), "{df}");
    }

    #[test]
    fn a_second_of_two_seconds_or_of_nothing_leaves_no_rate() {
        // The second from 1 s lasts exactly 2 s (silent): the next has no rate to drain at.
        let mut m = Mdi::default();
        steady(&mut m, 0, 1_000, 1_000_000, 1316);
        steady(&mut m, 1_000_000_000, 10, 1_000_000, 1316);
        steady(&mut m, 3_000_000_000, 1_000, 1_000_000, 1316);
        m.arrived(4_000_000_000, 1316, 0);
        assert_eq!(m.seconds, 3);
        assert_eq!(m.last.unwrap().df_ms, None);
        // Empty datagrams drain nothing: no delay factor, never a division by zero.
        let mut m = Mdi::default();
        steady(&mut m, 0, 3_001, 1_000_000, 0);
        assert_eq!(m.seconds, 3);
        assert_eq!((m.last.unwrap().df_ms, m.df_max_ms), (None, None));
    }
}
