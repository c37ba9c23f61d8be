//! When a ping's requests left: the time read before each send, per server and
//! sequence number, corrected by the kernel's transmit stamp when one comes (Linux).

use std::collections::HashMap;

use crate::McastSocket;

/// The kernel's own send times (transmit stamps, Linux), put in place of the ones read
/// before each send: the stamps are numbered per socket in send order.
#[derive(Default)]
pub struct TxStamps {
    /// Whether the sockets stamp at all (not on macOS): without, nothing is kept.
    pub enabled: bool,
    /// Sends made on each socket (family, lane) so far: the next stamp's number.
    counts: HashMap<(bool, usize), u32>,
    /// Requests awaiting their stamp: (family, lane, number) to (server, seq, send time read).
    waiting: HashMap<(bool, usize, u32), (usize, u32, u64)>,
}

impl TxStamps {
    /// Notes a send on `lane`: a request of `server` numbered `seq`, or an init (None).
    pub fn sent(&mut self, lane: (bool, usize), request: Option<(usize, u32, u64)>) {
        if !self.enabled {
            return;
        }
        let n = self.counts.entry(lane).or_insert(0);
        if let Some(r) = request {
            self.waiting.insert((lane.0, lane.1, *n), r);
        }
        *n = n.wrapping_add(1);
        if let Some((_, _, newest)) = request.filter(|_| self.waiting.len() > MAX_WAITING) {
            // Stamps come within milliseconds: one still awaited after a second never will.
            self.waiting
                .retain(|_, (_, _, read)| newest.saturating_sub(*read) < 1_000_000_000);
        }
    }

    /// Reads the stamps waiting on the sockets of one family (`v4`), numbered as the lanes
    /// `sent` names them, and corrects the send times they belong to; a stamp more than 50 ms
    /// from the time read before the send is not trusted.
    pub fn read(&mut self, v4: bool, socks: &[McastSocket], sent_at: &mut SendTimes) {
        for (l, sock) in socks.iter().enumerate() {
            self.apply((v4, l), &sock.tx_timestamps(), sent_at);
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

/// Requests awaiting their stamp, at most (beyond, those a second old are dropped).
const MAX_WAITING: usize = 65_536;

/// When each request left, per server: the last `RING` of them, and the first of all.
pub struct SendTimes {
    ring: Vec<(u32, u64)>,
    first: Vec<Option<u64>>,
}

const RING: usize = 64;

impl SendTimes {
    /// Send times for `servers` servers, none sent yet.
    pub fn new(servers: usize) -> Self {
        SendTimes {
            ring: vec![(0, 0); servers * RING],
            first: vec![None; servers],
        }
    }

    /// Notes that request `seq` left for `server` at `ns` (nanoseconds of the caller's clock).
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

    /// When the first request of all left for `server`.
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
        let mut stamps = TxStamps {
            enabled: true,
            ..TxStamps::default()
        };
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
    fn stamps_that_never_come_are_forgotten_and_late_ones_not_trusted() {
        let mut t = SendTimes::new(1);
        let mut stamps = TxStamps {
            enabled: true,
            ..TxStamps::default()
        };
        let lane = (true, 0);
        // A request a millisecond for 70 s, none ever stamped: only the last second's kept.
        for k in 0..70_000u64 {
            stamps.sent(lane, Some((0, k as u32, k * 1_000_000)));
        }
        // Pruned once, at 65,537 waiting, to the last second's 1,000; then 4,463 more came.
        assert_eq!(stamps.waiting.len(), 1000 + 4463);
        assert!(stamps.waiting.contains_key(&(true, 0, 69_999)));
        assert!(!stamps.waiting.contains_key(&(true, 0, 0)));
        // A stamp 50 ms after the time read is too late to be the send's own.
        t.sent(0, 69_999, 1);
        stamps.apply(lane, &[(69_999, 69_999 * 1_000_000 + 50_000_000)], &mut t);
        assert_eq!(t.get(0, 69_999), Some(1));
        // Below the bound nothing is dropped, however old.
        let mut few = TxStamps {
            enabled: true,
            ..TxStamps::default()
        };
        for k in 0..10u64 {
            few.sent(lane, Some((0, k as u32, k * 2_000_000_000)));
        }
        assert_eq!(few.waiting.len(), 10);
        // Where the OS stamps nothing, nothing is kept.
        let mut off = TxStamps::default();
        off.sent(lane, Some((0, 1, 1)));
        assert!(off.waiting.is_empty());
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
