//! Watching the joined interface while receiving: a link that goes down and comes back is
//! told, not mistaken for a silent network.

use std::time::{Duration, Instant};

use mcast::iface;

/// How often the interface's state is read while no datagram arrives.
pub const EVERY: Duration = Duration::from_secs(1);

/// What the interface was last seen as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Up,
    Down,
    /// Deleted: nothing arrives on it again, and its memberships went with it.
    Gone,
}

impl State {
    /// The name JSON `link` events give it.
    pub fn name(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Down => "down",
            State::Gone => "gone",
        }
    }
}

/// A change worth telling.
pub struct Change<'a> {
    pub interface: &'a str,
    pub state: State,
}

/// The interface a receiver joined on, and what it was last seen as.
pub struct LinkWatch {
    index: u32,
    name: String,
    state: State,
    next: Instant,
}

impl LinkWatch {
    /// Watches interface `index` (`name`), which is up now.
    pub fn new(index: u32, name: String) -> Self {
        LinkWatch {
            index,
            name,
            state: State::Up,
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
        let state = match iface::interfaces()
            .ok()?
            .iter()
            .find(|i| i.index == self.index)
        {
            None => State::Gone,
            Some(i) if i.flags.up && i.flags.running => State::Up,
            Some(_) => State::Down,
        };
        if state == self.state || self.state == State::Gone {
            return None;
        }
        self.state = state;
        Some(Change {
            interface: &self.name,
            state,
        })
    }
}
