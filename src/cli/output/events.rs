//! What send, recv and join report, as serde types for JSON Lines and as text lines.

use std::io::{self, Write};
use std::time::SystemTime;

use serde::Serialize;

use crate::cli::output::escape::escape;
use crate::cli::output::memberships::GroupJson;

/// One JSON Lines record; the `type` key says which.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event<'a> {
    /// A datagram arrived.
    Packet(Packet<'a>),
    /// A group was joined.
    Joined(MembershipChange),
    /// A group was left.
    Left(MembershipChange),
    /// The joined interface went down or came back.
    Link {
        /// `recv`.
        command: &'static str,
        /// When it was noticed.
        time: String,
        /// The interface.
        interface: String,
        /// `down` or `up`.
        state: &'static str,
    },
    /// What the kernel holds for the groups joined.
    Memberships {
        /// `join`.
        command: &'static str,
        /// When the kernel's tables were read.
        time: String,
        /// The kernel's entries for them.
        groups: Vec<GroupJson>,
    },
    /// The figures of a whole `recv` run.
    Summary(RecvSummary),
    /// The figures of a `recv` run so far (`--report`, SIGQUIT).
    Interval(RecvInterval),
    /// The figures of a whole `send` run.
    #[serde(rename = "summary")]
    SendSummary(SendSummary),
    /// The end of a `join` run.
    #[serde(rename = "summary")]
    JoinSummary(JoinSummary),
}

/// The end of a `join` run: what it held, for how long, and why it let go.
#[derive(Serialize)]
pub struct JoinSummary {
    /// `join`.
    pub command: &'static str,
    /// mcast's version.
    pub version: &'static str,
    pub time: String,
    #[serde(serialize_with = "round::ns_in_ms")]
    pub elapsed_ms: f64,
    /// `duration` or `signal`.
    pub ended_by: &'static str,
    /// Memberships joined (a group, or a group and one source).
    pub joined: usize,
    /// Of those, the ones left at the end (the rest the kernel no longer held).
    pub left: usize,
}

/// `recv`'s figures so far: in all, in the summary's shape, and in the interval alone.
#[derive(Serialize)]
pub struct RecvInterval {
    #[serde(flatten)]
    pub so_far: RecvSummary,
    pub start: String,
    pub end: String,
    pub interval: RecvCounts,
}

/// What one interval of `recv` added.
#[derive(Serialize, Default, Clone, Copy)]
pub struct RecvCounts {
    pub packets: u64,
    pub bytes: u64,
    pub probes: u64,
    pub foreign: u64,
    pub truncated: u64,
    /// Probes newly counted lost (a probe counted lost and then heard late lowers the
    /// total, never this).
    pub lost: u64,
    pub duplicates: u64,
    pub reordered: u64,
    /// Datagrams the kernel dropped in the interval; null where it does not say (macOS).
    pub kernel_drops: Option<u64>,
}

impl RecvCounts {
    /// The counts of a summary.
    pub fn of(s: &RecvSummary) -> RecvCounts {
        RecvCounts {
            packets: s.packets,
            bytes: s.bytes,
            probes: s.probes,
            foreign: s.foreign,
            truncated: s.truncated,
            lost: s.lost,
            duplicates: s.duplicates,
            reordered: s.reordered,
            kernel_drops: s.kernel_drops,
        }
    }

    /// What was added since `before`.
    pub fn since(&self, before: &RecvCounts) -> RecvCounts {
        RecvCounts {
            packets: self.packets.saturating_sub(before.packets),
            bytes: self.bytes.saturating_sub(before.bytes),
            probes: self.probes.saturating_sub(before.probes),
            foreign: self.foreign.saturating_sub(before.foreign),
            truncated: self.truncated.saturating_sub(before.truncated),
            lost: self.lost.saturating_sub(before.lost),
            duplicates: self.duplicates.saturating_sub(before.duplicates),
            reordered: self.reordered.saturating_sub(before.reordered),
            kernel_drops: self
                .kernel_drops
                .map(|k| k.saturating_sub(before.kernel_drops.unwrap_or(0))),
        }
    }
}

