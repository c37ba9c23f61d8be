//! What the monitor prints: its start, each alarm raised or cleared (a line of text, or an
//! `alarm` or `clear` event), and the table of every group (`--report`, Ctrl-\, the end).

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use mcast::doctor::{Check, Status};
use mcast::monitor::{AlarmKind, Change, JoinLimits, Monitor, Pair, Seen, State, Target, Watched};

use crate::cli::output::Stdout;
use crate::cli::output::escape::escape;
use crate::cli::output::events::timestamp;

/// A time in ns since the epoch as RFC 3339.
fn time(ns: u64) -> String {
    timestamp(UNIX_EPOCH + Duration::from_nanos(ns))
}

/// Milliseconds to the microsecond.
fn ms(ns: u64) -> f64 {
    (ns as f64 / 1_000.0).round() / 1_000.0
}

/// Seconds as people read them: 1.050 s.
fn secs(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// How a target is named in text: `Channel One (239.1.1.1:1234)`, or its endpoint alone.
pub fn label(t: &Target) -> String {
    match &t.name {
        Some(n) => format!("{} ({})", escape(n.as_bytes()), t.endpoint()),
        None => t.endpoint(),
    }
}

/// A target's fields in every record about it.
#[derive(Serialize)]
struct TargetJson<'a> {
    name: Option<&'a str>,
    group: String,
    port: u16,
    source: Option<String>,
    interface: Option<String>,
}

impl<'a> TargetJson<'a> {
    fn of(t: &'a Target) -> Self {
        TargetJson {
            name: t.name.as_deref(),
            group: t.group.to_string(),
            port: t.port,
            source: t.source.map(|s| s.to_string()),
            interface: t.interface.as_ref().map(ToString::to_string),
        }
    }
}

/// The monitor's start.
#[derive(Serialize)]
struct Monitoring {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'static str,
    time: String,
    groups: usize,
    sockets: usize,
    igmp_max_memberships: usize,
    igmp_max_msf: usize,
    mld_max_msf: usize,
    stall_ms: f64,
    pairs: usize,
    metrics: Option<String>,
}

/// Tells the start: how many groups on how many sockets, within which limits.
pub fn monitoring(
    out: &mut Stdout,
    json: bool,
    m: &Monitor,
    sockets: usize,
    limits: &JoinLimits,
    metrics: Option<SocketAddr>,
) -> io::Result<()> {
    let stall_ns = m.options().stall_ns;
    if json {
        return out.json_line(&Monitoring {
            kind: "monitoring",
            command: "monitor",
            time: time(m.started_ns()),
            groups: m.groups().len(),
            sockets,
            igmp_max_memberships: limits.v4_groups,
            igmp_max_msf: limits.v4_sources,
            mld_max_msf: limits.v6_sources,
            stall_ms: ms(stall_ns),
            pairs: m.pairs().len(),
            metrics: metrics.map(|a| format!("http://{a}/metrics")),
        });
    }
    let assumed = |i: usize| {
        if limits.read[i] {
            ""
        } else {
            " (the default: not readable here)"
        }
    };
    let n = m.groups().len();
    out.text_line(|l| {
        writeln!(
            l,
            "monitoring {n} {} on {sockets} {} (net.ipv4.igmp_max_memberships {}{}, igmp_max_msf {}{}, net.ipv6.mld_max_msf {}{}); a group silent for {} raises a stall",
            plural(n, "group", "groups"),
            plural(sockets, "socket", "sockets"),
            limits.v4_groups,
            assumed(0),
            limits.v4_sources,
            assumed(1),
            limits.v6_sources,
            assumed(3),
            secs(stall_ns),
        )?;
        let pairs = m.pairs().len();
        if pairs > 0 {
            writeln!(
                l,
                "{pairs} A/B {} (targets that share a name): each leg's loss, the loss merged over both legs, and their skew",
                plural(pairs, "pair", "pairs")
            )?;
        }
        if let Some(a) = metrics {
            writeln!(l, "metrics for Prometheus at http://{a}/metrics")?;
        }
        Ok(())
    })
}

fn plural(n: usize, one: &'static str, more: &'static str) -> &'static str {
    if n == 1 { one } else { more }
}

#[derive(Serialize)]
struct AlarmJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'static str,
    time: String,
    alarm: &'static str,
    #[serde(flatten)]
    target: TargetJson<'a>,
    since: String,
    silent_ms: Option<f64>,
    lost: Option<u64>,
    expected: Option<u64>,
    fix: &'static str,
}

