//! What `mcast watch` learns from the IGMP and MLD it sees: the queriers of each link (the
//! elected one by the RFC rule, lowest address), the hosts and what they report, aged with
//! the querier's own timers, and the warnings that follow. Pure: the tests feed it packets.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::wire::igmp::{Message, Packet, Query, RecordType};

/// Host-and-group entries kept, whatever a storm of reports says; past it, reports are
/// counted as untracked.
pub const MAX_ENTRIES: usize = 20_000;

/// A querier heard on one link.
#[derive(Debug, Clone)]
pub struct Querier {
    /// The protocol version it speaks (IGMP 1-3, MLD 1-2).
    pub version: u8,
    /// Queries heard from it.
    pub queries: u64,
    /// When it was last heard.
    pub last: Instant,
    /// The last general query, and the time between the last two.
    last_general: Option<Instant>,
    /// The time between its last two general queries.
    pub interval: Option<Duration>,
    /// Its maximum response time, in milliseconds.
    pub max_response_ms: u32,
    /// Its robustness variable (QRV), 0 when not announced.
    pub qrv: u8,
    /// Its query interval (QQI) in seconds, 0 when not announced.
    pub qqi_s: u32,
}

impl Querier {
    /// How long it counts as present after its last query: its own announced timers.
    pub fn present_for(&self) -> Duration {
        Timers::new(self.qrv, self.qqi_s, self.max_response_ms).other_querier_present()
    }
}

/// Queriers followed at once (a link has one or two; more are spoofed): past it, queriers
/// gone past their own Other Querier Present Interval are forgotten first, then the least
/// recently heard that is not elected; the rest are counted. Each query then scans a
/// bounded table.
pub const MAX_QUERIERS: usize = 64;

/// Sources followed per membership: a host's own filter holds far fewer (igmp_max_msf 10,
/// mld_max_msf 64 by default), so more is a forger's; the rest are counted.
pub const MAX_SOURCES: usize = 1024;

/// Distinct warnings remembered (so each is told once); past it, new ones are not told.
pub const MAX_TOLD: usize = 10_000;

/// A group as one host reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// EXCLUDE mode (any source but those listed) rather than INCLUDE.
    pub exclude: bool,
    /// Sorted, without repeats.
    pub sources: Vec<IpAddr>,
    /// When it was last reported.
    pub last: Instant,
}

/// One host's groups, for the summary.
pub struct HostView<'a> {
    /// The interface it was heard on.
    pub ifindex: u32,
    /// The host's address.
    pub host: IpAddr,
    /// The protocol version of its reports.
    pub version: u8,
    /// Its groups, each with its filter.
    pub groups: Vec<(IpAddr, &'a Membership)>,
}

/// Why a warning was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// No querier heard within the timeout.
    NoQuerier,
    /// A querier of an old version (IGMPv1/v2, MLDv1): no source-specific joins.
    OldQuerier,
    /// Queriers of one link that disagree on version or interval.
    QueriersDisagree,
    /// A host reporting an older version than its querier.
    HostOlderVersion,
    /// An any-source join of a group in the SSM range.
    AsmInSsmRange,
    /// This host was queried and sent no report in time.
    LocalHostSilent,
}

impl Kind {
    /// The kind as JSON names it.
    pub fn key(self) -> &'static str {
        match self {
            Kind::NoQuerier => "no_querier",
            Kind::OldQuerier => "old_querier",
            Kind::QueriersDisagree => "queriers_disagree",
            Kind::HostOlderVersion => "host_older_version",
            Kind::AsmInSsmRange => "asm_in_ssm_range",
            Kind::LocalHostSilent => "local_host_silent",
        }
    }

    /// The kinds about the link's querier: told whatever else filled the memory of warnings
    /// (their own memory is apart), so a flood of lesser warnings cannot hide them.
    pub fn always_told(self) -> bool {
        matches!(
            self,
            Kind::NoQuerier | Kind::OldQuerier | Kind::QueriersDisagree | Kind::LocalHostSilent
        )
    }

    /// What the warnings of this kind not told one by one were about, for the summary.
    pub fn repeated(self) -> &'static str {
        match self {
            Kind::NoQuerier => "links without a querier",
            Kind::OldQuerier => "queriers of an old version",
            Kind::QueriersDisagree => "queriers that disagree",
            Kind::HostOlderVersion => "hosts reporting an older version than their querier",
            Kind::AsmInSsmRange => "any-source joins of SSM groups",
            Kind::LocalHostSilent => "queries this host did not answer",
        }
    }
}

