//! The monitor itself: every watched group, which group a datagram on a socket belongs to,
//! and the alarms a clock drives (a group that never started, a stall, loss over the limit
//! in a window), raised and cleared once each.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::Target;
use super::alarm::{AlarmKind, Change, Seen};
use super::group::{Mark, Watched, Window};
use super::plan::Join;
use crate::content::flow::{self, Streams};

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
}

impl Monitor {
    /// A monitor of `targets`, joined at `now_ns`.
    pub fn new(targets: Vec<Target>, opts: Options, now_ns: u64) -> Monitor {
        let groups = targets
            .into_iter()
            .map(|t| Watched::new(t, opts.content.map(Streams::new)))
            .collect();
        Monitor {
            groups,
            opts,
            started_ns: now_ns,
            window_start_ns: now_ns,
            routes: HashMap::new(),
            unmatched: 0,
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

    /// The target of a datagram to `group` from `source` on socket `socket`.
    pub fn find(&self, socket: usize, group: IpAddr, source: IpAddr) -> Option<usize> {
        let r = self.routes.get(&(socket, group))?;
        r.sources
            .iter()
            .find(|(s, _)| *s == source)
            .map(|&(_, t)| t)
            .or(r.any)
    }

    /// Every group, in the targets' order.
    pub fn groups(&self) -> &[Watched] {
        &self.groups
    }

    /// Reads one datagram delivered as `d` says; alarms it clears go to `changes`. Returns
    /// its group's index, None when it belongs to no target.
    pub fn observe(
        &mut self,
        d: &Delivery,
        datagram: &[u8],
        changes: &mut Vec<Change>,
    ) -> Option<usize> {
        let (ns, source) = (d.ns, d.source);
        let Some(g) = self.find(d.socket, d.group, source.ip()) else {
            self.unmatched += 1;
            return None;
        };
        let w = &mut self.groups[g];
        if w.first_ns.is_none() {
            w.alarms.clear(g, AlarmKind::NeverStarted, ns, changes);
        } else if w.alarms.stands(AlarmKind::Stall) {
            w.alarms.clear(g, AlarmKind::Stall, ns, changes);
        }
        w.observe(source, datagram, ns, d.drops);
        Some(g)
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
                if window.lost > 0 && share > self.opts.loss_alarm {
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