/// One datagram, with every string borrowed so that a busy receiver allocates nothing per line.
#[derive(Serialize)]
pub struct Packet<'a> {
    /// `recv`.
    pub command: &'static str,
    pub time: &'a str,
    pub source: &'a str,
    pub source_port: u16,
    pub group: &'a str,
    pub port: u16,
    pub interface: Option<&'a str>,
    pub size: usize,
    pub truncated: bool,
    pub ttl: Option<u8>,
    pub tos: Option<u8>,
    /// The payload when it is UTF-8 text and not a probe.
    pub text: Option<&'a str>,
    pub probe: Option<ProbeInfo<'a>>,
}

#[derive(Serialize)]
pub struct ProbeInfo<'a> {
    pub sender: &'a str,
    pub seq: u64,
    #[serde(serialize_with = "round::ns_in_ms")]
    pub delay_ms: f64,
}

#[derive(Serialize)]
pub struct MembershipChange {
    /// `recv` or `join`.
    pub command: &'static str,
    pub time: String,
    pub group: String,
    pub interface: Option<String>,
    pub sources: Vec<String>,
}

#[derive(Serialize, Default)]
pub struct RecvSummary {
    /// `recv`: tells this summary from `send`'s.
    pub command: &'static str,
    /// mcast's version.
    pub version: &'static str,
    /// When it was printed.
    pub time: String,
    pub packets: u64,
    pub bytes: u64,
    #[serde(serialize_with = "round::ns_in_ms")]
    pub elapsed_ms: f64,
    #[serde(serialize_with = "round::rate")]
    pub rate_pps: f64,
    #[serde(serialize_with = "round::opt_ns_in_ms")]
    pub first_after_ms: Option<f64>,
    /// Why receiving ended: `count`, `duration`, `timeout` or `signal`; null in an interval.
    pub ended_by: Option<&'static str>,
    /// Whether a group was joined (the text says "after joining" or "after starting").
    #[serde(skip)]
    pub joined: bool,
    pub probes: u64,
    pub foreign: u64,
    pub truncated: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub untracked_senders: u64,
    /// Senders heard once (one probe each) still remembered; the most recent 256 are listed.
    pub senders_heard_once: u64,
    /// Datagrams the kernel dropped for want of receive buffer (Linux), as last reported.
    pub kernel_drops: Option<u64>,
    /// The receive buffer the kernel granted for --rcvbuf.
    pub rcvbuf: Option<usize>,
    pub senders: Vec<SenderSummary>,
    /// Datagrams of senders beyond the most whose content is followed.
    pub untracked_streams: u64,
    /// Each sender's stream whose content was read (RTP, MPEG-TS, a feed).
    pub streams: Vec<crate::cli::output::streams::StreamSummary>,
}

/// One size of a sender's cycle.
#[derive(Serialize, Clone, Copy)]
pub struct SizeSummary {
    pub size: u16,
    pub received: u64,
    /// Probes of that size numbered between the lowest and highest heard.
    pub expected: u64,
}