/// A warning: its kind, the link, who it is about, and what it means with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Why it was given.
    pub kind: Kind,
    /// The interface it is about.
    pub ifindex: u32,
    /// IPv4 (IGMP) rather than IPv6 (MLD).
    pub v4: bool,
    /// Who it is about: a querier's or a host's address.
    pub subject: Option<IpAddr>,
    /// What it means and what to do.
    pub message: String,
}

/// The protocol's name for a family and version.
pub fn protocol(v4: bool, version: u8) -> String {
    if v4 {
        format!("IGMPv{version}")
    } else {
        format!("MLDv{version}")
    }
}

fn in_ssm_range(g: IpAddr) -> bool {
    crate::addr::is_ssm_range(g)
}

/// Everything learnt, per link (interface index) and family.
/// A querier's timers as its queries announce them, with the protocol's defaults (RFC 3376
/// 8.1-8.4, RFC 3810 9.1-9.4) where they say nothing (IGMPv2 and MLDv1 carry no QRV or QQI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// The robustness variable (QRV).
    pub robustness: u32,
    /// The query interval (QQI).
    pub interval: Duration,
    /// The maximum response time.
    pub response: Duration,
}

impl Timers {
    /// From a query's QRV, QQI (seconds) and maximum response time (ms); 0 means not given.
    pub fn new(qrv: u8, qqi_s: u32, max_response_ms: u32) -> Timers {
        Timers {
            robustness: if qrv == 0 { 2 } else { u32::from(qrv) },
            interval: Duration::from_secs(if qqi_s == 0 { 125 } else { u64::from(qqi_s) }),
            response: Duration::from_millis(u64::from(max_response_ms)),
        }
    }

    /// The timers a query announces.
    pub fn of(q: &Query) -> Timers {
        Timers::new(q.qrv, q.qqi_s, q.max_response_ms)
    }

    /// How long a querier may be silent before it is taken as gone: the Other Querier
    /// Present Interval, robustness x interval + response / 2.
    pub fn other_querier_present(&self) -> Duration {
        self.interval * self.robustness + self.response / 2
    }

    /// How long a membership lasts without a report: the Group Membership Interval,
    /// robustness x interval + response.
    pub fn membership(&self) -> Duration {
        self.interval * self.robustness + self.response
    }
}

/// Everything learnt from the packets seen, per link and family, bounded.
#[derive(Debug)]
pub struct Watch {
    /// The queriers heard, by interface and address (at most `MAX_QUERIERS`).
    pub queriers: BTreeMap<(u32, IpAddr), Querier>,
    /// What each host reported, by (interface, host, group): flat, so a storm of hosts
    /// costs a hundred-odd bytes an entry.
    pub memberships: HashMap<(u32, IpAddr, IpAddr), Membership>,
    /// The version each host last reported in.
    pub versions: HashMap<(u32, IpAddr), u8>,
    last_aging: Instant,
    /// Report records past the `MAX_ENTRIES` entries kept.
    pub untracked: u64,
    /// Sources beyond `MAX_SOURCES` in one membership: counted, not followed.
    pub untracked_sources: u64,
    /// Queriers forgotten to keep the table within `MAX_QUERIERS`.
    pub untracked_queriers: u64,
    /// Memberships that aged out: no report within the membership interval.
    pub aged: u64,
    /// Links and families watched for a querier, with when one was last heard (or the
    /// watch began) and whether the silence was told already.
    silence: HashMap<(u32, bool), (Instant, bool)>,
    /// The timers the last querier heard on each link announced, with its address.
    announced: HashMap<(u32, bool), (IpAddr, Timers)>,
    querier_timeout: Duration,
    told: HashSet<(Kind, u32, Option<IpAddr>, Option<IpAddr>)>,
    /// The same for the kinds always told, apart so that the others cannot fill it.
    told_always: HashSet<(Kind, u32, Option<IpAddr>, Option<IpAddr>)>,
    /// Warnings past the memory of warnings, by kind: counted for the summary.
    pub not_told: BTreeMap<Kind, u64>,
}

