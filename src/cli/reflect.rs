//! `mcast reflect`: answer ssmping requests (ssmping, asmping, mcast ping) with a unicast and
//! a multicast reply, carefully: never larger than the request, rate-limited per client and
//! in all, only for allowed groups, and with every refusal counted rather than printed.

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use clap::Args;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use serde::Serialize;

use mcast::wire::PORT;
use mcast::{IpMode, McastSocket, Service};

use super::events;
use super::exit::Exit;
use super::output::{Stdout, going_on};
use super::parse;
use super::platform::stop;
use super::reply_out::ReplyOut;

use super::reflect_policy::{
    Bucket, MAX_CLIENTS, REPLY_TTL, SESSION_LEN, answer, bad_source, reply_group,
};

#[derive(Args, Debug)]
pub struct ReflectArgs {
    /// UDP port to answer on
    #[arg(long, value_name = "PORT", default_value_t = PORT)]
    port: u16,
    /// Also answer for this group (beyond 232.43.211.234, ff3e::4321:1234 and groups ending in .234 or ::4321:1234); repeat for several
    #[arg(long = "group", value_name = "GROUP")]
    groups: Vec<IpAddr>,
    /// Requests a second each client may make (a burst of twice that is allowed)
    #[arg(long, value_name = "PPS", default_value_t = 10.0)]
    rate: f64,
    /// Requests a second answered in all
    #[arg(long, value_name = "PPS", default_value_t = 1000.0)]
    total_rate: f64,
    /// Largest reply to send when a request asks for more than its own size (ssmping's reply-size option); by default no reply is larger than its request
    #[arg(long, value_name = "BYTES", default_value = "0", value_parser = reply_size)]
    max_reply_size: u16,
    /// Stop after this long (default: until Ctrl-C)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

/// A reply size: what ssmping's 16-bit reply-size option can ask for.
fn reply_size(s: &str) -> Result<u16, String> {
    let n = parse::bytes(s)?;
    u16::try_from(n)
        .map_err(|_| format!("{n} bytes is more than a reply can be asked to be (65535)"))
}

/// What was answered and what was refused, by kind.
#[derive(Debug, Default, Serialize)]
struct Counts {
    requests: u64,
    unicast_replies: u64,
    multicast_replies: u64,
    clients: u64,
    refused_source: u64,
    refused_malformed: u64,
    refused_session: u64,
    refused_group: u64,
    refused_rate: u64,
    capped_size: u64,
    send_errors: u64,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ReflectEvent<'a> {
    Client {
        time: String,
        client: String,
        protocol: &'static str,
    },
    Summary {
        command: &'static str,
        #[serde(flatten)]
        counts: &'a Counts,
    },
}

pub fn run(args: ReflectArgs) -> Result<Exit> {
    let mut socks = Vec::new();
    for mode in [IpMode::V4, IpMode::V6] {
        let mut sock = McastSocket::new(mode, false)?;
        sock.set_send_options(None, Some(false), Some(REPLY_TTL), None)?;
        sock.bind(None, &Service::Port(args.port))?;
        // Room for bursts of requests (beyond net.core.rmem_max where privileged); a
        // smaller grant still works.
        let _ = sock.set_recv_buffer(4 << 20);
        sock.socket().set_nonblocking(true)?;
        socks.push(sock);
    }
    let own: Vec<(IpAddr, u8)> = mcast::iface::interfaces()?
        .iter()
        .flat_map(|i| i.addresses.iter().map(|a| (a.ip, a.prefix_len)))
        .collect();
    stop::install()?;
    let mut out = Stdout::new();
    let started = Instant::now();
    let end = args.duration.map(|d| started + d);
    let (rate, burst) = (args.rate.max(0.0), (2.0 * args.rate).max(1.0));
    let (total_rate, total_burst) = (args.total_rate.max(0.0), (2.0 * args.total_rate).max(1.0));
    let mut global = Bucket::new(total_burst, started);
    let mut clients: HashMap<IpAddr, Bucket> = HashMap::new();
    let mut sessions: HashMap<IpAddr, [u8; SESSION_LEN]> = HashMap::new();
    let mut counts = Counts::default();
    let mut buf = [0u8; 2048];
    let mut reply_out = [ReplyOut::default(), ReplyOut::default()];
    'run: while !stop::requested() && end.is_none_or(|e| Instant::now() < e) {
        let left = end.map_or(Duration::from_millis(500), |e| {
            e.saturating_duration_since(Instant::now())
        });
        let mut fds: Vec<PollFd> = socks
            .iter()
            .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
            .collect();
        let ms = left.as_millis().clamp(1, 500) as i32;
        let _ = poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        );
        for sock in socks.iter_mut() {
            while let Ok(r) = sock.recv_from(&mut buf) {
                counts.requests += 1;
                let now = Instant::now();
                let client = r.source.ip();
                if bad_source(client, &own) {
                    counts.refused_source += 1;
                    continue;
                }
                let request = &buf[..r.len.min(buf.len())];
                if r.truncated {
                    counts.refused_malformed += 1;
                    continue;
                }
                let max_reply = usize::from(args.max_reply_size);
                let Some(answer) = answer(request, client, &mut sessions, &args.groups, max_reply)
                else {
                    counts.refused_malformed += 1;
                    continue;
                };
                if !global.take(total_rate, total_burst, now) {
                    counts.refused_rate += 1;
                    continue;
                }
                let known = clients.contains_key(&client);
                if !known && clients.len() >= MAX_CLIENTS {
                    // Forget clients quiet for a minute; new ones wait for room otherwise.
                    clients.retain(|_, b| {
                        now.saturating_duration_since(b.at) < Duration::from_secs(60)
                    });
                    sessions.retain(|c, _| clients.contains_key(c));
                }
                if !known && clients.len() < MAX_CLIENTS {
                    clients.insert(client, Bucket::new(burst, now));
                    counts.clients += 1;
                    let line = if args.json {
                        out.json_line(&ReflectEvent::Client {
                            time: events::timestamp(SystemTime::now()),
                            client: client.to_string(),
                            protocol: answer.protocol,
                        })
                    } else {
                        out.text_line(|l| writeln!(l, "client {client} ({})", answer.protocol))
                    };
                    if !going_on(line.and_then(|()| out.flush()))? {
                        break 'run;
                    }
                }
                if let Some(b) = clients.get_mut(&client)
                    && !b.take(rate, burst, now)
                {
                    counts.refused_rate += 1;
                    continue;
                }
                if answer.stale_session {
                    counts.refused_session += 1;
                }
                counts.capped_size += u64::from(answer.capped);
                let out_of = &mut reply_out[usize::from(client.is_ipv6())];
                let back = SocketAddr::new(client, r.source.port());
                match out_of.send(sock, &answer.unicast, back, r.destination, r.ifindex) {
                    Ok(_) => counts.unicast_replies += 1,
                    Err(_) => counts.send_errors += 1,
                }
                let Some(multicast) = answer.multicast else {
                    continue;
                };
                let Some(group) = reply_group(answer.group, client, &args.groups) else {
                    counts.refused_group += 1;
                    continue;
                };
                let to = SocketAddr::new(group, r.source.port());
                match out_of.send(sock, &multicast, to, r.destination, r.ifindex) {
                    Ok(_) => counts.multicast_replies += 1,
                    Err(_) => counts.send_errors += 1,
                }
            }
        }
    }
    if args.json {
        out.json_line(&ReflectEvent::Summary {
            command: "reflect",
            counts: &counts,
        })?;
    } else {
        writeln!(
            out,
            "{} requests from {}: {} unicast and {} multicast replies",
            counts.requests,
            events::count(counts.clients, "client"),
            counts.unicast_replies,
            counts.multicast_replies
        )?;
        writeln!(
            out,
            "refused: {} over the rate, {} malformed, {} from bad sources, {} for groups not served, {} RFC 6450 requests outside a session; {} replies kept smaller than asked (--max-reply-size); {} send errors",
            counts.refused_rate,
            counts.refused_malformed,
            counts.refused_source,
            counts.refused_group,
            counts.refused_session,
            counts.capped_size,
            counts.send_errors
        )?;
    }
    out.flush()?;
    Ok(Exit::Success)
}
