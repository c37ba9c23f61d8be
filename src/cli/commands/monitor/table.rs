//! The tables of every group and of the A/B pairs, trouble first: `--report`, Ctrl-\\ and the
//! end of a run (an `interval` or `summary` record in JSON).

use std::io::{self, Write};

use serde::Serialize;

use mcast::monitor::{AlarmKind, Monitor, Pair, State, Watched};

use super::print::{TargetJson, ms, secs, time};
use crate::cli::output::Stdout;
use crate::cli::output::escape::escape;

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
