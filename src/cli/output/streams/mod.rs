//! What the content analysis tells people and scripts: a line (or JSON record) for each
//! event worth attention (a stream found, a gap, a continuity error, another TR 101 290
//! indicator, a stall and its end), and a block per stream in the summary, with its verdict.

use std::io::{self, Write};
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use mcast::content::flow::{Content, Flow, Told};
use mcast::content::rtp;
use mcast::content::ts::{self, Continuity};

use crate::cli::output::Stdout;
use crate::cli::output::events::{count, timestamp};

mod summary;
pub use summary::{StreamSummary, summaries, summary_text, verdict};

pub(super) fn time_of(ns: u64) -> String {
    timestamp(UNIX_EPOCH + Duration::from_nanos(ns))
}

pub(super) fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Whose fault a loss was, from how much of it coincided with the kernel's drops.
fn cause(missing: u64, host: u64) -> &'static str {
    match host {
        0 => "network",
        h if h >= missing => "host",
        _ => "host_and_network",
    }
}

/// One content event, as JSON Lines has it.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Record<'a> {
    Stream {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        content: &'static str,
        ssrc: Option<u32>,
        payload_type: Option<u8>,
        /// Senders seen on this source before it: 1 or more is a second sender.
        others: usize,
    },
    Gap {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        content: &'static str,
        ssrc: Option<u32>,
        expected: u64,
        found: u64,
        missing: u64,
        network: u64,
        host: u64,
        cause: &'static str,
    },
    Restart {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        content: &'static str,
        ssrc: Option<u32>,
    },
    CcError {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        indicator: &'static str,
        pid: u16,
        kind: &'static str,
        last: Option<u8>,
        found: Option<u8>,
        missing: u64,
        cause: &'static str,
    },
    TsError {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        indicator: &'static str,
        name: &'static str,
        pid: Option<u16>,
        table_id: Option<u8>,
        gap_ms: Option<f64>,
    },
    TsRecovered {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        name: &'static str,
        pid: Option<u16>,
    },
    Stall {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        content: &'static str,
        last_time: String,
        silent_ms: f64,
    },
    Resume {
        command: &'static str,
        time: &'a str,
        source: String,
        source_port: u16,
        content: &'static str,
        outage_ms: f64,
    },
}

/// A TS indicator's TR 101 290 number, its JSON name and its words.
fn indicator(e: &ts::Event) -> Option<(&'static str, &'static str, String)> {
    Some(match *e {
        ts::Event::SyncLost => ("1.1", "sync_loss", "sync lost".to_string()),
        ts::Event::PatError {
            table_id: Some(t), ..
        } => (
            "1.3",
            "pat_error",
            format!("PID 0 carries table 0x{t:02x}, not a PAT"),
        ),
        ts::Event::PatError {
            scrambled: true, ..
        } => ("1.3", "pat_error", "PID 0 is scrambled".to_string()),
        ts::Event::PatError { .. } => {
            ("1.3", "pat_error", "no PAT for more than 0.5 s".to_string())
        }
        ts::Event::PmtError { pid } => (
            "1.5",
            "pmt_error",
            format!("no PMT on PID 0x{pid:04x} for more than 0.5 s"),
        ),
        ts::Event::PidError { pid } => (
            "1.6",
            "pid_error",
            format!("PID 0x{pid:04x}, which the PMT lists, fell silent (--pid-timeout)"),
        ),
        ts::Event::CrcError { pid, table_id } => (
            "2.2",
            "crc_error",
            format!("a section of table 0x{table_id:02x} on PID 0x{pid:04x} fails its CRC"),
        ),
        ts::Event::PcrError { pid, gap_ns } => (
            "2.3",
            "pcr_error",
            format!(
                "{:.1} ms between PCRs on PID 0x{pid:04x} (at most 100 ms)",
                ms(gap_ns)
            ),
        ),
        _ => return None,
    })
}

fn ts_pid(e: &ts::Event) -> Option<u16> {
    match *e {
        ts::Event::PmtError { pid }
        | ts::Event::PidError { pid }
        | ts::Event::CrcError { pid, .. }
        | ts::Event::PcrError { pid, .. }
        | ts::Event::Returned { pid }
        | ts::Event::NewPid { pid }
        | ts::Event::ContinuityError { pid, .. } => Some(pid),
        ts::Event::PatError { .. } => Some(0),
        ts::Event::SyncLost | ts::Event::SyncRegained => None,
    }
}

/// What a stream is, in a line's words: "rtp ssrc 0x0000000a", "ts".
fn label(flow: &Flow, ssrc: Option<u32>) -> String {
    let content = flow.content().map_or("raw", Content::name);
    match ssrc {
        Some(s) => format!("{content} ssrc 0x{s:08x}"),
        None => content.to_string(),
    }
}

fn pid_label(flow: &Flow, pid: u16) -> String {
    match flow.ts().and_then(|t| t.role(pid)) {
        Some(role) => format!("pid 0x{pid:04x} ({})", role.name()),
        None => format!("pid 0x{pid:04x}"),
    }
}

fn loss_words(missing: u64, host: u64) -> String {
    match cause(missing, host) {
        "network" => "in the network".to_string(),
        "host" => "on this host: its kernel dropped datagrams (raise --rcvbuf)".to_string(),
        _ => format!(
            "{} on this host (its kernel dropped datagrams), the rest in the network",
            host
        ),
    }
}

