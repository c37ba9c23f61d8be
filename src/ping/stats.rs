//! What `mcast ping` learns of one server: unicast and multicast replies counted apart,
//! their round-trip times and hops, and the verdict a person reads at a glance.

/// Replies are judged against the last this many requests: a reply to an older one cannot
/// be told from a replay, and is not counted.
pub const DUPLICATE_WINDOW: u32 = 4096;

/// Round-trip figures of one path (unicast or multicast) to one server.
#[derive(Debug, Default, Clone)]
pub struct PathStats {
    /// Distinct replies counted (each request once).
    pub received: u64,
    /// Replies to a request already answered on this path.
    pub duplicates: u64,
    /// Replies that came after a later request's reply.
    pub reordered: u64,
    highest: Option<u32>,
    /// Replies with a round trip (ours is timed from our own send time, when still kept).
    timed: u64,
    rtt_sum_ns: f64,
    rtt_sq_sum_ns: f64,
    rtt_min_ns: Option<u64>,
    rtt_max_ns: u64,
    /// Routers on the way, from the first reply that told.
    pub hops: Option<u8>,
    /// The lowest sequence number heard on this path (multicast: when the tree had formed).
    pub first_seq: Option<u32>,
    /// Sequence numbers heard, to spot duplicates (bounded: the last DUPLICATE_WINDOW).
    seen: std::collections::VecDeque<u32>,
}

impl PathStats {
    /// Counts a reply; false when it was a duplicate (and so not counted).
    pub fn record(&mut self, seq: u32, rtt_ns: Option<u64>, hops: Option<u8>) -> bool {
        if self.seen.contains(&seq) {
            self.duplicates += 1;
            return false;
        }
        if self.seen.len() == DUPLICATE_WINDOW as usize {
            self.seen.pop_front();
        }
        self.seen.push_back(seq);
        self.received += 1;
        if self.highest.is_some_and(|h| seq < h) {
            self.reordered += 1;
        }
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        if let Some(rtt_ns) = rtt_ns {
            let r = rtt_ns as f64;
            self.timed += 1;
            self.rtt_sum_ns += r;
            self.rtt_sq_sum_ns += r * r;
            self.rtt_min_ns = Some(self.rtt_min_ns.map_or(rtt_ns, |m| m.min(rtt_ns)));
            self.rtt_max_ns = self.rtt_max_ns.max(rtt_ns);
        }
        self.hops = hops.or(self.hops);
        self.first_seq = Some(self.first_seq.map_or(seq, |f| f.min(seq)));
        true
    }

    /// Whether request `seq` was answered on this path (among the last 4096).
    pub fn has(&self, seq: u32) -> bool {
        self.seen.contains(&seq)
    }

    fn summary(&self, sent: u64, last_seq: u32) -> PathSummary {
        let n = self.timed as f64;
        let avg = (self.timed > 0).then(|| self.rtt_sum_ns / n);
        // mdev as ping computes it: the standard deviation of the round trips.
        let mdev = avg.map(|a| (self.rtt_sq_sum_ns / n - a * a).max(0.0).sqrt());
        let ms = |ns: f64| (ns / 1e3).round() / 1e3;
        // Nothing asked is nothing known: no figure, rather than a 0% that reads as health.
        let loss = |expected: u64| {
            (expected > 0).then(|| {
                let lost = expected.saturating_sub(self.received) as f64;
                (lost / expected as f64 * 1000.0).round() / 10.0
            })
        };
        let since_first = self
            .first_seq
            .map(|f| u64::from(last_seq.saturating_sub(f)) + 1);
        PathSummary {
            sent,
            received: self.received,
            duplicates: self.duplicates,
            reordered: self.reordered,
            loss_pct: loss(sent),
            loss_since_first_pct: since_first.and_then(loss),
            rtt_min_ms: self.rtt_min_ns.map(|v| ms(v as f64)),
            rtt_avg_ms: avg.map(ms),
            rtt_max_ms: self.rtt_min_ns.map(|_| ms(self.rtt_max_ns as f64)),
            rtt_mdev_ms: mdev.map(ms),
            hops: self.hops,
        }
    }
}

