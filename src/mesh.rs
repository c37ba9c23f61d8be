//! What `mcast mesh` knows of one other host: its session with us as a client, what its
//! replies did on the way here, and its own requests to us (so we keep answering until it
//! is done). Pure: the tests drive it without a network.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::ping::ServerStats;

/// Send times kept per host, by sequence number: replies later than this many requests fall
/// back to the time echoed in the reply.
const RING: usize = 256;

/// One other host of the mesh.
#[derive(Debug)]
pub struct MeshPeer {
    /// Its address, the one its requests come from and ours go to.
    pub addr: IpAddr,
    /// The RFC 6450 session it gave us; None until it answers an init.
    pub session: Option<Vec<u8>>,
    /// Inits sent to it so far.
    pub inits: u32,
    /// Its replies to our requests, unicast and multicast apart.
    pub stats: ServerStats,
    /// When our first request to it left (ns since the Unix epoch).
    pub first_request_ns: Option<u64>,
    sent_ns: Vec<u64>,
    /// The highest sequence number it asked us with, and when it last asked.
    pub asked_seq: u32,
    /// When it last asked us (None: never).
    pub asked_at: Option<Instant>,
    /// Given up: it answered no init in the time allowed.
    pub given_up: bool,
    /// The client id its requests carry (random, its own: chosen by `mcast mesh` at random).
    pub client_id: u32,
}

impl MeshPeer {
    /// A host at `addr` that has told us nothing yet.
    pub fn new(addr: IpAddr) -> Self {
        MeshPeer {
            addr,
            session: None,
            inits: 0,
            stats: ServerStats::default(),
            first_request_ns: None,
            sent_ns: vec![0; RING],
            asked_seq: 0,
            asked_at: None,
            given_up: false,
            client_id: 0,
        }
    }

    /// Whether it is owed another request or init: up to `count` requests; inits only until
    /// `waited_out` (a host that never answers must not keep the mesh running).
    pub fn wants(&self, count: Option<u32>, waited_out: bool) -> bool {
        if self.given_up || count.is_some_and(|c| self.stats.sent >= u64::from(c)) {
            return false;
        }
        self.session.is_some() || count.is_none() || !waited_out
    }

    /// The sequence number of the next request.
    pub fn next_seq(&self) -> u32 {
        self.stats.sent as u32 + 1
    }

    /// Notes a request sent at `ns`.
    pub fn sent(&mut self, seq: u32, ns: u64) {
        self.stats.sent += 1;
        self.stats.last_seq = seq;
        self.sent_ns[seq as usize % RING] = ns;
        self.first_request_ns.get_or_insert(ns);
    }

    /// When request `seq` left, if it is still remembered.
    pub fn sent_at(&self, seq: u32) -> Option<u64> {
        let at = self.sent_ns[seq as usize % RING];
        (seq <= self.stats.last_seq && self.stats.last_seq - seq < RING as u32 && at != 0)
            .then_some(at)
    }

    /// Counts a reply that arrived at `arrival_ns`, timed from our own send time when it is
    /// still kept; returns whether it was new, and whether it was the first multicast one. A
    /// reply to a request never sent is not counted.
    pub fn replied(
        &mut self,
        seq: u32,
        hops: Option<u8>,
        multicast: bool,
        arrival_ns: u64,
    ) -> (bool, bool) {
        if !self.stats.solicited(seq) {
            return (false, false);
        }
        let rtt_ns = self.sent_at(seq).map(|s| arrival_ns.saturating_sub(s));
        if !multicast {
            return (self.stats.unicast.record(seq, rtt_ns, hops), false);
        }
        let first = self.stats.multicast.received == 0;
        let fresh = self.stats.multicast.record(seq, rtt_ns, hops);
        if first && fresh {
            let from = self.first_request_ns.unwrap_or(arrival_ns);
            self.stats.first_multicast_ms = Some(arrival_ns.saturating_sub(from) as f64 / 1e6);
        }
        (fresh, first && fresh)
    }

    /// Whether nothing more is to come from it: given up, or both replies to our last
    /// request are in.
    pub fn all_in(&self) -> bool {
        let last = self.stats.last_seq;
        self.given_up
            || (self.stats.sent > 0
                && self.stats.unicast.has(last)
                && self.stats.multicast.has(last))
    }

    /// Notes its request `seq` to us; true the first time it asks.
    pub fn asked(&mut self, seq: Option<u32>, now: Instant) -> bool {
        let first = self.asked_at.is_none();
        self.asked_at = Some(now);
        if let Some(s) = seq {
            self.asked_seq = self.asked_seq.max(s);
        }
        first
    }

