//! `mcast doctor --listen`'s engine: joins for a while and judges what arrived against what reached
//! the interface (a capture of the group's own traffic, with CAP_NET_RAW), this socket's
//! drops, probe loss and duplicates, when arrivals stopped, the family's kernel counters, and
//! whether a querier spoke. Each verdict says only what was seen; what could not be seen is
//! said to be unknown.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::iface::Interface;
use crate::probe::{Probe, now_ns};
use crate::stats::{Listened, ProbeStats};
use crate::watch::{Watch, protocol};
use crate::wire::igmp::{self, Message};
use crate::{IfaceSpec, IpMode, McastSocket, ScopedAddr, Service};

use super::proc::all_counters;
use super::wire::{self as on_wire, OnTheWire};
use super::{Case, Check, Host, Status};
use crate::capture::Capture;

/// The counters worth showing for each family, with what a rise in each means. None is
/// about this group alone: they only add to what the socket and the capture saw.
const WATCHED_V4: [(&str, &str); 8] = [
    (
        "IpExt:InMcastPkts",
        "multicast packets of any group reached IP",
    ),
    ("Udp:InDatagrams", "UDP datagrams delivered"),
    ("Udp:NoPorts", "UDP for a port no socket holds"),
    ("Udp:RcvbufErrors", "UDP dropped for a full receive buffer"),
    (
        "TcpExt:IPReversePathFilter",
        "dropped by the reverse-path filter",
    ),
    (
        "Ip:ReasmFails",
        "fragmented datagrams that could not be put together",
    ),
    (
        "Ip:ReasmTimeout",
        "fragments that waited in vain for the rest",
    ),
    ("Udp:InErrors", "UDP errors"),
];
const WATCHED_V6: [(&str, &str); 7] = [
    (
        "Ip6:InMcastPkts",
        "multicast packets of any group reached IPv6",
    ),
    ("Udp6:InDatagrams", "UDP datagrams delivered"),
    ("Udp6:NoPorts", "UDP for a port no socket holds"),
    ("Udp6:RcvbufErrors", "UDP dropped for a full receive buffer"),
    (
        "Ip6:ReasmFails",
        "fragmented datagrams that could not be put together",
    ),
    (
        "Ip6:ReasmTimeout",
        "fragments that waited in vain for the rest",
    ),
    ("Udp6:InErrors", "UDP errors"),
];

/// Every counter, IPv6's from /proc/net/snmp6 (a name and a value a line) named as
/// `all_counters` names IPv4's: "Ip6:InMcastPkts", "Udp6:InDatagrams".
fn counters_now(host: &dyn Host) -> HashMap<String, u64> {
    let mut all = all_counters(host);
    if let Some(text) = host.read("/proc/net/snmp6") {
        for l in text.lines() {
            let mut f = l.split_whitespace();
            if let (Some(n), Some(v)) = (f.next(), f.next())
                && let Ok(v) = v.parse()
            {
                for prefix in ["Udp6", "Ip6"] {
                    if let Some(rest) = n.strip_prefix(prefix) {
                        all.insert(format!("{prefix}:{rest}"), v);
                        break;
                    }
                }
            }
        }
    }
    all
}

/// The queriers of the link as `mcast watch` judges them (its IGMP/MLD state).
struct Queriers {
    /// Each heard, the elected one marked: "192.0.2.254 IGMPv3 (elected)".
    heard: Vec<String>,
    /// What watch warns of them: an old version, queriers that disagree.
    warnings: Vec<String>,
}

/// Queriers kept for the check, and their warnings: a link has one or two.
const QUERIERS_SHOWN: usize = 16;

/// What the queriers of the link said while listening; Err without CAP_NET_RAW.
fn hear_queriers(
    cap: Result<Capture, String>,
    ifindex: u32,
    v4: bool,
    until: Instant,
) -> Result<Queriers, String> {
    let mut cap = cap?;
    // The silence of a link is the check's own verdict, never watch's (no tick is run).
    let mut watch = Watch::new(&[(ifindex, v4)], Duration::MAX, Instant::now());
    let mut warnings = Vec::new();
    let mut buf = vec![0u8; 65_536];
    while Instant::now() < until {
        let left = until.saturating_duration_since(Instant::now());
        let Ok(Some(frame)) = cap.recv(&mut buf, left.min(Duration::from_millis(200))) else {
            continue;
        };
        if frame.ifindex != ifindex {
            continue;
        }
        // Queries only: what hosts report is not this check's business.
        if let Ok(p) = igmp::parse(&buf[..frame.len])
            && matches!(p.message, Message::Query(_))
            && p.source.is_ipv4() == v4
        {
            for w in watch.observe(ifindex, &p, Instant::now()) {
                if warnings.len() < QUERIERS_SHOWN {
                    warnings.push(w.message);
                }
            }
        }
    }
    let now = Instant::now();
    let elected = watch.elected(ifindex, v4, now).map(|(a, _)| a);
    let heard = watch
        .queriers
        .iter()
        .filter(|((i, a), _)| *i == ifindex && a.is_ipv4() == v4)
        .take(QUERIERS_SHOWN)
        .map(|((_, a), q)| {
            let mark = if Some(*a) == elected {
                " (elected)"
            } else {
                ""
            };
            format!("{a} {}{mark}", protocol(v4, q.version))
        })
        .collect();
    Ok(Queriers { heard, warnings })
}

