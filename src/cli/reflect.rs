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

use mcast::wire::ssmping::{self, Message};
use mcast::wire::{DEFAULT_GROUP_V4, DEFAULT_GROUP_V6, PORT, Protocol, protocol_of};
use mcast::{IfaceSpec, IpMode, McastSocket, ScopedAddr, Service, Zone};

use super::events;
use super::exit::Exit;
use super::output::{Stdout, going_on};
use super::parse;
use super::platform::stop;

/// Clients followed for rate limiting; past this, new clients share the global budget only.
const MAX_CLIENTS: usize = 10_000;
/// The TTL (hop limit) replies leave with, so clients can count hops as 64 less what arrives.
const REPLY_TTL: u32 = 64;

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
    /// Stop after this long (default: until Ctrl-C)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

/// A token bucket: `rate` a second, up to `burst` saved.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    fn take(&mut self, rate: f64, burst: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
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

/// RFC 6450 session ids are opaque; omping uses 16 bytes.
const SESSION_LEN: usize = 16;

/// What to send back to one request.
struct Answer {
    protocol: &'static str,
    /// The reply to the client.
    unicast: Vec<u8>,
    /// The reply to the group (the same bytes), when there is one.
    multicast: Option<Vec<u8>>,
    /// The group the request asked for, if any.
    group: Option<IpAddr>,
    /// An RFC 6450 request outside the session it was given: told to stop.
    stale_session: bool,
}