#[derive(Serialize)]
struct ClearJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'static str,
    time: String,
    alarm: &'static str,
    #[serde(flatten)]
    target: TargetJson<'a>,
    lasted_ms: f64,
}

/// What to do about an alarm.
fn fix(kind: AlarmKind) -> &'static str {
    match kind {
        AlarmKind::NeverStarted => {
            "see that the sender runs and sends to this group and port; then run mcast doctor for the group on this host"
        }
        AlarmKind::Stall => {
            "the sender, or the network between it and this host, stopped: look at the sender, then at the routers on the way"
        }
        AlarmKind::Loss => {
            "datagrams are lost before they reach this socket: look for drops on the way (switch and router counters), and at this host's receive buffer (--rcvbuf)"
        }
        AlarmKind::LegDown => {
            "the feed rides on the other leg alone, and one more fault loses it: look at this leg's path (its sender, routers and switch ports)"
        }
    }
}

/// Tells one alarm raised or cleared.
pub fn change(out: &mut Stdout, json: bool, m: &Monitor, c: &Change) -> io::Result<()> {
    let w = &m.groups()[c.group()];
    let kind = c.kind();
    match *c {
        Change::Raised { at_ns, seen, .. } => {
            let (since_ns, silent, lost, expected) = match seen {
                Seen::NeverStarted { waited_ns } => (m.started_ns(), Some(waited_ns), None, None),
                Seen::Stall { last_ns, silent_ns } => (last_ns, Some(silent_ns), None, None),
                Seen::Loss {
                    lost,
                    expected,
                    window_ns,
                } => (
                    at_ns.saturating_sub(window_ns),
                    None,
                    Some(lost),
                    Some(expected),
                ),
                Seen::LegDown { .. } => (w.last_ns.unwrap_or(m.started_ns()), None, None, None),
            };
            if json {
                return out.json_line(&AlarmJson {
                    kind: "alarm",
                    command: "monitor",
                    time: time(at_ns),
                    alarm: kind.name(),
                    target: TargetJson::of(&w.target),
                    since: time(since_ns),
                    silent_ms: silent.map(ms),
                    lost,
                    expected,
                    fix: fix(kind),
                });
            }
            let what = match seen {
                Seen::NeverStarted { waited_ns } => {
                    format!("no datagram in the {} since the join", secs(waited_ns))
                }
                Seen::Stall { last_ns, silent_ns } => format!(
                    "no datagram for {}, the last at {}",
                    secs(silent_ns),
                    time(last_ns)
                ),
                Seen::Loss {
                    lost,
                    expected,
                    window_ns,
                } => format!(
                    "{lost} of {expected} {} lost ({:.2} %) in the last {}, over the limit of {} %",
                    units(w),
                    lost as f64 * 100.0 / expected.max(1) as f64,
                    secs(window_ns),
                    m.options().loss_alarm * 100.0,
                ),
                Seen::LegDown { pair, other } => {
                    let p = &m.pairs()[pair];
                    let leg = if p.legs[0] == c.group() { "A" } else { "B" };
                    format!(
                        "leg {leg} of the pair is down while the other ({}) carries the feed",
                        m.groups()[other].target.endpoint()
                    )
                }
            };
            out.text_line(|l| {
                writeln!(
                    l,
                    "{} ALARM {} {}: {what}; {}",
                    time(at_ns),
                    kind.name(),
                    label(&w.target),
                    fix(kind)
                )
            })
        }
        Change::Cleared {
            at_ns, lasted_ns, ..
        } => {
            if json {
                return out.json_line(&ClearJson {
                    kind: "clear",
                    command: "monitor",
                    time: time(at_ns),
                    alarm: kind.name(),
                    target: TargetJson::of(&w.target),
                    lasted_ms: ms(lasted_ns),
                });
            }
            let what = match kind {
                AlarmKind::NeverStarted => {
                    format!("first datagram {} after the join", secs(lasted_ns))
                }
                AlarmKind::Stall => format!("datagrams again after {} of silence", secs(lasted_ns)),
                AlarmKind::Loss => format!(
                    "a window within the loss limit; the loss lasted {}",
                    secs(lasted_ns)
                ),
                AlarmKind::LegDown => format!("the leg flows again, after {}", secs(lasted_ns)),
            };
            out.text_line(|l| {
                writeln!(
                    l,
                    "{} CLEAR {} {}: {what}",
                    time(at_ns),
                    kind.name(),
                    label(&w.target)
                )
            })
        }
    }
}