/// One path's figures, as the summary prints them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PathSummary {
    /// Requests sent.
    pub sent: u64,
    /// Distinct replies received.
    pub received: u64,
    /// Replies that came twice.
    pub duplicates: u64,
    /// Replies that came after a later request's reply.
    pub reordered: u64,
    /// Null when no request was sent: nothing to judge.
    pub loss_pct: Option<f64>,
    /// Multicast: loss counted from the first multicast reply on (the tree takes time);
    /// null until the first (and for unicast).
    pub loss_since_first_pct: Option<f64>,
    /// Round trips in milliseconds; null before a timed reply.
    pub rtt_min_ms: Option<f64>,
    /// As `rtt_min_ms`.
    pub rtt_avg_ms: Option<f64>,
    /// As `rtt_min_ms`.
    pub rtt_max_ms: Option<f64>,
    /// The standard deviation of the round trips, as ping's mdev.
    pub rtt_mdev_ms: Option<f64>,
    /// Routers on the way back; null when unknown.
    pub hops: Option<u8>,
}

/// What one server showed.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Requests sent to it.
    pub sent: u64,
    /// The number of the last request sent (requests are numbered from 1).
    pub last_seq: u32,
    /// Its unicast replies.
    pub unicast: PathStats,
    /// Its multicast replies.
    pub multicast: PathStats,
    /// Milliseconds from the first request to the first multicast reply.
    pub first_multicast_ms: Option<f64>,
    /// Replies to requests never sent (or older than the duplicate window): not counted.
    pub unsolicited: u64,
}

/// The verdict, for people and scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Both paths answered.
    MulticastWorks,
    /// Unicast replies, no multicast one.
    UnicastOnly,
    /// Nothing answered.
    NoReply,
}

impl Verdict {
    /// The verdict as JSON names it.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::MulticastWorks => "multicast_works",
            Verdict::UnicastOnly => "unicast_only",
            Verdict::NoReply => "no_reply",
        }
    }

    /// The verdict in words, for text.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::MulticastWorks => "multicast works",
            Verdict::UnicastOnly => "unicast only",
            Verdict::NoReply => "no reply",
        }
    }

    /// What it means and what to do, in a line.
    pub fn advice(self) -> &'static str {
        match self {
            Verdict::MulticastWorks => "multicast from it reaches this host",
            Verdict::UnicastOnly => {
                "it answers, but its multicast never arrived. On the routers between it and \
                 you: a missing multicast route (PIM, the (S,G) state) or their reverse-path \
                 check; on this LAN: no IGMP/MLD snooping querier; on this host: rp_filter or \
                 a firewall dropping UDP to the group (mcast doctor GROUP 4321 --listen 10s \
                 checks this host's part)"
            }
            Verdict::NoReply => {
                "nothing came back: is a reflector (ssmpingd, mcast reflect) running there, is \
                 UDP port 4321 open to it, and is there a route to it?"
            }
        }
    }
}

impl Verdict {
    /// The advice for a mesh host: it is answered by mcast mesh or omping, not a reflector.
    pub fn mesh_advice(self) -> &'static str {
        match self {
            Verdict::NoReply => {
                "nothing came back: is mcast mesh (or omping) running there with this host in \
                 its list, is UDP port 4321 open to it, and is there a route to it?"
            }
            other => other.advice(),
        }
    }
}

/// A server's summary, as JSON and for the text.
#[derive(Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ServerSummary {
    /// The server's address.
    pub server: String,
    /// Its unicast replies.
    pub unicast: PathSummary,
    /// Its multicast replies.
    pub multicast: PathSummary,
    /// Milliseconds from the first request to the first multicast reply.
    pub first_multicast_ms: Option<f64>,
    /// Replies to requests never sent: forged, or from another run; not counted.
    pub unsolicited: u64,
    /// The multicast replies came a different number of hops than the unicast ones.
    pub hops_differ: bool,
    /// As `Verdict::key`.
    pub verdict: &'static str,
}

/// One path's requests and distinct replies.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PathCounts {
    /// Requests sent.
    pub sent: u64,
    /// Distinct replies received.
    pub received: u64,
}

/// A server's requests and replies on both paths: read at the end of each interval, the
/// difference of two readings is what the interval did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Counts {
    /// To and from the server itself.
    pub unicast: PathCounts,
    /// From the group.
    pub multicast: PathCounts,
}

impl Counts {
    /// What happened since `before` was read.
    #[must_use]
    pub fn since(&self, before: &Counts) -> Counts {
        let path = |a: PathCounts, b: PathCounts| PathCounts {
            sent: a.sent.saturating_sub(b.sent),
            received: a.received.saturating_sub(b.received),
        };
        Counts {
            unicast: path(self.unicast, before.unicast),
            multicast: path(self.multicast, before.multicast),
        }
    }
}

impl ServerSummary {
    /// Its requests and replies, for an interval's difference.
    #[must_use]
    pub fn counts(&self) -> Counts {
        let path = |p: &PathSummary| PathCounts {
            sent: p.sent,
            received: p.received,
        };
        Counts {
            unicast: path(&self.unicast),
            multicast: path(&self.multicast),
        }
    }
}

