//! The figures of a send so far: every `--report` and on Ctrl-\, an interval with the
//! interval's own datagrams, bytes and errors, and the run's so far (the summary's shape).

use std::io::{self, Write};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::cli::output::Stdout;
use crate::cli::output::events::Span;
use crate::cli::output::events::{self, SendSummary};
use crate::cli::signals::stop;

use super::loops::Run;

/// What one interval sent.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Sent {
    pub packets: u64,
    pub bytes: u64,
    pub errors: u64,
}

/// An interval record.
#[derive(Serialize)]
struct Interval {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    so_far: SendSummary,
    start: String,
    end: String,
    interval: Sent,
}

/// The run's figures at `elapsed` from its start, as the summary has them.
pub fn summary_of(run: &Run, elapsed: Duration) -> SendSummary {
    let secs = elapsed.as_secs_f64();
    let us = |p: f64| run.gaps.percentile(p).map(|d| d.as_secs_f64() * 1e6);
    SendSummary {
        command: "send",
        version: env!("CARGO_PKG_VERSION"),
        time: events::timestamp(SystemTime::now()),
        packets: run.packets,
        bytes: run.bytes,
        elapsed_ms: secs * 1000.0,
        rate_pps: if secs > 0.0 {
            run.packets as f64 / secs
        } else {
            0.0
        },
        errors: run.errors,
        path: run.path.name(),
        gap_p50_us: us(0.5),
        gap_p99_us: us(0.99),
    }
}

/// Prints an interval when one is due (`--report`) or asked for (SIGQUIT).
pub struct Reporter {
    every: Option<Duration>,
    next: Option<Instant>,
    json: bool,
    start: Instant,
    last: (Sent, SystemTime),
    out: Stdout,
}

impl Reporter {
    pub fn new(every: Option<Duration>, json: bool, start: Instant) -> Reporter {
        Reporter {
            every,
            next: every.map(|e| start + e),
            json,
            start,
            last: (Sent::default(), SystemTime::now()),
            out: Stdout::new(),
        }
    }

    /// Prints an interval of `run` if one is due or was asked for.
    pub fn check(&mut self, run: &Run) -> io::Result<()> {
        let due = self.next.is_some_and(|n| Instant::now() >= n);
        if !due && !stop::report_requested() {
            return Ok(());
        }
        if let (true, Some(e)) = (due, self.every) {
            self.next = Some(Instant::now() + e);
        }
        let now = SystemTime::now();
        let sent = Sent {
            packets: run.packets,
            bytes: run.bytes,
            errors: run.errors,
        };
        let part = Sent {
            packets: sent.packets - self.last.0.packets,
            bytes: sent.bytes - self.last.0.bytes,
            errors: sent.errors - self.last.0.errors,
        };
        let mut so_far = summary_of(run, self.start.elapsed());
        if self.json {
            let span = Span::new(self.last.1, now);
            so_far.time = span.time;
            self.out.json_line(&Interval {
                kind: "interval",
                so_far,
                start: span.start,
                end: span.end,
                interval: part,
            })?;
        } else {
            let secs = Span::secs(self.last.1, now);
            write!(
                self.out,
                "in the last {secs:.1} s: sent {}, {}, {}; so far: ",
                events::count(part.packets, "datagram"),
                events::count(part.bytes, "byte"),
                events::count(part.errors, "send error")
            )?;
            events::send_summary_text(&mut self.out, &so_far)?;
        }
        self.out.flush()?;
        self.last = (sent, now);
        Ok(())
    }
}