#[derive(Serialize)]
pub struct SenderSummary {
    pub sender: String,
    pub source: String,
    pub planned: u32,
    pub received: u64,
    pub lost: u64,
    /// Of `lost`, the planned probes after the last one heard (arrivals stopped).
    pub lost_after_last: u64,
    /// Planned probes not yet due when receiving stopped: not lost, not heard.
    pub pending: u64,
    /// Planned probes due before this receiver joined: it could not hear them.
    pub before_join: u64,
    /// Planned probes that could not be timed (one probe heard gives no pace).
    pub unjudged: u64,
    /// When the latest probe from this sender arrived.
    pub last_time: String,
    /// How long before the end (or now, in an interval) that was.
    #[serde(serialize_with = "round::ns_in_ms")]
    pub silent_ms: f64,
    /// The sender's pace between probes, from its send times; null until two are heard.
    #[serde(serialize_with = "round::opt_ns_in_ms")]
    pub pace_ms: Option<f64>,
    pub duplicates: u64,
    pub reordered: u64,
    /// Probes too late to tell from duplicates (over `stats::WINDOW` numbers behind).
    pub stale: u64,
    /// Sequence numbers no real run makes: left out of the totals.
    pub implausible: bool,
    /// Probes under its id and address that did not fit its run (another plan, a send time
    /// far outside the delays seen, a number far beyond its pace): not counted.
    pub disbelieved: u64,
    /// One distinct probe heard: a stranger, or a run just begun; left out of the totals.
    pub heard_once: bool,
    /// Per size of its cycle (`send --sizes`): empty for a sender of one size.
    pub sizes: Vec<SizeSummary>,
    /// The sizes of its cycle of which nothing arrived while smaller ones did.
    pub sizes_not_arriving: Vec<u16>,
    #[serde(serialize_with = "round::opt_ns_in_ms")]
    pub delay_min_ms: Option<f64>,
    #[serde(serialize_with = "round::opt_ns_in_ms")]
    pub delay_avg_ms: Option<f64>,
    #[serde(serialize_with = "round::opt_ns_in_ms")]
    pub delay_max_ms: Option<f64>,
    #[serde(serialize_with = "round::ns_in_ms")]
    pub jitter_ms: f64,
}

/// Floats to the precision they were measured with, without binary noise
/// (0.07181699999999999 is written 0.071817): times taken in nanoseconds keep 6 decimals
/// of a millisecond, rates 3 decimals, histogram gaps 1 decimal of a microsecond.
mod round {
    use serde::Serializer;

    fn to(v: f64, decimals: i32) -> f64 {
        let scale = 10f64.powi(decimals);
        let r = (v * scale).round() / scale;
        // Infinities and NaN stay as they are; serde_json writes them as null.
        if r.is_finite() { r } else { v }
    }

    pub fn ns_in_ms<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to(*v, 6))
    }

    pub fn opt_ns_in_ms<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&to(*v, 6)),
            None => s.serialize_none(),
        }
    }

    pub fn rate<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to(*v, 3))
    }

    pub fn opt_gap_us<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&to(*v, 1)),
            None => s.serialize_none(),
        }
    }
}

#[derive(Serialize, Default)]
pub struct SendSummary {
    /// `send`: tells this summary from `recv`'s.
    pub command: &'static str,
    /// mcast's version.
    pub version: &'static str,
    /// When it was printed.
    pub time: String,
    pub packets: u64,
    pub bytes: u64,
    #[serde(serialize_with = "round::ns_in_ms")]
    pub elapsed_ms: f64,
    #[serde(serialize_with = "round::rate")]
    pub rate_pps: f64,
    pub errors: u64,
    pub path: &'static str,
    /// Median gap between departures, in µs (0 inside a batch sent in one call).
    #[serde(serialize_with = "round::opt_gap_us")]
    pub gap_p50_us: Option<f64>,
    /// 99th percentile gap between departures, in µs.
    #[serde(serialize_with = "round::opt_gap_us")]
    pub gap_p99_us: Option<f64>,
}

/// RFC 3339 with microseconds, in UTC: sortable and unambiguous.
pub use mcast::probe::now_ns;

/// When an interval began and ended, as every interval record carries them: `time` is its
/// end, as a record's time is when it was printed.
#[derive(Serialize)]
pub struct Span {
    pub time: String,
    pub start: String,
    pub end: String,
}

impl Span {
    /// The interval from `from` to `now`.
    pub fn new(from: SystemTime, now: SystemTime) -> Span {
        let end = timestamp(now);
        Span {
            time: end.clone(),
            start: timestamp(from),
            end,
        }
    }

    /// Its length in seconds, for the text.
    pub fn secs(from: SystemTime, now: SystemTime) -> f64 {
        now.duration_since(from).unwrap_or_default().as_secs_f64()
    }
}

pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

/// A sender id as people read it.
pub fn sender_id(id: u32) -> String {
    format!("{id:08x}")
}