/// What a group's loss is counted in.
fn units(w: &Watched) -> &'static str {
    let flows = || w.streams.iter().flat_map(|s| s.flows());
    if flows().any(|f| f.rtp().is_some()) {
        "RTP packets"
    } else if flows().any(|f| f.ts().is_some()) {
        "TS packets"
    } else {
        "numbers"
    }
}

/// One group's row, in JSON.
#[derive(Serialize)]
pub struct Row<'a> {
    #[serde(flatten)]
    target: TargetJson<'a>,
    state: &'static str,
    datagrams: u64,
    bytes: u64,
    datagrams_per_s: Option<f64>,
    bits_per_s: Option<f64>,
    lost: Option<u64>,
    duplicates: Option<u64>,
    reordered: Option<u64>,
    cc_errors: Option<u64>,
    jitter_ms: Option<f64>,
    last_time: Option<String>,
    alarms: Vec<&'static str>,
    alarms_raised: u64,
}

fn round(v: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (v * scale).round() / scale
}

impl<'a> Row<'a> {
    pub fn of(w: &'a Watched) -> Self {
        Row {
            target: TargetJson::of(&w.target),
            state: w.state().name(),
            datagrams: w.datagrams,
            bytes: w.bytes,
            datagrams_per_s: w.window.map(|x| round(x.datagrams_per_s, 3)),
            bits_per_s: w.window.map(|x| x.bits_per_s.round()),
            lost: w.lost(),
            duplicates: w.duplicates(),
            reordered: w.reordered(),
            cc_errors: w.cc_errors(),
            jitter_ms: w.jitter_ms().map(|j| round(j, 3)),
            last_time: w.last_ns.map(time),
            alarms: w.alarms.standing().map(AlarmKind::name).collect(),
            alarms_raised: w.alarms.raised,
        }
    }
}

/// One A/B pair's row, in JSON.
#[derive(Serialize)]
pub struct PairRow<'a> {
    name: &'a str,
    a: String,
    b: String,
    a_lost: Option<u64>,
    b_lost: Option<u64>,
    merged_lost: Option<u64>,
    only_a: u64,
    only_b: u64,
    both: u64,
    restarts: u64,
    skew_p50_ms: Option<f64>,
    skew_max_ms: Option<f64>,
    legs_up: usize,
}

fn legs_up(m: &Monitor, p: &Pair) -> usize {
    p.legs
        .iter()
        .filter(|&&g| matches!(m.groups()[g].state(), State::Flowing | State::Losing))
        .count()
}

impl<'a> PairRow<'a> {
    pub fn of(m: &'a Monitor, p: &'a Pair) -> Self {
        let [a, b] = p.legs.map(|g| &m.groups()[g]);
        let started = p.merge.started();
        PairRow {
            name: &p.name,
            a: a.target.endpoint(),
            b: b.target.endpoint(),
            a_lost: a.lost(),
            b_lost: b.lost(),
            merged_lost: started.then_some(p.merge.lost),
            only_a: p.merge.only[0],
            only_b: p.merge.only[1],
            both: p.merge.both,
            restarts: p.merge.restarts,
            skew_p50_ms: p.merge.skew_p50_ns().map(|s| round(s as f64 / 1e6, 3)),
            skew_max_ms: p
                .merge
                .skew_p50_ns()
                .map(|_| round(p.merge.skew_max_ns as f64 / 1e6, 3)),
            legs_up: legs_up(m, p),
        }
    }
}

/// The pairs in text, after the groups' table.
fn pair_table(out: &mut Stdout, m: &Monitor) -> io::Result<()> {
    if m.pairs().is_empty() {
        return Ok(());
    }
    let dash = || "-".to_string();
    let width = m
        .pairs()
        .iter()
        .map(|p| escape(p.name.as_bytes()).chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 32);
    out.text_line(|l| {
        writeln!(
            l,
            "{:<width$} {:<24} {:<24} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7}",
            "PAIR",
            "LEG A",
            "LEG B",
            "A LOST",
            "B LOST",
            "MERGED",
            "SKEW P50",
            "SKEW MAX",
            "LEGS UP"
        )
    })?;
    for p in m.pairs() {
        let r = PairRow::of(m, p);
        let opt = |v: Option<u64>| v.map_or_else(dash, |v| v.to_string());
        let ms = |v: Option<f64>| v.map_or_else(dash, |v| format!("{v:.2}ms"));
        let name: String = escape(p.name.as_bytes()).chars().take(width).collect();
        out.text_line(|l| {
            writeln!(
                l,
                "{name:<width$} {:<24} {:<24} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7}",
                r.a,
                r.b,
                opt(r.a_lost),
                opt(r.b_lost),
                opt(r.merged_lost),
                ms(r.skew_p50_ms),
                ms(r.skew_max_ms),
                format!("{}/2", r.legs_up),
            )
        })?;
    }
    Ok(())
}

