//! Where each target's join goes: sockets per port, family and interface, each holding no
//! more groups, and no more sources a group, than the kernel lets one socket hold.
//!
//! Linux bounds an IPv4 socket's groups by net.ipv4.igmp_max_memberships (20 by default) and
//! a group's sources on one socket by net.ipv4.igmp_max_msf (10) and net.ipv6.mld_max_msf
//! (64); an IPv6 socket's groups are bounded by option memory only. A monitor of 1,000
//! groups therefore needs dozens of sockets, and one group with more sources than the limit
//! is joined on more than one.

use std::collections::HashMap;
use std::net::IpAddr;

use super::Target;
use crate::addr::IfaceSpec;

/// The per-socket limits a plan keeps to, and whether each was read from the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinLimits {
    /// IPv4 groups a socket.
    pub v4_groups: usize,
    /// IPv4 sources a group, on one socket.
    pub v4_sources: usize,
    /// IPv6 groups a socket (Linux counts none: option memory bounds them).
    pub v6_groups: usize,
    /// IPv6 sources a group, on one socket.
    pub v6_sources: usize,
    /// Which of the four were read here, in that order; the others are the kernel's
    /// defaults.
    pub read: [bool; 4],
}

impl JoinLimits {
    /// Linux's defaults, for a setting that cannot be read.
    const DEFAULTS: [usize; 4] = [20, 10, usize::MAX, 64];

    /// The limits of this thread's network namespace, the kernel's defaults where a
    /// setting cannot be read; at least 1 each.
    pub fn of_this_host() -> JoinLimits {
        let r = crate::sys::join_limits();
        let got = [r.v4_groups, r.v4_sources, r.v6_groups, r.v6_sources];
        let value = |i: usize| got[i].unwrap_or(Self::DEFAULTS[i]).max(1);
        JoinLimits {
            v4_groups: value(0),
            v4_sources: value(1),
            v6_groups: value(2),
            v6_sources: value(3),
            read: got.map(|v| v.is_some()),
        }
    }

    /// Limits as given (for tests and callers that know better), at least 1 each.
    pub fn new(v4_groups: usize, v4_sources: usize, v6_groups: usize, v6_sources: usize) -> Self {
        JoinLimits {
            v4_groups: v4_groups.max(1),
            v4_sources: v4_sources.max(1),
            v6_groups: v6_groups.max(1),
            v6_sources: v6_sources.max(1),
            read: [true; 4],
        }
    }

    fn groups(&self, v6: bool) -> usize {
        if v6 { self.v6_groups } else { self.v4_groups }
    }

    fn sources(&self, v6: bool) -> usize {
        if v6 { self.v6_sources } else { self.v4_sources }
    }
}

/// One membership: a target's group, from its source or from any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Join {
    /// The target's index in the list planned.
    pub target: usize,
    /// The group.
    pub group: IpAddr,
    /// Its one source, None for any.
    pub source: Option<IpAddr>,
}

/// One socket: bound to the wildcard address and `port`, of one family, joining on one
/// interface (None: the routing table's choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketPlan {
    /// The UDP port.
    pub port: u16,
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// The interface its joins name.
    pub interface: Option<IfaceSpec>,
    /// Its memberships, in the order of the targets.
    pub joins: Vec<Join>,
}

/// What one planned socket holds of one group.
#[derive(Default)]
struct Held {
    any: bool,
    sources: usize,
}

/// A socket being filled.
struct Filling {
    plan: SocketPlan,
    groups: HashMap<IpAddr, Held>,
}

impl Filling {
    /// Whether this socket may take `join` within `limits`: a group it does not hold yet
    /// while it holds fewer groups than the limit, or another source of a source-specific
    /// group it holds while that group has fewer sources than the limit. Any-source and
    /// source-specific joins of one group do not mix on one socket (the kernel refuses).
    fn takes(&self, join: &Join, limits: &JoinLimits) -> bool {
        let v6 = self.plan.v6;
        match (self.groups.get(&join.group), join.source) {
            (None, _) => self.groups.len() < limits.groups(v6),
            (Some(held), Some(_)) => !held.any && held.sources < limits.sources(v6),
            (Some(_), None) => false,
        }
    }

    fn add(&mut self, join: Join) {
        let held = self.groups.entry(join.group).or_default();
        match join.source {
            Some(_) => held.sources += 1,
            None => held.any = true,
        }
        self.plan.joins.push(join);
    }
}

/// Two targets that are the same membership on the same port: the second is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twice {
    /// The first one's index.
    pub first: usize,
    /// The second one's index.
    pub again: usize,
}

/// What makes two targets the same: source, group, port and interface.
type Membership<'a> = (Option<IpAddr>, IpAddr, u16, Option<&'a IfaceSpec>);

