//! What `mcast recv` counted, why it ended, and the figures it prints of them: the summary
//! at the end and, with --report or Ctrl-\, the figures so far.

use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;

use mcast::content::flow::Streams;
use mcast::stats::{Listened, ProbeStats, SenderStats};

use crate::cli::output::Stdout;
use crate::cli::output::events::{
    self, Event, RecvCounts, RecvInterval, RecvSummary, SenderSummary, SizeSummary, Span, now_ns,
};
use crate::cli::output::streams::{self, StreamSummary};

/// What a run counted.
pub struct Counts {
    pub packets: u64,
    pub bytes: u64,
    pub probes: u64,
    pub foreign: u64,
    pub truncated: u64,
    pub kernel_drops: Option<u32>,
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    pub stats: ProbeStats,
    /// When the group was joined (or receiving started), ns since the Unix epoch: probes
    /// due before it could not be heard.
    pub joined_ns: u64,
    /// Why receiving ended.
    pub ended_by: EndedBy,
    /// The content of each sender's stream, when it is read.
    pub streams: Option<Streams>,
}

/// Why receiving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Count,
    Duration,
    Timeout,
    Signal,
}

impl EndedBy {
    /// The JSON summary's `ended_by`.
    pub fn key(self) -> &'static str {
        match self {
            EndedBy::Count => "count",
            EndedBy::Duration => "duration",
            EndedBy::Timeout => "timeout",
            EndedBy::Signal => "signal",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            EndedBy::Count => "--count was reached",
            EndedBy::Duration => "the duration ended",
            EndedBy::Timeout => "the timeout passed",
            EndedBy::Signal => "stopped",
        }
    }
}

/// The figures so far, as an `interval` event or a text block: those of the interval since
/// `last` (the counts and the time of the previous report, or of the start), and in all.
pub fn interim(
    out: &mut Stdout,
    json: bool,
    c: &Counts,
    joined_at: Instant,
    last: &mut (RecvCounts, SystemTime),
) -> Result<()> {
    let mut summary = summarize(c, joined_at);
    summary.ended_by = None;
    let now = SystemTime::now();
    let totals = RecvCounts::of(&summary);
    let part = totals.since(&last.0);
    if json {
        let span = Span::new(last.1, now);
        summary.time = span.time;
        out.json_line(&Event::Interval(RecvInterval {
            so_far: summary,
            start: span.start,
            end: span.end,
            interval: part,
        }))?;
    } else {
        writeln!(
            out,
            "in the last {:.1} s: {}, {} lost; so far:",
            Span::secs(last.1, now),
            events::count(part.packets, "datagram"),
            part.lost
        )?;
        events::recv_summary_text(out, &summary)?;
    }
    out.flush()?;
    *last = (totals, now);
    Ok(())
}

/// The sizes of a cycle of which nothing arrived (two or more due) while a smaller size did:
/// a size the path does not carry, not loss at random.
fn not_arriving(by_size: &[mcast::stats::SizeTally]) -> Vec<u16> {
    let smallest_arriving = by_size
        .iter()
        .filter(|t| t.received > 0)
        .map(|t| t.size)
        .min();
    let Some(fine) = smallest_arriving else {
        return Vec::new();
    };
    let mut none: Vec<u16> = by_size
        .iter()
        .filter(|t| t.received == 0 && t.expected >= 2 && t.size > fine)
        .map(|t| t.size)
        .collect();
    none.sort_unstable();
    none
}

/// Each stream's figures, as the summary shows them.
pub fn summary_streams(c: &Counts) -> Vec<StreamSummary> {
    c.streams
        .as_ref()
        .map(|s| streams::summaries(s, now_ns(), c.ended_by == EndedBy::Timeout))
        .unwrap_or_default()
}

/// The figures of a run, as the summary and `interval` events print them.
pub fn summarize(c: &Counts, joined_at: Instant) -> RecvSummary {
    let elapsed = joined_at.elapsed().as_secs_f64();
    let listened = Listened {
        since_ns: c.joined_ns,
        until_ns: now_ns(),
    };
    let summary_of = |s: &SenderStats| {
        let delay = s.delay_ms();
        let by_size = s.by_size();
        let t = s.tally(listened);
        let last_ns = s.last_arrival_ns();
        SenderSummary {
            sender: events::sender_id(s.sender),
            source: s.source.to_string(),
            planned: s.planned,
            received: s.received,
            lost: t.lost,
            lost_after_last: t.lost_after_last,
            pending: t.pending,
            before_join: t.before_join,
            unjudged: t.unjudged,
            last_time: events::timestamp(UNIX_EPOCH + Duration::from_nanos(last_ns)),
            silent_ms: listened.until_ns.saturating_sub(last_ns) as f64 / 1e6,
            pace_ms: s.pace_ns().map(|p| p / 1e6),
            duplicates: s.duplicates,
            reordered: s.reordered,
            stale: s.stale,
            implausible: s.implausible(),
            disbelieved: s.disbelieved,
            heard_once: s.once(),
            sizes: by_size
                .iter()
                .map(|t| SizeSummary {
                    size: t.size,
                    received: t.received,
                    expected: t.expected,
                })
                .collect(),
            sizes_not_arriving: not_arriving(&by_size),
            delay_min_ms: delay.map(|d| d.0),
            delay_avg_ms: delay.map(|d| d.1),
            delay_max_ms: delay.map(|d| d.2),
            jitter_ms: s.jitter_ms(),
        }
    };
    // Senders with traffic first, then those heard once (the most recent 256).
    let mut senders: Vec<SenderSummary> = c.stats.senders().iter().map(summary_of).collect();
    senders.extend(c.stats.heard_once().map(|s| summary_of(&s)));
    // Crafted or corrupt senders are shown, not added: their numbers would swamp the rest;
    // nor are senders heard once, which a flood of spoofed strangers would be.
    let total = |f: fn(&SenderSummary) -> u64| {
        senders
            .iter()
            .filter(|s| !s.implausible && !s.heard_once)
            .fold(0u64, |sum, s| sum.saturating_add(f(s)))
    };
    RecvSummary {
        command: "recv",
        version: env!("CARGO_PKG_VERSION"),
        time: events::timestamp(SystemTime::now()),
        packets: c.packets,
        bytes: c.bytes,
        elapsed_ms: elapsed * 1000.0,
        // Over the span from first to last arrival, so waiting before and after does not
        // dilute it: n datagrams sent at rate r arrive over (n - 1) / r.
        rate_pps: match (c.first, c.last) {
            (Some(f), Some(l)) if l > f && c.packets > 1 => {
                (c.packets - 1) as f64 / (l - f).as_secs_f64()
            }
            _ => 0.0,
        },
        first_after_ms: c.first.map(|f| (f - joined_at).as_secs_f64() * 1000.0),
        ended_by: Some(c.ended_by.key()),
        joined: false,
        probes: c.probes,
        foreign: c.foreign,
        truncated: c.truncated,
        lost: total(|s| s.lost),
        duplicates: total(|s| s.duplicates),
        reordered: total(|s| s.reordered),
        untracked_senders: c.stats.untracked,
        senders_heard_once: c.stats.heard_once_count() as u64,
        kernel_drops: c.kernel_drops.map(u64::from),
        rcvbuf: None,
        senders,
        untracked_streams: c.streams.as_ref().map_or(0, |s| s.untracked),
        streams: summary_streams(c),
    }
}
