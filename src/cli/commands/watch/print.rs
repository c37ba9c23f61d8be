//! What `mcast watch` prints: a line or a JSON event per IGMP or MLD message, the warnings,
//! and the summary of queriers and hosts.

use std::io::Write;
use std::net::IpAddr;
use std::time::{Instant, SystemTime};

use serde::Serialize;

use mcast::wire::igmp::{Message, Packet};

use super::Names;
use crate::cli::output::Stdout;
use crate::cli::output::escape::escape;
use crate::cli::output::events;
use crate::cli::output::events::Span;
use mcast::watch::{Warning, Watch, protocol};

/// What every message event carries.
#[derive(Serialize)]
struct Seen {
    /// `watch`.
    command: &'static str,
    time: String,
    interface: String,
    source: String,
    destination: String,
    protocol: String,
    ttl: u8,
    outgoing: bool,
    /// False when the IGMP or ICMPv6 checksum is wrong: hosts and switches discard it.
    checksum_ok: bool,
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
        command: &'static str,
        time: String,
        kind: &'static str,
        interface: String,
        family: &'static str,
        subject: Option<String>,
        message: String,
    },
    Summary {
        command: &'static str,
        /// mcast's version.
        version: &'static str,
        time: String,
        #[serde(flatten)]
        body: Body,
    },
    /// The state so far (`--report`, Ctrl-\\): the summary's figures, and the interval's.
    Interval {
        command: &'static str,
        version: &'static str,
        #[serde(flatten)]
        span: Span,
        #[serde(flatten)]
        body: Body,
        interval: Counts,
    },
}

/// What the summary and each interval say of the run so far.
#[derive(Serialize)]
pub struct Body {
    packets: u64,
    /// Null when reading a file: what the capturing kernel dropped is not in it.
    kernel_drops: Option<u64>,
    ignored: u64,
    bad_checksums: u64,
    untracked: u64,
    untracked_sources: u64,
    untracked_queriers: u64,
    /// Warnings past the memory of warnings, by kind: counted, not told one by one.
    warnings_not_told: std::collections::BTreeMap<&'static str, u64>,
    aged: u64,
    queriers: Vec<QuerierOut>,
    hosts: Vec<HostOut>,
}

/// The running counts of a watch, read at the end of each interval.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Counts {
    pub packets: u64,
    pub kernel_drops: u64,
    pub ignored: u64,
    pub bad_checksums: u64,
    pub warnings: u64,
    /// Read from a file (watch -r) rather than captured.
    #[serde(skip)]
    pub from_file: bool,
}

impl Counts {
    /// What happened since `before` was read.
    pub fn since(&self, before: &Counts) -> Counts {
        Counts {
            packets: self.packets.saturating_sub(before.packets),
            kernel_drops: self.kernel_drops.saturating_sub(before.kernel_drops),
            ignored: self.ignored.saturating_sub(before.ignored),
            bad_checksums: self.bad_checksums.saturating_sub(before.bad_checksums),
            warnings: self.warnings.saturating_sub(before.warnings),
            from_file: self.from_file,
        }
    }
}

fn strings(v: &[IpAddr]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
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
        command: "watch",
        time: events::timestamp(when),
        interface: iface.to_string(),
        source: p.source.to_string(),
        destination: p.destination.to_string(),
        protocol: protocol(p.source.is_ipv4(), version),
        ttl: p.ttl,
        outgoing,
        checksum_ok: p.checksum_ok,
    }
}

