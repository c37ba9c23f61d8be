//! The monitor itself: every watched group, which group a datagram on a socket belongs to,
//! and the alarms a clock drives (a group that never started, a stall, loss over the limit
//! in a window), raised and cleared once each.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::Target;
use super::alarm::{AlarmKind, Change, Seen};
use super::group::{Mark, State, Watched, Window};
use super::pair::{Merge, Pair};
use super::plan::Join;
use crate::content::flow::{self, Choice, Streams};
use crate::content::rtp;

/// How the groups are read and judged.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How each group's content is read; None to count datagrams only.
    pub content: Option<flow::Options>,
    /// A group silent this long is stalled (and one that has not started in this long
    /// since the joins never started), in ns.
    pub stall_ns: u64,
    /// The share of units lost in one window above which loss raises an alarm (0: any).
    pub loss_alarm: f64,
    /// The window over which rates and loss are taken, in ns.
    pub window_ns: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            content: Some(flow::Options::default()),
            stall_ns: 1_000_000_000,
            loss_alarm: 0.0,
            window_ns: 1_000_000_000,
        }
    }
}

/// How one datagram came: on which socket, to which group, from whom, when.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// The socket's index, as given to `route`.
    pub socket: usize,
    /// Its destination: the group.
    pub group: IpAddr,
    /// Its sender.
    pub source: SocketAddr,
    /// When it came (the kernel's time), ns since the epoch.
    pub ns: u64,
    /// Datagrams the socket's kernel has dropped so far (SO_RXQ_OVFL), 0 where not told.
    pub drops: u64,
}

/// Which target a datagram to a group on one socket belongs to.
#[derive(Debug, Default)]
struct Route {
    /// The any-source target of the group on this socket.
    any: Option<usize>,
    /// The source-specific ones: (source, target).
    sources: Vec<(IpAddr, usize)>,
}

/// Every group a monitor watches.
#[derive(Debug)]
pub struct Monitor {
    groups: Vec<Watched>,
    opts: Options,
    /// When the groups were joined, ns since the epoch.
    started_ns: u64,
    /// When the current window began.
    window_start_ns: u64,
    routes: HashMap<(usize, IpAddr), Route>,
    /// Datagrams that belong to no target: a source or group the socket did not ask for.
    pub unmatched: u64,
    pairs: Vec<Pair>,
    /// For each group in a pair: the pair and its leg (0 for A, 1 for B).
    leg_of: Vec<Option<(usize, usize)>>,
}

impl Monitor {
    /// A monitor of `targets`, joined at `now_ns`.
    pub fn new(targets: Vec<Target>, opts: Options, now_ns: u64) -> Monitor {
        let groups: Vec<Watched> = targets
            .into_iter()
            .map(|t| Watched::new(t, opts.content.map(Streams::new)))
            .collect();
        let n = groups.len();
        Monitor {
            groups,
            opts,
            started_ns: now_ns,
            window_start_ns: now_ns,
            routes: HashMap::new(),
            unmatched: 0,
            pairs: Vec::new(),
            leg_of: vec![None; n],
        }
    }

    /// Pairs the groups that share a name as the A and B legs of one feed, A the first
    /// given. Returns how many pairs; refuses a name three or more targets share.
    pub fn pair_by_name(&mut self) -> Result<usize, String> {
        let mut by_name: Vec<(&str, Vec<usize>)> = Vec::new();
        for (g, w) in self.groups.iter().enumerate() {
            let Some(name) = w.target.name.as_deref() else {
                continue;
            };
            match by_name.iter_mut().find(|(n, _)| *n == name) {
                Some((_, legs)) => legs.push(g),
                None => by_name.push((name, vec![g])),
            }
        }
        let mut pairs = Vec::new();
        for (name, legs) in by_name {
            match legs[..] {
                [_] => {}
                [a, b] => pairs.push(Pair {
                    name: name.to_string(),
                    legs: [a, b],
                    merge: Merge::default(),
                }),
                _ => {
                    return Err(format!(
                        "{} targets are named '{name}': two targets of one name are the A and B legs of one feed, so give each other target a name of its own",
                        legs.len()
                    ));
                }
            }
        }
        for (p, pair) in pairs.iter().enumerate() {
            for (leg, &g) in pair.legs.iter().enumerate() {
                self.leg_of[g] = Some((p, leg));
            }
        }
        self.pairs = pairs;
        Ok(self.pairs.len())
    }

