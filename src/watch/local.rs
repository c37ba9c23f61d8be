//! This host's own answers: when it is asked (a general query arrives) while it holds groups
//! on that link and no report of its own leaves within the query's response time, its
//! memberships will expire at the switch. Seen in the lab with nft dropping IGMP output.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::wire::igmp::{Message, Packet};

use super::state::{Kind, Warning};

/// A question not yet answered on (interface, IPv4?).
struct Asked {
    by: IpAddr,
    deadline: Instant,
    groups: Vec<IpAddr>,
}

/// This host's own answers to queries: whether its reports left in time (an output firewall dropping IGMP or MLD shows here).
#[derive(Default)]
pub struct LocalAnswers {
    pending: HashMap<(u32, bool), Asked>,
    told: std::collections::HashSet<(u32, bool)>,
}

/// The groups this host holds on `ifindex` that it must report (IPv4: all but 224.0.0.1;
/// IPv6: all but ff02::1), at most a few named.
fn held(ifindex: u32, v4: bool) -> Vec<IpAddr> {
    let all_hosts: IpAddr = if v4 {
        [224, 0, 0, 1].into()
    } else {
        IpAddr::V6(std::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1))
    };
    crate::membership::memberships()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.index == ifindex && m.group.is_ipv4() == v4 && m.group != all_hosts)
        .map(|m| m.group)
        .collect()
}

impl LocalAnswers {
    /// Takes in a packet seen on `ifindex`, `outgoing` when this host sent it.
    pub fn observe(&mut self, ifindex: u32, outgoing: bool, p: &Packet, now: Instant) {
        let link = (ifindex, p.source.is_ipv4());
        match (&p.message, outgoing) {
            (Message::Report { .. }, true) => {
                self.pending.remove(&link);
            }
            (Message::Query(q), false)
                if q.group.is_none() && !self.pending.contains_key(&link) =>
            {
                let groups = held(ifindex, link.1);
                if groups.is_empty() {
                    return;
                }
                // Its response time, and a second more for a busy host.
                let wait = Duration::from_millis(u64::from(q.max_response_ms.max(1000)))
                    + Duration::from_secs(1);
                self.pending.insert(
                    link,
                    Asked {
                        by: p.source,
                        deadline: now + wait,
                        groups,
                    },
                );
            }
            _ => {}
        }
    }

    /// Questions left unanswered past their time: a warning each, once per link.
    pub fn tick(&mut self, now: Instant) -> Vec<Warning> {
        let due: Vec<(u32, bool)> = self
            .pending
            .iter()
            .filter(|(_, a)| now >= a.deadline)
            .map(|(l, _)| *l)
            .collect();
        let mut out = Vec::new();
        for link in due {
            let Some(a) = self.pending.remove(&link) else {
                continue;
            };
            if !self.told.insert(link) {
                continue;
            }
            let proto = if link.1 { "IGMP" } else { "MLD" };
            let shown: Vec<String> = a.groups.iter().take(5).map(ToString::to_string).collect();
            let more = a.groups.len().saturating_sub(5);
            out.push(Warning {
                kind: Kind::LocalHostSilent,
                ifindex: link.0,
                v4: link.1,
                subject: Some(a.by),
                message: format!(
                    "this host was queried by {} and sent no {proto} report in time, though it \
                     holds {}{}: its memberships will expire at the switch and routers, and \
                     their groups stop arriving. Is an output firewall rule dropping {proto}? \
                     (mcast doctor GROUP PORT checks the rules)",
                    a.by,
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
            });
        }
        out
    }
}
