//! Firewall rules read as structure, not as text: a ruleset (from `nft --json`, or from
//! iptables-save) becomes chains of rules whose conditions are judged against a model of the
//! packet in question (UDP to the group and port, an IGMP query, an MLD report...). A rule
//! whose condition cannot be judged is said to be so, never taken as harmless.

mod check;
pub mod iptables;
pub mod nft;

#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

pub use check::firewall;

/// Where a chain is hooked into the kernel's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// netdev ingress: before everything else.
    Ingress,
    /// Before the routing decision.
    Prerouting,
    /// Packets for this host.
    Input,
    /// Packets routed through.
    Forward,
    /// Packets this host sends.
    Output,
    /// After the routing decision, on the way out.
    Postrouting,
}

impl Hook {
    /// A hook by the name nft or iptables gives it ("input", "PREROUTING").
    pub fn from_name(name: &str) -> Option<Hook> {
        Some(match name.to_ascii_lowercase().as_str() {
            "ingress" => Hook::Ingress,
            "prerouting" => Hook::Prerouting,
            "input" => Hook::Input,
            "forward" => Hook::Forward,
            "output" => Hook::Output,
            "postrouting" => Hook::Postrouting,
            _ => return None,
        })
    }
}

/// What a field of the packet is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// Numbers from .0 to .1, both included.
    Range(u64, u64),
    /// An address prefix.
    Prefix(IpAddr, u8),
    /// A word: an interface name, a packet type, a family.
    Word(String),
}

/// The fields of a packet the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// "ipv4" or "ipv6".
    Family,
    /// The transport protocol number (17 UDP, 2 IGMP, 58 ICMPv6).
    Protocol,
    /// The source address.
    Saddr,
    /// The destination address.
    Daddr,
    /// The source port.
    Sport,
    /// The destination port.
    Dport,
    /// The IGMP or ICMPv6 type.
    IcmpType,
    /// "host", "multicast", "broadcast" or "other".
    PktType,
    /// The interface it came in by.
    InIface,
    /// The interface it leaves by.
    OutIface,
    /// Whether it is a fragment after the first (no transport header).
    LaterFragment,
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// The field's value is (or with `negate`, is not) one of `values`.
    Is {
        /// The field compared.
        field: Field,
        /// The comparison is "is not".
        negate: bool,
        /// What it is compared with.
        values: Vec<Val>,
    },
    /// Something this reader does not judge (connection state, rate limits, marks...).
    Opaque,
}

/// What a rule does with a packet it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Lets it through (this chain and hook).
    Accept,
    /// Drops or rejects it.
    Drop,
    /// Goes on in the named chain, and comes back.
    Jump(String),
    /// Goes on in the named chain, without coming back.
    Goto(String),
    /// Comes back to the chain that jumped here.
    Return,
    /// No verdict (a counter, a log): the next rule follows.
    Next,
    /// One this reader does not follow (queue): taken as "may drop".
    Unknown,
}

/// A rule, where it lives and how to remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule as its tool prints it.
    pub text: String,
    /// The command that deletes it.
    pub delete: String,
    /// Its conditions, all of which must hold.
    pub conds: Vec<Cond>,
    /// What it does when they do.
    pub verdict: Verdict,
}

/// A chain of rules, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// "nft" or "iptables" / "ip6tables".
    pub tool: &'static str,
    /// ip, ip6, inet, netdev, bridge...
    pub family: String,
    /// Its table's name.
    pub table: String,
    /// Its own name.
    pub name: String,
    /// Set for base chains.
    pub hook: Option<Hook>,
    /// The interface a netdev chain is bound to.
    pub device: Option<String>,
    /// A base chain whose policy drops what no rule accepted.
    pub policy_drop: bool,
    /// Its rules, in order.
    pub rules: Vec<Rule>,
}

impl Chain {
    /// Where it is, as the tool names it (the tool itself apart): "inet filter input" for
    /// nft, "filter INPUT" for iptables.
    pub fn place(&self) -> String {
        match self.tool {
            "nft" => format!("{} {} {}", self.family, self.table, self.name),
            _ => format!("{} {}", self.table, self.name),
        }
    }
}