pub fn message_line(
    out: &mut Stdout,
    json: bool,
    when: SystemTime,
    iface: &str,
    outgoing: bool,
    p: &Packet,
) -> std::io::Result<()> {
    if !json {
        let stamp = events::timestamp(when);
        // The time of day in UTC, marked as such (Z), to the millisecond.
        let clock = stamp.get(11..23).map_or(stamp.clone(), |t| format!("{t}Z"));
        let from = if outgoing { " (sent by this host)" } else { "" };
        let bad = if p.checksum_ok {
            String::new()
        } else {
            let mark = crate::cli::output::color::paint(
                "bad checksum",
                crate::cli::output::color::Paint::Warn,
            );
            format!(" ({mark}: hosts and switches discard it)")
        };
        // Interface names are anyone's to choose (ESC, bidi controls): escaped for text.
        let iface = escape(iface.as_bytes());
        return out
            .text_line(|l| writeln!(l, "{clock} {iface} {}{from} {}{bad}", p.source, describe(p)));
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

/// A warning, given at `when` (the capture's time).
pub fn warning_line(
    out: &mut Stdout,
    json: bool,
    iface: &str,
    w: &Warning,
    when: SystemTime,
) -> std::io::Result<()> {
    if json {
        out.json_line(&WatchEvent::Warning {
            command: "watch",
            time: events::timestamp(when),
            kind: w.kind.key(),
            interface: iface.to_string(),
            family: if w.v4 { "ipv4" } else { "ipv6" },
            subject: w.subject.map(|s| s.to_string()),
            message: w.message.clone(),
        })
    } else {
        let iface = escape(iface.as_bytes());
        let message = escape(w.message.as_bytes());
        let warning =
            crate::cli::output::color::paint("warning:", crate::cli::output::color::Paint::Warn);
        out.text_line(|l| writeln!(l, "{warning} {iface}: {message}"))
    }
}

/// The summary, at `now` on the watch's clock, which is `when` (the capture's time).
pub fn summary(
    out: &mut Stdout,
    json: bool,
    watch: &Watch,
    names: &mut Names,
    counts: Counts,
    (now, when): (Instant, SystemTime),
) -> std::io::Result<()> {
    let body = body(watch, names, counts, now);
    if json {
        return out.json_line(&WatchEvent::Summary {
            command: "watch",
            version: env!("CARGO_PKG_VERSION"),
            time: events::timestamp(when),
            body,
        });
    }
    text(out, watch, &body)
}

/// The state so far at `now`, with the counts since `before` (read at `from`).
pub fn interval(
    out: &mut Stdout,
    json: bool,
    watch: &Watch,
    names: &mut Names,
    (counts, before): (Counts, Counts),
    (from, now): (SystemTime, SystemTime),
) -> std::io::Result<()> {
    let part = counts.since(&before);
    let body = body(watch, names, counts, Instant::now());
    if json {
        return out.json_line(&WatchEvent::Interval {
            command: "watch",
            version: env!("CARGO_PKG_VERSION"),
            span: Span::new(from, now),
            body,
            interval: part,
        });
    }
    let secs = Span::secs(from, now);
    writeln!(
        out,
        "in the last {secs:.1} s: {} captured, {} dropped by the kernel, {} not IGMP or MLD, {}; so far:",
        events::count(part.packets, "packet"),
        part.kernel_drops,
        part.ignored,
        events::count(part.warnings, "warning")
    )?;
    text(out, watch, &body)?;
    out.flush()
}

/// The queriers and hosts known, and the counts, as JSON has them.
fn body(watch: &Watch, names: &mut Names, counts: Counts, now: Instant) -> Body {
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
    Body {
        packets: counts.packets,
        kernel_drops: (!counts.from_file).then_some(counts.kernel_drops),
        ignored: counts.ignored,
        bad_checksums: counts.bad_checksums,
        untracked: watch.untracked,
        untracked_sources: watch.untracked_sources,
        untracked_queriers: watch.untracked_queriers,
        warnings_not_told: watch.not_told.iter().map(|(k, n)| (k.key(), *n)).collect(),
        aged: watch.aged,
        queriers,
        hosts,
    }
}

/// The summary's words: queriers, hosts, warnings not told, and the counts.
fn text(out: &mut Stdout, watch: &Watch, body: &Body) -> std::io::Result<()> {
    let (queriers, hosts) = (&body.queriers, &body.hosts);
    let (packets, ignored) = (body.packets, body.ignored);
    let seen = match body.kernel_drops {
        Some(drops) => format!(
            "captured {}, {drops} dropped by the kernel",
            events::count(packets, "packet")
        ),
        None => format!("read {} from the file", events::count(packets, "packet")),
    };
    writeln!(out, "--- queriers ---")?;
    if queriers.is_empty() {
        writeln!(out, "  none heard")?;
    }
    for q in queriers {
        let every = q
            .interval_s
            .map_or(String::new(), |s| format!(", every {s:.1} s"));
        writeln!(
            out,
            "  {} {} {}{}{every}, {}, max response {:.1} s, QRV {}, QQI {} s",
            escape(q.interface.as_bytes()),
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
    for h in hosts {
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
            escape(h.interface.as_bytes()),
            h.address,
            h.protocol,
            groups.join("; ")
        )?;
    }
    for (kind, n) in &watch.not_told {
        writeln!(
            out,
            "and {n} more warnings not told one by one: {} ({})",
            kind.repeated(),
            kind.key()
        )?;
    }
    writeln!(
        out,
        "{seen}, {ignored} not IGMP or MLD{}{}{}{}{}",
        if body.bad_checksums > 0 {
            format!(
                ", {} with a bad checksum (discarded by hosts and switches, so left out of the state)",
                body.bad_checksums
            )
        } else {
            String::new()
        },
        if watch.aged > 0 {
            format!(
                "; {} memberships aged out (no report within the querier's membership interval)",
                watch.aged
            )
        } else {
            String::new()
        },
        if watch.untracked > 0 {
            format!(
                ", {} reports past the {} entries kept",
                watch.untracked,
                mcast::watch::MAX_ENTRIES
            )
        } else {
            String::new()
        },
        if watch.untracked_queriers > 0 {
            format!(
                ", {} queriers forgotten past the {} kept (a link has one or two: the rest were spoofed)",
                watch.untracked_queriers,
                mcast::watch::MAX_QUERIERS
            )
        } else {
            String::new()
        },
        if watch.untracked_sources > 0 {
            format!(
                ", {} sources past the {} one membership keeps (no host's filter holds that many)",
                watch.untracked_sources,
                mcast::watch::MAX_SOURCES
            )
        } else {
            String::new()
        }
    )
}