/// The answer to `request` from `client`; None for anything that is not a request of either
/// protocol. ssmping: the request's own bytes. RFC 6450: a server response with a new
/// session to an init, an echo reply to a request in that session (the request's options but
/// the server's own, and the TTL it leaves with), or "stop" (a response without a group).
fn answer(
    request: &[u8],
    client: IpAddr,
    sessions: &mut HashMap<IpAddr, [u8; SESSION_LEN]>,
    extra: &[IpAddr],
) -> Option<Answer> {
    use mcast::wire::rfc6450::{self, OPT_SERVER_INFO, OPT_SERVER_TIMESTAMP};
    match protocol_of(request)? {
        Protocol::Ssmping => {
            let m = Message::decode(request).ok()?;
            let reply = ssmping::reply_to(request)?;
            Some(Answer {
                protocol: "ssmping",
                unicast: reply.clone(),
                multicast: Some(reply),
                group: m.group,
                stale_session: false,
            })
        }
        Protocol::Rfc6450 => {
            let m = rfc6450::Message::decode(request).ok()?;
            let mut response = rfc6450::Message::new(rfc6450::Kind::Response);
            response.client_id = m.client_id.clone();
            response.seq = m.seq;
            match m.kind {
                rfc6450::Kind::Init => {
                    let session = new_session(client);
                    if sessions.len() < MAX_CLIENTS || sessions.contains_key(&client) {
                        sessions.insert(client, session);
                    }
                    response.group = reply_group(None, client, extra);
                    response.session_id = Some(session.to_vec());
                    if m.option_request.contains(&OPT_SERVER_INFO) {
                        response.server_info = Some(format!("mcast {}", env!("CARGO_PKG_VERSION")));
                    }
                    Some(Answer {
                        protocol: "rfc6450",
                        unicast: response.encode(),
                        multicast: None,
                        group: None,
                        stale_session: false,
                    })
                }
                rfc6450::Kind::Request => {
                    let in_session = m
                        .session_id
                        .as_deref()
                        .is_some_and(|id| sessions.get(&client).is_some_and(|s| s[..] == *id));
                    if !in_session {
                        return Some(Answer {
                            protocol: "rfc6450",
                            unicast: response.encode(),
                            multicast: None,
                            group: None,
                            stale_session: true,
                        });
                    }
                    let mut reply = m.clone();
                    reply.kind = rfc6450::Kind::Reply;
                    reply.session_id = None;
                    reply.server_info = None;
                    reply.ttl = Some(REPLY_TTL as u8);
                    reply.server_sent_ns = m
                        .option_request
                        .contains(&OPT_SERVER_TIMESTAMP)
                        .then(now_ns);
                    let bytes = reply.encode();
                    Some(Answer {
                        protocol: "rfc6450",
                        unicast: bytes.clone(),
                        multicast: Some(bytes),
                        group: m.group,
                        stale_session: false,
                    })
                }
                _ => None,
            }
        }
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// A session id no one can guess from outside this process.
fn new_session(client: IpAddr) -> [u8; SESSION_LEN] {
    use std::hash::{BuildHasher, RandomState};
    let state = RandomState::new();
    let a = state.hash_one((client, now_ns()));
    let b = state.hash_one((now_ns(), a));
    let mut id = [0u8; SESSION_LEN];
    id[..8].copy_from_slice(&a.to_be_bytes());
    id[8..].copy_from_slice(&b.to_be_bytes());
    id
}

/// The group a reply goes to: the one asked for when allowed, else the family's default.
/// None when one was asked for and is not allowed (the multicast reply is refused).
fn reply_group(asked: Option<IpAddr>, client: IpAddr, extra: &[IpAddr]) -> Option<IpAddr> {
    let default = if client.is_ipv4() {
        IpAddr::V4(DEFAULT_GROUP_V4)
    } else {
        IpAddr::V6(DEFAULT_GROUP_V6)
    };
    let Some(g) = asked else { return Some(default) };
    // ssmpingd's rule: groups ending in .234 or ::4321:1234, so a reflector cannot be
    // pointed at any group in the range; and those the operator named.
    let customary = match g {
        IpAddr::V4(v4) => v4.octets()[3] == 234,
        IpAddr::V6(v6) => v6.segments()[6..] == [0x4321, 0x1234],
    };
    let ok =
        g.is_multicast() && g.is_ipv4() == client.is_ipv4() && (customary || extra.contains(&g));
    ok.then_some(g)
}

fn bad_source(ip: IpAddr, own: &[IpAddr]) -> bool {
    let broadcast = matches!(ip, IpAddr::V4(v4) if v4.is_broadcast() || v4.octets()[3] == 255);
    ip.is_multicast() || ip.is_unspecified() || broadcast || own.contains(&ip)
}

pub fn run(args: ReflectArgs) -> Result<Exit> {
    let mut socks = Vec::new();
    for mode in [IpMode::V4, IpMode::V6] {
        let mut sock = McastSocket::new(mode, false)?;
        sock.set_send_options(None, Some(false), Some(REPLY_TTL), None)?;
        sock.bind(None, &Service::Port(args.port))?;
        sock.socket().set_nonblocking(true)?;
        socks.push(sock);
    }
    let own: Vec<IpAddr> = mcast::iface::interfaces()?
        .iter()
        .flat_map(|i| i.addresses.iter().map(|a| a.ip))
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
                let Some(answer) = answer(request, client, &mut sessions, &args.groups) else {
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
                let reply = answer.unicast;
                let back = SocketAddr::new(client, r.source.port());
                match sock.socket().send_to(&reply, &back.into()) {
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
                // Out of the interface the request came in on.
                let mut to = ScopedAddr::from(group);
                if group.is_ipv6() {
                    to.zone = r.ifindex.map(Zone::Index);
                } else if let Some(i) = r.ifindex {
                    let _ = sock.set_send_options(Some(&IfaceSpec::Index(i)), None, None, None);
                }
                match sock.send_to(&multicast, &to, &Service::Port(r.source.port())) {
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
            "refused: {} over the rate, {} malformed, {} from bad sources, {} for groups not served, {} RFC 6450 requests outside a session; {} send errors",
            counts.refused_rate,
            counts.refused_malformed,
            counts.refused_source,
            counts.refused_group,
            counts.refused_session,
            counts.send_errors
        )?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_customary_or_named_groups_get_a_multicast_reply() {
        let v4: IpAddr = "192.0.2.2".parse().unwrap();
        let v6: IpAddr = "2001:db8::2".parse().unwrap();
        let g = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(reply_group(None, v4, &[]), g("232.43.211.234"));
        assert_eq!(reply_group(None, v6, &[]), g("ff3e::4321:1234"));
        assert_eq!(reply_group(g("239.1.1.234"), v4, &[]), g("239.1.1.234"));
        assert_eq!(reply_group(g("239.1.1.1"), v4, &[]), None);
        assert_eq!(
            reply_group(g("239.1.1.1"), v4, &[g("239.1.1.1").unwrap()]),
            g("239.1.1.1")
        );
        assert_eq!(
            reply_group(g("ff3e::9:4321:1234"), v6, &[]),
            g("ff3e::9:4321:1234")
        );
        assert_eq!(reply_group(g("ff3e::4321:1234"), v4, &[]), None, "family");
        assert_eq!(reply_group(g("10.0.0.234"), v4, &[]), None, "not a group");
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(20.0, t0);
        let burst = (0..100).filter(|_| b.take(10.0, 20.0, t0)).count();
        assert_eq!(burst, 20);
        assert!(b.take(10.0, 20.0, t0 + Duration::from_millis(100)));
        assert!(!b.take(10.0, 20.0, t0 + Duration::from_millis(100)));
    }

    #[test]
    fn spoofable_sources_are_refused() {
        let own: Vec<IpAddr> = vec!["192.0.2.1".parse().unwrap()];
        for s in [
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.255",
            "192.0.2.1",
            "ff02::1",
            "::",
        ] {
            assert!(bad_source(s.parse().unwrap(), &own), "{s}");
        }
        assert!(!bad_source("192.0.2.2".parse().unwrap(), &own));
    }
}
