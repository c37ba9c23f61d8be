//! `mcast reflect`: answer ssmping requests (ssmping, asmping, mcast ping) with a unicast and
//! a multicast reply, carefully: never larger than the request, rate-limited per client and
//! in all, only for allowed groups, and with every refusal counted rather than printed.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use clap::Args;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use mcast::wire::PORT;
use mcast::{IfaceSpec, IpMode, McastSocket, RecvBatch, ScopedAddr, Service, iface};

use crate::cli::exit::Exit;
use crate::cli::output::events;
use crate::cli::output::{Stdout, going_on};
use crate::cli::parse;
use crate::cli::signals::stop;

mod counts;
mod metrics;
use counts::{Counts, ReflectEvent, interval, summary};
use mcast::reflect::{
    Bucket, Limits, MAX_CLIENTS, Path, REPLY_TTL, Recent, ReplyBatch, ReplyOut, SESSION_IDLE,
    Sessions, answer, bad_source, multicast_port, reply_group,
};

/// Clients (and groups) followed for rate limiting, the least recently heard forgotten first.
const MAX_GROUPS: usize = 1024;
/// A client's (or group's) bucket is forgotten after this long unheard: it would be full again.
const CLIENT_IDLE: Duration = Duration::from_secs(60);

#[derive(Args, Debug)]
pub struct ReflectArgs {
    /// UDP port to answer on (1-65535: clients ask the port they were told)
    #[arg(long, value_name = "PORT", default_value_t = PORT, value_parser = served_port)]
    port: u16,
    /// Answer only requests sent to this address of the host (default: any of its addresses)
    #[arg(long, value_name = "ADDR", value_hint = clap::ValueHint::Other)]
    bind: Option<IpAddr>,
    /// Answer only requests that arrive on this interface (name, index or address)
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// Also answer for this group (beyond 232.43.211.234, ff3e::4321:1234 and groups ending in .234 or ::4321:1234); repeat for several
    #[arg(long = "group", value_name = "GROUP", value_hint = clap::ValueHint::Other)]
    groups: Vec<IpAddr>,
    /// Requests a second each client may make (a burst of twice that is allowed)
    #[arg(long, value_name = "PPS", default_value_t = 10.0, value_parser = positive_rate)]
    rate: f64,
    /// Requests a second answered in all
    #[arg(long, value_name = "PPS", default_value_t = 1000.0, value_parser = positive_rate)]
    total_rate: f64,
    /// Multicast replies a second to each group, whoever asked (a burst of twice that is allowed)
    #[arg(long, value_name = "PPS", default_value_t = 100.0, value_parser = positive_rate)]
    group_rate: f64,
    /// Largest reply to send when a request asks for more than its own size (ssmping's reply-size option); by default no reply is larger than its request
    #[arg(long, value_name = "BYTES", default_value = "0", value_parser = reply_size)]
    max_reply_size: u16,
    /// Stop after this long (default: until Ctrl-C)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Print the figures so far every DURATION (as Ctrl-\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
    /// Serve the counts to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1's
    #[arg(long, value_name = "ADDR", value_parser = mcast::metrics::parse_addr)]
    metrics: Option<std::net::SocketAddr>,
}

/// This host's addresses and prefixes, read again (at most every few seconds) when a request
/// comes to an address not among them, since addresses come and go while a reflector runs.
struct Own {
    prefixes: Vec<(IpAddr, u8)>,
    read_at: Instant,
}

impl Own {
    fn read() -> Result<Own> {
        let prefixes = mcast::iface::interfaces()?
            .iter()
            .flat_map(|i| i.addresses.iter().map(|a| (a.ip, a.prefix_len)))
            .collect();
        Ok(Own {
            prefixes,
            read_at: Instant::now(),
        })
    }

    /// Whether `to` is one of this host's addresses (a group or a broadcast address never is).
    fn is_unicast_of_ours(&mut self, to: IpAddr, now: Instant) -> bool {
        let known = |p: &[(IpAddr, u8)]| p.iter().any(|a| a.0 == to);
        if !known(&self.prefixes)
            && !to.is_multicast()
            && now.saturating_duration_since(self.read_at) > REREAD
            && let Ok(fresh) = Own::read()
        {
            *self = fresh;
        }
        known(&self.prefixes)
    }
}

/// How often the address list may be read again on a request to an address not in it.
const REREAD: Duration = Duration::from_secs(5);

/// The port to serve: 1 to 65535 (0 would be a port no client can be told).
fn served_port(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(0) => Err(
            "give a port from 1 to 65535 (0 picks an unannounced port no client would ask)".into(),
        ),
        Ok(p) => Ok(p),
        Err(_) => Err(format!("'{s}' is not a port: give 1 to 65535")),
    }
}

/// A rate a second, above 0 (0 would still answer each bucket's first burst: to answer
/// nobody, do not run a reflector).
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        Ok(_) => Err(format!(
            "'{s}': give a rate above 0 (a rate of 0 would still answer a first burst; to answer no one, stop the reflector)"
        )),
        Err(_) => Err(format!("'{s}' is not a number of requests a second")),
    }
}

