//! Why multicast does not arrive: the checks behind `mcast doctor`, each a function of what
//! the host reports (through [`Host`]) that answers with what it saw and, unless all is
//! well, the fix. The instant checks look at where a join goes (interface, route, group
//! range, MAC aliasing), the kernel's rules (reverse path, forced versions, limits), the port
//! and the firewall; [`listen`] joins for a while and judges what arrived; [`send`] looks at
//! the sender's side.

pub mod firewall;
mod host;
mod join;
mod kernel;
mod listen;
mod port;
pub mod proc;
mod send;
pub mod wire;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod fixture_tests;

use std::net::IpAddr;

use crate::iface::Interface;

pub use firewall::firewall;
pub use host::{Host, System};
pub use join::{group, interface, mac_alias, route};
pub use kernel::{limits, rp_filter, version};
pub use listen::{Arrivals, listen};
pub use port::port;
pub use send::send;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Status {
    /// Nothing wrong seen.
    Ok,
    /// Something to look at, which may or may not keep the group from arriving.
    Warn,
    /// What keeps the group from arriving.
    Fail,
    /// Not judged, and why is in the evidence.
    Skipped,
}

/// One line of the doctor's answer.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Check {
    /// Its name ("rp_filter", "port"...).
    pub check: &'static str,
    /// How it came out.
    pub status: Status,
    /// What was seen.
    pub evidence: String,
    /// What to do, unless all is well.
    pub fix: Option<String>,
}

impl Check {
    /// A check's answer without a fix.
    pub fn new(check: &'static str, status: Status, evidence: impl Into<String>) -> Self {
        Check {
            check,
            status,
            evidence: evidence.into(),
            fix: None,
        }
    }

    /// The same answer with `fix`.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// What the checks are about.
#[derive(Debug, Clone)]
pub struct Case {
    /// The group that does not arrive.
    pub group: IpAddr,
    /// Its UDP port, when known.
    pub port: Option<u16>,
    /// The senders joined from (source-specific); empty for any-source.
    pub sources: Vec<IpAddr>,
    /// The interface named with -i, if any (resolved), or the error resolving it.
    pub given: Option<Result<Interface, String>>,
}

impl Case {
    /// Whether the group is IPv4.
    pub fn v4(&self) -> bool {
        self.group.is_ipv4()
    }

    /// The interface a join would use: the one given, else the route's.
    pub fn join_interface(&self, host: &dyn Host) -> Option<Interface> {
        match &self.given {
            Some(Ok(i)) => Some(i.clone()),
            Some(Err(_)) => None,
            None => host.route_for(self.group),
        }
    }
}

/// The checks that answer at once, for a receiver that gets nothing, in the order to read
/// them.
pub fn receiver_checks(case: &Case, host: &dyn Host) -> Vec<Check> {
    let rp_counter = proc::all_counters(host)
        .get("TcpExt:IPReversePathFilter")
        .copied();
    vec![
        interface(case, host),
        route(case, host),
        group(case),
        mac_alias(case, host),
        rp_filter(case, host, rp_counter),
        version(case, host),
        limits(case, host),
        port(case, host),
        firewall(case, host, false),
    ]
}

/// The checks of the sender's side, in the order to read them.
pub fn sender_checks(case: &Case, host: &dyn Host) -> Vec<Check> {
    vec![
        interface(case, host),
        route(case, host),
        group(case),
        send(case, host),
        firewall(case, host, true),
    ]
}

/// A group scoped to one link: 224.0.0.0/24, or IPv6 scope 1 or 2.
fn link_scoped(g: IpAddr) -> bool {
    match g {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => matches!(v6.segments()[0] & 0x000f, 1 | 2),
    }
}
