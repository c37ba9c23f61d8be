//! `mcast watch`: IGMP and MLD on the wire, a line per message, and what they add up to:
//! the queriers of each link, the hosts and their groups, and warnings about the problems
//! they cause (no querier, old versions, queriers that disagree, any-source joins of SSM
//! groups).

use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use clap::Args;
use serde::Serialize;

use mcast::capture::Capture;
use mcast::wire::igmp::{self, Message, Packet};
use mcast::{ErrorKind, IfaceSpec};

use super::events;
use super::exit::Exit;
use super::output::{Stdout, going_on};
use super::parse;
use super::pcap::Pcap;
use super::platform::stop;
use super::watch_state::{Warning, Watch, protocol};

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Interface to watch: name, index or address; repeat for several (default: every
    /// interface that is up and multicast-capable)
    #[arg(short, long = "interface", value_name = "IFACE")]
    interfaces: Vec<IfaceSpec>,
    /// IGMP only
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// MLD only
    #[arg(short = '6')]
    ipv6: bool,
    /// Stop after this long (default: until Ctrl-C)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Warn when no querier is heard on a link for this long
    #[arg(long, value_name = "DURATION", default_value = "125s", value_parser = parse::duration)]
    querier_timeout: Duration,
    /// Also write what was captured to FILE, as pcap (tcpdump -r FILE, Wireshark)
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

/// What every message event carries.
#[derive(Serialize)]
struct Seen {
    time: String,
    interface: String,
    source: String,
    destination: String,
    protocol: String,
    ttl: u8,
    outgoing: bool,
}

#[derive(Serialize)]
struct RecordOut {
    record: &'static str,
    group: String,
    sources: Vec<String>,
}

#[derive(Serialize)]
struct QuerierOut {
    interface: String,
    address: String,
    protocol: String,
    elected: bool,
    queries: u64,
    interval_s: Option<f64>,
    max_response_ms: u32,
    qrv: u8,
    qqi_s: u32,
}

#[derive(Serialize)]
struct GroupOut {
    group: String,
    mode: &'static str,
    sources: Vec<String>,
}

#[derive(Serialize)]
struct HostOut {
    interface: String,
    address: String,
    protocol: String,
    groups: Vec<GroupOut>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WatchEvent {
    Query {
        #[serde(flatten)]
        seen: Seen,
        group: Option<String>,
        sources: Vec<String>,
        max_response_ms: u32,
        s_flag: bool,
        qrv: u8,
        qqi_s: u32,
    },
    Report {
        #[serde(flatten)]
        seen: Seen,
        records: Vec<RecordOut>,
    },
    Leave {
        #[serde(flatten)]
        seen: Seen,
        group: String,
    },
    Warning {
        time: String,
        kind: &'static str,
        interface: String,
        family: &'static str,
        subject: Option<String>,
        message: String,
    },
    Summary {
        command: &'static str,
        packets: u64,
        kernel_drops: u64,
        ignored: u64,
        untracked: u64,
        aged: u64,
        queriers: Vec<QuerierOut>,
        hosts: Vec<HostOut>,
    },
}

fn strings(v: &[IpAddr]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

/// Interface names by index, looked up again when an unknown index appears.
struct Names(HashMap<u32, String>);

impl Names {
    fn load() -> Result<Names> {
        Ok(Names(
            mcast::iface::interfaces()?
                .into_iter()
                .map(|i| (i.index, i.name))
                .collect(),
        ))
    }

    fn of(&mut self, index: u32) -> String {
        if !self.0.contains_key(&index)
            && let Ok(fresh) = Names::load()
        {
            *self = fresh;
        }
        self.0
            .get(&index)
            .cloned()
            .unwrap_or_else(|| format!("#{index}"))
    }
}

/// The interfaces to watch: those given, or every one up and multicast-capable.
fn links(args: &WatchArgs) -> Result<Vec<u32>> {
    if !args.interfaces.is_empty() {
        return args
            .interfaces
            .iter()
            .map(|s| Ok(mcast::iface::resolve(s)?.index))
            .collect();
    }
    Ok(mcast::iface::interfaces()?
        .into_iter()
        .filter(|i| i.flags.up && i.flags.multicast && !i.flags.loopback)
        .map(|i| i.index)
        .collect())
}

fn open(watched: &[u32]) -> Result<Capture> {
    Capture::open(watched).or_else(|e| {
        let denied = matches!(e.kind(), ErrorKind::Os { source, .. }
            if matches!(source.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES)));
        if denied {
            bail!(
                "capturing IGMP and MLD needs CAP_NET_RAW: run it as root (sudo mcast watch ...), \
                 or let mcast capture once and for all: sudo setcap cap_net_raw+ep $(command -v mcast)"
            )
        }
        Err(e.into())
    })
}

pub fn run(args: WatchArgs) -> Result<Exit> {
    let watched = links(&args)?;
    if watched.is_empty() {
        bail!("no interface is up and multicast-capable here: name one with -i");
    }
    let families: Vec<bool> = match (args.ipv4, args.ipv6) {
        (true, _) => vec![true],
        (_, true) => vec![false],
        _ => vec![true, false],
    };
    let mut capture = open(&watched)?;
    let mut pcap = args
        .pcap
        .as_ref()
        .map(|p| {
            Pcap::create(p).map_err(|e| {
                anyhow::anyhow!("--pcap {}: {}", p.display(), mcast::error::os_message(&e))
            })
        })
        .transpose()?;
    stop::install()?;
    let started = Instant::now();
    let end = args.duration.map(|d| started + d);
    let link_families: Vec<(u32, bool)> = watched
        .iter()
        .flat_map(|i| families.iter().map(move |f| (*i, *f)))
        .collect();
    let mut watch = Watch::new(&link_families, args.querier_timeout, started);
    let mut names = Names::load()?;
    let mut out = Stdout::new();
    let mut ignored = 0u64;
    let mut last_tick = started;
    let mut buf = vec![0u8; 65_536];
    'run: while !stop::requested() && end.is_none_or(|e| Instant::now() < e) {
        let wait = end.map_or(Duration::from_millis(250), |e| {
            e.saturating_duration_since(Instant::now())
                .min(Duration::from_millis(250))
        });
        let mut warnings = Vec::new();
        if let Some(frame) = capture.recv(&mut buf, wait)? {
            let now = Instant::now();
            let data = &buf[..frame.len.min(buf.len())];
            let Ok(packet) = igmp::parse(data) else {
                ignored += 1;
                continue;
            };
            if !watched.contains(&frame.ifindex) || !families.contains(&packet.source.is_ipv4()) {
                continue;
            }
            let when = SystemTime::now();
            if let Some(p) = pcap.as_mut() {
                p.write(when, data)?;
            }
            let name = names.of(frame.ifindex);
            let line = message_line(&mut out, args.json, when, &name, frame.outgoing, &packet);
            if !going_on(line)? {
                break 'run;
            }
            warnings = watch.observe(frame.ifindex, &packet, now);
        }
        let now = Instant::now();
        if now.saturating_duration_since(last_tick) >= Duration::from_millis(100) {
            last_tick = now;
            warnings.extend(watch.tick(now));
        }
        for w in &warnings {
            let name = names.of(w.ifindex);
            if !going_on(warning_line(&mut out, args.json, &name, w))? {
                break 'run;
            }
        }
        if !going_on(out.flush())? {
            break;
        }
    }
    if let Some(p) = pcap.as_mut() {
        p.flush()?;
    }
    let (packets, drops) = capture.stats()?;
    summary(
        &mut out,
        args.json,
        &watch,
        &mut names,
        (packets, drops, ignored),
    )?;
    out.flush()?;
    Ok(Exit::Success)
}

/// Who a message came from and what it says, in words.
fn describe(p: &Packet) -> String {
    let v4 = p.source.is_ipv4();
    let list = |v: &[IpAddr]| strings(v).join(", ");
    match &p.message {
        Message::Query(q) => {
            let mut s = match (q.group, q.sources.is_empty()) {
                (None, _) => "general query".to_string(),
                (Some(g), true) => format!("group-specific query for {g}"),
                (Some(g), false) => format!("query for {g} from {}", list(&q.sources)),
            };
            s += &format!(
                ", max response {:.1} s",
                f64::from(q.max_response_ms) / 1000.0
            );
            if q.qrv != 0 || q.qqi_s != 0 {
                s += &format!(", QRV {}, QQI {} s", q.qrv, q.qqi_s);
            }
            if q.suppress {
                s += ", S";
            }
            format!("{} {s}", protocol(v4, q.version))
        }
        Message::Report { version, records } => {
            let parts: Vec<String> = records
                .iter()
                .map(|r| {
                    if *version < 3 && v4 || *version < 2 && !v4 {
                        r.group.to_string()
                    } else if r.sources.is_empty() {
                        format!("{} {}", r.kind.name(), r.group)
                    } else {
                        format!("{} {} ({})", r.kind.name(), r.group, list(&r.sources))
                    }
                })
                .collect();
            format!("{} report: {}", protocol(v4, *version), parts.join("; "))
        }
        Message::Leave { group } => {
            let what = if v4 { "IGMPv2 leave" } else { "MLDv1 done" };
            format!("{what} {group}")
        }
    }
}

fn seen(when: SystemTime, iface: &str, outgoing: bool, p: &Packet, version: u8) -> Seen {
    Seen {
        time: events::timestamp(when),
        interface: iface.to_string(),
        source: p.source.to_string(),
        destination: p.destination.to_string(),
        protocol: protocol(p.source.is_ipv4(), version),
        ttl: p.ttl,
        outgoing,
    }
}

fn message_line(
    out: &mut Stdout,
    json: bool,
    when: SystemTime,
    iface: &str,
    outgoing: bool,
    p: &Packet,
) -> std::io::Result<()> {
    if !json {
        let stamp = events::timestamp(when);
        let clock = stamp.get(11..23).unwrap_or(&stamp);
        let from = if outgoing { " (sent by this host)" } else { "" };
        return out
            .text_line(|l| writeln!(l, "{clock} {iface} {}{from} {}", p.source, describe(p)));
    }
    let event = match &p.message {
        Message::Query(q) => WatchEvent::Query {
            seen: seen(when, iface, outgoing, p, q.version),
            group: q.group.map(|g| g.to_string()),
            sources: strings(&q.sources),
            max_response_ms: q.max_response_ms,
            s_flag: q.suppress,
            qrv: q.qrv,
            qqi_s: q.qqi_s,
        },
        Message::Report { version, records } => WatchEvent::Report {
            seen: seen(when, iface, outgoing, p, *version),
            records: records
                .iter()
                .map(|r| RecordOut {
                    record: r.kind.name(),
                    group: r.group.to_string(),
                    sources: strings(&r.sources),
                })
                .collect(),
        },
        Message::Leave { group } => WatchEvent::Leave {
            seen: seen(
                when,
                iface,
                outgoing,
                p,
                if p.source.is_ipv4() { 2 } else { 1 },
            ),
            group: group.to_string(),
        },
    };
    out.json_line(&event)
}

fn warning_line(out: &mut Stdout, json: bool, iface: &str, w: &Warning) -> std::io::Result<()> {
    if json {
        out.json_line(&WatchEvent::Warning {
            time: events::timestamp(SystemTime::now()),
            kind: w.kind.key(),
            interface: iface.to_string(),
            family: if w.v4 { "ipv4" } else { "ipv6" },
            subject: w.subject.map(|s| s.to_string()),
            message: w.message.clone(),
        })
    } else {
        out.text_line(|l| writeln!(l, "warning: {iface}: {}", w.message))
    }
}

fn summary(
    out: &mut Stdout,
    json: bool,
    watch: &Watch,
    names: &mut Names,
    (packets, drops, ignored): (u64, u64, u64),
) -> std::io::Result<()> {
    let now = Instant::now();
    let queriers: Vec<QuerierOut> = watch
        .queriers
        .iter()
        .map(|((i, a), q)| QuerierOut {
            interface: names.of(*i),
            address: a.to_string(),
            protocol: protocol(a.is_ipv4(), q.version),
            elected: watch
                .elected(*i, a.is_ipv4(), now)
                .is_some_and(|(e, _)| e == *a),
            queries: q.queries,
            interval_s: q
                .interval
                .map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0),
            max_response_ms: q.max_response_ms,
            qrv: q.qrv,
            qqi_s: q.qqi_s,
        })
        .collect();
    let hosts: Vec<HostOut> = watch
        .hosts()
        .into_iter()
        .map(|h| HostOut {
            interface: names.of(h.ifindex),
            address: h.host.to_string(),
            protocol: protocol(h.host.is_ipv4(), h.version),
            groups: h
                .groups
                .iter()
                .map(|(g, m)| GroupOut {
                    group: g.to_string(),
                    mode: if m.exclude { "exclude" } else { "include" },
                    sources: strings(&m.sources),
                })
                .collect(),
        })
        .collect();
    if json {
        return out.json_line(&WatchEvent::Summary {
            command: "watch",
            packets,
            kernel_drops: drops,
            ignored,
            untracked: watch.untracked,
            aged: watch.aged,
            queriers,
            hosts,
        });
    }
    writeln!(out, "--- queriers ---")?;
    if queriers.is_empty() {
        writeln!(out, "  none heard")?;
    }
    for q in &queriers {
        let every = q
            .interval_s
            .map_or(String::new(), |s| format!(", every {s:.1} s"));
        writeln!(
            out,
            "  {} {} {}{}{every}, {}, max response {:.1} s, QRV {}, QQI {} s",
            q.interface,
            q.address,
            q.protocol,
            if q.elected { " (elected)" } else { "" },
            if q.queries == 1 {
                "1 query".to_string()
            } else {
                format!("{} queries", q.queries)
            },
            f64::from(q.max_response_ms) / 1000.0,
            q.qrv,
            q.qqi_s
        )?;
    }
    writeln!(out, "--- hosts ---")?;
    if hosts.is_empty() {
        writeln!(out, "  none heard")?;
    }
    for h in &hosts {
        let groups: Vec<String> = h
            .groups
            .iter()
            .map(|g| match (g.mode, g.sources.is_empty()) {
                ("include", _) => format!("{} from {}", g.group, g.sources.join(", ")),
                (_, true) => format!("{} any source", g.group),
                _ => format!("{} any source but {}", g.group, g.sources.join(", ")),
            })
            .collect();
        writeln!(
            out,
            "  {} {} {}: {}",
            h.interface,
            h.address,
            h.protocol,
            groups.join("; ")
        )?;
    }
    writeln!(
        out,
        "captured {packets} packets, {drops} dropped by the kernel, {ignored} not IGMP or MLD{}",
        if watch.untracked > 0 {
            format!(
                ", {} reports past the {} entries kept",
                watch.untracked,
                super::watch_state::MAX_ENTRIES
            )
        } else {
            String::new()
        }
    )
}
