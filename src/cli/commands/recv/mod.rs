//! `mcast recv`: join a group, show what arrives and from whom, and measure probes.

mod counts;
mod link_watch;
mod metrics;
mod print;
mod ssm;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use clap::Args;

use mcast::addr::is_ssm_range;
use mcast::content::flow::{Choice, Options, Streams};
use mcast::probe::Probe;
use mcast::stats::ProbeStats;
use mcast::{IfaceSpec, IpMode, McastSocket, RecvBatch, ScopedAddr, Service, Zone, iface};

use crate::cli::signals::stop;

use crate::cli::exit::{Exit, not_held, warn};
use crate::cli::output::events::{self, Event, MembershipChange, RecvCounts, now_ns};
use crate::cli::output::labels::Labels;
use crate::cli::output::streams::{StreamSummary, told, verdict};
use crate::cli::output::{Stdout, going_on};
use crate::cli::parse;
use counts::{Counts, EndedBy, interim, summarize, summary_streams};
use link_watch::LinkWatch;
use print::{Datagram, print_packet, tell_link};

/// Large enough for any UDP datagram, and for a full GRO buffer of coalesced ones.
const BUFFER: usize = 65536;
/// Messages one recvmmsg call takes: 16 slots of 64 KiB keep memory near 1 MiB.
const SLOTS: usize = 16;

#[derive(Args, Debug)]
pub struct RecvArgs {
    /// Group to join (234.2.3.4, ff02::1234%eth0), or a local unicast address
    #[arg(value_name = "GROUP", value_hint = clap::ValueHint::Other)]
    group: ScopedAddr,
    /// UDP port number or service name
    #[arg(value_name = "PORT")]
    port: Service,
    /// Interface to join on: name, index or address
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// Receive only from this source (source-specific join); repeat for several
    #[arg(long = "source", value_name = "ADDR", value_hint = clap::ValueHint::Other)]
    sources: Vec<IpAddr>,
    /// Stop after this many datagrams
    #[arg(short, long, value_name = "N", allow_negative_numbers = true, value_parser = parse::count)]
    count: Option<u64>,
    /// Stop when nothing has arrived for this long (e.g. 5s)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    timeout: Option<Duration>,
    /// Stop after this long in all (e.g. 1m)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// No line per datagram, nor per content event (gap, stall...): the summary only
    #[arg(short, long)]
    quiet: bool,
    /// Socket receive buffer in bytes (8M, 8388608); beyond net.core.rmem_max needs root
    #[arg(long, value_name = "BYTES", value_parser = parse::rcvbuf)]
    rcvbuf: Option<u32>,
    /// Print the figures so far every DURATION (as Ctrl-\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
    /// What the datagrams carry: auto finds mcast probes, RTP or MPEG-TS in each sender's first datagrams; probe reads probes only; raw reads nothing
    #[arg(long, value_enum, value_name = "KIND", default_value_t = ContentArg::Auto)]
    content: ContentArg,
    /// Read a sequence number from each datagram: OFFSET:LEN[:be|le] (bytes), or moldudp64
    #[arg(long, value_name = "FORMAT")]
    seq: Option<mcast::content::seq::Format>,
    /// Clock rate of a dynamic RTP payload type (96-127), for jitter: 90000 for video
    #[arg(long, value_name = "HZ", value_parser = parse::clock_rate)]
    clock_rate: Option<u32>,
    /// Say a stream stalled when nothing of it came for this long
    #[arg(long, value_name = "DURATION", value_parser = parse::duration, default_value = "1s")]
    stall: Duration,
    /// How long a PID the MPEG-TS PMT lists may be silent (TR 101 290 1.6)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration, default_value = "5s")]
    pid_timeout: Duration,
    /// A line per datagram of RTP, MPEG-TS and feeds too (by default only their events)
    #[arg(long)]
    packets: bool,
    /// Serve the figures to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1's
    #[arg(long, value_name = "ADDR", value_parser = mcast::metrics::parse_addr)]
    metrics: Option<std::net::SocketAddr>,
}

/// What `--content` names.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ContentArg {
    Auto,
    Rtp,
    Ts,
    Probe,
    Raw,
}