impl Watch {
    /// A watch of `links` (interface index, IPv4?) from `now`, telling of a querier silent
    /// for `querier_timeout`.
    pub fn new(links: &[(u32, bool)], querier_timeout: Duration, now: Instant) -> Self {
        Watch {
            queriers: BTreeMap::new(),
            memberships: HashMap::new(),
            versions: HashMap::new(),
            last_aging: now,
            untracked: 0,
            untracked_sources: 0,
            untracked_queriers: 0,
            aged: 0,
            silence: links.iter().map(|l| (*l, (now, false))).collect(),
            announced: HashMap::new(),
            querier_timeout,
            told: HashSet::new(),
            told_always: HashSet::new(),
            not_told: BTreeMap::new(),
        }
    }

    /// A warning, unless the same was given before.
    fn warn(
        &mut self,
        out: &mut Vec<Warning>,
        kind: Kind,
        (ifindex, v4): (u32, bool),
        subject: Option<IpAddr>,
        about: Option<IpAddr>,
        message: String,
    ) {
        let key = (kind, ifindex, subject, about);
        let told = if kind.always_told() {
            &mut self.told_always
        } else {
            &mut self.told
        };
        if told.contains(&key) {
            return;
        }
        if told.len() >= MAX_TOLD {
            // Counted and summarised, never silenced without a word.
            *self.not_told.entry(kind).or_default() += 1;
            return;
        }
        told.insert(key);
        {
            out.push(Warning {
                kind,
                ifindex,
                v4,
                subject,
                message,
            });
        }
    }