/// What this socket received while listening.
#[derive(Default)]
pub struct Arrivals {
    /// Datagrams to the group and port.
    pub datagrams: u64,
    /// Who sent them, with how many each (the first 64 senders).
    pub senders: BTreeMap<IpAddr, u64>,
    /// When the first arrived.
    pub first: Option<Instant>,
    /// When the last arrived.
    pub last: Option<Instant>,
    /// What mcast's probes among them said of loss and duplicates.
    pub probes: ProbeStats,
    /// What the kernel dropped on this socket for want of buffer.
    pub socket_drops: u64,
}

/// Joins for `how_long`, counting what arrives; returns the listen check and the querier
/// check.
pub fn listen(case: &Case, host: &dyn Host, how_long: Duration) -> Vec<Check> {
    let Some(port) = case.port else {
        return vec![Check::new(
            "listen",
            Status::Skipped,
            "no PORT to listen on",
        )];
    };
    let Some(iface) = case.join_interface(host) else {
        return vec![Check::new(
            "listen",
            Status::Skipped,
            "no interface to join on",
        )];
    };
    let v4 = case.group.is_ipv4();
    let until = Instant::now() + how_long;
    let (index, group) = (iface.index, case.group);
    // Both captures are opened here, then CAP_NET_RAW is given up, before anything else
    // runs (capabilities are per thread: the listening threads inherit the lowered sets).
    let queries = Capture::open(&[index]).map_err(|e| e.to_string());
    let traffic = Capture::open_group(group, &[index]).map_err(|e| e.to_string());
    let _ = crate::capture::relinquish_privilege();
    let querier = std::thread::spawn(move || hear_queriers(queries, index, v4, until));
    let wire = std::thread::spawn(move || on_wire::watch(traffic, group, port, index, until));
    let before = counters_now(host);
    let started = Instant::now();
    let since_ns = now_ns();
    let arrived = receive(case, &iface, port, until);
    let after = counters_now(host);
    let heard = querier
        .join()
        .unwrap_or_else(|_| Err("the capture failed".into()));
    let on_wire = wire
        .join()
        .unwrap_or_else(|_| Err("the capture failed".into()));
    let watched: &[(&str, &str)] = if v4 { &WATCHED_V4 } else { &WATCHED_V6 };
    let moved: Vec<(&str, u64, &str)> = watched
        .iter()
        .filter_map(|(k, what)| {
            let d = after.get(*k)?.saturating_sub(*before.get(*k)?);
            (d > 0).then_some((*k, d, *what))
        })
        .collect();
    let heard_for = Heard {
        case,
        iface: &iface,
        port,
        secs: how_long.as_secs_f64(),
        started,
        listened: Listened {
            since_ns,
            until_ns: now_ns(),
        },
        moved: &moved,
    };
    let listen = match arrived {
        Err(e) => Check::new("listen", Status::Fail, format!("could not listen: {e}")),
        Ok(a) if a.datagrams > 0 => heard_for.something(&a, &on_wire),
        Ok(_) => heard_for.nothing(&on_wire),
    };
    vec![listen, querier_check(heard, &iface, how_long)]
}

/// What the judgement of a listen needs.
struct Heard<'a> {
    case: &'a Case,
    iface: &'a Interface,
    port: u16,
    secs: f64,
    started: Instant,
    listened: Listened,
    moved: &'a [(&'a str, u64, &'a str)],
}