    /// The A/B pairs.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Judges every number the pairs still hold open (at the end of a run).
    pub fn finish(&mut self) {
        for p in &mut self.pairs {
            p.merge.finish();
        }
    }

    /// Counts from `now_ns`: the joins are done.
    pub fn start(&mut self, now_ns: u64) {
        self.started_ns = now_ns;
        self.window_start_ns = now_ns;
    }

    /// When the joins were done, ns since the epoch.
    pub fn started_ns(&self) -> u64 {
        self.started_ns
    }

    /// The options it judges by.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Takes `join`, done on socket `socket`: its datagrams are the target's.
    pub fn route(&mut self, socket: usize, join: &Join) {
        let r = self.routes.entry((socket, join.group)).or_default();
        match join.source {
            Some(s) => r.sources.push((s, join.target)),
            None => r.any = Some(join.target),
        }
    }

    /// The targets of a datagram to `group` from `source` on socket `socket`: the one of that
    /// source, and the group's any-source one (which takes every sender).
    pub fn find(&self, socket: usize, group: IpAddr, source: IpAddr) -> [Option<usize>; 2] {
        let Some(r) = self.routes.get(&(socket, group)) else {
            return [None, None];
        };
        let one = r
            .sources
            .iter()
            .find(|(s, _)| *s == source)
            .map(|&(_, t)| t);
        [one, r.any]
    }

    /// Every group, in the targets' order.
    pub fn groups(&self) -> &[Watched] {
        &self.groups
    }

    /// Reads one datagram delivered as `d` says, for every target it belongs to (its
    /// source's and its group's any-source one); alarms it clears go to `changes`. Returns
    /// false when it belongs to no target.
    pub fn observe(&mut self, d: &Delivery, datagram: &[u8], changes: &mut Vec<Change>) -> bool {
        let targets = self.find(d.socket, d.group, d.source.ip());
        if targets == [None, None] {
            self.unmatched += 1;
            return false;
        }
        for g in targets.into_iter().flatten() {
            self.one(g, d, datagram, changes);
        }
        true
    }

    fn one(&mut self, g: usize, d: &Delivery, datagram: &[u8], changes: &mut Vec<Change>) {
        let w = &mut self.groups[g];
        if w.first_ns.is_none() {
            w.alarms.clear(g, AlarmKind::NeverStarted, d.ns, changes);
        } else if w.alarms.stands(AlarmKind::Stall) {
            w.alarms.clear(g, AlarmKind::Stall, d.ns, changes);
        }
        w.observe(d.source, datagram, d.ns, d.drops);
        if let Some((p, leg)) = self.leg_of[g]
            && let Some((first, count, wrap)) = numbers(&self.opts, datagram)
        {
            self.pairs[p].merge.saw(leg, first, count, wrap, d.ns);
        }
    }