/// Writes a packet as one text line.
pub fn packet_text(out: &mut impl Write, p: &Packet, payload_shown: &str) -> io::Result<()> {
    // An IPv6 address and its port read as one address unless bracketed: [fd77::1]:4321.
    let (open, close) = if p.source.contains(':') {
        ("[", "]")
    } else {
        ("", "")
    };
    write!(
        out,
        "{}  {open}{}{close}:{} > {}",
        p.time, p.source, p.source_port, p.group
    )?;
    if let Some(i) = p.interface {
        write!(out, " on {}", escape(i.as_bytes()))?;
    }
    write!(out, "  {} bytes", p.size)?;
    if p.truncated {
        write!(out, " (truncated)")?;
    }
    if let Some(t) = p.ttl {
        write!(out, "  ttl {t}")?;
    }
    match &p.probe {
        Some(pr) => {
            let (sign, ms, us) = milliseconds(pr.delay_ms);
            writeln!(
                out,
                "  probe {} seq {} delay {sign}{ms}.{us:03} ms",
                pr.sender, pr.seq
            )
        }
        None => writeln!(out, "  \"{payload_shown}\""),
    }
}

/// `ms` to three decimals as sign, whole and thousandths: the figures `{:.3}` shows (up to
/// rounding at exact halves, and no "-0.000"), from integers, as float formatting to a fixed
/// number of places is slow enough to matter at a million lines a second.
fn milliseconds(ms: f64) -> (&'static str, u64, u64) {
    // Saturates for absurd values (a hostile probe's timestamp), which show as huge delays.
    let us = (ms * 1000.0).round() as i64;
    let sign = if us < 0 { "-" } else { "" };
    let us = us.unsigned_abs();
    (sign, us / 1000, us % 1000)
}

/// Writes a membership change as one text line.
pub fn change_text(out: &mut impl Write, verb: &str, c: &MembershipChange) -> io::Result<()> {
    write!(out, "{verb} {}", c.group)?;
    if !c.sources.is_empty() {
        write!(out, " from {}", c.sources.join(", "))?;
    }
    if let Some(i) = &c.interface {
        write!(out, " on {}", escape(i.as_bytes()))?;
    }
    writeln!(out)
}

/// "1 datagram", "2 datagrams".
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "3 datagrams, 130 bytes in 0.408 s", the opening of both summaries.
fn totals(out: &mut impl Write, lead: &str, packets: u64, bytes: u64, ms: f64) -> io::Result<()> {
    write!(
        out,
        "{lead}{}, {} in {:.3} s",
        count(packets, "datagram"),
        count(bytes, "byte"),
        ms / 1000.0
    )
}

/// Writes the recv summary as text.
/// What a sender's counts alone do not say: when its arrivals stopped, and the planned
/// probes that were not counted as lost, each with the reason.
fn sender_notes(out: &mut impl Write, s: &RecvSummary, x: &SenderSummary) -> io::Result<()> {
    let unfinished = x.planned == 0 || x.lost_after_last + x.pending + x.unjudged > 0;
    // Silence longer than a second and three of its own intervals is worth a line.
    let quiet_for = 1000f64.max(3.0 * x.pace_ms.unwrap_or(0.0));
    if unfinished && x.silent_ms > quiet_for {
        let before = if s.ended_by.is_some() {
            "before the end"
        } else {
            "ago"
        };
        write!(
            out,
            "  nothing from {} since {}, {:.1} s {before}",
            x.sender,
            x.last_time,
            x.silent_ms / 1000.0
        )?;
        if x.lost_after_last > 0 {
            write!(
                out,
                ": {} of its planned probes were due since and are counted lost",
                x.lost_after_last
            )?;
        }
        writeln!(out)?;
    }
    if x.before_join > 0 {
        writeln!(
            out,
            "  {} sent before this receiver joined, not counted",
            x.before_join
        )?;
    }
    if x.pending > 0 {
        writeln!(
            out,
            "  receiving ended ({}) before this sender finished: {} more planned, not yet due, not counted as lost",
            ended_words(s.ended_by.unwrap_or("running")),
            x.pending
        )?;
    }
    if x.unjudged > 0 {
        writeln!(
            out,
            "  {} more planned, not judged: one probe heard gives no pace to time them",
            x.unjudged
        )?;
    }
    Ok(())
}