impl Heard<'_> {
    fn counted(&self) -> String {
        if self.moved.is_empty() {
            return "no counter moved".into();
        }
        let parts: Vec<String> = self
            .moved
            .iter()
            .map(|(k, d, what)| format!("{k} +{d} ({what})"))
            .collect();
        parts.join(", ")
    }

    fn moved(&self, key: &str) -> u64 {
        self.moved
            .iter()
            .find(|(k, ..)| k.ends_with(key))
            .map_or(0, |m| m.1)
    }

    /// Datagrams arrived: the figures, and whatever in them is a problem.
    fn something(&self, a: &Arrivals, wire: &Result<OnTheWire, String>) -> Check {
        let list: Vec<String> = a
            .senders
            .iter()
            .map(|(s, c)| format!("{s} ({c})"))
            .collect();
        let ms = |t: Option<Instant>| {
            t.unwrap_or(self.started)
                .saturating_duration_since(self.started)
                .as_secs_f64()
                * 1000.0
        };
        let mut evidence = format!(
            "{} datagrams in {:.1} s from {}, the first {:.0} ms after joining",
            a.datagrams,
            self.secs,
            list.join(", "),
            ms(a.first)
        );
        let mut warns: Vec<String> = Vec::new();
        let mut fixes: Vec<&str> = Vec::new();
        let (mut lost, mut duplicates, mut probes, mut distinct) = (0, 0, 0, 0);
        for s in a.probes.senders() {
            lost += s.tally(self.listened).lost;
            duplicates += s.duplicates;
            probes += s.received;
            distinct += s.unique();
        }
        // Senders heard once: one probe each, nothing lost that can be judged.
        let once = a.probes.heard_once_count() as u64;
        probes += once;
        distinct += once;
        if probes > 0 {
            evidence += &format!("; {probes} of them mcast probes ({distinct} distinct)");
        }
        if duplicates > 0 {
            warns.push(format!(
                "{duplicates} probes came twice or more (counted once): a loop, or two paths \
                 to this host"
            ));
            fixes.push("look for two routers or two links forwarding the group here");
        }
        if lost > 0 {
            warns.push(format!("{lost} probes were lost on the way"));
        }
        if a.socket_drops > 0 {
            warns.push(format!(
                "this socket's receive buffer overflowed: the kernel dropped {} datagrams",
                a.socket_drops
            ));
            fixes.push("give the receiving application a larger buffer (mcast recv --rcvbuf 8M; SO_RCVBUF, capped by net.core.rmem_max: sysctl -w net.core.rmem_max=8388608)");
        } else if self.moved("RcvbufErrors") > 0 {
            warns.push(format!(
                "UDP sockets on this host dropped {} datagrams for a full receive buffer",
                self.moved("RcvbufErrors")
            ));
            fixes.push("a receiver on this host reads too slowly: raise its buffer (SO_RCVBUF, net.core.rmem_max)");
        }
        // Stopped: quiet for the last second and more than three of its average gaps.
        if let (Some(first), Some(last)) = (a.first, a.last) {
            let end = self.started + Duration::from_secs_f64(self.secs);
            let quiet = end.saturating_duration_since(last).as_secs_f64();
            let gap = if a.datagrams > 1 {
                (last - first).as_secs_f64() / (a.datagrams - 1) as f64
            } else {
                0.0
            };
            if quiet > 1.0 && quiet > 3.0 * gap {
                warns.push(format!(
                    "arrivals stopped after {:.1} s: nothing came in the last {quiet:.1} s",
                    ms(Some(last)) / 1000.0
                ));
                fixes.push("the sender stopped, or the path broke mid-listen: listen again, and look at the querier check (memberships that age out at the switch end a stream)");
            }
        }
        if let Ok(w) = wire
            && w.datagrams > a.datagrams
        {
            evidence += &format!("; {} reached {} on the wire", w.datagrams, self.iface.name);
        }
        evidence += &format!("; {}", self.counted());
        if warns.is_empty() {
            return Check::new("listen", Status::Ok, evidence);
        }
        let check = Check::new(
            "listen",
            Status::Warn,
            format!("{evidence}; but {}", warns.join("; ")),
        );
        if fixes.is_empty() {
            check
        } else {
            check.fix(fixes.join("; "))
        }
    }

    /// Nothing arrived on the socket: where it was lost, as far as was seen.
    fn nothing(&self, wire: &Result<OnTheWire, String>) -> Check {
        let (group, port, name) = (self.case.group, self.port, &self.iface.name);
        let head = format!(
            "nothing arrived on {name} port {port} in {:.1} s",
            self.secs
        );
        let rp = self.moved("IPReversePathFilter") > 0;
        let reasm = self.moved("ReasmFails") + self.moved("ReasmTimeout");
        let (evidence, fix) = match wire {
            Ok(w) if w.datagrams > 0 || w.later_fragments > 0 => {
                let mut seen = format!(
                    "{} datagrams for {group} port {port} reached {name} (seen on the wire) and none this socket",
                    w.datagrams
                );
                if w.first_fragments > 0 {
                    seen += &format!(
                        "; they came fragmented ({} first, {} later fragments; the largest {} bytes)",
                        w.first_fragments, w.later_fragments, w.largest
                    );
                }
                let fix = if rp {
                    "the reverse-path filter dropped them: see the rp_filter check"
                } else if w.first_fragments > 0 && w.later_fragments == 0 {
                    "their later fragments never came: a link on the way drops fragments or has a smaller MTU; send datagrams that fit the path's MTU (mcast send --size)"
                } else if reasm > 0 || w.first_fragments > 0 {
                    "this host could not put the fragments together (a fragment was dropped): see the firewall check for rules on fragments, or send datagrams that fit the MTU"
                } else {
                    "this host dropped them before the socket: see the firewall and port checks"
                };
                (seen, fix.to_string())
            }
            Ok(w) => {
                let other = if w.other_ports > 0 {
                    format!(" ({} went to other ports of the group)", w.other_ports)
                } else {
                    String::new()
                };
                (
                    format!(
                        "nothing for {group} port {port} reached {name} either (watched on the wire){other}"
                    ),
                    format!(
                        "nothing reached this host: check the sender (mcast doctor {group} {port} --send there), a querier on the link (mcast watch), and the routers between"
                    ),
                )
            }
            Err(why) if rp => (
                format!("the capture could not run ({why})"),
                "the reverse-path filter dropped them: see the rp_filter check".to_string(),
            ),
            Err(why) => (
                format!(
                    "whether {group}'s traffic reached {name} is unknown: seeing the wire needs CAP_NET_RAW ({why}), and no kernel counter is about one group"
                ),
                format!(
                    "run doctor as root to see the wire; else check the sender (mcast doctor {group} {port} --send there), a querier (mcast watch), and the routers between"
                ),
            ),
        };
        Check::new(
            "listen",
            Status::Fail,
            format!("{head}; {evidence}; {}", self.counted()),
        )
        .fix(fix)
    }
}