/// A packet as the rules would see it; `None` where it is not known (a source not given).
#[derive(Debug, Clone)]
pub struct Packet {
    /// IPv4 (else IPv6).
    pub v4: bool,
    /// The transport protocol number.
    pub protocol: u8,
    /// The source address, when known.
    pub saddr: Option<IpAddr>,
    /// The destination address.
    pub daddr: IpAddr,
    /// None where the packet has no such header (IGMP, a later fragment).
    pub dport: Option<u16>,
    /// The port is not known (doctor was given none): rules on it cannot be judged.
    pub port_unknown: bool,
    /// The IGMP or ICMPv6 type, for those.
    pub icmp_type: Option<u8>,
    /// Sent to a group (pkttype multicast).
    pub multicast: bool,
    /// The interface it comes in by, when known.
    pub in_iface: Option<String>,
    /// The interface it leaves by, when known.
    pub out_iface: Option<String>,
    /// A fragment after the first.
    pub later_fragment: bool,
}

/// What a field holds for a packet.
enum Has<'a> {
    Num(u64),
    Addr(IpAddr),
    Word(&'a str),
    /// The packet has no such header: a match on it fails, whatever the operator.
    Absent,
    /// Not known here.
    Unknown,
}

impl Packet {
    fn has(&self, f: Field) -> Has<'_> {
        match f {
            Field::Family => Has::Word(if self.v4 { "ipv4" } else { "ipv6" }),
            Field::Protocol => Has::Num(u64::from(self.protocol)),
            Field::Saddr => self.saddr.map_or(Has::Unknown, Has::Addr),
            Field::Daddr => Has::Addr(self.daddr),
            // A sender's port is not known; a later fragment has no ports at all.
            Field::Sport if self.later_fragment || self.dport.is_none() => Has::Absent,
            Field::Sport => Has::Unknown,
            Field::Dport if self.port_unknown && !self.later_fragment => Has::Unknown,
            Field::Dport => match (self.later_fragment, self.dport) {
                (false, Some(p)) => Has::Num(u64::from(p)),
                _ => Has::Absent,
            },
            Field::IcmpType => self
                .icmp_type
                .map_or(Has::Absent, |t| Has::Num(u64::from(t))),
            Field::PktType => Has::Word(if self.multicast { "multicast" } else { "host" }),
            Field::InIface => self.in_iface.as_deref().map_or(Has::Unknown, Has::Word),
            Field::OutIface => self.out_iface.as_deref().map_or(Has::Unknown, Has::Word),
            Field::LaterFragment => Has::Num(u64::from(self.later_fragment)),
        }
    }
}

fn in_prefix(a: IpAddr, p: IpAddr, len: u8) -> bool {
    match (a, p) {
        (IpAddr::V4(a), IpAddr::V4(p)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(len.min(32)))
                .unwrap_or(0);
            u32::from(a) & mask == u32::from(p) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(p)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(len.min(128)))
                .unwrap_or(0);
            u128::from(a) & mask == u128::from(p) & mask
        }
        _ => false,
    }
}

impl Cond {
    /// Whether the packet meets it; None when that cannot be told.
    pub fn holds(&self, p: &Packet) -> Option<bool> {
        let Cond::Is {
            field,
            negate,
            values,
        } = self
        else {
            return None;
        };
        let has = p.has(*field);
        let found = match &has {
            Has::Absent => return Some(false),
            Has::Unknown => return None,
            Has::Num(n) => values.iter().try_fold(false, |any, v| match v {
                Val::Range(lo, hi) => Some(any || (lo..=hi).contains(&n)),
                _ => None,
            })?,
            Has::Addr(a) => values.iter().try_fold(false, |any, v| match v {
                Val::Prefix(net, len) => Some(any || in_prefix(*a, *net, *len)),
                _ => None,
            })?,
            Has::Word(w) => values.iter().try_fold(false, |any, v| match v {
                // nft's trailing `*` is a prefix match on interface names.
                Val::Word(x) => {
                    Some(any || x == w || x.strip_suffix('*').is_some_and(|s| w.starts_with(s)))
                }
                _ => None,
            })?,
        };
        Some(found != *negate)
    }
}

/// How a packet fared in one ruleset.
#[derive(Debug, Default)]
pub struct Outcome<'a> {
    /// Rules that drop it, each with its chain: certain, every condition judged.
    pub dropped_by: Vec<(&'a Chain, &'a Rule)>,
    /// Base chains whose policy drops it, no rule having accepted it.
    pub policy: Vec<&'a Chain>,
    /// Rules that may drop it (or decide it otherwise) and could not be judged.
    pub unjudged: Vec<(&'a Chain, &'a Rule)>,
    /// Base chains whose policy drops it unless a rule that could not be judged accepted it.
    pub policy_unjudged: Vec<&'a Chain>,
    /// Rules still to be looked at before the judge stops: jumps that may or may not be
    /// taken are followed both ways, which a ruleset of jumps into itself makes exponential.
    steps_left: usize,
}