/// The groups in the order to read them: trouble first (never started, stalled, losing),
/// then by loss, then as listed.
pub fn in_trouble_order(m: &Monitor) -> Vec<&Watched> {
    let mut rows: Vec<&Watched> = m.groups().iter().collect();
    rows.sort_by_key(|w| (w.state(), std::cmp::Reverse(w.lost().unwrap_or(0))));
    rows
}

#[derive(Serialize)]
struct Interval<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'static str,
    time: String,
    start: String,
    end: String,
    groups: Vec<Row<'a>>,
    pairs: Vec<PairRow<'a>>,
}

/// The table of every group: an `interval` record (since `from_ns`), or text.
pub fn report(
    out: &mut Stdout,
    json: bool,
    m: &Monitor,
    from_ns: u64,
    now_ns: u64,
) -> io::Result<()> {
    let rows = in_trouble_order(m);
    if json {
        return out.json_line(&Interval {
            kind: "interval",
            command: "monitor",
            time: time(now_ns),
            start: time(from_ns),
            end: time(now_ns),
            groups: rows.into_iter().map(Row::of).collect(),
            pairs: m.pairs().iter().map(|p| PairRow::of(m, p)).collect(),
        });
    }
    table(out, &rows, now_ns)?;
    pair_table(out, m)
}

/// The table in text, with a line of totals.
pub fn table(out: &mut Stdout, rows: &[&Watched], now_ns: u64) -> io::Result<()> {
    let dash = || "-".to_string();
    let opt = |v: Option<u64>| v.map_or_else(dash, |v| v.to_string());
    let width = rows
        .iter()
        .map(|w| {
            w.target
                .name
                .as_ref()
                .map_or(1, |n| escape(n.as_bytes()).chars().count())
        })
        .max()
        .unwrap_or(4)
        .clamp(4, 32);
    out.text_line(|l| {
        writeln!(
            l,
            "{:<14} {:<width$} {:<24} {:>9} {:>8} {:>8} {:>6} {:>9} {:>10}",
            "STATE", "NAME", "GROUP", "DGRAM/S", "MBIT/S", "LOST", "CC", "JITTER", "LAST"
        )
    })?;
    let (mut rate, mut bits, mut lost, mut troubled) = (0.0, 0.0, 0u64, 0usize);
    for w in rows {
        let win = w.window;
        rate += win.map_or(0.0, |x| x.datagrams_per_s);
        bits += win.map_or(0.0, |x| x.bits_per_s);
        lost += w.lost().unwrap_or(0);
        troubled += usize::from(w.alarms.standing().next().is_some());
        let name: String = w
            .target
            .name
            .as_ref()
            .map_or_else(dash, |n| escape(n.as_bytes()).chars().take(width).collect());
        let last = w.last_ns.map_or_else(
            || "never".to_string(),
            |l| format!("{:.1}s ago", now_ns.saturating_sub(l) as f64 / 1e9),
        );
        out.text_line(|l| {
            writeln!(
                l,
                "{:<14} {:<width$} {:<24} {:>9} {:>8} {:>8} {:>6} {:>9} {:>10}",
                w.state().name(),
                name,
                w.target.endpoint(),
                win.map_or_else(dash, |x| format!("{:.1}", x.datagrams_per_s)),
                win.map_or_else(dash, |x| format!("{:.2}", x.bits_per_s / 1e6)),
                opt(w.lost()),
                opt(w.cc_errors()),
                w.jitter_ms().map_or_else(dash, |j| format!("{j:.2}ms")),
                last,
            )
        })?;
    }
    out.text_line(|l| {
        writeln!(
            l,
            "{} groups, {troubled} in trouble; {rate:.1} datagrams/s, {:.2} Mbit/s, {lost} lost in all",
            rows.len(),
            bits / 1e6,
        )
    })
}