impl ContentArg {
    /// What this reads, apart from `--seq`; None when the content is not read.
    fn choice(self) -> Option<Choice> {
        match self {
            ContentArg::Auto => Some(Choice::Auto),
            ContentArg::Rtp => Some(Choice::Rtp),
            ContentArg::Ts => Some(Choice::Ts),
            ContentArg::Probe | ContentArg::Raw => None,
        }
    }
}

/// How the content is to be read, from the options (checked); None when it is not read.
fn content_options(args: &RecvArgs) -> Option<Options> {
    // check() has refused --seq beside another --content already.
    let named = parse::value_name(&args.content);
    let choice = parse::content_choice(args.seq, args.content.choice(), &named).ok()??;
    let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    Some(Options {
        choice,
        clock_rate: args.clock_rate,
        stall_ns: ns(args.stall),
        pid_timeout_ns: ns(args.pid_timeout),
    })
}

fn check(args: &RecvArgs) -> Result<()> {
    let named = parse::value_name(&args.content);
    parse::content_choice(args.seq, args.content.choice(), &named).map_err(anyhow::Error::msg)?;
    if args.stall.is_zero() {
        bail!("--stall 0: give a duration longer than the stream's spacing, e.g. 1s");
    }
    let g = args.group.ip;
    for s in &args.sources {
        if !g.is_multicast() {
            bail!(
                "--source {s}: a source-specific join needs a multicast group, and {g} is not one"
            );
        }
        if s.is_ipv4() != g.is_ipv4() {
            bail!(
                "--source {s}: the source and group {g} are of different families; give a source of the group's family"
            );
        }
    }
    Ok(())
}

pub fn run(args: RecvArgs) -> Result<Exit> {
    parse::distinct_sources(&args.sources).map_err(anyhow::Error::msg)?;
    check(&args)?;
    let group = &args.group;
    let mut sock = McastSocket::new(IpMode::for_addr(group.ip), false)?;
    if group.ip.is_multicast() {
        // Receivers of one group share its port, each getting every datagram. Unicast
        // would be spread between them instead: there the port is this receiver's alone.
        sock.set_recv_options(Some(true), Some(true))?;
    }
    // Coalesced receive and the kernel's drop count, where the OS has them.
    sock.enable_gro()?;
    let drops_counted = sock.enable_kernel_drop_count()?;
    let rcvbuf = match args.rcvbuf {
        Some(bytes) => Some(rcvbuf_granted(&sock, bytes as usize)?),
        None => None,
    };
    // Bound to the group itself, the socket takes only datagrams sent to it. A link-local
    // group named without a zone takes its zone from --interface.
    let mut bind_to = group.clone();
    if let (None, Some(spec), true) = (&bind_to.zone, &args.interface, group.needs_interface()) {
        bind_to.zone = Some(Zone::Index(iface::resolve(spec)?.index));
    }
    sock.bind(Some(&IfaceSpec::Addr(bind_to)), &args.port)
        .map_err(|e| port_taken(e, group))?;
    let port = sock.local_addr()?.port();
    if args.port.port()? == 0 {
        warn(format_args!(
            "port 0: the system chose port {port}; send to {group} port {port}"
        ));
    }
    if group.ip.is_multicast() && args.sources.is_empty() && is_ssm_range(group.ip) {
        warn(format_args!(
            "{} is in the source-specific range ({}): where the network runs SSM, only \
             joins that name a source get traffic; add --source ADDR",
            group.ip,
            if group.ip.is_ipv4() {
                "232.0.0.0/8"
            } else {
                "ff3x::/32"
            }
        ));
    }
    stop::install()?;
    let mut out = Stdout::new();
    let text_events = !args.json && !args.quiet;
    if group.ip.is_multicast() {
        let sources: Vec<Option<IpAddr>> = if args.sources.is_empty() {
            vec![None]
        } else {
            args.sources.iter().copied().map(Some).collect()
        };
        for s in sources {
            sock.join(group, args.interface.as_ref(), s)?;
        }
        let change = change(&sock);
        if args.json {
            out.json_line(&Event::Joined(change))?;
        } else if text_events {
            events::change_text(&mut out, "joined", &change)?;
        }
        out.flush()?;
    }
    let joined_at = Instant::now();
    let exporter = args
        .metrics
        .map(mcast::metrics::Exporter::serve)
        .transpose()?;
    let mut counts = receive(
        &mut sock,
        &args,
        &mut out,
        Started {
            joined_at,
            port,
            drops_counted,
            exporter,
        },
    )?;
    // Drops after the last datagram received reach no control message: read the total.
    if let Some(now) = sock.kernel_drops()? {
        let seen = counts.kernel_drops.map_or(0, u64::from);
        counts.kernel_drops = Some(u32::try_from(now.max(seen)).unwrap_or(u32::MAX));
    }
    // Left before anything else is written: a reader that stopped reading may hold the
    // output up, and must not hold the membership up with it.
    let left = leave(&mut sock)?;
    if let Some(change) = left {
        if args.json {
            out.json_line(&Event::Left(change))?;
        } else if text_events {
            events::change_text(&mut out, "left", &change)?;
        }
    }
    let mut summary = summarize(&counts, joined_at);
    summary.rcvbuf = rcvbuf;
    summary.joined = group.ip.is_multicast();
    let lost = summary.lost;
    if args.json {
        out.json_line(&Event::Summary(summary))?;
    } else {
        events::recv_summary_text(&mut out, &summary)?;
    }
    out.flush()?;
    let streams = summary_streams(&counts);
    outcome(&args, &counts, lost, &streams)
}

