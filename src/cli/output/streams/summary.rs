//! The summary's block per stream: its figures (RTP per SSRC, TS per PID with MDI, a feed's
//! sequence), what is wrong with it in JSON's words, and its one-line verdict.

use std::io::{self, Write};

use serde::Serialize;

use mcast::content::flow::{Content, Flow, Streams};
use mcast::content::{rtp, ts};

use super::{ms, time_of};
use crate::cli::output::events::count;

/// The spacing of a stream's datagrams.
#[derive(Serialize)]
pub struct Spacing {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One RTP sender's figures.
#[derive(Serialize)]
pub struct RtpSummary {
    pub ssrc: u32,
    pub payload_type: u8,
    /// Hz; null for a dynamic type without --clock-rate (no jitter then).
    pub clock_rate: Option<u32>,
    pub expected: u64,
    pub received: u64,
    /// RFC 3550 A.3: expected less received (duplicates may make it negative).
    pub lost: i64,
    /// Numbers never received, duplicates not making up for them.
    pub missing: u64,
    pub duplicates: u64,
    pub late: u64,
    pub restarts: u64,
    /// Packets not counted: on probation (RFC 3550 A.1) or a jump not confirmed.
    pub set_aside: u64,
    pub jitter_ms: Option<f64>,
}

/// One PID's figures.
#[derive(Serialize)]
pub struct PidSummary {
    pub pid: u16,
    /// `PAT`, `PMT`, a stream type's name, or null when no table names it.
    pub role: Option<&'static str>,
    pub stream_type: Option<u8>,
    pub packets: u64,
    pub cc_errors: u64,
    pub missing: u64,
    pub duplicates: u64,
    pub transport_errors: u64,
    pub scrambled: u64,
}

/// RFC 4445's figures over whole seconds.
#[derive(Serialize)]
pub struct MdiSummary {
    pub seconds: u64,
    pub df_max_ms: Option<f64>,
    pub df_last_ms: Option<f64>,
    pub mlr_max: u64,
}

/// A transport stream's figures: per PID, and its TR 101 290 counts.
#[derive(Serialize)]
pub struct TsSummary {
    pub pids: Vec<PidSummary>,
    pub null_packets: u64,
    pub sync_losses: u64,
    pub sync_byte_errors: u64,
    pub pat_errors: u64,
    pub pmt_errors: u64,
    pub pid_errors: u64,
    pub crc_errors: u64,
    pub pcr_errors: u64,
    pub mdi: Option<MdiSummary>,
}

/// A feed's figures.
#[derive(Serialize)]
pub struct FeedSummary {
    pub received: u64,
    pub lost: u64,
    pub late: u64,
    pub duplicates: u64,
    pub gaps: u64,
    pub unreadable: u64,
}

/// One sender's stream in the summary.
#[derive(Serialize)]
pub struct StreamSummary {
    pub source: String,
    pub source_port: u16,
    /// Both, for the text.
    #[serde(skip)]
    pub from: std::net::SocketAddr,
    pub content: &'static str,
    pub datagrams: u64,
    pub bytes: u64,
    pub first_time: String,
    pub last_time: String,
    /// `clean`, or `trouble` with what is wrong in `problems`.
    pub verdict: &'static str,
    pub problems: Vec<&'static str>,
    pub lost: u64,
    pub lost_network: u64,
    pub lost_host: u64,
    pub stalls: u64,
    pub stalled_ms: f64,
    /// Silent at the end: its last stall had not ended.
    pub stopped: bool,
    /// The run ended for want of datagrams (-t): a stream silent at its end is how it ended.
    #[serde(skip)]
    pub ended_by_silence: bool,
    pub spacing: Option<Spacing>,
    /// Times the SSRC changed from one packet to the next (a restarted sender changes once).
    pub ssrc_changes: u64,
    /// True when two SSRCs took turns: two senders at once.
    #[serde(skip)]
    pub concurrent: bool,
    pub rtp: Vec<RtpSummary>,
    pub ts: Option<TsSummary>,
    pub feed: Option<FeedSummary>,
}

fn rtp_summaries(r: &rtp::Rtp) -> Vec<RtpSummary> {
    let mut v: Vec<RtpSummary> = r
        .streams()
        .map(|s| {
            let rate = rtp::clock_rate(s.payload_type).or(r.clock_rate);
            RtpSummary {
                ssrc: s.ssrc,
                payload_type: s.payload_type,
                clock_rate: rate,
                expected: s.expected(),
                received: s.received(),
                lost: s.lost(),
                missing: s.missing(),
                duplicates: s.duplicates,
                late: s.late,
                restarts: s.restarts,
                set_aside: s.set_aside,
                jitter_ms: rate.map(|r| s.jitter_ms(r)),
            }
        })
        .collect();
    v.sort_by_key(|s| s.ssrc);
    v
}

fn ts_summary(flow: &Flow, t: &ts::Ts) -> TsSummary {
    let mut pids: Vec<PidSummary> = t
        .pids()
        .map(|(pid, p)| {
            let role = t.role(pid);
            PidSummary {
                pid,
                role: role.map(ts::Role::name),
                stream_type: match role {
                    Some(ts::Role::Stream(k)) => Some(k),
                    _ => None,
                },
                packets: p.packets,
                cc_errors: p.cc_errors,
                missing: p.missing,
                duplicates: p.duplicates,
                transport_errors: p.transport_errors,
                scrambled: p.scrambled,
            }
        })
        .collect();
    pids.sort_by_key(|p| p.pid);
    TsSummary {
        pids,
        null_packets: t.null_packets,
        sync_losses: t.sync_losses,
        sync_byte_errors: t.sync_byte_errors,
        pat_errors: t.pat_errors,
        pmt_errors: t.pmt_errors,
        pid_errors: t.pid_errors,
        crc_errors: t.crc_errors,
        pcr_errors: t.pcr_errors,
        mdi: flow.mdi.as_ref().map(|m| MdiSummary {
            seconds: m.seconds,
            df_max_ms: m.df_max_ms,
            df_last_ms: m.last.and_then(|l| l.df_ms),
            mlr_max: m.mlr_max,
        }),
    }
}

/// What is wrong with a stream, in JSON's words; empty when it is clean.
fn problems(s: &StreamSummary) -> Vec<&'static str> {
    let mut p = Vec::new();
    if s.lost > 0 {
        p.push("loss");
    }
    if s.stalls > u64::from(s.stopped) {
        p.push("stall");
    }
    if s.stopped && !s.ended_by_silence {
        p.push("stopped");
    }
    if s.concurrent {
        p.push("two_senders");
    }
    if let Some(t) = &s.ts {
        let sum = |f: fn(&PidSummary) -> u64| t.pids.iter().map(f).sum::<u64>();
        if sum(|p| p.cc_errors) > 0 {
            p.push("continuity");
        }
        if sum(|p| p.transport_errors) > 0 {
            p.push("transport_errors");
        }
        if t.sync_losses + t.sync_byte_errors > 0 {
            p.push("sync");
        }
        if t.pat_errors + t.pmt_errors + t.pid_errors + t.crc_errors + t.pcr_errors > 0 {
            p.push("ts_errors");
        }
    }
    p
}