    /// Raises the alarms due at `now_ns` (and, when a window ended, takes its figures and
    /// judges its loss) into `changes`. Call it at least every `tick_every()`: a group that
    /// stops sends nothing to observe.
    pub fn tick(&mut self, now_ns: u64, changes: &mut Vec<Change>) {
        let stall = self.opts.stall_ns;
        let waited_ns = now_ns.saturating_sub(self.started_ns);
        for (g, w) in self.groups.iter_mut().enumerate() {
            match w.last_ns {
                None if waited_ns > stall => {
                    let seen = Seen::NeverStarted { waited_ns };
                    w.alarms.raise(g, now_ns, self.started_ns, seen, changes);
                }
                Some(last) if now_ns.saturating_sub(last) > stall => {
                    let seen = Seen::Stall {
                        last_ns: last,
                        silent_ns: now_ns - last,
                    };
                    w.alarms.raise(g, now_ns, last, seen, changes);
                }
                _ => {}
            }
        }
        // A leg down while the other flows: the feed survives, its redundancy does not.
        for (p, pair) in self.pairs.iter().enumerate() {
            let states = pair.legs.map(|g| self.groups[g].state());
            for leg in 0..2 {
                let (g, other) = (pair.legs[leg], pair.legs[1 - leg]);
                let down = matches!(states[leg], State::NeverStarted | State::Stalled);
                let w = &mut self.groups[g];
                if down && matches!(states[1 - leg], State::Flowing | State::Losing) {
                    let since = w.last_ns.unwrap_or(self.started_ns);
                    let seen = Seen::LegDown { pair: p, other };
                    w.alarms.raise(g, now_ns, since, seen, changes);
                } else if !down {
                    w.alarms.clear(g, AlarmKind::LegDown, now_ns, changes);
                }
            }
        }
        let window_ns = self.opts.window_ns.max(1);
        if now_ns.saturating_sub(self.window_start_ns) >= window_ns {
            let took_ns = now_ns - self.window_start_ns;
            let start = self.window_start_ns;
            for (g, w) in self.groups.iter_mut().enumerate() {
                let now = w.now();
                let window = figures(&w.mark, &now, took_ns);
                w.mark = now;
                w.window = Some(window);
                // A window with nothing due judges nothing: a stall is its own alarm.
                if window.expected == 0 {
                    continue;
                }
                let share = window.lost as f64 / window.expected as f64;
                // The limit is 0 or more, so a share above it is some loss.
                if share > self.opts.loss_alarm {
                    let seen = Seen::Loss {
                        lost: window.lost,
                        expected: window.expected,
                        window_ns: took_ns,
                    };
                    w.alarms.raise(g, now_ns, start, seen, changes);
                } else {
                    w.alarms.clear(g, AlarmKind::Loss, now_ns, changes);
                }
            }
            self.window_start_ns = now_ns;
        }
    }

    /// How often `tick` must be called for an alarm to come at most a twentieth of the
    /// stall limit (and at most 50 ms) late, in ns.
    pub fn tick_every(&self) -> u64 {
        (self.opts.stall_ns / 20).clamp(1_000_000, 50_000_000)
    }

    /// Alarms raised in all, standing or cleared.
    pub fn raised(&self) -> u64 {
        self.groups.iter().map(|w| w.alarms.raised).sum()
    }
}

/// The sequence numbers a datagram carries, for the merge of a pair: a feed's as `--seq`
/// says, else RTP's (wrapping at 2^16); None when it has none.
fn numbers(opts: &Options, datagram: &[u8]) -> Option<(u64, u64, Option<u64>)> {
    match opts.content.map(|c| c.choice) {
        Some(Choice::Feed(format)) => format.numbers(datagram).ok(),
        Some(_) => rtp::Header::parse(datagram)
            .ok()
            .map(|h| (u64::from(h.seq), 1, Some(1 << 16))),
        None => None,
    }
}

/// A window's figures, from the counts at its start and end over `took_ns`.
fn figures(start: &Mark, end: &Mark, took_ns: u64) -> Window {
    let seconds = took_ns as f64 / 1e9;
    let lost = end.lost.saturating_sub(start.lost);
    Window {
        datagrams_per_s: (end.datagrams - start.datagrams) as f64 / seconds,
        bits_per_s: (end.bytes - start.bytes) as f64 * 8.0 / seconds,
        lost,
        expected: end.units.saturating_sub(start.units) + lost,
    }
}

#[cfg(test)]
mod tests;