    /// Whether it is done asking us: it reached `count` (the same list and count run on
    /// every host), or has been quiet for `quiet` (since `since`, if it never asked).
    pub fn done_asking(
        &self,
        count: Option<u32>,
        now: Instant,
        quiet: Duration,
        since: Instant,
    ) -> bool {
        count.is_some_and(|c| self.asked_seq >= c)
            || now.saturating_duration_since(self.asked_at.unwrap_or(since).max(since)) >= quiet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> MeshPeer {
        MeshPeer::new("192.0.2.2".parse().unwrap())
    }

    #[test]
    fn inits_stop_when_waited_out_requests_when_counted() {
        let mut p = peer();
        assert!(p.wants(Some(2), false), "inits until the wait is over");
        assert!(!p.wants(Some(2), true), "then given up on");
        assert!(p.wants(None, true), "unless running until stopped");
        p.session = Some(vec![1]);
        assert!(
            p.wants(Some(2), true),
            "a host that answered gets its requests"
        );
        p.sent(1, 10);
        p.sent(2, 20);
        assert!(!p.wants(Some(2), false), "and no more than counted");
        p.given_up = true;
        assert!(!p.wants(None, false));
    }

    #[test]
    fn send_times_are_kept_for_the_last_ring_of_requests() {
        let mut p = peer();
        for seq in 1..=300 {
            p.sent(seq, u64::from(seq) * 1000);
        }
        assert_eq!(p.sent_at(300), Some(300_000));
        assert_eq!(p.sent_at(45), Some(45_000), "the oldest kept");
        assert_eq!(p.sent_at(44), None, "overwritten by 300");
        assert_eq!(p.sent_at(301), None, "not sent yet");
        assert_eq!(p.next_seq(), 301);
    }

    #[test]
    fn the_first_multicast_reply_is_timed_from_the_first_request() {
        let mut p = peer();
        p.sent(1, 1_000_000);
        assert_eq!(p.replied(1, None, false, 2_000_000), (true, false));
        assert_eq!(p.replied(1, None, true, 3_500_000), (true, true));
        assert_eq!(p.replied(1, None, true, 4_000_000), (false, false));
        assert_eq!(p.stats.first_multicast_ms, Some(2.5));
        // A later, fresh one is not the first: the time stays.
        p.sent(2, 5_000_000);
        assert_eq!(p.replied(2, None, true, 6_000_000), (true, false));
        assert_eq!(p.stats.first_multicast_ms, Some(2.5));
        // A first reply that is a duplicate on a path still counts as nothing new.
        let mut q = peer();
        q.sent(1, 0);
        q.stats.multicast.record(1, Some(5), None);
        q.stats.multicast.received = 0;
        assert_eq!(q.replied(1, None, true, 10), (false, false));
        assert_eq!(q.stats.first_multicast_ms, None);
        assert_eq!(p.stats.multicast.duplicates, 1);
    }

    #[test]
    fn all_in_once_both_replies_to_the_last_request_came() {
        let mut p = peer();
        assert!(!p.all_in(), "nothing sent yet");
        // Replies numbered 0 (no request has that number) do not make it so.
        p.replied(0, None, false, 1);
        p.replied(0, None, true, 1);
        assert!(!p.all_in(), "still nothing sent");
        p.sent(1, 10);
        p.sent(2, 20);
        p.replied(2, None, false, 30);
        assert!(!p.all_in(), "the multicast copy is missing");
        p.replied(1, None, true, 30);
        assert!(!p.all_in(), "an older request's copy");
        p.replied(2, None, true, 30);
        assert!(p.all_in());
        let mut gone = peer();
        gone.given_up = true;
        assert!(gone.all_in());
    }

    #[test]
    fn a_host_is_done_asking_at_its_count_or_after_a_quiet_spell() {
        let t0 = Instant::now();
        let quiet = Duration::from_secs(3);
        let mut p = peer();
        assert!(!p.done_asking(Some(5), t0 + Duration::from_secs(2), quiet, t0));
        assert!(p.done_asking(Some(5), t0 + quiet, quiet, t0), "never asked");
        assert!(p.asked(Some(4), t0 + Duration::from_secs(2)));
        assert!(!p.asked(Some(3), t0 + Duration::from_secs(2)));
        assert_eq!(p.asked_seq, 4, "the highest number counts");
        assert!(!p.done_asking(Some(5), t0 + Duration::from_secs(4), quiet, t0));
        assert!(p.done_asking(Some(5), t0 + Duration::from_secs(5), quiet, t0));
        p.asked(Some(5), t0 + Duration::from_secs(5));
        assert!(p.done_asking(Some(5), t0 + Duration::from_secs(5), quiet, t0));
        assert!(!p.done_asking(None, t0 + Duration::from_secs(5), quiet, t0));
    }
}
