//! Doctor's receiver checks for a group that never started, run once each on a thread of
//! their own (they read /proc and run nft, which must not hold the receiving up): the cause
//! of a group that never arrives is often on this host.

use std::sync::mpsc::{Receiver, Sender, channel};

use mcast::doctor::{self, Case, Check};
use mcast::monitor::Target;

/// Groups whose checks are run at most: past them, a line says to run doctor by hand.
pub const MAX: usize = 5;

/// The checks asked for and those that came back.
pub struct Diagnoses {
    tx: Sender<(usize, Vec<Check>)>,
    rx: Receiver<(usize, Vec<Check>)>,
    asked: usize,
}

impl Diagnoses {
    pub fn new() -> Diagnoses {
        let (tx, rx) = channel();
        Diagnoses { tx, rx, asked: 0 }
    }

    /// Runs the checks for group `g` when fewer than MAX were asked for; false when not.
    pub fn ask(&mut self, g: usize, t: &Target) -> bool {
        if self.asked >= MAX {
            return false;
        }
        self.asked += 1;
        let case = Case {
            group: t.group,
            port: Some(t.port),
            sources: t.source.into_iter().collect(),
            given: t
                .interface
                .as_ref()
                .map(|i| mcast::iface::resolve(i).map_err(|e| e.to_string())),
        };
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let mut checks = doctor::receiver_checks(&case, &doctor::System);
            // The port's holders are the monitor itself, bound and sharing: nothing there
            // can keep its own socket from the group.
            checks.retain(|c| c.check != "port");
            let _ = tx.send((g, checks));
        });
        true
    }

    /// The checks that came back since the last call.
    pub fn ready(&self) -> Vec<(usize, Vec<Check>)> {
        self.rx.try_iter().collect()
    }
}
