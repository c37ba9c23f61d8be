//! `mcast send`: a message, lines of standard input, or paced numbered probes to a group.

use std::hash::{BuildHasher, RandomState};
use std::io::{self, BufRead, IsTerminal, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use clap::Args;

use mcast::probe::{HEADER_LEN, Probe};
use mcast::{Destination, IfaceSpec, IpMode, McastSocket, ScopedAddr, Service, iface, stop};

use super::events::{self, Event, SendSummary};
use super::exit::Exit;
use super::output::Stdout;
use super::parse::{self, Rate};

/// The largest UDP payload over IPv4 (65535 - 20 - 8) and IPv6 (65535 - 8).
const MAX_PAYLOAD_V4: usize = 65507;
const MAX_PAYLOAD_V6: usize = 65527;

#[derive(Args, Debug)]
#[command(after_long_help = super::help::SEND_RECV)]
pub struct SendArgs {
    /// Group (234.2.3.4, ff02::1234%eth0) or unicast address to send to
    #[arg(value_name = "GROUP")]
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
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Datagrams per second, or 'max' for as fast as the system takes them
    #[arg(short, long, value_name = "PPS", value_parser = parse::rate, conflicts_with = "interval")]
    rate: Option<Rate>,
    /// Time between datagrams (default 1s for probes and repeated messages)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    interval: Option<Duration>,
    /// Stop after this long
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Probe size in bytes, header included
    #[arg(long, value_name = "BYTES", conflicts_with = "message",
          value_parser = clap::value_parser!(u32).range(HEADER_LEN as i64..=MAX_PAYLOAD_V6 as i64))]
    size: Option<u32>,
    /// Time to live (IPv4) or hop limit (IPv6); 1 stays on the link
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=255))]
    ttl: u32,
    /// Deliver to receivers on this host too
    #[arg(long = "loop", overrides_with = "no_loop")]
    loopback: bool,
    /// Do not deliver to receivers on this host
    #[arg(long)]
    no_loop: bool,
    /// IP precedence, the top three bits of the TOS byte or traffic class
    #[arg(long, value_name = "0-7", value_parser = clap::value_parser!(u8).range(0..=7))]
    prec: Option<u8>,
    /// Source address to send from
    #[arg(long, value_name = "ADDR")]
    bind: Option<ScopedAddr>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

enum Payload {
    Message(Vec<u8>),
    Stdin,
    Probes { size: usize },
}