/// Sets the receive buffer and says so when the kernel granted less than asked (Linux caps
/// it at net.core.rmem_max for users without CAP_NET_ADMIN).
fn rcvbuf_granted(sock: &McastSocket, asked: usize) -> Result<usize> {
    let granted = sock.set_recv_buffer(asked)?;
    if granted < asked {
        warn(format_args!(
            "--rcvbuf {asked}: the kernel granted {granted} bytes (net.core.rmem_max caps it; \
             as root, or with CAP_NET_ADMIN, mcast goes beyond it)"
        ));
    }
    Ok(granted)
}

/// A unicast port another socket holds: said in the words of what happened.
fn port_taken(e: mcast::Error, group: &mcast::ScopedAddr) -> anyhow::Error {
    let in_use = e
        .os_error()
        .and_then(std::io::Error::raw_os_error)
        .is_some_and(|c| c == libc::EADDRINUSE);
    if in_use && !group.ip.is_multicast() {
        anyhow::anyhow!(
            "{}: another receiver holds this unicast port (unicast datagrams reach one socket \
             only): stop it, or pick another port",
            e.context()
        )
    } else {
        e.into()
    }
}

/// Leaves every group; a membership the kernel already dropped (its interface went away)
/// is told in a line, not taken as a failure. Returns what was left, for the `left` line.
fn leave(sock: &mut McastSocket) -> Result<Option<MembershipChange>> {
    if sock.memberships().is_empty() {
        return Ok(None);
    }
    let mut change = change(sock);
    let mut any_left = false;
    for (m, done) in sock.leave_each() {
        match done {
            Ok(()) => any_left = true,
            Err(e) if e.is_not_held() => {
                not_held(&e);
                if let Some(s) = m.source {
                    change.sources.retain(|x| *x != s.to_string());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(any_left.then_some(change))
}

fn change(sock: &McastSocket) -> MembershipChange {
    let first = &sock.memberships()[0];
    MembershipChange {
        command: "recv",
        time: events::timestamp(SystemTime::now()),
        group: first.group.to_string(),
        interface: first.interface.as_ref().map(|i| i.1.clone()),
        sources: sock
            .memberships()
            .iter()
            .filter_map(|m| m.source.map(|s| s.to_string()))
            .collect(),
    }
}

/// What receiving starts from: when the group was joined, the port, whether the kernel
/// counts drops, and the Prometheus exporter if asked for.
struct Started {
    joined_at: Instant,
    port: u16,
    drops_counted: bool,
    exporter: Option<mcast::metrics::Exporter>,
}

/// How often the loop looks for a scrape waiting, at least.
const SCRAPE_CHECK: Duration = Duration::from_millis(50);

fn receive(
    sock: &mut McastSocket,
    args: &RecvArgs,
    out: &mut Stdout,
    started: Started,
) -> Result<Counts> {
    let Started {
        joined_at,
        port,
        drops_counted,
        exporter,
    } = started;
    let group_shown = args.group.ip.to_string();
    let mut names: HashMap<u32, String> = iface::interfaces()?
        .into_iter()
        .map(|i| (i.index, i.name))
        .collect();
    sock.socket().set_nonblocking(true)?;
    let end = args.duration.map(|d| joined_at + d);
    let mut batch = RecvBatch::new(SLOTS, BUFFER);
    let mut counts = Counts {
        packets: 0,
        bytes: 0,
        probes: 0,
        foreign: 0,
        truncated: 0,
        // Linux reports drops only once there are some; where counting is on, start at 0.
        kernel_drops: drops_counted.then_some(0),
        first: None,
        last: None,
        stats: ProbeStats::default(),
        // Taken as receiving starts, right after the joins.
        joined_ns: now_ns(),
        ended_by: EndedBy::Signal,
        streams: content_options(args).map(Streams::new),
    };
    let read_probes =
        matches!(args.content, ContentArg::Auto | ContentArg::Probe) && args.seq.is_none();
    let mut last = joined_at;
    let mut labels = Labels::default();
    let mut watch = sock
        .memberships()
        .first()
        .and_then(|m| m.interface.clone())
        .map(|(index, name)| LinkWatch::new(index, name));
    let mut next_report = args.report.map(|r| joined_at + r);
    let mut last_report = (RecvCounts::default(), SystemTime::now());
    let mut ssm = sock.memberships().first().and_then(|m| {
        ssm::SsmGuard::new(
            args.group.ip,
            m.interface.as_ref().map(|i| i.0),
            args.sources.len(),
        )
    });
    'receiving: while !stop::requested() {
        if let Some(e) = exporter.as_ref().filter(|e| e.wanted()) {
            e.publish(metrics::render(&counts, joined_at, &group_shown, port));
        }
        // Checked between batches too: a flood that never lets the socket run dry must
        // not keep the run going past its end.
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) {
            counts.ended_by = EndedBy::Duration;
            break;
        }
        let report_due = next_report.is_some_and(|r| now >= r);
        if report_due || stop::report_requested() {
            if let (true, Some(r)) = (report_due, args.report) {
                next_report = Some(now + r);
            }
            if !going_on(interim(
                out,
                args.json,
                &counts,
                joined_at,
                &mut last_report,
            ))? {
                break;
            }
        }
        if !tell_stalls(&mut counts, out, args)? {
            break;
        }
        if sock.recv_batch(&mut batch)? == 0 {
            // Caught up: show what is buffered before waiting, so a pipe reader sees
            // datagrams promptly at low rates and in large writes at high ones.
            if !going_on(out.flush())? {
                break;
            }
            if let Some(guard) = ssm.as_mut() {
                guard.check();
            }
            if let Some(change) = watch.as_mut().and_then(LinkWatch::poll)
                && !going_on(tell_link(out, args.json, &change))?
            {
                break;
            }
            let quiet_end = args.timeout.map(|t| last + t);
            let deadline = [end, quiet_end].into_iter().flatten().min();
            let now = Instant::now();
            if deadline.is_some_and(|d| d <= now) {
                counts.ended_by = if deadline == end {
                    EndedBy::Duration
                } else {
                    EndedBy::Timeout
                };
                break;
            }
            let stall_due = counts
                .streams
                .as_ref()
                .and_then(Streams::next_due)
                .map(|due| now + Duration::from_nanos(due.saturating_sub(now_ns())));
            let wake = [
                deadline,
                watch.as_ref().map(LinkWatch::next),
                next_report,
                stall_due,
                exporter.as_ref().map(|_| now + SCRAPE_CHECK),
            ]
            .into_iter()
            .flatten()
            .min();
            sock.wait_readable(wake.map(|w| w.saturating_duration_since(now)))?;
            continue;
        }
        // The kernel's receive time where it gives one: the reader's own delays (a busy
        // terminal, a stopped process) are not the network's.
        let read_ns = now_ns();
        last = Instant::now();
        counts.first.get_or_insert(last);
        counts.last = Some(last);
        for (r, data) in batch.iter() {
            if r.kernel_drops.is_some() {
                counts.kernel_drops = r.kernel_drops;
            }
            let arrival_ns = r.timestamp_ns.unwrap_or(read_ns);
            // Looked up once per buffer: a GRO buffer holds dozens of datagrams.
            let interface = if args.quiet {
                None
            } else {
                interface_name(&mut names, r.ifindex)
            };
            for datagram in r.segments(data) {
                if args.count.is_some_and(|c| counts.packets >= c) {
                    counts.ended_by = EndedBy::Count;
                    break 'receiving;
                }
                counts.packets += 1;
                counts.truncated += u64::from(r.truncated);
                // A truncated datagram counts its real size; a GRO segment its own.
                counts.bytes += if r.truncated {
                    r.wire_len
                } else {
                    datagram.len()
                } as u64;
                let probe = if read_probes {
                    Probe::decode(datagram)
                } else {
                    None
                };
                match &probe {
                    Some(p) => {
                        counts.probes += 1;
                        let cycle = mcast::probe::SizeCycle::decode(datagram);
                        counts
                            .stats
                            .record_sized(p, cycle, r.source.ip(), arrival_ns);
                    }
                    None => counts.foreign += 1,
                }
                let analysed = match (&probe, counts.streams.as_mut()) {
                    (None, Some(streams)) => {
                        let drops = u64::from(counts.kernel_drops.unwrap_or(0));
                        let mut failed = None;
                        let read =
                            streams.observe(r.source, datagram, arrival_ns, drops, |f, t| {
                                if failed.is_none() && !args.quiet {
                                    failed = told(out, args.json, f, t, arrival_ns).err();
                                }
                            });
                        if let Some(e) = failed
                            && !going_on(Err::<(), _>(e))?
                        {
                            break 'receiving;
                        }
                        read.is_some()
                    }
                    _ => false,
                };
                // A healthy stream is told by its events, not a line per datagram.
                if args.quiet || (analysed && !args.packets) {
                    continue;
                }
                let d = Datagram {
                    r,
                    data: datagram,
                    probe,
                    arrival_ns,
                    interface,
                    port,
                    analysed,
                };
                if !going_on(print_packet(out, args.json, &mut labels, d))? {
                    break 'receiving;
                }
            }
        }
        if args.count.is_some_and(|c| counts.packets >= c) {
            counts.ended_by = EndedBy::Count;
            break;
        }
    }
    Ok(counts)
}

/// Tells the streams that fell silent for longer than --stall; false when the output is
/// gone.
fn tell_stalls(counts: &mut Counts, out: &mut Stdout, args: &RecvArgs) -> Result<bool> {
    let Some(streams) = counts.streams.as_mut() else {
        return Ok(true);
    };
    let now = now_ns();
    if streams.next_due().is_none_or(|due| due > now) {
        return Ok(true);
    }
    let mut failed = None;
    streams.tick(now, |f, t| {
        if failed.is_none() && !args.quiet {
            failed = told(out, args.json, f, t, now).err();
        }
    });
    match failed {
        Some(e) => going_on(Err::<(), _>(e)),
        None => going_on(out.flush()),
    }
}

/// The name of the interface a datagram came in on, learnt once for one that appeared
/// since the start.
fn interface_name(names: &mut HashMap<u32, String>, ifindex: Option<u32>) -> Option<&str> {
    let name = match names.entry(ifindex?) {
        Entry::Occupied(known) => known.into_mut(),
        Entry::Vacant(new) => {
            let found = iface::resolve(&IfaceSpec::Index(*new.key())).ok()?;
            new.insert(found.name)
        }
    };
    Some(name.as_str())
}

fn outcome(
    args: &RecvArgs,
    c: &Counts,
    lost: u64,
    summary_streams: &[StreamSummary],
) -> Result<Exit> {
    let enough = args.count.map_or(c.packets > 0, |n| c.packets >= n);
    let why = c.ended_by.words();
    if !enough {
        match args.count {
            Some(n) if c.packets > 0 => warn(format_args!(
                "{why} with {} of {n} datagrams received",
                c.packets
            )),
            _ => warn(format_args!("{why} and no datagram arrived")),
        }
        return Ok(Exit::Problem);
    }
    let troubled: Vec<_> = summary_streams
        .iter()
        .filter(|s| !s.problems.is_empty())
        .collect();
    for s in troubled.iter().take(3) {
        warn(format_args!(
            "stream {} {}: {}",
            s.from,
            s.content,
            verdict(s)
        ));
    }
    if troubled.len() > 3 {
        warn(format_args!(
            "and {} more streams in trouble (see the summary)",
            troubled.len() - 3
        ));
    }
    if lost > 0 {
        warn(format_args!(
            "{lost} {} lost (see the summary)",
            if lost == 1 {
                "probe was"
            } else {
                "probes were"
            }
        ));
        return Ok(Exit::Problem);
    }
    if !troubled.is_empty() {
        return Ok(Exit::Problem);
    }
    Ok(Exit::Success)
}