#[derive(Serialize)]
struct Summary<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'static str,
    version: &'static str,
    time: String,
    elapsed_ms: f64,
    ended_by: &'static str,
    sockets: usize,
    datagrams: u64,
    unmatched: u64,
    kernel_drops: Option<u64>,
    alarms_raised: u64,
    alarms_standing: usize,
    groups: Vec<Row<'a>>,
    pairs: Vec<PairRow<'a>>,
}

/// How the run ended and what it counted.
pub struct End {
    pub now_ns: u64,
    pub ended_by: &'static str,
    pub sockets: usize,
    pub kernel_drops: Option<u64>,
}

/// The end: every group's row, then the figures of the whole run.
pub fn summary(out: &mut Stdout, json: bool, m: &Monitor, end: &End) -> io::Result<()> {
    let standing: usize = m.groups().iter().map(|w| w.alarms.standing().count()).sum();
    let datagrams = m.groups().iter().map(|w| w.datagrams).sum();
    let elapsed = end.now_ns.saturating_sub(m.started_ns());
    if json {
        return out.json_line(&Summary {
            kind: "summary",
            command: "monitor",
            version: env!("CARGO_PKG_VERSION"),
            time: time(end.now_ns),
            elapsed_ms: ms(elapsed),
            ended_by: end.ended_by,
            sockets: end.sockets,
            datagrams,
            unmatched: m.unmatched,
            kernel_drops: end.kernel_drops,
            alarms_raised: m.raised(),
            alarms_standing: standing,
            groups: in_trouble_order(m).into_iter().map(Row::of).collect(),
            pairs: m.pairs().iter().map(|p| PairRow::of(m, p)).collect(),
        });
    }
    table(out, &in_trouble_order(m), end.now_ns)?;
    pair_table(out, m)?;
    let drops = end
        .kernel_drops
        .map_or_else(|| "not counted".to_string(), |d| d.to_string());
    out.text_line(|l| {
        writeln!(
            l,
            "monitor: ran {} ({}), {datagrams} datagrams ({} to no target), kernel drops {drops}; alarms raised {}, standing {standing}",
            secs(elapsed),
            if end.ended_by == "duration" { "its --duration" } else { "until stopped" },
            m.unmatched,
            m.raised(),
        )
    })
}

#[derive(Serialize)]
struct Diagnosis<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'static str,
    time: String,
    #[serde(flatten)]
    target: TargetJson<'a>,
    checks: &'a [Check],
}

/// Doctor's checks for a group that never started: each failure a line (with its fix), or
/// that none failed here; in JSON, a `diagnosis` record with every check.
pub fn diagnosis(
    out: &mut Stdout,
    json: bool,
    w: &Watched,
    checks: &[Check],
    now_ns: u64,
) -> io::Result<()> {
    if json {
        return out.json_line(&Diagnosis {
            kind: "diagnosis",
            command: "monitor",
            time: time(now_ns),
            target: TargetJson::of(&w.target),
            checks,
        });
    }
    let at = time(now_ns);
    let who = label(&w.target);
    let failed: Vec<&Check> = checks.iter().filter(|c| c.status == Status::Fail).collect();
    let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
    let warnings = match warned {
        0 => String::new(),
        n => format!(
            " ({n} {} too: mcast doctor {} {} shows {})",
            plural(n, "warning", "warnings"),
            w.target.group,
            w.target.port,
            plural(n, "it", "them")
        ),
    };
    if failed.is_empty() {
        return out.text_line(|l| {
            writeln!(
                l,
                "{at} DOCTOR {who}: no check failed on this host{warnings}; the group does not reach it: look upstream (the sender, the routers' multicast routes, the switch's IGMP snooping)"
            )
        });
    }
    for (i, c) in failed.iter().enumerate() {
        let tail = if i + 1 == failed.len() {
            warnings.as_str()
        } else {
            ""
        };
        out.text_line(|l| {
            write!(
                l,
                "{at} DOCTOR {who}: FAIL {}: {}",
                c.check,
                escape(c.evidence.as_bytes())
            )?;
            if let Some(fix) = &c.fix {
                write!(l, "; fix: {}", escape(fix.as_bytes()))?;
            }
            writeln!(l, "{tail}")
        })?;
    }
    Ok(())
}

/// Says once that doctor's checks were not run for a group past the first few.
pub fn not_diagnosed(out: &mut Stdout, json: bool, most: usize) -> io::Result<()> {
    if json {
        return Ok(());
    }
    out.text_line(|l| {
        writeln!(
            l,
            "doctor's checks run for the first {most} groups that never started only; for another, run mcast doctor GROUP PORT"
        )
    })
}