/// The sockets `targets` need within `limits`: grouped by port, family and interface, each
/// filled in the targets' order before the next is opened. Refuses a target given twice
/// (the same source, group, port and interface), which would be counted twice.
pub fn plan(targets: &[Target], limits: &JoinLimits) -> Result<Vec<SocketPlan>, Twice> {
    let mut seen: HashMap<Membership<'_>, usize> = HashMap::new();
    // Per port, family and interface: the sockets being filled, indices into `all`.
    let mut by_key: HashMap<(u16, bool, Option<&IfaceSpec>), Vec<usize>> = HashMap::new();
    let mut all: Vec<Filling> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let key = (t.source, t.group, t.port, t.interface.as_ref());
        if let Some(&first) = seen.get(&key) {
            return Err(Twice { first, again: i });
        }
        seen.insert(key, i);
        let join = Join {
            target: i,
            group: t.group,
            source: t.source,
        };
        let v6 = t.group.is_ipv6();
        let socks = by_key
            .entry((t.port, v6, t.interface.as_ref()))
            .or_default();
        let at = match socks.iter().copied().find(|&s| all[s].takes(&join, limits)) {
            Some(s) => s,
            None => {
                all.push(Filling {
                    plan: SocketPlan {
                        port: t.port,
                        v6,
                        interface: t.interface.clone(),
                        joins: Vec::new(),
                    },
                    groups: HashMap::new(),
                });
                socks.push(all.len() - 1);
                all.len() - 1
            }
        };
        all[at].add(join);
    }
    Ok(all.into_iter().map(|f| f.plan).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        s.parse().unwrap()
    }

    fn groups_of(p: &SocketPlan) -> Vec<String> {
        p.joins
            .iter()
            .map(|j| match j.source {
                Some(s) => format!("{s}@{}", j.group),
                None => j.group.to_string(),
            })
            .collect()
    }

    #[test]
    fn groups_fill_a_socket_to_the_limit_before_the_next() {
        let targets: Vec<Target> = (1..=45).map(|i| t(&format!("239.1.1.{i}:5000"))).collect();
        let p = plan(&targets, &JoinLimits::new(20, 10, 1000, 64)).unwrap();
        assert_eq!(
            p.iter().map(|s| s.joins.len()).collect::<Vec<_>>(),
            [20, 20, 5]
        );
        assert_eq!(p[1].joins[0].target, 20);
        assert!(p.iter().all(|s| s.port == 5000 && !s.v6));
    }

    #[test]
    fn ports_families_and_interfaces_have_sockets_of_their_own() {
        let targets = [
            t("239.1.1.1:5000"),
            t("239.1.1.1:5001"),
            t("[ff3e::1]:5000"),
            t("239.1.1.2:5000,iface=eth1"),
            t("239.1.1.3:5000"),
        ];
        let p = plan(&targets, &JoinLimits::new(20, 10, 1000, 64)).unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(groups_of(&p[0]), ["239.1.1.1", "239.1.1.3"]);
        assert_eq!((p[1].port, p[2].v6), (5001, true));
        assert_eq!(p[3].interface, Some("eth1".parse().unwrap()));
    }

    #[test]
    fn a_group_with_more_sources_than_the_limit_is_joined_on_more_sockets() {
        let targets: Vec<Target> = (1..=25)
            .map(|i| t(&format!("10.0.0.{i}@232.1.1.1:5000")))
            .collect();
        let p = plan(&targets, &JoinLimits::new(20, 10, 1000, 64)).unwrap();
        assert_eq!(
            p.iter().map(|s| s.joins.len()).collect::<Vec<_>>(),
            [10, 10, 5]
        );
        // IPv6 takes 64 a group by default.
        let v6: Vec<Target> = (1..=70)
            .map(|i| t(&format!("2001:db8::{i:x}@[ff3e::1]:5000")))
            .collect();
        let p = plan(&v6, &JoinLimits::new(20, 10, usize::MAX, 64)).unwrap();
        assert_eq!(p.iter().map(|s| s.joins.len()).collect::<Vec<_>>(), [64, 6]);
    }

    #[test]
    fn any_source_and_one_source_of_a_group_go_to_different_sockets() {
        let targets = [
            t("239.1.1.1:5000"),
            t("10.0.0.1@239.1.1.1:5000"),
            t("10.0.0.2@239.1.1.1:5000"),
        ];
        let p = plan(&targets, &JoinLimits::new(20, 10, 1000, 64)).unwrap();
        assert_eq!(groups_of(&p[0]), ["239.1.1.1"]);
        assert_eq!(
            groups_of(&p[1]),
            ["10.0.0.1@239.1.1.1", "10.0.0.2@239.1.1.1"]
        );
    }

    #[test]
    fn a_target_given_twice_is_refused() {
        let targets = [
            t("239.1.1.1:5000,name=A"),
            t("239.1.1.2:5000"),
            t("239.1.1.1:5000,name=B"),
        ];
        let got = plan(&targets, &JoinLimits::new(20, 10, 1000, 64));
        assert_eq!(got, Err(Twice { first: 0, again: 2 }));
        // Another port, or another interface, is another membership.
        let fine = [t("239.1.1.1:5000"), t("239.1.1.1:5000,iface=eth1")];
        assert!(plan(&fine, &JoinLimits::new(20, 10, 1000, 64)).is_ok());
    }

    #[test]
    fn limits_are_at_least_one() {
        let l = JoinLimits::new(0, 0, 0, 0);
        assert_eq!(
            (l.v4_groups, l.v4_sources, l.v6_groups, l.v6_sources),
            (1, 1, 1, 1)
        );
        let p = plan(&[t("239.1.1.1:1"), t("239.1.1.2:1")], &l).unwrap();
        assert_eq!(p.len(), 2);
    }
}
