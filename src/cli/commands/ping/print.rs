//! What `ping` prints: a line or JSON event per reply, each server's summary with its
//! verdict, and the figures so far (`--report`, Ctrl-\).

use std::io::Write;
use std::net::IpAddr;
use std::time::SystemTime;

use serde::Serialize;

use mcast::ping::{Counts, ServerSummary, Verdict};

use crate::cli::output::Stdout;
use crate::cli::output::color::{self, Paint};
use crate::cli::output::events;
use crate::cli::output::events::Span;

/// What JSON Lines `ping` prints.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PingEvent<'a> {
    Reply {
        command: &'static str,
        time: String,
        server: String,
        path: &'static str,
        seq: u32,
        size: usize,
        /// Null when our send time of that request is no longer kept.
        rtt_ms: Option<f64>,
        hops: Option<u8>,
        duplicate: bool,
    },
    /// The end of the run: the verdict that decides the exit status, and each server's
    /// figures.
    Summary {
        command: &'static str,
        /// mcast's version.
        version: &'static str,
        time: String,
        /// The worst of the servers' verdicts, as the exit status says it: `unicast_only`
        /// when any server was, else `no_reply` when any was, else `multicast_works`.
        verdict: &'static str,
        servers: Vec<ServerJson<'a>>,
    },
    /// A server's figures so far, and the interval's own requests and replies.
    Interval {
        command: &'static str,
        version: &'static str,
        #[serde(flatten)]
        span: Span,
        group: String,
        #[serde(flatten)]
        server: &'a ServerSummary,
        interval: Counts,
    },
}

/// One server's figures in the summary.
#[derive(Serialize)]
pub struct ServerJson<'a> {
    /// The group the multicast replies were asked for: the verdict is about it alone.
    pub group: String,
    #[serde(flatten)]
    pub server: &'a ServerSummary,
}

/// A server's figures so far at `now`, with the interval since `from`; `last` holds its
/// sums at the previous interval, and is brought up to now.
pub fn interval(
    out: &mut Stdout,
    json: bool,
    (s, verdict, group): (&ServerSummary, Verdict, IpAddr),
    last: &mut Counts,
    (from, now): (SystemTime, SystemTime),
) -> std::io::Result<()> {
    let sums = s.counts();
    let part = sums.since(last);
    *last = sums;
    if json {
        return out.json_line(&PingEvent::Interval {
            command: "ping",
            version: env!("CARGO_PKG_VERSION"),
            span: Span::new(from, now),
            group: group.to_string(),
            server: s,
            interval: part,
        });
    }
    let secs = Span::secs(from, now);
    writeln!(
        out,
        "{}: in the last {secs:.1} s: {} requests, {} unicast and {} multicast replies; so far:",
        s.server, part.unicast.sent, part.unicast.received, part.multicast.received
    )?;
    write_summary(out, s, verdict, group)?;
    out.flush()
}

fn verdict_line(verdict: Verdict, group: IpAddr) -> String {
    match verdict {
        Verdict::MulticastWorks => format!(
            "{}: multicast from it to {group} reaches this host (your application's group may \
             differ: test that one with --group)",
            verdict.words()
        ),
        Verdict::UnicastOnly if !mcast::wire::customary_group(group) => format!(
            "{}: first, the reflector may not serve {group}: ssmpingd (and mcast reflect \
             without --group {group}) answer on multicast only for groups ending in .234 or \
             ::4321:1234, so try without --group; if it does serve it: {}",
            verdict.words(),
            verdict.advice()
        ),
        _ => format!("{}: {}", verdict.words(), verdict.advice()),
    }
}

pub fn write_summary(
    out: &mut Stdout,
    s: &ServerSummary,
    verdict: Verdict,
    group: IpAddr,
) -> std::io::Result<()> {
    writeln!(out, "--- {} ---", s.server)?;
    for (name, p) in [("unicast", &s.unicast), ("multicast", &s.multicast)] {
        match p.loss_pct {
            Some(loss) => write!(
                out,
                "  {name:<9}  {} sent, {} received, {loss:.1}% loss",
                p.sent, p.received
            )?,
            // RFC 6450: no session was opened, so no request went out to be answered.
            None => write!(out, "  {name:<9}  no reply: no request sent")?,
        }
        if let Some(f) = p.loss_since_first_pct {
            write!(out, " ({f:.1}% since the first)")?;
        }
        if p.duplicates > 0 {
            write!(out, ", {}", events::count(p.duplicates, "duplicate"))?;
        }
        if p.reordered > 0 {
            write!(out, ", {} out of order", p.reordered)?;
        }
        if let (Some(min), Some(avg), Some(max), Some(mdev)) =
            (p.rtt_min_ms, p.rtt_avg_ms, p.rtt_max_ms, p.rtt_mdev_ms)
        {
            write!(
                out,
                "; rtt min/avg/max/mdev {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms"
            )?;
        }
        if let Some(h) = p.hops {
            write!(out, "; hops {h}")?;
        }
        writeln!(out)?;
    }
    if let Some(f) = s.first_multicast_ms {
        writeln!(
            out,
            "  first multicast reply {f:.1} ms after the first request"
        )?;
    }
    if let (true, Some(u), Some(m)) = (s.hops_differ, s.unicast.hops, s.multicast.hops) {
        writeln!(
            out,
            "  note: the multicast replies came {m} hops away, the unicast ones {u}: they did not come the same way (another multicast route, or replies replayed by a host nearer than the reflector); replies are not authenticated, so the verdict cannot tell which"
        )?;
    }
    if s.unsolicited > 0 {
        writeln!(
            out,
            "  note: {} to requests never sent were ignored (forged, or from another run)",
            events::count(s.unsolicited, "reply")
        )?;
    }
    let paint = match verdict {
        Verdict::MulticastWorks => Paint::Good,
        Verdict::UnicastOnly => Paint::Warn,
        Verdict::NoReply => Paint::Bad,
    };
    writeln!(
        out,
        "  verdict: {}",
        color::paint(&verdict_line(verdict, group), paint)
    )
}