/// Every stream's summary, the most datagrams first; `now_ns` ends a stall going on, and
/// `ended_by_silence` says the run ended because nothing came (a silent end is no fault then).
pub fn summaries(streams: &Streams, now_ns: u64, ended_by_silence: bool) -> Vec<StreamSummary> {
    let mut v: Vec<StreamSummary> = streams
        .flows()
        .filter(|f| f.content().is_some())
        .map(|f| {
            let mut s = StreamSummary {
                source: f.source.ip().to_string(),
                source_port: f.source.port(),
                from: f.source,
                content: f.content().map_or("raw", Content::name),
                datagrams: f.datagrams,
                bytes: f.bytes,
                first_time: time_of(f.first_ns),
                last_time: time_of(f.last_ns),
                verdict: "clean",
                problems: Vec::new(),
                lost: f.lost(),
                lost_network: f.lost_network(),
                lost_host: f.lost_host.min(f.lost()),
                stalls: f.stalls,
                stalled_ms: ms(f.stalled_ns(now_ns)),
                stopped: f.is_stalled(),
                ended_by_silence,
                spacing: f.arrival.max_ns().map(|max| Spacing {
                    p50_ms: ms(f.arrival.quantile_ns(0.5).unwrap_or(0)),
                    p99_ms: ms(f.arrival.quantile_ns(0.99).unwrap_or(0)),
                    max_ms: ms(max),
                }),
                ssrc_changes: f.rtp().map_or(0, |r| r.switches),
                concurrent: f.rtp().is_some_and(rtp::Rtp::concurrent),
                rtp: f.rtp().map(rtp_summaries).unwrap_or_default(),
                ts: f.ts().map(|t| ts_summary(f, t)),
                feed: f.feed().map(|x| FeedSummary {
                    received: x.received,
                    lost: x.lost,
                    late: x.late,
                    duplicates: x.duplicates,
                    gaps: x.gap_events,
                    unreadable: x.unreadable,
                }),
            };
            s.problems = problems(&s);
            if !s.problems.is_empty() {
                s.verdict = "trouble";
            }
            s
        })
        .collect();
    v.sort_by(|a, b| b.datagrams.cmp(&a.datagrams).then(a.source.cmp(&b.source)));
    v
}