impl ServerStats {
    /// The verdict of what was heard.
    pub fn verdict(&self) -> Verdict {
        match (self.unicast.received, self.multicast.received) {
            (_, m) if m > 0 => Verdict::MulticastWorks,
            (u, _) if u > 0 => Verdict::UnicastOnly,
            _ => Verdict::NoReply,
        }
    }

    /// Whether a reply numbered `seq` answers a request we sent (none is numbered 0 or above
    /// the last) that is still within the duplicate window; if not it is counted unsolicited.
    pub fn solicited(&mut self, seq: u32) -> bool {
        let ok = seq != 0 && seq <= self.last_seq && self.last_seq - seq < DUPLICATE_WINDOW;
        self.unsolicited += u64::from(!ok);
        ok
    }

    /// The figures of both paths, for the summary line or JSON.
    pub fn summary(&self, server: String) -> ServerSummary {
        let mut multicast = self.multicast.summary(self.sent, self.last_seq);
        let unicast = self.unicast.summary(self.sent, self.last_seq);
        if multicast.received == 0 {
            multicast.loss_since_first_pct = None;
        }
        ServerSummary {
            server,
            unicast: PathSummary {
                loss_since_first_pct: None,
                ..unicast
            },
            multicast,
            first_multicast_ms: self.first_multicast_ms,
            unsolicited: self.unsolicited,
            hops_differ: matches!(
                (self.unicast.hops, self.multicast.hops),
                (Some(u), Some(m)) if u != m
            ),
            verdict: self.verdict().key(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_count_apart_with_duplicates_and_loss_since_the_first() {
        let mut s = ServerStats {
            sent: 10,
            last_seq: 10,
            ..ServerStats::default()
        };
        for seq in 1..=10 {
            assert!(s.unicast.record(seq, Some(1_000_000), Some(0)));
        }
        // The multicast tree formed at request 4: 4..=10 arrive, 7 twice.
        for seq in 4..=10 {
            assert!(s.multicast.record(seq, Some(2_000_000), Some(1)));
        }
        assert!(!s.multicast.record(7, Some(2_000_000), Some(1)));
        let sum = s.summary("192.0.2.1".into());
        assert_eq!(
            (sum.unicast.received, sum.unicast.loss_pct),
            (10, Some(0.0))
        );
        assert_eq!((sum.multicast.received, sum.multicast.duplicates), (7, 1));
        assert_eq!(sum.multicast.loss_pct, Some(30.0));
        assert_eq!(sum.multicast.loss_since_first_pct, Some(0.0));
        assert_eq!(
            (sum.multicast.rtt_min_ms, sum.multicast.rtt_mdev_ms),
            (Some(2.0), Some(0.0))
        );
        assert_eq!(sum.multicast.hops, Some(1));
        assert_eq!(sum.verdict, "multicast_works");
    }

    #[test]
    fn a_reply_after_a_later_ones_is_reordered() {
        let mut p = PathStats::default();
        for seq in [1, 3, 2, 4, 2] {
            p.record(seq, Some(1), None);
        }
        let s = p.summary(4, 4);
        assert_eq!((s.received, s.reordered, s.duplicates), (4, 1, 1));
    }

    #[test]
    fn the_highest_number_again_is_not_reordered_even_once_forgotten() {
        // 5000, then the 4096 numbers below it (each reordered): the duplicate window no
        // longer holds 5000, so its repeat counts as a reply, but it came after nothing
        // higher.
        let mut p = PathStats::default();
        p.record(5000, None, None);
        for seq in 5000 - DUPLICATE_WINDOW..5000 {
            p.record(seq, None, None);
        }
        assert!(!p.has(5000));
        assert!(p.record(5000, None, None));
        let s = p.summary(5000, 5000);
        assert_eq!(
            (s.reordered, s.duplicates),
            (u64::from(DUPLICATE_WINDOW), 0)
        );
    }

    #[test]
    fn loss_since_the_first_counts_from_the_first_multicast_reply_to_the_last_request() {
        let mut s = ServerStats {
            sent: 10,
            last_seq: 10,
            ..ServerStats::default()
        };
        // The tree formed at 4; of 4..=10 (7 requests), 5 and 8 went missing.
        for seq in [4, 6, 7, 9, 10] {
            s.multicast.record(seq, None, None);
            s.unicast.record(seq, None, None);
        }
        let sum = s.summary("192.0.2.1".into());
        assert_eq!(sum.multicast.loss_pct, Some(50.0));
        assert_eq!(sum.multicast.loss_since_first_pct, Some(28.6));
        // Unicast has no tree to wait for: its loss is counted from the first request only.
        assert_eq!(sum.unicast.loss_pct, Some(50.0));
        assert_eq!(sum.unicast.loss_since_first_pct, None);
    }

    #[test]
    fn replies_to_requests_never_sent_or_past_the_window_are_unsolicited() {
        let mut s = ServerStats {
            last_seq: 5000,
            ..ServerStats::default()
        };
        assert!(!s.solicited(0), "no request is numbered 0");
        assert!(!s.solicited(5001), "not sent yet");
        assert!(s.solicited(5000) && s.solicited(4999));
        assert!(
            s.solicited(5000 - DUPLICATE_WINDOW + 1),
            "the oldest the window holds"
        );
        assert!(!s.solicited(5000 - DUPLICATE_WINDOW), "one past it");
        assert_eq!(s.unsolicited, 3);
        // Before any request is sent, nothing is solicited.
        let mut fresh = ServerStats::default();
        assert!(!fresh.solicited(1));
        assert_eq!(fresh.unsolicited, 1);
    }

    #[test]
    fn an_intervals_counts_are_the_difference_of_two_readings() {
        let mut s = ServerStats {
            sent: 4,
            last_seq: 4,
            ..ServerStats::default()
        };
        for seq in 1..=3 {
            s.unicast.record(seq, None, None);
        }
        s.multicast.record(3, None, None);
        let before = s.summary("192.0.2.1".into()).counts();
        assert_eq!(
            before,
            Counts {
                unicast: PathCounts {
                    sent: 4,
                    received: 3
                },
                multicast: PathCounts {
                    sent: 4,
                    received: 1
                },
            }
        );
        s.sent = 10;
        s.last_seq = 10;
        for seq in 4..=10 {
            s.unicast.record(seq, None, None);
        }
        s.multicast.record(9, None, None);
        let after = s.summary("192.0.2.1".into()).counts();
        let interval = after.since(&before);
        assert_eq!(
            (interval.unicast, interval.multicast),
            (
                PathCounts {
                    sent: 6,
                    received: 7
                },
                PathCounts {
                    sent: 6,
                    received: 1
                }
            )
        );
        // A reading older than the one before it (a restart) gives no negative interval.
        assert_eq!(before.since(&after), Counts::default());
    }

    #[test]
    fn each_verdict_says_what_it_means_and_what_to_check() {
        use Verdict::*;
        let words: Vec<_> = [MulticastWorks, UnicastOnly, NoReply]
            .iter()
            .map(|v| v.words())
            .collect();
        assert_eq!(words, ["multicast works", "unicast only", "no reply"]);
        assert!(MulticastWorks.advice().contains("reaches this host"));
        assert!(
            UnicastOnly
                .advice()
                .contains("mcast doctor GROUP 4321 --listen")
        );
        assert!(
            NoReply
                .advice()
                .contains("is a reflector (ssmpingd, mcast reflect) running")
        );
        // A mesh host is answered by mcast mesh or omping, not a reflector.
        assert!(
            NoReply
                .mesh_advice()
                .contains("is mcast mesh (or omping) running")
        );
        assert_eq!(UnicastOnly.mesh_advice(), UnicastOnly.advice());
        assert_eq!(MulticastWorks.mesh_advice(), MulticastWorks.advice());
    }

    #[test]
    fn nothing_sent_has_no_loss_figure() {
        let s = ServerStats::default().summary("192.0.2.1".into());
        assert_eq!((s.unicast.loss_pct, s.multicast.loss_pct), (None, None));
        assert_eq!(s.verdict, "no_reply");
    }

    #[test]
    fn verdicts() {
        let mut s = ServerStats::default();
        assert_eq!(s.verdict(), Verdict::NoReply);
        s.unicast.record(1, Some(5), None);
        assert_eq!(s.verdict(), Verdict::UnicastOnly);
        s.multicast.record(1, Some(5), None);
        assert_eq!(s.verdict(), Verdict::MulticastWorks);
    }

    #[test]
    fn mdev_is_the_spread_of_the_round_trips() {
        let mut p = PathStats::default();
        for (seq, rtt) in [(1, 1_000_000), (2, 3_000_000)] {
            p.record(seq, Some(rtt), None);
        }
        let s = p.summary(2, 2);
        assert_eq!((s.rtt_avg_ms, s.rtt_mdev_ms), (Some(2.0), Some(1.0)));
    }
}