pub fn recv_summary_text(out: &mut impl Write, s: &RecvSummary) -> io::Result<()> {
    totals(out, "", s.packets, s.bytes, s.elapsed_ms)?;
    if s.packets > 1 {
        write!(out, " ({:.1}/s while arriving)", s.rate_pps)?;
    }
    if let Some(f) = s.first_after_ms {
        let since = if s.joined { "joining" } else { "starting" };
        write!(out, "; first {f:.1} ms after {since}")?;
    }
    writeln!(out)?;
    if let Some(d) = s.kernel_drops.filter(|d| *d > 0) {
        writeln!(
            out,
            "{} by this host's kernel: the receive buffer was full (with GRO one drop may \
             hold many datagrams; the senders' lost counts are in datagrams); try --rcvbuf",
            crate::cli::output::color::paint(
                &count(d, "drop"),
                crate::cli::output::color::Paint::Bad
            )
        )?;
    }
    if s.truncated > 0 {
        writeln!(
            out,
            "{} truncated (larger than the receive buffer)",
            s.truncated
        )?;
    }
    // A flood of one-probe strangers is one line, not thousands; the first few are shown.
    let mut shown_once = 0u64;
    for x in &s.senders {
        if x.heard_once {
            shown_once += 1;
            if shown_once > 3 {
                continue;
            }
        }
        write!(
            out,
            "sender {} at {}: {} received, {} lost, {}, {} reordered",
            x.sender,
            x.source,
            x.received,
            x.lost,
            count(x.duplicates, "duplicate"),
            x.reordered
        )?;
        if x.stale > 0 {
            write!(out, ", {} too late to judge", x.stale)?;
        }
        if let (Some(min), Some(avg), Some(max)) = (x.delay_min_ms, x.delay_avg_ms, x.delay_max_ms)
        {
            write!(
                out,
                "; delay min/avg/max {min:.3}/{avg:.3}/{max:.3} ms, jitter {:.3} ms",
                x.jitter_ms
            )?;
        }
        writeln!(out)?;
        sender_notes(out, s, x)?;
        if x.implausible {
            writeln!(
                out,
                "  its sequence numbers span more than any real run: crafted or corrupt probes, left out of the totals"
            )?;
        }
        if !x.sizes.is_empty() {
            let each: Vec<String> = x
                .sizes
                .iter()
                .map(|s| format!("{} bytes {} of {}", s.size, s.received, s.expected))
                .collect();
            writeln!(out, "  by size: {}", each.join(", "))?;
        }
        if !x.sizes_not_arriving.is_empty() {
            let list = |v: Vec<u16>| {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let fine = x
                .sizes
                .iter()
                .filter(|s| s.received > 0)
                .map(|s| s.size)
                .collect();
            writeln!(
                out,
                "  datagrams of {} bytes do not arrive ({} bytes do): a link on the way carries less (its MTU), or its fragments are dropped; send --sizes with sizes in between finds the largest that passes, --no-df lets routers fragment",
                list(x.sizes_not_arriving.clone()),
                list(fine)
            )?;
        }
        if x.disbelieved > 0 {
            writeln!(
                out,
                "  {} did not fit its run (another plan, a send time far off, a number far beyond its pace): another sender using its id, or forged; not counted",
                count(x.disbelieved, "probe")
            )?;
        }
    }
    let folded = s.senders_heard_once.saturating_sub(shown_once.min(3));
    if folded > 0 {
        writeln!(
            out,
            "{} heard once (one probe each) are left out of the totals",
            count(folded, "more sender")
        )?;
    }
    if s.untracked_senders > 0 {
        writeln!(
            out,
            "{} probes from senders beyond the {} followed were counted but not analysed",
            s.untracked_senders,
            mcast::stats::MAX_SENDERS
        )?;
    }
    if s.probes > 0 || s.foreign > 0 {
        writeln!(
            out,
            "{}, {} of other data",
            count(s.probes, "probe"),
            count(s.foreign, "datagram")
        )?;
    }
    crate::cli::output::streams::summary_text(out, &s.streams)?;
    if s.untracked_streams > 0 {
        writeln!(
            out,
            "{} from senders beyond the {} whose content is followed were not analysed",
            count(s.untracked_streams, "datagram"),
            mcast::content::flow::MAX_FLOWS
        )?;
    }
    Ok(())
}

/// How the text summary names what ended receiving.
fn ended_words(key: &str) -> &str {
    match key {
        "count" => "--count reached",
        "duration" => "--duration over",
        "signal" => "stopped by a signal",
        other => other,
    }
}

/// A time in microseconds to three significant figures, in the unit that suits it:
/// `9.10 µs`, `99.6 ms`, `1.50 s`.
fn three_figures_us(us: f64) -> String {
    let (v, unit) = if us >= 999_500.0 {
        (us / 1e6, "s")
    } else if us >= 999.5 {
        (us / 1e3, "ms")
    } else {
        (us, "µs")
    };
    let whole_digits = if v >= 99.95 {
        3
    } else if v >= 9.995 {
        2
    } else {
        1
    };
    format!("{v:.prec$} {unit}", prec = 3 - whole_digits)
}

/// Writes the send summary as text.
pub fn send_summary_text(out: &mut impl Write, s: &SendSummary) -> io::Result<()> {
    totals(out, "sent ", s.packets, s.bytes, s.elapsed_ms)?;
    if s.packets > 1 {
        write!(out, " ({:.1}/s)", s.rate_pps)?;
    }
    write!(out, ", {}, via {}", count(s.errors, "send error"), s.path)?;
    if let (Some(p50), Some(p99)) = (s.gap_p50_us, s.gap_p99_us) {
        write!(
            out,
            "; gaps p50 {}, p99 {}",
            three_figures_us(p50),
            three_figures_us(p99)
        )?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::milliseconds;

    #[test]
    fn gaps_read_in_three_figures_and_a_fitting_unit() {
        let shown: Vec<String> = [0.0, 9.1, 99.3, 999.4, 1007.6, 99_614.7, 1_500_000.0, 12e6]
            .into_iter()
            .map(super::three_figures_us)
            .collect();
        assert_eq!(
            shown,
            [
                "0.00 µs", "9.10 µs", "99.3 µs", "999 µs", "1.01 ms", "99.6 ms", "1.50 s", "12.0 s"
            ]
        );
    }

    fn shown(ms: f64) -> String {
        let (sign, whole, thousandths) = milliseconds(ms);
        format!("{sign}{whole}.{thousandths:03}")
    }

    #[test]
    fn delays_show_as_float_formatting_would() {
        for ms in [
            0.0, 0.086, 0.0004, 1.0, 12.3456, 999.9996, 123456.789, -0.25, -3.3333,
        ] {
            assert_eq!(shown(ms), format!("{ms:.3}"), "{ms}");
        }
        assert_eq!(shown(-0.0004), "0.000");
        // Saturated rather than wrapped: a probe stamped in the far future or past.
        assert_eq!(shown(1e300), format!("{}.807", i64::MAX as u64 / 1000));
        assert!(shown(-1e300).starts_with('-'));
    }

    proptest::proptest! {
        #[test]
        fn any_delay_in_ns_shows_as_float_formatting_would(ns in -10_000_000_000_000i64..10_000_000_000_000) {
            // Whole nanoseconds, as probes carry them: never an exact half of a thousandth.
            let ms = ns as f64 / 1e6;
            proptest::prop_assume!(ns % 1000 != 500 && ns % 1000 != -500);
            // Float formatting shows "-0.000" for these; a delay that rounds to 0 is 0 here.
            proptest::prop_assume!(!(-500..0).contains(&ns));
            proptest::prop_assert_eq!(shown(ms), format!("{ms:.3}"));
        }
    }
}