/// Counts as the run goes.
#[derive(Default)]
struct Tally {
    packets: u64,
    bytes: u64,
    errors: u64,
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

/// The time between datagrams; None for as fast as possible.
fn interval(args: &SendArgs, payload: &Payload) -> Option<Duration> {
    match (args.rate, args.interval) {
        (Some(Rate::Max), _) => None,
        (Some(Rate::PerSecond(r)), _) => Some(Duration::from_secs_f64(1.0 / r)),
        (None, Some(i)) => Some(i),
        (None, None) => match payload {
            Payload::Stdin => None,
            _ => Some(Duration::from_secs(1)),
        },
    }
}

fn setup(args: &SendArgs) -> Result<(McastSocket, Destination)> {
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
    if let Some(addr) = &args.bind {
        sock.bind(Some(&IfaceSpec::Addr(addr.clone())), &Service::Port(0))?;
    }
    let dest = sock.destination(&args.group, &args.port)?;
    Ok((sock, dest))
}

pub fn run(args: SendArgs) -> Result<Exit> {
    let payload = payload(&args)?;
    let (sock, dest) = setup(&args)?;
    stop::install()?;
    let count = args.count.or(match payload {
        Payload::Message(_) => Some(1),
        _ => None,
    });
    let gap = interval(&args, &payload);
    let start = Instant::now();
    let end = args.duration.map(|d| start + d);
    let mut tally = Tally::default();
    let mut status = Status::new();
    let mut stdin = io::stdin().lock();
    let mut line = String::new();
    let mut buf = match &payload {
        Payload::Message(m) => m.clone(),
        Payload::Probes { size } => vec![0u8; *size],
        Payload::Stdin => Vec::new(),
    };
    let sender = RandomState::new().hash_one(std::process::id()) as u32;
    let planned = match (count, args.duration) {
        (Some(n), None) => u32::try_from(n).unwrap_or(0),
        _ => 0,
    };
    let mut seq: u64 = 0;
    while count.is_none_or(|c| seq < c) && !stop::requested() {
        if let Some(gap) = gap {
            let due = start + gap.mul_f64(seq as f64);
            if end.is_some_and(|e| due >= e) || !sleep_until(due) {
                break;
            }
        } else if end.is_some_and(|e| Instant::now() >= e) {
            break;
        }
        match &payload {
            Payload::Stdin => {
                line.clear();
                if stdin.read_line(&mut line)? == 0 {
                    break;
                }
                let text = line.strip_suffix('\n').unwrap_or(&line);
                let text = text.strip_suffix('\r').unwrap_or(text);
                if text.len() > max_payload(&args.group) {
                    bail!(
                        "line {} of standard input is {} bytes, more than one datagram carries",
                        seq + 1,
                        text.len()
                    );
                }
                buf.clear();
                buf.extend_from_slice(text.as_bytes());
            }
            Payload::Probes { .. } => {
                let sent_ns = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                Probe {
                    sender,
                    seq,
                    sent_ns,
                    planned,
                }
                .encode(&mut buf);
            }
            Payload::Message(_) => {}
        }
        seq += 1;
        match sock.send_dest(&buf, &dest) {
            Ok(n) => {
                tally.packets += 1;
                tally.bytes += n as u64;
            }
            Err(e) if tally.packets > 0 && transient(&e) => tally.errors += 1,
            Err(e) => return Err(e.into()),
        }
        status.tick(&tally, start);
    }
    status.clear();
    let elapsed = start.elapsed().as_secs_f64();
    let summary = SendSummary {
        packets: tally.packets,
        bytes: tally.bytes,
        elapsed_ms: elapsed * 1000.0,
        rate_pps: if elapsed > 0.0 {
            tally.packets as f64 / elapsed
        } else {
            0.0
        },
        errors: tally.errors,
        path: "sendto",
    };
    let mut out = Stdout::new();
    if args.json {
        out.json_line(&Event::SendSummary(summary))?;
    } else {
        events::send_summary_text(&mut out, &summary)?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

/// Errors a busy or flapping network causes, counted rather than fatal once sending worked.
fn transient(e: &mcast::Error) -> bool {
    e.os_error()
        .and_then(io::Error::raw_os_error)
        .is_some_and(|code| {
            [
                libc::ENOBUFS,
                libc::EAGAIN,
                libc::EINTR,
                libc::ENETDOWN,
                libc::ENETUNREACH,
                libc::EHOSTUNREACH,
                libc::ECONNREFUSED,
            ]
            .contains(&code)
        })
}

/// Sleeps until `due` in short steps, so Ctrl-C is noticed; false when stopped.
fn sleep_until(due: Instant) -> bool {
    loop {
        if stop::requested() {
            return false;
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        std::thread::sleep((due - now).min(Duration::from_millis(100)));
    }
}

/// The one-line live status on a terminal's stderr.
struct Status {
    on: bool,
    next: Instant,
}

impl Status {
    fn new() -> Self {
        Status {
            on: io::stderr().is_terminal(),
            next: Instant::now() + Duration::from_secs(1),
        }
    }

    fn tick(&mut self, t: &Tally, start: Instant) {
        if !self.on || Instant::now() < self.next {
            return;
        }
        self.next += Duration::from_secs(1);
        let rate = t.packets as f64 / start.elapsed().as_secs_f64().max(1e-9);
        let _ = write!(
            io::stderr(),
            "\r\x1b[Kmcast: sent {} ({rate:.1}/s)",
            t.packets
        );
    }

    fn clear(&self) {
        if self.on {
            let _ = write!(io::stderr(), "\r\x1b[K");
        }
    }
}
