//! `mcast ping`: ask reflectors (ssmpingd, routers' reflectors) for a unicast and a multicast
//! reply to each request, and say whether multicast from them reaches this host.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use clap::Args;

use mcast::wire::{DEFAULT_GROUP_V4, DEFAULT_GROUP_V6, PORT};
use mcast::{IpMode, McastSocket, Service};

use crate::cli::asking::Asking;
use crate::cli::exit::Exit;
use crate::cli::output::events::{self, now_ns};
use crate::cli::output::{Stdout, going_on};
use crate::cli::parse;
use crate::cli::signals::stop;
use mcast::lanes::{Lanes, wait_any};
use mcast::ping::{Proto, read_reply, request_for};
use mcast::ping::{SendTimes, ServerStats, TxStamps, Verdict};

mod print;
use print::{PingEvent, ServerJson, interval, write_summary};

#[derive(Args, Debug)]
pub struct PingArgs {
    /// Reflectors to ask (ssmpingd, mcast reflect): their unicast addresses
    #[arg(value_name = "SERVER", value_hint = clap::ValueHint::Other, required = true, value_parser = parse::address)]
    servers: Vec<IpAddr>,
    #[command(flatten)]
    asking: Asking,
    /// The protocol to speak: ssmping (ssmpingd, routers) or rfc6450 (omping, mcast reflect)
    #[arg(long, value_name = "PROTOCOL", value_enum, default_value = "ssmping")]
    protocol: Protocol,
    /// How long to wait for replies after the last request (-W as ping has it)
    #[arg(short, short_alias = 'W', long, value_name = "DURATION", default_value = "2s", value_parser = parse::duration)]
    timeout: Duration,
    /// Print each server's figures so far every DURATION (as Ctrl-\\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

/// What `--protocol` names: the library's protocols, as the command line spells them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Protocol {
    /// The ssmping protocol: ssmpingd, routers' reflectors.
    Ssmping,
    /// The Multicast Ping Protocol, which omping speaks (`omping` is accepted for it).
    #[value(alias = "omping")]
    Rfc6450,
}

impl From<Protocol> for Proto {
    fn from(p: Protocol) -> Proto {
        match p {
            Protocol::Ssmping => Proto::Ssmping,
            Protocol::Rfc6450 => Proto::Rfc6450,
        }
    }
}

/// The sockets of one family: joined to the group from its servers, as many to a socket as
/// the kernel allows (each socket has a port of its own, so replies come back to it).
pub struct Family {
    pub lanes: Lanes<anyhow::Error>,
    group: IpAddr,
}

/// A socket for pinging: an ephemeral port, not blocking.
fn lane(server: IpAddr) -> Result<McastSocket> {
    let sock = McastSocket::new(IpMode::for_addr(server), false)?;
    sock.bind(None, &Service::Port(0))?;
    sock.socket().set_nonblocking(true)?;
    Ok(sock)
}

/// The families, and for each server the index of the socket it is pinged from.
fn open(args: &PingArgs) -> Result<(HashMap<bool, Family>, Vec<usize>)> {
    let mut families: HashMap<bool, Family> = HashMap::new();
    let mut lane_of = Vec::with_capacity(args.servers.len());
    for server in &args.servers {
        if server.is_multicast() || server.is_unspecified() {
            bail!("{server}: a server is the unicast address of a reflector, not a group");
        }
        let v4 = server.is_ipv4();
        if let std::collections::hash_map::Entry::Vacant(slot) = families.entry(v4) {
            let group = match &args.asking.group {
                Some(g) if g.ip.is_ipv4() == v4 => g.ip,
                Some(g) => bail!(
                    "--group {g} is not of the family of server {server}; ping servers of one family, or leave --group out"
                ),
                None if v4 => IpAddr::V4(DEFAULT_GROUP_V4),
                None => IpAddr::V6(DEFAULT_GROUP_V6),
            };
            let mut first = lane(*server)?;
            if args.asking.any_source {
                let scoped = args.asking.group.clone().unwrap_or_else(|| group.into());
                first.join(&scoped, args.asking.interface.as_ref(), None)?;
            }
            let server = *server;
            let lanes = Lanes::new(first, move || lane(server));
            slot.insert(Family { lanes, group });
        }
        let f = families.get_mut(&v4).expect("made above");
        if args.asking.any_source {
            lane_of.push(0);
        } else {
            let scoped = args.asking.group.clone().unwrap_or_else(|| f.group.into());
            lane_of.push(
                f.lanes
                    .join(&scoped, args.asking.interface.as_ref(), *server)?,
            );
        }
    }
    Ok((families, lane_of))
}