/// Rules a judgement looks at, at most; beyond, what is left is said to be unjudged.
const MAX_STEPS: usize = 100_000;

/// The result of running a chain.
enum Ran<'a> {
    Accepted,
    Dropped(&'a Chain, &'a Rule),
    /// Reached its end, or a return.
    Fell,
}

/// Judges `packet` against every base chain on `hooks` that its family passes through.
pub fn judge<'a>(chains: &'a [Chain], packet: &Packet, hooks: &[Hook]) -> Outcome<'a> {
    let mut out = Outcome {
        steps_left: MAX_STEPS,
        ..Outcome::default()
    };
    for base in chains {
        let Some(hook) = base.hook else { continue };
        let family_ok = match base.family.as_str() {
            "ip" => packet.v4,
            "ip6" => !packet.v4,
            "inet" => true,
            "netdev" => base.device.as_deref().is_none_or(|d| {
                Some(d) == packet.in_iface.as_deref() || Some(d) == packet.out_iface.as_deref()
            }),
            _ => false,
        };
        if !family_ok || !hooks.contains(&hook) {
            continue;
        }
        let mut unsure = false;
        match run(chains, base, packet, 0, &mut unsure, &mut out) {
            Ran::Accepted => {}
            Ran::Dropped(c, r) if unsure => out.unjudged.push((c, r)),
            Ran::Dropped(c, r) => out.dropped_by.push((c, r)),
            Ran::Fell if base.policy_drop && unsure => out.policy_unjudged.push(base),
            Ran::Fell if base.policy_drop => out.policy.push(base),
            Ran::Fell => {}
        }
    }
    out
}

/// Runs `chain`: `unsure` turns on once a rule that might have decided was not judged, so
/// what follows is not certain either.
fn run<'a>(
    all: &'a [Chain],
    chain: &'a Chain,
    p: &Packet,
    depth: usize,
    unsure: &mut bool,
    out: &mut Outcome<'a>,
) -> Ran<'a> {
    for rule in &chain.rules {
        if out.steps_left == 0 {
            // Out of time for this ruleset: this rule and those after it are not judged.
            out.unjudged.push((chain, rule));
            *unsure = true;
            return Ran::Fell;
        }
        out.steps_left -= 1;
        let holds = rule
            .conds
            .iter()
            .try_fold(true, |all_so_far, c| match c.holds(p) {
                Some(false) => Err(()),
                Some(true) => Ok(all_so_far),
                None => Ok(false),
            });
        let certain = match holds {
            Err(()) => continue,
            Ok(certain) => certain,
        };
        if !certain {
            if rule.verdict != Verdict::Next {
                out.unjudged.push((chain, rule));
                *unsure = true;
            }
            // A jump that may be taken: what its target drops may be dropped.
            if let Verdict::Jump(t) | Verdict::Goto(t) = &rule.verdict
                && let Some(target) = find(all, chain, t)
                && depth < 16
            {
                let mut inner = true;
                if let Ran::Dropped(c, r) = run(all, target, p, depth + 1, &mut inner, out) {
                    out.unjudged.push((c, r));
                }
            }
            continue;
        }
        match &rule.verdict {
            Verdict::Accept => return Ran::Accepted,
            Verdict::Drop => return Ran::Dropped(chain, rule),
            Verdict::Next => {}
            Verdict::Return => return Ran::Fell,
            Verdict::Unknown => {
                out.unjudged.push((chain, rule));
                *unsure = true;
            }
            Verdict::Jump(t) | Verdict::Goto(t) => {
                let Some(target) = find(all, chain, t).filter(|_| depth < 16) else {
                    out.unjudged.push((chain, rule));
                    *unsure = true;
                    continue;
                };
                match run(all, target, p, depth + 1, unsure, out) {
                    Ran::Fell if matches!(rule.verdict, Verdict::Jump(_)) => {}
                    other => return other,
                }
            }
        }
    }
    Ran::Fell
}

fn find<'a>(all: &'a [Chain], from: &Chain, name: &str) -> Option<&'a Chain> {
    all.iter().find(|c| {
        c.tool == from.tool && c.family == from.family && c.table == from.table && c.name == name
    })
}
