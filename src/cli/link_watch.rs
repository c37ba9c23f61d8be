//! Watching the joined interface while receiving: a link that goes down and comes back is
//! told, not mistaken for a silent network.

use std::time::{Duration, Instant};

use mcast::iface;

/// How often the interface's state is read while no datagram arrives.
pub const EVERY: Duration = Duration::from_secs(1);

/// A change worth telling.
pub struct Change<'a> {
    pub interface: &'a str,
    pub up: bool,
}

/// The interface a receiver joined on, and whether it was last seen up.
pub struct LinkWatch {
    index: u32,
    name: String,
    up: bool,
    next: Instant,
}

impl LinkWatch {
    /// Watches interface `index` (`name`), which is up now.
    pub fn new(index: u32, name: String) -> Self {
        LinkWatch {
            index,
            name,
            up: true,
            next: Instant::now() + EVERY,
        }
    }

    /// When the next look is due.
    pub fn next(&self) -> Instant {
        self.next
    }

    /// Looks again when due; returns the change if the link went down or came back.
    pub fn poll(&mut self) -> Option<Change<'_>> {
        let now = Instant::now();
        if now < self.next {
            return None;
        }
        self.next = now + EVERY;
        let up = iface::interfaces()
            .ok()?
            .iter()
            .find(|i| i.index == self.index)
            .is_some_and(|i| i.flags.up && i.flags.running);
        if up == self.up {
            return None;
        }
        self.up = up;
        Some(Change {
            interface: &self.name,
            up,
        })
    }
}