/// Tells one event, at `ns`: a JSON record, or a text line.
pub fn told(out: &mut Stdout, json: bool, flow: &Flow, t: Told, ns: u64) -> io::Result<()> {
    let time = time_of(ns);
    let source = flow.source.ip().to_string();
    let source_port = flow.source.port();
    let content = flow.content().map_or("raw", Content::name);
    if json {
        let record = match t {
            Told::Stream {
                ssrc,
                payload_type,
                others,
                content,
            } => Record::Stream {
                command: "recv",
                time: &time,
                source,
                source_port,
                content: content.name(),
                ssrc,
                payload_type,
                others,
            },
            Told::Gap {
                ssrc,
                expected,
                found,
                missing,
                host,
            } => Record::Gap {
                command: "recv",
                time: &time,
                source,
                source_port,
                content,
                ssrc,
                expected,
                found,
                missing,
                network: missing - host.min(missing),
                host,
                cause: cause(missing, host),
            },
            Told::Restart { ssrc } => Record::Restart {
                command: "recv",
                time: &time,
                source,
                source_port,
                content,
                ssrc,
            },
            Told::Continuity { pid, error, host } => {
                let (kind, last, found, missing) = match error {
                    Continuity::Lost {
                        last,
                        found,
                        missing,
                    } => ("lost", Some(last), Some(found), u64::from(missing)),
                    Continuity::Repeated => ("repeated", None, None, 0),
                    Continuity::NoPayloadIncrement => ("no_payload_increment", None, None, 0),
                };
                Record::CcError {
                    command: "recv",
                    time: &time,
                    source,
                    source_port,
                    indicator: "1.4",
                    pid,
                    kind,
                    last,
                    found,
                    missing,
                    cause: if host { "host" } else { "network" },
                }
            }
            Told::Ts(e) => match indicator(&e) {
                Some((number, name, _)) => Record::TsError {
                    command: "recv",
                    time: &time,
                    source,
                    source_port,
                    indicator: number,
                    name,
                    pid: ts_pid(&e),
                    table_id: match e {
                        ts::Event::PatError { table_id, .. } => table_id,
                        ts::Event::CrcError { table_id, .. } => Some(table_id),
                        _ => None,
                    },
                    gap_ms: match e {
                        ts::Event::PcrError { gap_ns, .. } => Some(ms(gap_ns)),
                        _ => None,
                    },
                },
                None => Record::TsRecovered {
                    command: "recv",
                    time: &time,
                    source,
                    source_port,
                    name: match e {
                        ts::Event::SyncRegained => "sync_regained",
                        _ => "returned",
                    },
                    pid: ts_pid(&e),
                },
            },
            Told::Stall { last_ns, silent_ns } => Record::Stall {
                command: "recv",
                time: &time,
                source,
                source_port,
                content,
                last_time: time_of(last_ns),
                silent_ms: ms(silent_ns),
            },
            Told::Resume { outage_ns } => Record::Resume {
                command: "recv",
                time: &time,
                source,
                source_port,
                content,
                outage_ms: ms(outage_ns),
            },
        };
        return out.json_line(&record);
    }
    let what = match t {
        Told::Stream {
            content,
            ssrc,
            payload_type,
            others,
        } => {
            let mut s = format!("{}: new stream", label_of(content, ssrc));
            if let Some(pt) = payload_type {
                s += &format!(", payload type {pt}");
                if let Some(rate) = rtp::clock_rate(pt) {
                    s += &format!(" ({rate} Hz)");
                }
            }
            if others > 0 {
                s += &format!(
                    "; a new SSRC from the same source ({others} before it): the sender restarted, or two senders share this group and port"
                );
            }
            s
        }
        Told::Gap {
            ssrc,
            expected,
            found,
            missing,
            host,
        } => format!(
            "{}: gap: expected {expected}, got {found}: {} lost {}",
            label(flow, ssrc),
            missing,
            loss_words(missing, host)
        ),
        Told::Restart { ssrc } => format!(
            "{}: the sequence started again (sender restarted)",
            label(flow, ssrc)
        ),
        Told::Continuity { pid, error, host } => {
            let what = match error {
                Continuity::Lost {
                    last,
                    found,
                    missing,
                } => format!(
                    // The counter has 16 values: a longer gap reads as its remainder.
                    "counter {last} then {found}: at least {} missing {}",
                    count(u64::from(missing), "packet"),
                    loss_words(
                        u64::from(missing),
                        if host { u64::from(missing) } else { 0 }
                    )
                ),
                Continuity::Repeated => "a packet repeated more than once".to_string(),
                Continuity::NoPayloadIncrement => {
                    "the counter moved on a packet without payload".to_string()
                }
            };
            format!(
                "{} {}: continuity error (TR 101 290 1.4): {what}",
                content,
                pid_label(flow, pid)
            )
        }
        Told::Ts(e) => match indicator(&e) {
            Some((number, _, words)) => format!("{content}: {words} (TR 101 290 {number})"),
            None => match e {
                ts::Event::SyncRegained => format!("{content}: sync regained"),
                _ => format!(
                    "{content} {}: back",
                    pid_label(flow, ts_pid(&e).unwrap_or(0))
                ),
            },
        },
        Told::Stall { last_ns, silent_ns } => format!(
            "{content}: stalled: nothing for {:.3} s (the last datagram at {})",
            silent_ns as f64 / 1e9,
            time_of(last_ns)
        ),
        Told::Resume { outage_ns } => format!(
            "{content}: resumed after {:.3} s of silence",
            outage_ns as f64 / 1e9
        ),
    };
    let from = flow.source;
    out.text_line(|line| writeln!(line, "{time}  {from} {what}"))
}

fn label_of(content: Content, ssrc: Option<u32>) -> String {
    match ssrc {
        Some(s) => format!("{} ssrc 0x{s:08x}", content.name()),
        None => content.name().to_string(),
    }
}