/// The one-line verdict of a stream: "clean", or what went wrong and where.
pub fn verdict(s: &StreamSummary) -> String {
    if s.problems.is_empty() {
        return "clean".to_string();
    }
    let mut parts = Vec::new();
    if s.lost > 0 {
        let mut w = format!(
            "lost {} (network {}, this host {}",
            s.lost, s.lost_network, s.lost_host
        );
        if s.lost_host > 0 {
            w += ": raise --rcvbuf";
        }
        w += ")";
        parts.push(w);
    }
    let resumed = s.stalls - u64::from(s.stopped);
    if resumed > 0 {
        parts.push(format!(
            "{} ({:.3} s silent in all)",
            count(resumed, "stall"),
            s.stalled_ms / 1e3
        ));
    }
    if s.stopped && !s.ended_by_silence {
        parts.push(format!("stopped: nothing since {}", s.last_time));
    }
    if s.concurrent {
        parts.push(format!(
            "{} senders (SSRCs) at once on one source",
            s.rtp.len()
        ));
    }
    if let Some(t) = &s.ts {
        let cc: u64 = t.pids.iter().map(|p| p.cc_errors).sum();
        if cc > 0 {
            parts.push(count(cc, "continuity error"));
        }
        let tei: u64 = t.pids.iter().map(|p| p.transport_errors).sum();
        if tei > 0 {
            parts.push(format!(
                "{tei} with the transport error flag (damaged upstream)"
            ));
        }
        if t.sync_losses + t.sync_byte_errors > 0 {
            parts.push(format!(
                "{}, sync lost {} (TR 101 290 1.1, 1.2)",
                count(t.sync_byte_errors, "sync byte error"),
                count(t.sync_losses, "time")
            ));
        }
        for (n, what, number) in [
            (t.pat_errors, "PAT", "1.3"),
            (t.pmt_errors, "PMT", "1.5"),
            (t.pid_errors, "PID", "1.6"),
            (t.crc_errors, "CRC", "2.2"),
            (t.pcr_errors, "PCR", "2.3"),
        ] {
            if n > 0 {
                parts.push(format!("{} ({number})", count(n, &format!("{what} error"))));
            }
        }
    }
    parts.join("; ")
}

/// The summary's block for each stream.
pub fn summary_text(out: &mut impl Write, streams: &[StreamSummary]) -> io::Result<()> {
    for s in streams {
        writeln!(
            out,
            "stream {} {}: {}, {}: {}",
            s.from,
            s.content,
            count(s.datagrams, "datagram"),
            count(s.bytes, "byte"),
            verdict(s)
        )?;
        if !s.concurrent && s.ssrc_changes > 0 {
            writeln!(
                out,
                "  the SSRC changed {}, one sender after another: the sender restarted",
                count(s.ssrc_changes, "time")
            )?;
        }
        for r in &s.rtp {
            write!(
                out,
                "  ssrc 0x{:08x} payload type {}: {} received of {} expected, {} lost, {}, {} late",
                r.ssrc,
                r.payload_type,
                r.received,
                r.expected,
                r.lost,
                count(r.duplicates, "duplicate"),
                r.late
            )?;
            if r.restarts > 0 {
                write!(out, ", {}", count(r.restarts, "restart"))?;
            }
            // One is the rule: the first packet is on probation.
            if r.set_aside > 1 {
                write!(
                    out,
                    ", {} set aside (probation or a lone jump, RFC 3550 A.1)",
                    r.set_aside
                )?;
            }
            match r.jitter_ms {
                Some(j) => writeln!(out, ", jitter {j:.3} ms")?,
                None => writeln!(out, ", jitter unknown (dynamic type: give --clock-rate)")?,
            }
        }
        if let Some(t) = &s.ts {
            let each: Vec<String> = t
                .pids
                .iter()
                .map(|p| {
                    let mut w = format!("0x{:04x}", p.pid);
                    if let Some(role) = p.role {
                        w += &format!(" {role}");
                    }
                    w += &format!(" {}", p.packets);
                    if p.cc_errors > 0 {
                        w += &format!(
                            " ({}, at least {} missing)",
                            count(p.cc_errors, "cc error"),
                            p.missing
                        );
                    }
                    w
                })
                .collect();
            writeln!(out, "  ts pids: {}", each.join(", "))?;
            if let Some(m) = &t.mdi
                && let Some(df) = m.df_max_ms
            {
                writeln!(
                    out,
                    "  MDI (RFC 4445, worst second of {}): delay factor {df:.1} ms, media loss {} packets/s",
                    m.seconds, m.mlr_max
                )?;
            }
        }
        if let Some(f) = &s.feed {
            writeln!(
                out,
                "  sequence: {} received, {} lost in {}, {} late, {}",
                f.received,
                f.lost,
                count(f.gaps, "gap"),
                f.late,
                count(f.duplicates, "duplicate")
            )?;
        }
        if let Some(sp) = &s.spacing {
            writeln!(
                out,
                "  spacing: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                sp.p50_ms, sp.p99_ms, sp.max_ms
            )?;
        }
    }
    Ok(())
}
