//! A monitor's alarms: what each one means, what it saw when raised, and its clearing with
//! how long it lasted. Each is raised once and cleared once; none is raised again while it
//! stands.

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmKind {
    /// No datagram since the group was joined.
    NeverStarted,
    /// The group fell silent.
    Stall,
    /// The content lost more than the limit in one window.
    Loss,
    /// One leg of an A/B pair is down while the other carries the feed.
    LegDown,
}

impl AlarmKind {
    /// Every kind, in the order a group's alarms are kept.
    pub const ALL: [AlarmKind; 4] = [
        AlarmKind::NeverStarted,
        AlarmKind::Stall,
        AlarmKind::Loss,
        AlarmKind::LegDown,
    ];

    /// Its name in JSON and text.
    pub fn name(self) -> &'static str {
        match self {
            AlarmKind::NeverStarted => "never_started",
            AlarmKind::Stall => "stall",
            AlarmKind::Loss => "loss",
            AlarmKind::LegDown => "leg_down",
        }
    }

    pub(super) fn slot(self) -> usize {
        match self {
            AlarmKind::NeverStarted => 0,
            AlarmKind::Stall => 1,
            AlarmKind::Loss => 2,
            AlarmKind::LegDown => 3,
        }
    }
}

/// What an alarm saw when it was raised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Seen {
    /// Nothing came in the `waited_ns` since the joins.
    NeverStarted {
        /// How long it has waited, in ns.
        waited_ns: u64,
    },
    /// Nothing came since `last_ns`.
    Stall {
        /// When the last datagram came (the kernel's time), ns since the epoch.
        last_ns: u64,
        /// How long it had been silent when the alarm was raised, in ns.
        silent_ns: u64,
    },
    /// `lost` of `expected` units (RTP packets, TS packets, feed numbers) were lost in the
    /// window of `window_ns` that just ended.
    Loss {
        /// Units lost in the window.
        lost: u64,
        /// Units due in the window: those received and those lost.
        expected: u64,
        /// The window's length, in ns.
        window_ns: u64,
    },
    /// This group, one leg of pair `pair`, is down while the other leg flows.
    LegDown {
        /// The pair's index.
        pair: usize,
        /// The other leg's group.
        other: usize,
    },
}

impl Seen {
    /// The kind of alarm it raises.
    pub fn kind(&self) -> AlarmKind {
        match self {
            Seen::NeverStarted { .. } => AlarmKind::NeverStarted,
            Seen::Stall { .. } => AlarmKind::Stall,
            Seen::Loss { .. } => AlarmKind::Loss,
            Seen::LegDown { .. } => AlarmKind::LegDown,
        }
    }
}

/// An alarm raised or cleared, for one group (its index among the targets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Raised at `at_ns` for what it saw.
    Raised {
        /// The group's index.
        group: usize,
        /// When, ns since the epoch.
        at_ns: u64,
        /// What was seen.
        seen: Seen,
    },
    /// Cleared at `at_ns`, having lasted `lasted_ns`: a stall from its last datagram to the
    /// next, a group that never started from the joins to its first datagram, loss from the
    /// start of the first window over the limit to the end of the first one within it.
    Cleared {
        /// The group's index.
        group: usize,
        /// Which alarm.
        kind: AlarmKind,
        /// When, ns since the epoch.
        at_ns: u64,
        /// How long it lasted, in ns.
        lasted_ns: u64,
    },
}

impl Change {
    /// The group it is about.
    pub fn group(&self) -> usize {
        match self {
            Change::Raised { group, .. } | Change::Cleared { group, .. } => *group,
        }
    }

    /// The alarm it is about.
    pub fn kind(&self) -> AlarmKind {
        match self {
            Change::Raised { seen, .. } => seen.kind(),
            Change::Cleared { kind, .. } => *kind,
        }
    }
}

/// One group's alarms: for each standing one, since when it counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Alarms {
    since: [Option<u64>; 4],
    /// Alarms raised in all, standing or cleared.
    pub raised: u64,
}

impl Alarms {
    /// Whether `kind` stands.
    pub fn stands(&self, kind: AlarmKind) -> bool {
        self.since[kind.slot()].is_some()
    }

    /// The alarms standing now.
    pub fn standing(&self) -> impl Iterator<Item = AlarmKind> + '_ {
        AlarmKind::ALL.into_iter().filter(|k| self.stands(*k))
    }

    /// Raises the alarm of `seen`, counted from `since_ns`, unless it stands already.
    pub(super) fn raise(
        &mut self,
        group: usize,
        at_ns: u64,
        since_ns: u64,
        seen: Seen,
        out: &mut Vec<Change>,
    ) {
        let slot = &mut self.since[seen.kind().slot()];
        if slot.is_none() {
            *slot = Some(since_ns);
            self.raised += 1;
            out.push(Change::Raised { group, at_ns, seen });
        }
    }

    /// Clears `kind` at `at_ns` when it stands.
    pub(super) fn clear(
        &mut self,
        group: usize,
        kind: AlarmKind,
        at_ns: u64,
        out: &mut Vec<Change>,
    ) {
        if let Some(since) = self.since[kind.slot()].take() {
            out.push(Change::Cleared {
                group,
                kind,
                at_ns,
                lasted_ns: at_ns.saturating_sub(since),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_is_raised_once_and_cleared_once_with_its_length() {
        let mut a = Alarms::default();
        let mut out = Vec::new();
        let seen = Seen::Stall {
            last_ns: 100,
            silent_ns: 1_000,
        };
        a.raise(7, 1_100, 100, seen, &mut out);
        a.raise(7, 1_200, 150, seen, &mut out);
        assert_eq!(
            out,
            [Change::Raised {
                group: 7,
                at_ns: 1_100,
                seen
            }]
        );
        assert!(a.stands(AlarmKind::Stall));
        assert_eq!(a.standing().collect::<Vec<_>>(), [AlarmKind::Stall]);
        out.clear();
        a.clear(7, AlarmKind::Stall, 5_100, &mut out);
        a.clear(7, AlarmKind::Stall, 6_000, &mut out);
        a.clear(7, AlarmKind::Loss, 6_000, &mut out);
        assert_eq!(
            out,
            [Change::Cleared {
                group: 7,
                kind: AlarmKind::Stall,
                at_ns: 5_100,
                lasted_ns: 5_000
            }]
        );
        assert_eq!((a.raised, a.stands(AlarmKind::Stall)), (1, false));
        assert_eq!((out[0].group(), out[0].kind()), (7, AlarmKind::Stall));
    }

    #[test]
    fn kinds_are_kept_apart() {
        let mut a = Alarms::default();
        let mut out = Vec::new();
        a.raise(0, 10, 0, Seen::NeverStarted { waited_ns: 10 }, &mut out);
        let loss = Seen::Loss {
            lost: 1,
            expected: 10,
            window_ns: 5,
        };
        a.raise(0, 20, 15, loss, &mut out);
        assert_eq!(a.raised, 2);
        assert_eq!(
            a.standing().collect::<Vec<_>>(),
            [AlarmKind::NeverStarted, AlarmKind::Loss]
        );
        assert_eq!(
            AlarmKind::ALL.map(AlarmKind::name),
            ["never_started", "stall", "loss", "leg_down"]
        );
    }
}
