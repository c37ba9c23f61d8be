//! `mcast send`: a message, lines of standard input, or paced numbered probes to a group.

mod loops;
mod report;
mod stdin_lines;

use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::Args;

use mcast::probe::{HEADER_LEN, MAX_SIZES, SizeCycle};
use mcast::{Destination, IfaceSpec, IpMode, McastSocket, ScopedAddr, Service, iface};

use crate::cli::signals::stop;

use crate::cli::exit::Exit;
use crate::cli::output::Stdout;
use crate::cli::output::events::{self, Event};
use crate::cli::parse::{self, Rate};
use loops::{Limits, Source, Template};
use stdin_lines::StdinLines;

/// The largest UDP payload over IPv4 (65535 - 20 - 8) and IPv6 (65535 - 8).
const MAX_PAYLOAD_V4: usize = 65507;
const MAX_PAYLOAD_V6: usize = 65527;

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Group (234.2.3.4, ff02::1234%eth0) or unicast address to send to
    #[arg(value_name = "GROUP", value_hint = clap::ValueHint::Other)]
    group: ScopedAddr,
    /// UDP port number or service name
    #[arg(value_name = "PORT")]
    port: Service,
    /// Text to send; '-' sends each line of standard input; none sends probes
    #[arg(value_name = "MESSAGE")]
    message: Option<String>,
    /// Interface to send through: name, index or address
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// How many datagrams to send (default: 1 for a message, unlimited for probes)
    #[arg(short, long, value_name = "N", allow_negative_numbers = true, value_parser = parse::count)]
    count: Option<u64>,
    /// Datagrams per second, or 'max' for as fast as the system takes them
    #[arg(short, long, value_name = "PPS", allow_negative_numbers = true, value_parser = parse::rate, conflicts_with = "interval")]
    rate: Option<Rate>,
    /// Time between datagrams (default 1s for probes and repeated messages)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    interval: Option<Duration>,
    /// Stop after this long
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Print the figures so far every DURATION, at the next datagram (as Ctrl-\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Probe size in bytes, header included (1400, 8K)
    #[arg(long, value_name = "BYTES", conflicts_with = "message", value_parser = probe_size)]
    size: Option<u32>,
    /// Probe sizes to cycle through, probe by probe (200,1400,1472; up to 8): receivers then
    /// count each size apart and say which sizes do not arrive
    #[arg(long, value_name = "LIST", conflicts_with_all = ["message", "size"], value_parser = size_cycle)]
    sizes: Option<SizeCycle>,
    /// Time to live (IPv4) or hop limit (IPv6); 1 stays on the link
    #[arg(long, value_name = "N", default_value_t = 1, allow_negative_numbers = true, value_parser = parse::ttl)]
    ttl: u32,
    /// Deliver to receivers on this host too
    #[arg(long = "loop", conflicts_with = "no_loop")]
    loopback: bool,
    /// Do not deliver to receivers on this host
    #[arg(long)]
    no_loop: bool,
    /// IP precedence, the top three bits of the TOS byte or traffic class
    #[arg(long, value_name = "0-7", allow_negative_numbers = true, value_parser = parse::precedence)]
    prec: Option<u8>,
    /// Set Don't Fragment: never fragmented; too big for the interface is an error (by
    /// default the kernel sets DF on datagrams that fit the interface's MTU)
    #[arg(long, conflicts_with = "no_df")]
    df: bool,
    /// Clear Don't Fragment: routers on the way may fragment what their links cannot carry
    #[arg(long)]
    no_df: bool,
    /// Source address to send from
    #[arg(long, value_name = "ADDR", value_hint = clap::ValueHint::Other)]
    bind: Option<ScopedAddr>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

/// A list of probe sizes, each long enough for the header and the list (up to 65,535: one
/// datagram's payload is checked against the group's family later).
fn size_cycle(s: &str) -> Result<SizeCycle, String> {
    let sizes = s
        .split(',')
        .map(|one| {
            let n = parse::bytes(one.trim())?;
            u16::try_from(n).map_err(|_| format!("'{one}' is more than a datagram carries"))
        })
        .collect::<Result<Vec<u16>, String>>()?;
    SizeCycle::new(&sizes).ok_or_else(|| {
        format!(
            "'{s}': give 1 to {MAX_SIZES} sizes, each at least {} bytes (the header and the list)",
            HEADER_LEN + 2 + 2 * sizes.len()
        )
    })
}

/// A probe size: the header's 32 bytes up to the largest IPv6 payload, K and M allowed.
fn probe_size(s: &str) -> Result<u32, String> {
    let n = parse::bytes(s)?;
    match u32::try_from(n) {
        Ok(n) if (HEADER_LEN as u32..=MAX_PAYLOAD_V6 as u32).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{s}' is out of range: a probe is {HEADER_LEN} to {MAX_PAYLOAD_V6} bytes"
        )),
    }
}

enum Payload {
    Message(Vec<u8>),
    Stdin,
    Probes { size: usize },
    Cycle(SizeCycle),
}

fn max_payload(group: &ScopedAddr) -> usize {
    if group.ip.is_ipv4() {
        MAX_PAYLOAD_V4
    } else {
        MAX_PAYLOAD_V6
    }
}