pub fn run(args: PingArgs) -> Result<Exit> {
    let (mut families, lane_of) = open(&args)?;
    warn_of_group(&args);
    // Transmit stamps on every socket, or on none (where the OS has none, the time read
    // before each send stands).
    let on: Vec<bool> = families
        .values()
        .flat_map(|f| f.lanes.socks.iter())
        .map(|s| s.enable_tx_timestamps().unwrap_or(false))
        .collect();
    let mut stamps = TxStamps::default();
    stamps.enabled = on.iter().all(|o| *o);
    let index: HashMap<IpAddr, usize> = args
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i))
        .collect();
    stop::install()?;
    // A client id of its own for each server (and, RFC 6450, for each session): a server we
    // ping learns only its own, and cannot answer for another in that one's name.
    let ids_from = RandomState::new();
    let fresh_id = |i: usize| ids_from.hash_one((std::process::id(), i, now_ns())) as u32;
    let mut ids: Vec<u32> = (0..args.servers.len()).map(fresh_id).collect();
    let mut stats: Vec<ServerStats> = args
        .servers
        .iter()
        .map(|_| ServerStats::default())
        .collect();
    // RFC 6450: the session each server gave us, None until its response to our init.
    let mut sessions: Vec<Option<Vec<u8>>> = vec![None; args.servers.len()];
    // RFC 6450: inits each server was sent; one that answers none of `count` is given up.
    let mut inits: Vec<u32> = vec![0; args.servers.len()];
    // Our own send times, by server and sequence number: exact, where the echoed one is to
    // the µs.
    let mut sent_at = SendTimes::new(args.servers.len());
    let mut out = Stdout::new();
    let n = args.servers.len();
    // Each round sends one request to every server, spread evenly over the interval: a
    // thousand servers get a thousand small sends, not one burst that overflows buffers.
    let mut round = Instant::now();
    let mut cursor = n;
    let mut next = round;
    let mut opened: Vec<usize> = Vec::new();
    let mut last_sent = round;
    let mut buf = [0u8; 2048];
    let mut next_report = args.report.map(|r| round + r);
    let mut last = (
        vec![mcast::ping::Counts::default(); n],
        std::time::SystemTime::now(),
    );
    'run: while !stop::requested() {
        let report_due = next_report.is_some_and(|r| Instant::now() >= r);
        if report_due || stop::report_requested() {
            if let (true, Some(r)) = (report_due, args.report) {
                next_report = Some(Instant::now() + r);
            }
            let now = std::time::SystemTime::now();
            for (i, server) in args.servers.iter().enumerate() {
                let group = families[&server.is_ipv4()].group;
                let summary = stats[i].summary(server.to_string());
                let told = interval(
                    &mut out,
                    args.json,
                    (&summary, stats[i].verdict(), group),
                    &mut last.0[i],
                    (last.1, now),
                );
                if !going_on(told)? {
                    break 'run;
                }
            }
            last.1 = now;
        }
        let now = Instant::now();
        let more = (0..n).any(|i| wants(args.asking.count, &stats[i], inits[i], &sessions[i]));
        if cursor == n && !more && now >= last_sent + args.timeout {
            break;
        }
        if cursor == n && more && now >= next {
            round = next;
            cursor = 0;
            next += args.asking.interval;
        }
        let due = |k: usize| round + args.asking.interval.mul_f64(k as f64 / n as f64);
        // A server whose session just opened (RFC 6450) gets its first request at once,
        // then the others in its place in the rounds.
        let mut turn = std::mem::take(&mut opened);
        while cursor < n && now >= due(cursor) {
            turn.push(cursor);
            cursor += 1;
        }
        for i in turn {
            if !wants(args.asking.count, &stats[i], inits[i], &sessions[i]) {
                continue;
            }
            // Each server's requests are numbered from 1; an init takes no number.
            let seq = stats[i].last_seq + 1;
            let server = args.servers[i];
            let f = &families[&server.is_ipv4()];
            // ssmping names a group only when it is not the reflector's default; RFC 6450
            // always names the one joined.
            let group = match Proto::from(args.protocol) {
                Proto::Ssmping => args.asking.group.as_ref().map(|g| g.ip),
                Proto::Rfc6450 => Some(f.group),
            };
            let ns = now_ns();
            let (bytes, is_request) = request_for(
                args.protocol.into(),
                ids[i],
                seq,
                ns,
                group,
                sessions[i].as_deref(),
            );
            let to = SocketAddr::new(server, PORT);
            let sock = &f.lanes.socks[lane_of[i]];
            let lane = (server.is_ipv4(), lane_of[i]);
            match sock.socket().send_to(&bytes, &to.into()) {
                Ok(_) => stamps.sent(lane, is_request.then_some((i, seq, ns))),
                Err(e) => crate::cli::exit::warn(format_args!(
                    "send a request to {server}: {}",
                    mcast::error::os_message(&e)
                )),
            }
            if is_request {
                stats[i].sent += 1;
                stats[i].last_seq = seq;
                sent_at.sent(i, seq, ns);
            } else {
                inits[i] += 1;
            }
            // The kernel's stamp of when it left, read at once: before its reply can come.
            for (v4, f) in &families {
                stamps.read(*v4, &f.lanes.socks, &mut sent_at);
            }
            last_sent = now;
        }
        let wake = if cursor < n {
            due(cursor)
        } else if more {
            next
        } else {
            last_sent + args.timeout
        };
        // A report due before then wakes the loop for it.
        let wake = next_report.map_or(wake, |r| wake.min(r));
        let socks = families.values().flat_map(|f| f.lanes.socks.iter());
        wait_any(socks, wake.saturating_duration_since(Instant::now()));
        for (v4, f) in &families {
            stamps.read(*v4, &f.lanes.socks, &mut sent_at);
        }
        for sock in families.values_mut().flat_map(|f| f.lanes.socks.iter_mut()) {
            while let Ok(r) = sock.recv_from(&mut buf) {
                let Some(&i) = index.get(&r.source.ip()) else {
                    continue;
                };
                let had_session = sessions[i].is_some();
                let Some(reply) = read_reply(&buf[..r.len], ids[i], r.ttl, &mut sessions[i]) else {
                    if !had_session && sessions[i].is_some() && stats[i].sent == 0 {
                        opened.push(i);
                    }
                    if had_session && sessions[i].is_none() {
                        // Told to stop: the next session gets a client id of its own (an
                        // init answered late still finds the id it was sent with).
                        ids[i] = fresh_id(i);
                    }
                    continue;
                };
                let rseq = reply.seq;
                let s = &mut stats[i];
                // Only a reply to a request we sent counts: none was numbered 0 or above the
                // last, and one older than the duplicate window cannot be told from a replay.
                if !s.solicited(rseq) {
                    continue;
                }
                let arrival = r.timestamp_ns.unwrap_or_else(now_ns);
                // The round trip from our own send time only: an echoed time is the
                // server's word, and a hostile one can say anything.
                let rtt = sent_at
                    .get(i, rseq)
                    .map(|sent| arrival.saturating_sub(sent));
                let multicast = r.destination.is_some_and(|d| d.is_multicast());
                let h = reply.hops;
                let fresh = if multicast {
                    if s.first_multicast_ms.is_none() {
                        let first = sent_at.first(i).unwrap_or(arrival);
                        s.first_multicast_ms = Some(arrival.saturating_sub(first) as f64 / 1e6);
                    }
                    s.multicast.record(rseq, rtt, h)
                } else {
                    s.unicast.record(rseq, rtt, h)
                };
                let path = if multicast { "multicast" } else { "unicast" };
                let line = if args.json {
                    out.json_line(&PingEvent::Reply {
                        command: "ping",
                        time: events::timestamp(UNIX_EPOCH + Duration::from_nanos(arrival)),
                        server: r.source.ip().to_string(),
                        path,
                        seq: rseq,
                        size: r.len,
                        rtt_ms: rtt.map(|r| (r as f64 / 1e3).round() / 1e3),
                        hops: h,
                        duplicate: !fresh,
                    })
                } else {
                    out.text_line(|l| {
                        write!(
                            l,
                            "{path:>9} from {}: seq {rseq} size {}",
                            r.source.ip(),
                            r.len,
                        )?;
                        match rtt {
                            Some(rtt) => write!(l, " time {:.3} ms", rtt as f64 / 1e6)?,
                            None => write!(l, " time unknown (its send time is forgotten)")?,
                        }
                        if let Some(h) = h {
                            write!(l, " hops {h}")?;
                        }
                        writeln!(l, "{}", if fresh { "" } else { " (duplicate)" })
                    })
                };
                if !going_on(line)? {
                    break 'run;
                }
            }
        }
        if !going_on(out.flush())? {
            break;
        }
    }
    // Unicast only (multicast broken) outweighs no reply (host down): 1, else 3, else 0.
    let verdicts: Vec<Verdict> = stats.iter().map(ServerStats::verdict).collect();
    let (exit, overall) = if verdicts.contains(&Verdict::UnicastOnly) {
        (Exit::Problem, Verdict::UnicastOnly)
    } else if verdicts.contains(&Verdict::NoReply) {
        (Exit::NoReply, Verdict::NoReply)
    } else {
        (Exit::Success, Verdict::MulticastWorks)
    };
    let summaries: Vec<_> = args
        .servers
        .iter()
        .zip(&stats)
        .map(|(server, s)| (s.summary(server.to_string()), s.verdict(), server))
        .collect();
    if args.json {
        out.json_line(&PingEvent::Summary {
            command: "ping",
            version: env!("CARGO_PKG_VERSION"),
            time: events::timestamp(SystemTime::now()),
            verdict: overall.key(),
            servers: summaries
                .iter()
                .map(|(summary, _, server)| ServerJson {
                    group: families[&server.is_ipv4()].group.to_string(),
                    server: summary,
                })
                .collect(),
        })?;
    } else {
        for (summary, verdict, server) in &summaries {
            write_summary(
                &mut out,
                summary,
                *verdict,
                families[&server.is_ipv4()].group,
            )?;
        }
    }
    out.flush()?;
    Ok(exit)
}

/// Whether a server is owed more: requests up to `count`; and before a session (RFC 6450)
/// inits, up to `count` (at least 3) unanswered, so a server that never opens one cannot
/// keep `ping -c` running.
fn wants(count: Option<u32>, s: &ServerStats, inits: u32, session: &Option<Vec<u8>>) -> bool {
    count.is_none_or(|c| s.sent < u64::from(c) && (session.is_some() || inits < c.max(3)))
}

/// Warns, before anything is sent, of a group a standard reflector will not serve.
fn warn_of_group(args: &PingArgs) {
    if let Some(g) = &args.asking.group
        && !mcast::wire::customary_group(g.ip)
    {
        crate::cli::exit::warn(format_args!(
            "--group {}: ssmpingd, and mcast reflect started without --group {}, answer on \
             multicast only for groups ending in .234 (IPv4) or ::4321:1234 (IPv6); unless the \
             reflector was told to serve it, expect \"unicast only\"",
            g.ip, g.ip
        ));
    }
}
