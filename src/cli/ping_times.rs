//! When `mcast ping`'s requests left: the time read before each send, per server and
//! sequence number, corrected by the kernel's transmit stamp when one comes (Linux).

use std::collections::HashMap;

use super::ping::Family;

/// The kernel's own send times (transmit stamps, Linux), put in place of the ones read
/// before each send: the stamps are numbered per socket in send order.
#[derive(Default)]
pub struct TxStamps {
    /// Sends made on each socket (family, lane) so far: the next stamp's number.
    counts: HashMap<(bool, usize), u32>,
    /// Requests awaiting their stamp: (family, lane, number) to (server, seq, send time read).
    waiting: HashMap<(bool, usize, u32), (usize, u32, u64)>,
}

impl TxStamps {
    /// Notes a send on `lane`: a request of `server` numbered `seq`, or an init (None).
    pub fn sent(&mut self, lane: (bool, usize), request: Option<(usize, u32, u64)>) {
        let n = self.counts.entry(lane).or_insert(0);
        if let Some(r) = request {
            self.waiting.insert((lane.0, lane.1, *n), r);
        }
        *n = n.wrapping_add(1);
        if self.waiting.len() > 65_536 {
            // Stamps that never came (a socket without them): forget the oldest half.
            let cut = n.wrapping_sub(32_768);
            self.waiting
                .retain(|(f, l, k), _| (*f, *l) != lane || k.wrapping_sub(cut) < 32_768);
        }
    }

    /// Reads the stamps waiting on every socket and corrects the send times they belong to;
    /// a stamp more than 50 ms from the time read before the send is not trusted.
    pub fn read(&mut self, families: &HashMap<bool, Family>, sent_at: &mut SendTimes) {
        for (v4, f) in families {
            for (l, sock) in f.lanes.socks.iter().enumerate() {
                self.apply((*v4, l), &sock.tx_timestamps(), sent_at);
            }
        }
    }

    fn apply(&mut self, lane: (bool, usize), stamps: &[(u32, u64)], sent_at: &mut SendTimes) {
        for &(id, ns) in stamps {
            let Some((server, seq, read)) = self.waiting.remove(&(lane.0, lane.1, id)) else {
                continue;
            };
            if ns >= read.saturating_sub(1_000_000) && ns - read < 50_000_000 {
                sent_at.sent(server, seq, ns);
            }
        }
    }
}

/// When each request left, per server: the last `RING` of them, and the first of all.
pub struct SendTimes {
    ring: Vec<(u32, u64)>,
    first: Vec<Option<u64>>,
}

const RING: usize = 64;

impl SendTimes {
    pub fn new(servers: usize) -> Self {
        SendTimes {
            ring: vec![(0, 0); servers * RING],
            first: vec![None; servers],
        }
    }

    pub fn sent(&mut self, server: usize, seq: u32, ns: u64) {
        self.ring[server * RING + seq as usize % RING] = (seq, ns);
        self.first[server].get_or_insert(ns);
    }

    /// When request `seq` left for `server`, unless a later one took its place (a reply
    /// older than the ring falls back to the time it echoes).
    pub fn get(&self, server: usize, seq: u32) -> Option<u64> {
        let (kept, at) = self.ring[server * RING + seq as usize % RING];
        (kept == seq && at != 0).then_some(at)
    }

    pub fn first(&self, server: usize) -> Option<u64> {
        self.first[server]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_stamps_replace_send_times_by_their_number_within_reason() {
        let mut t = SendTimes::new(2);
        let mut stamps = TxStamps::default();
        let lane = (true, 0);
        stamps.sent(lane, None); // an init: number 0, no request
        for (server, seq, read) in [
            (0, 1, 1_000_000_000),
            (1, 1, 1_000_100_000),
            (0, 2, 1_100_000_000),
        ] {
            t.sent(server, seq, read);
            stamps.sent(lane, Some((server, seq, read)));
        }
        // Number 1 is server 0's first request; 3 is stamped 60 ms late: not trusted.
        stamps.apply(
            lane,
            &[(1, 1_000_000_700), (2, 1_000_100_900), (3, 1_160_000_000)],
            &mut t,
        );
        assert_eq!(t.get(0, 1), Some(1_000_000_700));
        assert_eq!(t.get(1, 1), Some(1_000_100_900));
        assert_eq!(t.get(0, 2), Some(1_100_000_000));
        // Another socket's stamp of the same number belongs to none of these.
        stamps.apply((true, 1), &[(1, 5)], &mut t);
        assert_eq!(t.get(0, 1), Some(1_000_000_700));
    }

    #[test]
    fn send_times_are_per_server_and_never_another_requests() {
        let mut t = SendTimes::new(2);
        t.sent(0, 1, 100);
        t.sent(1, 1, 150);
        t.sent(0, 2, 200);
        assert_eq!(
            (t.get(0, 1), t.get(1, 1), t.get(0, 2)),
            (Some(100), Some(150), Some(200))
        );
        assert_eq!(t.get(1, 2), None, "not sent to that server");
        t.sent(0, 1 + RING as u32, 300);
        assert_eq!(t.get(0, 1), None, "its slot holds a later request now");
        assert_eq!(t.first(0), Some(100));
        assert_eq!(t.first(1), Some(150));
    }
}
