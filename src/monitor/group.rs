//! One watched group: its target, the content analyzers of its senders, its counts, the
//! figures of the last window, and its alarms. Its memory is that of its senders' analyzers,
//! bounded by their limits, whatever the traffic.

use std::net::SocketAddr;

use super::Target;
use super::alarm::Alarms;
use crate::content::flow::{Flow, Streams};
use crate::content::rtp;

/// What a group is doing, as people read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Nothing came since the joins, for longer than the stall limit.
    NeverStarted,
    /// Silent for longer than the stall limit.
    Stalled,
    /// Losing more than the limit.
    Losing,
    /// Nothing yet, still within the stall limit of the joins.
    Waiting,
    /// Datagrams flow.
    Flowing,
}

impl State {
    /// Its name in JSON and text.
    pub fn name(self) -> &'static str {
        match self {
            State::NeverStarted => "never_started",
            State::Stalled => "stalled",
            State::Losing => "losing",
            State::Waiting => "waiting",
            State::Flowing => "flowing",
        }
    }
}

/// Counts at one instant, to take the figures of a window as differences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Mark {
    pub(super) datagrams: u64,
    pub(super) bytes: u64,
    pub(super) lost: u64,
    pub(super) units: u64,
}

/// The figures of the last whole window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Window {
    /// Datagrams a second.
    pub datagrams_per_s: f64,
    /// UDP payload bits a second.
    pub bits_per_s: f64,
    /// Units lost in it (RTP packets, TS packets, feed numbers).
    pub lost: u64,
    /// Units due in it: received and lost.
    pub expected: u64,
}

/// One group being watched.
#[derive(Debug)]
pub struct Watched {
    /// What was asked for.
    pub target: Target,
    /// Its senders' streams and their analyzers; None when the content is not read.
    pub streams: Option<Streams>,
    /// Datagrams received.
    pub datagrams: u64,
    /// Their bytes of UDP payload.
    pub bytes: u64,
    /// When the first came (the kernel's time), ns since the epoch.
    pub first_ns: Option<u64>,
    /// When the latest came.
    pub last_ns: Option<u64>,
    /// The last whole window's figures; None before the first window ends.
    pub window: Option<Window>,
    /// Its alarms.
    pub alarms: Alarms,
    pub(super) mark: Mark,
}

impl Watched {
    pub(super) fn new(target: Target, streams: Option<Streams>) -> Watched {
        Watched {
            target,
            streams,
            datagrams: 0,
            bytes: 0,
            first_ns: None,
            last_ns: None,
            window: None,
            alarms: Alarms::default(),
            mark: Mark::default(),
        }
    }

    fn flows(&self) -> impl Iterator<Item = &Flow> {
        self.streams.iter().flat_map(Streams::flows)
    }

    /// Whether loss can be judged: some sender's content is read (RTP, TS or a feed).
    pub fn judged(&self) -> bool {
        self.flows().any(|f| f.content().is_some())
    }

    /// Units lost (RTP packets, TS packets, feed numbers) over every sender; None when the
    /// content is not read.
    pub fn lost(&self) -> Option<u64> {
        self.judged().then(|| self.flows().map(Flow::lost).sum())
    }

    /// Units received over every sender whose content is read.
    pub(super) fn units(&self) -> u64 {
        self.flows()
            .map(|f| {
                if let Some(r) = f.rtp() {
                    r.streams().map(rtp::Stream::received).sum()
                } else if let Some(t) = f.ts() {
                    t.pids().map(|(_, p)| p.packets).sum()
                } else if let Some(feed) = f.feed() {
                    feed.received
                } else {
                    0
                }
            })
            .sum()
    }

    /// TS continuity errors over every sender; None when no sender carries TS.
    pub fn cc_errors(&self) -> Option<u64> {
        let mut ts = self.flows().filter_map(Flow::ts).peekable();
        ts.peek()?;
        Some(
            ts.map(|t| t.pids().map(|(_, p)| p.cc_errors).sum::<u64>())
                .sum(),
        )
    }

    /// Duplicates (RTP, feeds and TS); None when the content is not read.
    pub fn duplicates(&self) -> Option<u64> {
        self.judged().then(|| {
            self.flows()
                .map(|f| {
                    if let Some(r) = f.rtp() {
                        r.streams().map(|s| s.duplicates).sum()
                    } else if let Some(t) = f.ts() {
                        t.pids().map(|(_, p)| p.duplicates).sum()
                    } else {
                        f.feed().map_or(0, |feed| feed.duplicates)
                    }
                })
                .sum()
        })
    }

    /// Units that came out of order (RTP packets and feed numbers behind the highest);
    /// None when the content is not read.
    pub fn reordered(&self) -> Option<u64> {
        self.judged().then(|| {
            self.flows()
                .map(|f| match (f.rtp(), f.feed()) {
                    (Some(r), _) => r.streams().map(|s| s.late).sum(),
                    (None, Some(feed)) => feed.late,
                    _ => 0,
                })
                .sum()
        })
    }

    /// The largest RFC 3550 jitter of its RTP senders whose clock rate is known, in ms.
    pub fn jitter_ms(&self) -> Option<f64> {
        self.flows()
            .filter_map(Flow::rtp)
            .flat_map(|r| {
                r.streams().filter_map(move |s| {
                    rtp::clock_rate(s.payload_type)
                        .or(r.clock_rate)
                        .map(|rate| s.jitter_ms(rate))
                })
            })
            .reduce(f64::max)
    }

    /// What it is doing: its worst standing alarm, else waiting or flowing.
    pub fn state(&self) -> State {
        use super::alarm::AlarmKind;
        if self.alarms.stands(AlarmKind::NeverStarted) {
            State::NeverStarted
        } else if self.alarms.stands(AlarmKind::Stall) {
            State::Stalled
        } else if self.alarms.stands(AlarmKind::Loss) {
            State::Losing
        } else if self.first_ns.is_none() {
            State::Waiting
        } else {
            State::Flowing
        }
    }

    /// Reads one datagram from `source` that came at `ns` on a socket whose kernel has
    /// dropped `drops` datagrams so far.
    pub(super) fn observe(&mut self, source: SocketAddr, datagram: &[u8], ns: u64, drops: u64) {
        self.datagrams += 1;
        self.bytes += datagram.len() as u64;
        self.first_ns.get_or_insert(ns);
        self.last_ns = Some(self.last_ns.map_or(ns, |l| l.max(ns)));
        if let Some(s) = self.streams.as_mut() {
            s.observe(source, datagram, ns, drops, |_, _| {});
        }
    }

    /// The counts now.
    pub(super) fn now(&self) -> Mark {
        Mark {
            datagrams: self.datagrams,
            bytes: self.bytes,
            lost: self.lost().unwrap_or(0),
            units: self.units(),
        }
    }
}