/// A reply size: what ssmping's 16-bit reply-size option can ask for.
fn reply_size(s: &str) -> Result<u16, String> {
    let n = parse::bytes(s)?;
    u16::try_from(n)
        .map_err(|_| format!("{n} bytes is more than a reply can be asked to be (65535)"))
}

pub fn run(args: ReflectArgs) -> Result<Exit> {
    let mut socks = Vec::new();
    let only_on = args
        .interface
        .as_ref()
        .map(iface::resolve)
        .transpose()?
        .map(|i| i.index);
    let modes: &[IpMode] = match args.bind {
        Some(IpAddr::V4(_)) => &[IpMode::V4],
        Some(IpAddr::V6(_)) => &[IpMode::V6],
        None => &[IpMode::V4, IpMode::V6],
    };
    for &mode in modes {
        let mut sock = McastSocket::new(mode, false)?;
        sock.set_send_options(None, Some(false), Some(REPLY_TTL), None)?;
        let at = args.bind.map(|a| IfaceSpec::Addr(ScopedAddr::from(a)));
        sock.bind(at.as_ref(), &Service::Port(args.port))?;
        // Room for bursts of requests (beyond net.core.rmem_max where privileged); a
        // smaller grant still works.
        let _ = sock.set_recv_buffer(4 << 20);
        // Replies need where a request came to and on which interface, nothing more.
        sock.recv_addresses_only()?;
        sock.socket().set_nonblocking(true)?;
        socks.push(sock);
    }
    let mut own = Own::read()?;
    stop::install()?;
    let mut out = Stdout::new();
    let started = Instant::now();
    let end = args.duration.map(|d| started + d);
    let (rate, burst) = (args.rate.max(0.0), (2.0 * args.rate).max(1.0));
    let (total_rate, total_burst) = (args.total_rate.max(0.0), (2.0 * args.total_rate).max(1.0));
    let (group_rate, group_burst) = (args.group_rate.max(0.0), (2.0 * args.group_rate).max(1.0));
    let mut global = Bucket::new(total_burst, started);
    let mut told = Bucket::new(20.0, started);
    let mut clients: Recent<IpAddr, Bucket> = Recent::new(MAX_CLIENTS, CLIENT_IDLE);
    let mut groups: Recent<IpAddr, Bucket> = Recent::new(MAX_GROUPS, CLIENT_IDLE);
    let mut sessions = Sessions::new(MAX_CLIENTS, SESSION_IDLE);
    let limits = Limits {
        extra: &args.groups,
        max_reply: usize::from(args.max_reply_size),
        larger_init: false,
    };
    let mut counts = Counts::default();
    // Requests read 32 at a time (recvmmsg), their replies sent together (sendmmsg): at most
    // two replies a request, so one batch of replies always holds them.
    let mut batch = RecvBatch::new(ReplyBatch::CAPACITY / 2, 2048);
    let mut replies = ReplyBatch::new(usize::from(args.max_reply_size).max(2048));
    // Each reply is written here before it is copied into the batch: made once, so that
    // answering allocates nothing.
    let mut reply = Vec::with_capacity(usize::from(args.max_reply_size).max(2048));
    let mut reply_out = [ReplyOut::default(), ReplyOut::default()];
    // Under load every round finds requests waiting: one recvmmsg and one sendmmsg a socket
    // then, and a poll only once a round found none. A socket that had nothing while another
    // was busy is read every eighth round only, so that it costs no call in the others.
    let mut busy = false;
    let mut idle = vec![false; socks.len()];
    let mut round = 0u32;
    let mut next_report = args.report.map(|r| started + r);
    let mut last = (counts, SystemTime::now());
    let exporter = args
        .metrics
        .map(mcast::metrics::Exporter::serve)
        .transpose()?;
    'run: while !stop::requested() && end.is_none_or(|e| Instant::now() < e) {
        round = round.wrapping_add(1);
        if let Some(e) = exporter.as_ref().filter(|e| e.wanted()) {
            e.publish(metrics::render(&counts, args.port));
        }
        let report_due = next_report.is_some_and(|r| Instant::now() >= r);
        if report_due || stop::report_requested() {
            if let (true, Some(r)) = (report_due, args.report) {
                next_report = Some(Instant::now() + r);
            }
            let now = SystemTime::now();
            if !going_on(interval(&mut out, args.json, &counts, &last.0, last.1, now))? {
                break 'run;
            }
            last = (counts, now);
        }
        if !busy {
            let left = end
                .into_iter()
                .chain(next_report)
                .min()
                .map_or(Duration::from_millis(500), |e| {
                    e.saturating_duration_since(Instant::now())
                });
            let mut fds: Vec<PollFd> = socks
                .iter()
                .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
                .collect();
            // A scrape waits for the loop: look for one at least every 50 ms.
            let most = if exporter.is_some() { 50 } else { 500 };
            let ms = left.as_millis().clamp(1, most) as i32;
            let _ = poll(
                &mut fds,
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
            );
        }
        let polled = !busy;
        busy = false;
        for (sock, idle) in socks.iter_mut().zip(idle.iter_mut()) {
            if *idle && !polled && !round.is_multiple_of(8) {
                continue;
            }
            *idle = true;
            if sock.recv_batch(&mut batch).is_ok_and(|n| n > 0) {
                busy = true;
                *idle = false;
                for (r, request) in batch.iter() {
                    counts.requests += 1;
                    let now = Instant::now();
                    let client = r.source.ip();
                    // Only what was sent to this host alone: a request to a broadcast or a group
                    // address would be answered by every reflector that hears it.
                    if r.destination
                        .is_some_and(|d| !own.is_unicast_of_ours(d, now))
                    {
                        counts.refused_destination += 1;
                        continue;
                    }
                    if only_on.is_some() && r.ifindex != only_on {
                        counts.refused_interface += 1;
                        continue;
                    }
                    if bad_source(client, &own.prefixes) {
                        counts.refused_source += 1;
                        continue;
                    }
                    if r.truncated {
                        counts.refused_malformed += 1;
                        continue;
                    }
                    let Some(answer) =
                        answer(request, r.source, &mut sessions, &limits, now, &mut reply)
                    else {
                        counts.refused_malformed += 1;
                        continue;
                    };
                    if !global.take(total_rate, total_burst, now) {
                        counts.refused_rate += 1;
                        continue;
                    }
                    // Every client is followed (the least recently heard is forgotten first),
                    // so a flood of strangers cannot free a client from its own limit.
                    let bucket = match clients.get_mut(&client, now) {
                        Some(b) => b,
                        None => {
                            clients.insert(client, Bucket::new(burst, now), now);
                            counts.clients += 1;
                            // A flood of new (spoofed) clients must not become a flood of lines:
                            // beyond 10 a second they are counted, not printed.
                            let line = if !told.take(10.0, 20.0, now) {
                                counts.clients_not_listed += 1;
                                Ok(())
                            } else if args.json {
                                out.json_line(&ReflectEvent::Client {
                                    command: "reflect",
                                    time: events::timestamp(SystemTime::now()),
                                    client: client.to_string(),
                                    protocol: answer.protocol,
                                })
                            } else {
                                out.text_line(|l| {
                                    writeln!(l, "client {client} ({})", answer.protocol)
                                })
                            };
                            if !going_on(line)? {
                                // Stopping: what earlier requests of the batch earned goes.
                                let sent = replies.flush(sock, &mut reply_out);
                                counts.unicast_replies += sent.unicast;
                                counts.multicast_replies += sent.multicast;
                                counts.send_errors += sent.errors;
                                break 'run;
                            }
                            clients.get_mut(&client, now).expect("just stored")
                        }
                    };
                    if !bucket.take(rate, burst, now) {
                        counts.refused_rate += 1;
                        continue;
                    }
                    // A session is kept only for an answer that is sent.
                    if let Some(key) = answer.open {
                        sessions.insert(key, (), now);
                    }
                    counts.refused_session += u64::from(answer.stale_session);
                    counts.refused_small_init += u64::from(answer.small_init);
                    counts.capped_size += u64::from(answer.capped);
                    let queued =
                        replies.push(&reply, r.source, r.destination, r.ifindex, Path::Unicast);
                    debug_assert!(queued, "a request's replies always fit the batch");
                    if !answer.multicast {
                        continue;
                    }
                    let Some(group) = reply_group(answer.group, client, &args.groups) else {
                        counts.refused_group += 1;
                        continue;
                    };
                    // The group hears the reply at the client's port, which is the port its
                    // kernel picked (or ours): never a service's port such as mDNS's 5353.
                    let port = r.source.port();
                    if !multicast_port(port, args.port) {
                        counts.refused_port += 1;
                        continue;
                    }
                    let gate = match groups.get_mut(&group, now) {
                        Some(b) => b,
                        None => {
                            groups.insert(group, Bucket::new(group_burst, now), now);
                            groups.get_mut(&group, now).expect("just stored")
                        }
                    };
                    if !gate.take(group_rate, group_burst, now) {
                        counts.refused_group_rate += 1;
                        continue;
                    }
                    let to = SocketAddr::new(group, port);
                    let queued =
                        replies.push(&reply, to, r.destination, r.ifindex, Path::Multicast);
                    debug_assert!(queued, "a request's replies always fit the batch");
                }
                let sent = replies.flush(sock, &mut reply_out);
                counts.unicast_replies += sent.unicast;
                counts.multicast_replies += sent.multicast;
                counts.send_errors += sent.errors;
            }
        }
        if !going_on(out.flush())? {
            break;
        }
    }
    summary(&mut out, args.json, &counts)?;
    out.flush()?;
    Ok(Exit::Success)
}