    /// Forgets queriers gone past their own timers; if none is, the least recently heard
    /// that is not its link's elected querier.
    fn make_room_for_a_querier(&mut self, now: Instant) {
        let before = self.queriers.len();
        self.queriers
            .retain(|_, q| now.saturating_duration_since(q.last) < q.present_for());
        if self.queriers.len() >= MAX_QUERIERS {
            let links: BTreeSet<(u32, bool)> = self
                .queriers
                .keys()
                .map(|&(i, a)| (i, a.is_ipv4()))
                .collect();
            let elected: Vec<IpAddr> = links
                .iter()
                .filter_map(|&(i, v4)| self.elected(i, v4, now).map(|(e, _)| e))
                .collect();
            let oldest = self
                .queriers
                .iter()
                .filter(|((_, a), _)| !elected.contains(a))
                .min_by_key(|(_, q)| q.last)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.queriers.remove(&k);
            }
        }
        self.untracked_queriers += (before - self.queriers.len()) as u64;
    }

    /// The elected querier of a link and family: the lowest address heard (RFC 3376 6.6.2,
    /// RFC 3810 7.6.2), among those heard within the querier timeout.
    pub fn elected(&self, ifindex: u32, v4: bool, now: Instant) -> Option<(IpAddr, &Querier)> {
        self.queriers
            .iter()
            .filter(|((i, a), q)| {
                *i == ifindex
                    && a.is_ipv4() == v4
                    && now.saturating_duration_since(q.last) < q.present_for()
            })
            .map(|((_, a), q)| (*a, q))
            .next()
    }

    /// Takes in one packet seen on `ifindex`; returns the warnings it brings.
    pub fn observe(&mut self, ifindex: u32, p: &Packet, now: Instant) -> Vec<Warning> {
        let mut out = Vec::new();
        // Every host's kernel and every snooping switch discard it: so does the state.
        if !p.checksum_ok {
            return out;
        }
        let v4 = p.source.is_ipv4();
        let link = (ifindex, v4);
        match &p.message {
            Message::Query(q) => self.query(&mut out, link, p.source, q, now),
            Message::Report { version, records } => {
                self.older_than_querier(&mut out, link, p.source, *version, now);
                for r in records {
                    if in_ssm_range(r.group) && r.kind.is_exclude() {
                        let old = *version < 3 && v4 || *version < 2 && !v4;
                        // An old report cannot carry sources: the host may well have asked
                        // for some, so the fix is the version, not the join.
                        let message = if old {
                            format!(
                                "{} reports {} in {}, which cannot carry sources: whatever its \
                                 application asked, the network sees an any-source join, and \
                                 routers forward nothing to a source-specific group without a \
                                 source. Make the querier speak {} (or set the host's {} back \
                                 to 0)",
                                p.source,
                                r.group,
                                protocol(v4, *version),
                                protocol(v4, if v4 { 3 } else { 2 }),
                                if v4 {
                                    "force_igmp_version"
                                } else {
                                    "force_mld_version"
                                }
                            )
                        } else {
                            format!(
                                "{} asks for {} by {} (any source), but it is in the \
                                 source-specific range: routers forward nothing to it without \
                                 a source; join it with --source",
                                p.source,
                                r.group,
                                r.kind.name()
                            )
                        };
                        self.warn(
                            &mut out,
                            Kind::AsmInSsmRange,
                            link,
                            Some(p.source),
                            Some(r.group),
                            message,
                        );
                    }
                    self.record(link, p.source, *version, r.kind, r.group, &r.sources, now);
                }
            }
            Message::Leave { group } => {
                self.memberships.remove(&(ifindex, p.source, *group));
            }
        }
        out
    }

    fn query(
        &mut self,
        out: &mut Vec<Warning>,
        link: (u32, bool),
        from: IpAddr,
        q: &Query,
        now: Instant,
    ) {
        let (ifindex, v4) = link;
        if let Some(s) = self.silence.get_mut(&link) {
            *s = (now, false);
        }
        self.announced.insert(link, (from, Timers::of(q)));
        if !self.queriers.contains_key(&(ifindex, from)) && self.queriers.len() >= MAX_QUERIERS {
            self.make_room_for_a_querier(now);
        }
        let entry = self.queriers.entry((ifindex, from)).or_insert(Querier {
            version: q.version,
            queries: 0,
            last: now,
            last_general: None,
            interval: None,
            max_response_ms: q.max_response_ms,
            qrv: q.qrv,
            qqi_s: q.qqi_s,
        });
        entry.version = q.version;
        entry.queries += 1;
        entry.last = now;
        if q.group.is_none() {
            entry.max_response_ms = q.max_response_ms;
            entry.qrv = q.qrv;
            entry.qqi_s = q.qqi_s;
            if let Some(prev) = entry.last_general {
                entry.interval = Some(now.saturating_duration_since(prev));
            }
            entry.last_general = Some(now);
        }
        let old = (v4 && q.version < 3) || (!v4 && q.version < 2);
        if old {
            self.warn(
                out,
                Kind::OldQuerier,
                link,
                Some(from),
                None,
                format!(
                    "querier {from} speaks {}: hosts fall back to it, and source-specific joins \
                     (SSM, --source) cannot work on this link; make the querier (router or switch) \
                     use {}",
                    protocol(v4, q.version),
                    protocol(v4, if v4 { 3 } else { 2 })
                ),
            );
        }
        // Queriers of one link that disagree on version or interval.
        let others: Vec<(IpAddr, u8, u32)> = self
            .queriers
            .iter()
            .filter(|((i, a), o)| {
                *i == ifindex
                    && *a != from
                    && a.is_ipv4() == v4
                    && now.saturating_duration_since(o.last) < o.present_for()
            })
            .map(|((_, a), o)| (*a, o.version, o.qqi_s))
            .collect();
        for (other, version, qqi) in others {
            let what = if version != q.version {
                Some(format!(
                    "{other} speaks {}, {from} {}",
                    protocol(v4, version),
                    protocol(v4, q.version)
                ))
            } else if qqi != 0 && q.qqi_s != 0 && qqi != q.qqi_s {
                Some(format!(
                    "{other} queries every {qqi} s, {from} every {} s",
                    q.qqi_s
                ))
            } else {
                None
            };
            if let Some(what) = what {
                let (lo, hi) = (other.min(from), other.max(from));
                self.warn(
                    out,
                    Kind::QueriersDisagree,
                    link,
                    Some(lo),
                    Some(hi),
                    format!(
                        "queriers disagree: {what}; the lowest address wins the election, so hosts \
                         follow one of them while the other's timers are wrong: configure both alike"
                    ),
                );
            }
        }
    }

    fn older_than_querier(
        &mut self,
        out: &mut Vec<Warning>,
        link: (u32, bool),
        host: IpAddr,
        version: u8,
        now: Instant,
    ) {
        let Some((querier, q)) = self.elected(link.0, link.1, now) else {
            return;
        };
        let asked = q.version;
        if version < asked {
            self.warn(
                out,
                Kind::HostOlderVersion,
                link,
                Some(host),
                None,
                format!(
                    "{host} reports in {} though querier {querier} asks in {}: its version is forced \
                     (net.ipv4.conf.IFACE.force_igmp_version or force_mld_version) or old, and it \
                     cannot join source-specific",
                    protocol(link.1, version),
                    protocol(link.1, asked)
                ),
            );
        }
    }

    /// Applies one group record of a host's report.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        (ifindex, _): (u32, bool),
        host: IpAddr,
        version: u8,
        kind: RecordType,
        group: IpAddr,
        sources: &[IpAddr],
        now: Instant,
    ) {
        let key = (ifindex, host, group);
        let known = self.memberships.contains_key(&key);
        let new_host = !self.versions.contains_key(&(ifindex, host));
        if (!known && self.memberships.len() >= MAX_ENTRIES)
            || (new_host && self.versions.len() >= MAX_ENTRIES)
        {
            self.untracked += 1;
            return;
        }
        self.versions.insert((ifindex, host), version);
        let mut set = sources.to_vec();
        set.sort_unstable();
        set.dedup();
        let m = self.memberships.entry(key).or_insert_with(|| Membership {
            exclude: false,
            sources: Vec::new(),
            last: now,
        });
        m.last = now;
        let add = |m: &mut Membership, set: &[IpAddr]| {
            m.sources.extend_from_slice(set);
            m.sources.sort_unstable();
            m.sources.dedup();
        };
        let mut dropped = set.len().saturating_sub(MAX_SOURCES);
        set.truncate(MAX_SOURCES);
        match kind {
            RecordType::ModeIsInclude | RecordType::ChangeToInclude => {
                m.exclude = false;
                m.sources = set;
            }
            RecordType::ModeIsExclude | RecordType::ChangeToExclude => {
                m.exclude = true;
                m.sources = set;
            }
            RecordType::AllowNewSources if m.exclude => m.sources.retain(|s| !set.contains(s)),
            RecordType::AllowNewSources => add(m, &set),
            RecordType::BlockOldSources if m.exclude => add(m, &set),
            RecordType::BlockOldSources => m.sources.retain(|s| !set.contains(s)),
            RecordType::Other(_) => {}
        }
        dropped += m.sources.len().saturating_sub(MAX_SOURCES);
        m.sources.truncate(MAX_SOURCES);
        self.untracked_sources += dropped as u64;
        if !m.exclude && m.sources.is_empty() {
            // INCLUDE with no sources: the host left the group.
            self.memberships.remove(&key);
        }
    }

    /// The hosts heard, sorted, each with its groups.
    pub fn hosts(&self) -> Vec<HostView<'_>> {
        let mut by_host: BTreeMap<(u32, IpAddr), Vec<(IpAddr, &Membership)>> = BTreeMap::new();
        for ((i, h, g), m) in &self.memberships {
            by_host.entry((*i, *h)).or_default().push((*g, m));
        }
        by_host
            .into_iter()
            .map(|((ifindex, host), mut groups)| {
                groups.sort_by_key(|(g, _)| *g);
                HostView {
                    ifindex,
                    host,
                    version: self.versions.get(&(ifindex, host)).copied().unwrap_or(0),
                    groups,
                }
            })
            .collect()
    }

    /// Watches one more link (and family) from `now`, as a capture file's links appear with
    /// their first packet; a link already watched is left as it is.
    pub fn add_link(&mut self, link: (u32, bool), now: Instant) {
        self.silence.entry(link).or_insert((now, false));
    }

    /// Time passing: a querier silent too long is told once, and memberships not refreshed
    /// within the group membership interval (the elected querier's robustness times its
    /// interval, plus its response time; 260 s by default) age out.
    pub fn tick(&mut self, now: Instant) -> Vec<Warning> {
        let mut out = Vec::new();
        // A link whose querier was heard is judged by the timers that querier announced;
        // one never heard, by --querier-timeout.
        let silent: Vec<((u32, bool), Instant)> = self
            .silence
            .iter()
            .filter(|(link, (since, told))| {
                let limit = self
                    .announced
                    .get(link)
                    .map_or(self.querier_timeout, |(_, t)| t.other_querier_present());
                !told && now.saturating_duration_since(*since) >= limit
            })
            .map(|(l, (since, _))| (*l, *since))
            .collect();
        for (link, since) in silent {
            self.silence.insert(link, (since, true));
            let proto = if link.1 { "IGMP" } else { "MLD" };
            self.told_always
                .remove(&(Kind::NoQuerier, link.0, None, None));
            let message = match self.announced.get(&link) {
                Some((from, t)) => {
                    let gone = now.saturating_duration_since(since);
                    let left = t.membership().saturating_sub(gone);
                    format!(
                        "no {proto} querier heard for {:.1} s: the last, {from}, announced a query \
                         every {} s (robustness {}), so it is gone ({:.1} s without a query is \
                         its limit). Memberships it refreshed expire {:.1} s after its last query \
                         (in about {:.0} s): where a snooping switch then stops forwarding, \
                         multicast stops. Bring the querier back, or enable another on this \
                         link (on the router, or on a Linux bridge: ip link set BRIDGE type \
                         bridge mcast_querier 1)",
                        gone.as_secs_f64(),
                        t.interval.as_secs(),
                        t.robustness,
                        t.other_querier_present().as_secs_f64(),
                        t.membership().as_secs_f64(),
                        left.as_secs_f64()
                    )
                }
                None => format!(
                    "no {proto} querier heard in {} s. Switches differ: a Linux bridge that \
                     never heard one floods the group; many switches stop forwarding when \
                     memberships expire (260 s after they were made, by default), and all stop \
                     once a querier was heard and went away. Enable a querier on this link (on \
                     the router, or on a Linux bridge: ip link set BRIDGE type bridge \
                     mcast_querier 1)",
                    self.querier_timeout.as_secs()
                ),
            };
            self.warn(&mut out, Kind::NoQuerier, link, None, None, message);
        }
        // Aging once a second is plenty: the intervals are seconds long.
        if now.saturating_duration_since(self.last_aging) < Duration::from_secs(1) {
            return out;
        }
        self.last_aging = now;
        let links: HashSet<(u32, bool)> = self
            .memberships
            .keys()
            .map(|(i, h, _)| (*i, h.is_ipv4()))
            .collect();
        let gmi: HashMap<(u32, bool), Duration> = links
            .into_iter()
            .map(|(i, v4)| {
                // The last querier's announced timers, else the protocol's defaults.
                let limit = self
                    .announced
                    .get(&(i, v4))
                    .map_or(Duration::from_secs(260), |(_, t)| t.membership());
                ((i, v4), limit)
            })
            .collect();
        let before = self.memberships.len();
        self.memberships
            .retain(|(i, h, _), m| now.saturating_duration_since(m.last) < gmi[&(*i, h.is_ipv4())]);
        self.aged += (before - self.memberships.len()) as u64;
        let live: HashSet<(u32, IpAddr)> =
            self.memberships.keys().map(|(i, h, _)| (*i, *h)).collect();
        self.versions.retain(|k, _| live.contains(k));
        out
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
