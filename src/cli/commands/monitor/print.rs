//! What the monitor prints as it goes: its start, each alarm raised or cleared (a line of
//! text, or an `alarm` or `clear` record), and doctor's findings for a group that never
//! started. The tables are in `table.rs`.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use mcast::doctor::{Check, Status};
use mcast::monitor::{AlarmKind, Change, JoinLimits, Monitor, Seen, Target, Watched};

use crate::cli::output::Stdout;
use crate::cli::output::escape::escape;
use crate::cli::output::events::timestamp;

/// A time in ns since the epoch as RFC 3339.
pub(super) fn time(ns: u64) -> String {
    timestamp(UNIX_EPOCH + Duration::from_nanos(ns))
}

/// Milliseconds to the microsecond.
pub(super) fn ms(ns: u64) -> f64 {
    (ns as f64 / 1_000.0).round() / 1_000.0
}

/// Seconds as people read them: 1.050 s.
pub(super) fn secs(ns: u64) -> String {
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
pub(super) struct TargetJson<'a> {
    name: Option<&'a str>,
    group: String,
    port: u16,
    source: Option<String>,
    interface: Option<String>,
}

impl<'a> TargetJson<'a> {
    pub(super) fn of(t: &'a Target) -> Self {
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

/// Tells one alarm raised or cleared: an `alarm` or `clear` record, or its line of text.
pub fn change(out: &mut Stdout, json: bool, m: &Monitor, c: &Change) -> io::Result<()> {
    if !json {
        let line = change_text(m, c);
        return out.text_line(|l| writeln!(l, "{line}"));
    }
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
            out.json_line(&AlarmJson {
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
            })
        }
        Change::Cleared {
            at_ns, lasted_ns, ..
        } => out.json_line(&ClearJson {
            kind: "clear",
            command: "monitor",
            time: time(at_ns),
            alarm: kind.name(),
            target: TargetJson::of(&w.target),
            lasted_ms: ms(lasted_ns),
        }),
    }
}

/// One alarm raised or cleared as a line of text: when, what, which group, what to do.
pub fn change_text(m: &Monitor, c: &Change) -> String {
    let w = &m.groups()[c.group()];
    let kind = c.kind();
    match *c {
        Change::Raised { at_ns, seen, .. } => {
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
            format!(
                "{} ALARM {} {}: {what}; {}",
                time(at_ns),
                kind.name(),
                label(&w.target),
                fix(kind)
            )
        }
        Change::Cleared {
            at_ns, lasted_ns, ..
        } => {
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
            format!(
                "{} CLEAR {} {}: {what}",
                time(at_ns),
                kind.name(),
                label(&w.target)
            )
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
    for line in diagnosis_text(w, checks, now_ns) {
        out.text_line(|l| writeln!(l, "{line}"))?;
    }
    Ok(())
}

/// Doctor's failures for a group as lines of text (or one saying none failed).
pub fn diagnosis_text(w: &Watched, checks: &[Check], now_ns: u64) -> Vec<String> {
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
        return vec![format!(
            "{at} DOCTOR {who}: no check failed on this host{warnings}; the group does not reach it: look upstream (the sender, the routers' multicast routes, the switch's IGMP snooping)"
        )];
    }
    failed
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let tail = if i + 1 == failed.len() {
                warnings.as_str()
            } else {
                ""
            };
            let fix = c
                .fix
                .as_ref()
                .map(|f| format!("; fix: {}", escape(f.as_bytes())))
                .unwrap_or_default();
            format!(
                "{at} DOCTOR {who}: FAIL {}: {}{fix}{tail}",
                c.check,
                escape(c.evidence.as_bytes())
            )
        })
        .collect()
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