fn querier_check(heard: Result<Queriers, String>, iface: &Interface, d: Duration) -> Check {
    let secs = d.as_secs_f64();
    match heard {
        Err(e) => Check::new(
            "querier",
            Status::Skipped,
            format!("listening for a querier needs CAP_NET_RAW ({e})"),
        )
        .fix("run as root to hear the link's queriers"),
        Ok(q) if q.heard.is_empty() => Check::new(
            "querier",
            Status::Warn,
            format!("no querier heard on {} in {secs:.1} s", iface.name),
        )
        .fix("queries come every 125 s by default: listen longer (mcast watch) before concluding there is none. Without one, what a snooping switch does differs: a Linux bridge that never heard a querier floods the group; one whose querier went away stops forwarding once memberships expire"),
        Ok(q) => {
            let evidence = format!("heard on {}: {}", iface.name, q.heard.join(", "));
            if q.warnings.is_empty() {
                Check::new("querier", Status::Ok, evidence)
            } else {
                Check::new("querier", Status::Warn, evidence).fix(q.warnings.join("; "))
            }
        }
    }
}

fn receive(case: &Case, iface: &Interface, port: u16, until: Instant) -> crate::Result<Arrivals> {
    let mut sock = McastSocket::new(IpMode::for_addr(case.group), false)?;
    let _ = sock.socket().set_reuse_address(true);
    let counting = sock.enable_kernel_drop_count().unwrap_or(false);
    sock.bind(None, &Service::Port(port))?;
    let group = ScopedAddr::from(case.group);
    let on = IfaceSpec::Index(iface.index);
    if case.sources.is_empty() {
        sock.join(&group, Some(&on), None)?;
    } else {
        for s in &case.sources {
            sock.join(&group, Some(&on), Some(*s))?;
        }
    }
    sock.socket()
        .set_nonblocking(true)
        .map_err(|e| crate::Error::os("listen", "fcntl(O_NONBLOCK)", e))?;
    let mut buf = vec![0u8; 65_536];
    let mut a = Arrivals::default();
    while Instant::now() < until {
        let left = until.saturating_duration_since(Instant::now());
        if !sock.wait_readable(Some(left.min(Duration::from_millis(200))))? {
            continue;
        }
        while let Ok(r) = sock.recv_from(&mut buf) {
            if r.destination != Some(case.group) {
                continue;
            }
            let now = Instant::now();
            a.datagrams += 1;
            // Bounded: spoofed senders must not grow it.
            if let Some(n) = a.senders.get_mut(&r.source.ip()) {
                *n += 1;
            } else if a.senders.len() < 64 {
                a.senders.insert(r.source.ip(), 1);
            }
            a.first.get_or_insert(now);
            a.last = Some(now);
            if let Some(p) = Probe::decode(&buf[..r.len]) {
                a.probes
                    .record(&p, r.source.ip(), r.timestamp_ns.unwrap_or_else(now_ns));
            }
        }
    }
    if counting && let Ok(Some(d)) = sock.kernel_drops() {
        a.socket_drops = d;
    }
    Ok(a)
}