fn payload(args: &SendArgs) -> Result<Payload> {
    let max = max_payload(&args.group);
    Ok(match args.message.as_deref() {
        Some("-") => Payload::Stdin,
        Some(text) if text.len() > max => bail!(
            "message of {} bytes is larger than one datagram can carry ({max} bytes to {}); shorten it",
            text.len(),
            args.group.ip
        ),
        Some(text) => Payload::Message(text.as_bytes().to_vec()),
        None if args.sizes.is_some() => {
            let cycle = args.sizes.expect("matched");
            if let Some(big) = cycle.sizes().iter().find(|s| usize::from(**s) > max) {
                bail!(
                    "--sizes: {big} is larger than one datagram can carry ({max} bytes to {})",
                    args.group.ip
                );
            }
            Payload::Cycle(cycle)
        }
        None => {
            let size = args.size.map_or(64, |s| s as usize);
            if size > max {
                bail!(
                    "--size {size} is larger than one datagram can carry ({max} bytes over IPv4)"
                );
            }
            Payload::Probes { size }
        }
    })
}

fn setup(args: &SendArgs) -> Result<(McastSocket, Destination)> {
    let group = args.group.ip;
    if args.ttl == 0 && !group.is_multicast() {
        bail!(
            "--ttl 0: only multicast can be kept on this host with TTL 0, and {group} is \
             unicast; give --ttl 1 or more"
        );
    }
    if let Some(b) = args
        .bind
        .as_ref()
        .filter(|b| b.ip.is_ipv4() != group.is_ipv4())
    {
        let (family, other) = if group.is_ipv4() {
            ("IPv4", "IPv6")
        } else {
            ("IPv6", "IPv4")
        };
        bail!(
            "--bind {b}: an {other} address cannot send to {group}, which is {family}; give \
             an {family} address of this host (see `mcast ifaces`)"
        );
    }
    if let (Some(spec), Some(zone)) = (&args.interface, &args.group.zone) {
        let (a, b) = (iface::resolve(spec)?, iface::resolve_zone(zone)?);
        if a.index != b.index {
            bail!(
                "{}: the zone names {} but --interface names {}; give one of them",
                args.group,
                b.name,
                a.name
            );
        }
    }
    let mut sock = McastSocket::new(IpMode::for_addr(args.group.ip), false)?;
    let loopback = match (args.loopback, args.no_loop) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    sock.set_send_options(args.interface.as_ref(), loopback, Some(args.ttl), args.prec)?;
    if args.df || args.no_df {
        sock.set_dont_fragment(args.df)?;
    }
    // A datagram this host drops on its way out is an error to count, not a silent loss.
    sock.report_local_drops()?;
    if let Some(addr) = &args.bind {
        sock.bind(Some(&IfaceSpec::Addr(addr.clone())), &Service::Port(0))?;
    }
    let dest = sock.destination(&args.group, &args.port)?;
    Ok((sock, dest))
}

pub fn run(args: SendArgs) -> Result<Exit> {
    let payload = payload(&args)?;
    let (mut sock, dest) = setup(&args)?;
    stop::install()?;
    let count = args.count.or(match payload {
        Payload::Message(_) => Some(1),
        _ => None,
    });
    let rate = match (args.rate, args.interval) {
        (Some(Rate::Max), _) => None,
        (Some(Rate::PerSecond(r)), _) => Some(r),
        (None, Some(i)) => Some(1.0 / i.as_secs_f64()),
        (None, None) => match payload {
            Payload::Stdin => None,
            _ => Some(1.0),
        },
    };
    let start = Instant::now();
    let limits = Limits {
        count,
        rate,
        end: args.duration.map(|d| start + d),
    };
    if rate.is_none() {
        // Flat out, a deep send queue keeps the kernel busy between our calls.
        let _ = sock.set_send_buffer(4 << 20);
    }
    let mut reporter = report::Reporter::new(args.report, args.json, start);
    let run = match payload {
        Payload::Stdin => {
            let max = max_payload(&args.group);
            let lines = StdinLines::stdin(max);
            loops::one_at_a_time(
                &mut sock,
                &dest,
                &limits,
                Source::Stdin(lines),
                &mut reporter,
            )?
        }
        Payload::Message(m) if m.is_empty() => {
            loops::one_at_a_time(&mut sock, &dest, &limits, Source::Fixed(&m), &mut reporter)?
        }
        Payload::Message(m) => loops::blast(
            &mut sock,
            &dest,
            &Template::Message(m),
            &limits,
            &mut reporter,
        )?,
        Payload::Cycle(cycle) => {
            let planned = match (count, args.duration) {
                (Some(n), None) => u32::try_from(n).unwrap_or(0),
                _ => 0,
            };
            let sender = RandomState::new().hash_one(std::process::id()) as u32;
            let source = Source::Cycle {
                cycle,
                sender,
                planned,
                buf: vec![0u8; usize::from(*cycle.sizes().iter().max().unwrap_or(&64))],
            };
            loops::one_at_a_time(&mut sock, &dest, &limits, source, &mut reporter)?
        }
        Payload::Probes { size } => {
            let planned = match (count, args.duration) {
                (Some(n), None) => u32::try_from(n).unwrap_or(0),
                _ => 0,
            };
            let sender = RandomState::new().hash_one(std::process::id()) as u32;
            let template = Template::Probe {
                size,
                sender,
                planned,
            };
            loops::blast(&mut sock, &dest, &template, &limits, &mut reporter)?
        }
    };
    let summary = report::summary_of(&run, start.elapsed());
    let mut out = Stdout::new();
    if args.json {
        out.json_line(&Event::SendSummary(summary))?;
    } else {
        events::send_summary_text(&mut out, &summary)?;
    }
    out.flush()?;
    Ok(Exit::Success)
}
