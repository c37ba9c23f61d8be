//! `mcast mesh`: the same command on every host of a list; each answers the others and pings
//! them all over RFC 6450 (so omping hosts can take part), then tells, for every other host,
//! whether its multicast reached this one.

mod interval;
mod table;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use clap::Args;
use serde::Serialize;

use mcast::wire::{DEFAULT_GROUP_V4, DEFAULT_GROUP_V6, PORT};
use mcast::{IfaceSpec, IpMode, McastSocket, RecvBatch, Service};

use crate::cli::asking::{Asking, reword};
use crate::cli::exit::Exit;
use crate::cli::output::events::{self, now_ns};
use crate::cli::output::{Stdout, going_on};
use crate::cli::parse;
use crate::cli::signals::stop;
use mcast::lanes::{Lanes, wait_any};
use mcast::mesh::MeshPeer;
use mcast::ping::{PathSummary, Verdict};
use mcast::ping::{Proto, read_reply, request_for};
use mcast::reflect::{Limits, REPLY_TTL, SESSION_IDLE, SESSION_LEN, Sessions, answer, reply_group};
use mcast::reflect::{Path, ReplyBatch, ReplyOut};
use mcast::wire::columns::{ACK, Row, decode, encode, is_ack, is_share};

#[derive(Args, Debug)]
#[command(mut_args(reword(&[
    ("count", "Requests to send to each other host (default: until Ctrl-C)"),
    ("group", "Group the replies go to (default 232.43.211.234 or ff3e::4321:1234)"),
    ("any_source", "Join the group from any source, not from each host of the list only"),
    ("interface", "Interface to join on and send replies out of: name, index or address"),
])))]
pub struct MeshArgs {
    /// Every host of the mesh, this one included: the same list on each (as omping takes it)
    #[arg(value_name = "HOST", value_hint = clap::ValueHint::Other, required = true, num_args = 2.., value_parser = parse::address)]
    hosts: Vec<IpAddr>,
    #[command(flatten)]
    asking: Asking,
    /// UDP port every host of the mesh uses
    #[arg(long, value_name = "PORT", default_value_t = PORT)]
    port: u16,
    /// How long a host may take to answer at all (it may start later) before it is given up
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse::duration)]
    wait: Duration,
    /// How long to wait for replies after the last request
    #[arg(short, long, value_name = "DURATION", default_value = "2s", value_parser = parse::duration)]
    timeout: Duration,
    /// Print this host's figures of each other host so far every DURATION (as Ctrl-\\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

/// What JSON Lines `mesh` prints.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum MeshEvent<'a> {
    /// A turn in another host's part: it `answered`, its `multicast` arrived, it `asked`
    /// (began pinging this host), or it was `given_up`.
    Peer {
        command: &'static str,
        time: String,
        peer: String,
        event: &'static str,
    },
    /// The end of the run: the matrix, each pair's figures inside it.
    Summary {
        command: &'static str,
        /// mcast's version.
        version: &'static str,
        time: String,
        host: String,
        hosts: Vec<String>,
        complete: bool,
        /// Columns not believed (forged, or from another run).
        refused_columns: u64,
        multicast_works: usize,
        unicast_only: usize,
        no_reply: usize,
        /// What the matrix shows of each host, and why a column is unknown.
        conclusions: Vec<String>,
        /// Every (sender, receiver) pair known.
        pairs: Vec<PairJson<'a>>,
    },
}

/// What one host's replies did on the way to another, in the summary.
#[derive(Serialize)]
struct PairJson<'a> {
    from: String,
    to: String,
    unicast: &'a PathSummary,
    multicast: &'a PathSummary,
    first_multicast_ms: Option<f64>,
    verdict: &'static str,
}

/// The validated list: this host's address, the others, and the group.
struct Plan {
    local: IpAddr,
    others: Vec<IpAddr>,
    group: IpAddr,
}

fn plan(args: &MeshArgs, own: &[IpAddr]) -> Result<Plan> {
    let first = args.hosts[0];
    for (i, h) in args.hosts.iter().enumerate() {
        if h.is_multicast() || h.is_unspecified() {
            bail!("{h}: a host is the unicast address of a mesh member, not a group");
        }
        if h.is_ipv4() != first.is_ipv4() {
            bail!("{h} is not of the family of {first}: run one mesh for IPv4 and one for IPv6");
        }
        if args.hosts[..i].contains(h) {
            bail!("{h} is listed twice: list each host once");
        }
    }
    let locals: Vec<IpAddr> = args
        .hosts
        .iter()
        .copied()
        .filter(|h| own.contains(h))
        .collect();
    let local = match locals[..] {
        [one] => one,
        [] => bail!(
            "none of the hosts is an address of this host: list this host's own address too, \
             the same list on every host"
        ),
        [a, b, ..] => bail!("{a} and {b} are both addresses of this host: list it once"),
    };
    let group = match &args.asking.group {
        Some(g) if g.ip.is_ipv4() == first.is_ipv4() => g.ip,
        Some(g) => bail!("--group {g} is not of the family of the hosts"),
        None if first.is_ipv4() => IpAddr::V4(DEFAULT_GROUP_V4),
        None => IpAddr::V6(DEFAULT_GROUP_V6),
    };
    let others = args.hosts.iter().copied().filter(|h| *h != local).collect();
    Ok(Plan {
        local,
        others,
        group,
    })
}

/// The sockets of the mesh. The first is bound to the port: every host talks to it, and
/// replies leave from it. It joins the group from each other host (or from any), replies
/// leave with TTL 64 and are not looped back to us. Past the sources one socket may hold,
/// more sockets bound to the group and port take the joins (the kernel hands each datagram
/// for the group to the socket whose filter lets its source in).
fn open(args: &MeshArgs, plan: &Plan) -> Result<Lanes<anyhow::Error>> {
    let mode = IpMode::for_addr(plan.local);
    let mut sock = McastSocket::new(mode, false)?;
    sock.set_send_options(
        args.asking.interface.as_ref(),
        Some(false),
        Some(REPLY_TTL),
        None,
    )?;
    sock.socket().set_reuse_address(true)?;
    sock.bind(None, &Service::Port(args.port))?;
    sock.socket().set_nonblocking(true)?;
    let scoped = args
        .asking
        .group
        .clone()
        .unwrap_or_else(|| plan.group.into());
    let (group, port) = (scoped.clone(), args.port);
    let mut lanes = Lanes::new(sock, move || {
        let lane = McastSocket::new(mode, true)?;
        lane.socket().set_reuse_address(true)?;
        lane.bind(Some(&IfaceSpec::Addr(group.clone())), &Service::Port(port))?;
        lane.socket().set_nonblocking(true)?;
        Ok(lane)
    });
    if args.asking.any_source {
        lanes.socks[0].join(&scoped, args.asking.interface.as_ref(), None)?;
    } else {
        for h in &plan.others {
            lanes.join(&scoped, args.asking.interface.as_ref(), *h)?;
        }
    }
    Ok(lanes)
}

pub fn run(args: MeshArgs) -> Result<Exit> {
    let own: Vec<IpAddr> = mcast::iface::interfaces()?
        .iter()
        .flat_map(|i| i.addresses.iter().map(|a| a.ip))
        .collect();
    let plan = plan(&args, &own)?;
    let mut lanes = open(&args, &plan)?;
    stop::install()?;
    // A client id of its own for each other host: one member cannot answer in another's
    // name with the id it learnt from our requests to it.
    let ids = RandomState::new();
    let extra: Vec<IpAddr> = args.asking.group.iter().map(|g| g.ip).collect();
    let mut peers: Vec<MeshPeer> = plan
        .others
        .iter()
        .map(|h| {
            let mut p = MeshPeer::new(*h);
            p.client_id = ids.hash_one((std::process::id(), *h, now_ns())) as u32;
            p
        })
        .collect();
    // One session per member at a time, but keyed as a reflector's are (address, port, id).
    let mut sessions = Sessions::new(4 * args.hosts.len().max(1), SESSION_IDLE);
    // Members only are answered, and omping's inits are smaller than a response with a
    // session: larger init responses are allowed here.
    let limits = Limits {
        extra: &extra,
        max_reply: 0,
        larger_init: true,
    };
    // Replies to what one wake-up found go together (sendmmsg), as mcast reflect's do.
    let mut reply_out = [ReplyOut::default(), ReplyOut::default()];
    let mut replies = ReplyBatch::new(2048);
    let mut reply = Vec::with_capacity(2048);
    let mut out = Stdout::new();
    if !args.json {
        writeln!(
            out,
            "mesh of {} hosts as {}, group {} port {}: pinging {} every {}",
            args.hosts.len(),
            plan.local,
            plan.group,
            args.port,
            if peers.len() == 1 {
                "1 other".to_string()
            } else {
                format!("{} others", peers.len())
            },
            humantime::format_duration(args.asking.interval)
        )?;
        out.flush()?;
    }
    let quiet = (args.asking.interval * 3).max(args.timeout);
    let started = Instant::now();
    let mut next = started;
    let mut last_request = started;
    let mut finished_at: Option<Instant> = None;
    // The matrix: the columns other mcast hosts shared, the hosts known to be mcast (their
    // server information says so), and the sharing of this host's own column.
    let mut columns: HashMap<IpAddr, Vec<Row>> = HashMap::new();
    // Columns not believed: without the session this host gave the sharer, or impossible.
    let mut refused_columns: u64 = 0;
    let mut mcast_peers: HashSet<IpAddr> = HashSet::new();
    let (mut shares, mut next_share) = (0u32, started);
    // The mcast hosts that said they have this host's column.
    let mut acked: HashSet<IpAddr> = HashSet::new();
    let mut settled_at: Option<Instant> = None;
    // Requests read 8 a call, each slot room for any datagram: a shared column grows with
    // the mesh (about 190 bytes a host).
    let mut batch = RecvBatch::new(8, 65_536);
    let mut next_report = args.report.map(|r| started + r);
    let mut last = (
        vec![mcast::ping::Counts::default(); peers.len()],
        SystemTime::now(),
    );
    'run: while !stop::requested() {
        let report_due = next_report.is_some_and(|r| Instant::now() >= r);
        if report_due || stop::report_requested() {
            if let (true, Some(r)) = (report_due, args.report) {
                next_report = Some(Instant::now() + r);
            }
            let now = SystemTime::now();
            let told = interval::interval(
                &mut out,
                args.json,
                plan.local,
                &peers,
                &mut last.0,
                (last.1, now),
            );
            if !going_on(told)? {
                break 'run;
            }
            last.1 = now;
        }
        let now = Instant::now();
        let waited_out = now >= started + args.wait;
        for p in peers.iter_mut() {
            if !p.given_up && p.session.is_none() && !p.wants(args.asking.count, waited_out) {
                p.given_up = true;
                if !going_on(tell(&mut out, args.json, p.addr, "given_up"))? {
                    break 'run;
                }
            }
        }
        let pinging = peers.iter().any(|p| p.wants(args.asking.count, waited_out));
        if !pinging {
            let since = *finished_at.get_or_insert(now);
            // Every reply in (both paths of each host's last request) ends the wait early.
            let replies_in = now >= last_request + args.timeout || peers.iter().all(|p| p.all_in());
            let others_done = peers
                .iter()
                .all(|p| p.done_asking(args.asking.count, now, quiet, since));
            // Sent as soon as this host has its figures, then every 300 ms to each mcast host
            // that has not said it has it (to the others three times: omping never will).
            let unacked = mcast_peers.iter().any(|p| !acked.contains(p));
            if replies_in && (shares < 3 || unacked) && now >= next_share {
                let rows = own_column(&peers);
                let column = encode(&[0; SESSION_LEN], &rows);
                if column.len() > 65_000 && shares == 0 {
                    crate::cli::exit::warn(format_args!(
                        "this host's column ({} bytes for {} hosts) does not fit a datagram: the others will not see it",
                        column.len(),
                        peers.len()
                    ));
                }
                for p in peers.iter().filter(|p| !acked.contains(&p.addr)) {
                    if shares >= 3 && !mcast_peers.contains(&p.addr) {
                        continue;
                    }
                    // Each host gets the column with the session it gave this one: proof
                    // that the column comes from a host it ran a session with. A host that
                    // never gave one gets none.
                    let Some(token) = &p.session else { continue };
                    let column = encode(token, &rows);
                    let to = SocketAddr::new(p.addr, args.port);
                    let _ = lanes.socks[0].socket().send_to(&column, &to.into());
                }
                shares += 1;
                next_share = now + Duration::from_millis(300);
            }
            // Answer the others until they are done, then wait a little for their columns,
            // but not for ever.
            // Answer the others until they are done, and stay until every mcast host has this
            // host's column and this host theirs: a host whose replies are late shares late.
            if replies_in && others_done {
                let settled = *settled_at.get_or_insert(now);
                let columns_in = mcast_peers.iter().all(|p| columns.contains_key(p));
                let shared = shares > 0 && !unacked;
                if (columns_in && shared)
                    || now >= settled + args.timeout * 2 + args.asking.interval
                {
                    break;
                }
            }
            if now >= since + args.wait.max(quiet) + args.timeout * 3 + args.asking.interval {
                break;
            }
        }
        if pinging && now >= next {
            for p in peers
                .iter_mut()
                .filter(|p| p.wants(args.asking.count, waited_out))
            {
                ask(&lanes.socks[0], p, plan.group, args.port);
            }
            last_request = now;
            next += args.asking.interval;
            continue;
        }
        let wake = if pinging {
            next
        } else {
            now + Duration::from_millis(100)
        };
        // A report due before then wakes the loop for it.
        let wake = next_report.map_or(wake, |r| wake.min(r));
        wait_any(
            lanes.socks.iter(),
            wake.saturating_duration_since(Instant::now()),
        );
        for lane in 0..lanes.socks.len() {
            while lanes.socks[lane]
                .recv_batch(&mut batch)
                .is_ok_and(|n| n > 0)
            {
                for (r, data) in batch.iter() {
                    let from = r.source.ip();
                    let Some(p) = peers.iter_mut().find(|p| p.addr == from) else {
                        continue; // not of the mesh: answered by no one
                    };
                    if r.truncated {
                        continue;
                    }
                    if is_share(data) {
                        // Believed only with the session this host gave the sharer, from the port it
                        // asks from, and only from a host whose own replies reached us.
                        let believed = decode(data).filter(|(token, _)| {
                            let key = <[u8; SESSION_LEN]>::try_from(&token[..])
                                .ok()
                                .map(|id| (from, r.source.port(), id));
                            let answered = p.session.is_some();
                            answered
                                && key
                                    .is_some_and(|k| sessions.get_mut(&k, Instant::now()).is_some())
                        });
                        match believed {
                            Some((_, rows)) => {
                                columns.insert(from, rows);
                                mcast_peers.insert(from);
                                let to = SocketAddr::new(from, args.port);
                                let _ = lanes.socks[0].socket().send_to(ACK, &to.into());
                            }
                            None => refused_columns += 1,
                        }
                        continue;
                    }
                    if is_ack(data) {
                        acked.insert(from);
                        continue;
                    }
                    if mcast_server(data) {
                        mcast_peers.insert(from);
                    }
                    if let Some(ans) = answer(
                        data,
                        r.source,
                        &mut sessions,
                        &limits,
                        Instant::now(),
                        &mut reply,
                    ) {
                        if let Some(key) = ans.open {
                            sessions.insert(key, (), Instant::now());
                        }
                        let first = p.asked(ans.seq, Instant::now());
                        let (local, ifindex) = (r.destination, r.ifindex);
                        if replies.len() + 2 > ReplyBatch::CAPACITY {
                            replies.flush(&mut lanes.socks[0], &mut reply_out);
                        }
                        let sock = &mut lanes.socks[0];
                        for (bytes, to, path) in [
                            (Some(&reply), Some(r.source), Path::Unicast),
                            (
                                ans.multicast.then_some(&reply),
                                reply_group(ans.group, from, &extra)
                                    .map(|g| SocketAddr::new(g, r.source.port())),
                                Path::Multicast,
                            ),
                        ] {
                            let (Some(bytes), Some(to)) = (bytes, to) else {
                                continue;
                            };
                            if !replies.push(bytes, to, local, ifindex, path) {
                                // Larger than a slot: alone.
                                let _ = reply_out[usize::from(to.is_ipv6())]
                                    .send(sock, bytes, to, local, ifindex);
                            }
                        }
                        if first && !going_on(tell(&mut out, args.json, from, "asked"))? {
                            break 'run;
                        }
                        continue;
                    }
                    let had_session = p.session.is_some();
                    let reply = read_reply(data, p.client_id, r.ttl, &mut p.session);
                    let mut turn = (!had_session && p.session.is_some()).then_some("answered");
                    if turn.is_some() && p.wants(args.asking.count, false) {
                        // The first request goes at once, not a whole interval after the init.
                        ask(&lanes.socks[0], p, plan.group, args.port);
                        last_request = Instant::now();
                    }
                    if let Some(reply) = reply {
                        let arrival = r.timestamp_ns.unwrap_or_else(now_ns);
                        let multicast = r.destination.is_some_and(|d| d.is_multicast());
                        let (_, first_multicast) =
                            p.replied(reply.seq, reply.hops, multicast, arrival);
                        if first_multicast {
                            turn = Some("multicast");
                        }
                    }
                    if let Some(t) = turn
                        && !going_on(tell(&mut out, args.json, from, t))?
                    {
                        break 'run;
                    }
                }
            }
        }
        replies.flush(&mut lanes.socks[0], &mut reply_out);
    }
    // What a stop in the middle of a wake-up left waiting.
    replies.flush(&mut lanes.socks[0], &mut reply_out);
    let known = Known {
        columns: &columns,
        mcast_peers: &mcast_peers,
        refused_columns,
    };
    let exit = report(&mut out, &args, &plan, &peers, &known)?;
    out.flush()?;
    Ok(exit)
}

/// Whether a datagram is an RFC 6450 server response from an mcast host.
fn mcast_server(data: &[u8]) -> bool {
    use mcast::wire::rfc6450::{Kind, Message};
    Message::decode(data).is_ok_and(|m| {
        m.kind == Kind::Response && m.server_info.is_some_and(|i| i.starts_with("mcast "))
    })
}

/// This host's column: what reached it from each other host.
fn own_column(peers: &[MeshPeer]) -> Vec<Row> {
    peers
        .iter()
        .map(|p| {
            let s = p.stats.summary(p.addr.to_string());
            Row {
                from: p.addr,
                unicast: s.unicast,
                multicast: s.multicast,
                first_multicast_ms: s.first_multicast_ms,
            }
        })
        .collect()
}

/// Sends `p` its next request, or an init while it has given no session.
fn ask(sock: &McastSocket, p: &mut MeshPeer, group: IpAddr, port: u16) {
    let pid = p.client_id;
    let (seq, ns) = (p.next_seq(), now_ns());
    let (bytes, is_request) = request_for(
        Proto::Rfc6450,
        pid,
        seq,
        ns,
        Some(group),
        p.session.as_deref(),
    );
    let to = SocketAddr::new(p.addr, port);
    if let Err(e) = sock.socket().send_to(&bytes, &to.into()) {
        crate::cli::exit::warn(format_args!(
            "send to {}: {}",
            p.addr,
            mcast::error::os_message(&e)
        ));
    }
    if is_request {
        p.sent(seq, ns);
    } else {
        p.inits += 1;
    }
}

/// One line on a turn in another host's part.
fn tell(out: &mut Stdout, json: bool, peer: IpAddr, event: &'static str) -> std::io::Result<()> {
    if json {
        out.json_line(&MeshEvent::Peer {
            command: "mesh",
            time: events::timestamp(SystemTime::now()),
            peer: peer.to_string(),
            event,
        })?;
    } else {
        let what = match event {
            "answered" => "answered, pinging it",
            "multicast" => "its multicast arrives here",
            "asked" => "is pinging this host",
            _ => {
                "never answered, given up (is mcast mesh or omping running there, with this host in its list?)"
            }
        };
        writeln!(out, "{peer}: {what}")?;
    }
    out.flush()
}

/// The verdict of a pair from its counts.
fn verdict_of(r: &Row) -> Verdict {
    match (r.unicast.received, r.multicast.received) {
        (_, m) if m > 0 => Verdict::MulticastWorks,
        (u, _) if u > 0 => Verdict::UnicastOnly,
        _ => Verdict::NoReply,
    }
}

/// What the matrix says of each host: whose multicast reaches nobody, who hears no one, and
/// why a column is unknown.
fn conclusions(
    plan: &Plan,
    peers: &[MeshPeer],
    pairs: &[(IpAddr, Row)],
    columns: &HashMap<IpAddr, Vec<Row>>,
    mcast_peers: &HashSet<IpAddr>,
) -> Vec<String> {
    let mut out = Vec::new();
    let name = |h: IpAddr| {
        if h == plan.local {
            format!("this host ({h})")
        } else {
            h.to_string()
        }
    };
    let hosts = std::iter::once(plan.local).chain(plan.others.iter().copied());
    for h in hosts {
        let sent: Vec<&Row> = pairs
            .iter()
            .filter(|(_, r)| r.from == h)
            .map(|(_, r)| r)
            .collect();
        let heard: Vec<&Row> = pairs
            .iter()
            .filter(|(to, _)| *to == h)
            .map(|(_, r)| r)
            .collect();
        let works = |r: &&Row| verdict_of(r) == Verdict::MulticastWorks;
        if !sent.is_empty() && !sent.iter().any(works) {
            out.push(format!(
                "conclusion: {}'s multicast reaches none of the {} hosts that reported",
                name(h),
                sent.len()
            ));
        }
        if !heard.is_empty() && !heard.iter().any(works) {
            out.push(format!(
                "conclusion: {} hears multicast from no one",
                name(h)
            ));
        }
    }
    for p in peers {
        if columns.contains_key(&p.addr) {
            continue;
        }
        let why = if p.session.is_none() && p.given_up {
            "it never answered"
        } else if mcast_peers.contains(&p.addr) {
            "it is an mcast host, but its column never came (it ended first, or the datagrams were lost)"
        } else {
            "it shares none (omping, or an mcast host that never said so)"
        };
        out.push(format!("column of {} unknown (?): {why}", p.addr));
    }
    out
}

/// Every pair known: this host's column, then the columns the others shared, as (receiver,
/// row); rows about hosts not in the list are left out.
fn all_pairs(
    args: &MeshArgs,
    plan: &Plan,
    own: Vec<Row>,
    columns: &HashMap<IpAddr, Vec<Row>>,
) -> Vec<(IpAddr, Row)> {
    let mut pairs: Vec<(IpAddr, Row)> = own.into_iter().map(|r| (plan.local, r)).collect();
    for to in args.hosts.iter().filter(|h| **h != plan.local) {
        for r in columns.get(to).into_iter().flatten() {
            if r.from != *to && args.hosts.contains(&r.from) {
                pairs.push((*to, r.clone()));
            }
        }
    }
    pairs
}

/// What the others told: their columns, which hosts are mcast, and what was not believed.
struct Known<'a> {
    columns: &'a HashMap<IpAddr, Vec<Row>>,
    mcast_peers: &'a HashSet<IpAddr>,
    refused_columns: u64,
}

/// The pairs and the matrix, as JSON or text; the exit status.
/// This host's row of each other host: its replies so far, and their verdict.
fn rows(peers: &[MeshPeer]) -> Vec<(IpAddr, mcast::ping::ServerSummary, Verdict)> {
    peers
        .iter()
        .map(|p| {
            (
                p.addr,
                p.stats.summary(p.addr.to_string()),
                p.stats.verdict(),
            )
        })
        .collect()
}

fn report(
    out: &mut Stdout,
    args: &MeshArgs,
    plan: &Plan,
    peers: &[MeshPeer],
    known: &Known,
) -> Result<Exit> {
    let (columns, mcast_peers) = (known.columns, known.mcast_peers);
    let pairs = all_pairs(args, plan, own_column(peers), columns);
    let said = conclusions(plan, peers, &pairs, columns, mcast_peers);
    // A column an mcast host should have sent and did not leaves the matrix unjudged.
    let missing = mcast_peers.iter().any(|p| !columns.contains_key(p));
    let mut verdicts = [0usize; 3];
    for (_, r) in &pairs {
        verdicts[verdict_of(r) as usize] += 1;
    }
    let n = args.hosts.len();
    // Complete when every (sender, receiver) pair is known, each once.
    let distinct: HashSet<(IpAddr, IpAddr)> = pairs.iter().map(|(to, r)| (r.from, *to)).collect();
    let complete = distinct.len() == n * (n - 1);
    if args.json {
        out.json_line(&MeshEvent::Summary {
            command: "mesh",
            version: env!("CARGO_PKG_VERSION"),
            time: events::timestamp(SystemTime::now()),
            host: plan.local.to_string(),
            hosts: args.hosts.iter().map(|h| h.to_string()).collect(),
            complete,
            refused_columns: known.refused_columns,
            multicast_works: verdicts[Verdict::MulticastWorks as usize],
            unicast_only: verdicts[Verdict::UnicastOnly as usize],
            no_reply: verdicts[Verdict::NoReply as usize],
            conclusions: said.clone(),
            pairs: pairs
                .iter()
                .map(|(to, r)| PairJson {
                    from: r.from.to_string(),
                    to: to.to_string(),
                    unicast: &r.unicast,
                    multicast: &r.multicast,
                    first_multicast_ms: r.first_multicast_ms,
                    verdict: verdict_of(r).key(),
                })
                .collect(),
        })?;
    } else {
        table::write(out, plan.local, &rows(peers))?;
        table::matrix(out, &args.hosts, &pairs)?;
        for c in &said {
            writeln!(out, "{c}")?;
        }
        if known.refused_columns > 0 {
            writeln!(
                out,
                "{} refused: not from a host that ran a session with this one, or with figures no run produces (forged, or from another run)",
                crate::cli::output::events::count(known.refused_columns, "column")
            )?;
        }
    }
    let all_multicast = verdicts[Verdict::MulticastWorks as usize] == pairs.len();
    Ok(if all_multicast && !missing {
        Exit::Success
    } else if verdicts[Verdict::UnicastOnly as usize] > 0 || missing {
        Exit::Problem
    } else {
        Exit::NoReply
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: MeshArgs,
    }

    fn plan_of(line: &str) -> Result<Plan> {
        let args = T::try_parse_from(line.split(' ')).unwrap().a;
        plan(&args, &["192.0.2.1".parse().unwrap()])
    }

    #[test]
    fn the_list_names_this_host_once_and_one_family() {
        let p = plan_of("t 192.0.2.1 192.0.2.2 192.0.2.3").unwrap();
        assert_eq!(p.local.to_string(), "192.0.2.1");
        assert_eq!(p.others.len(), 2);
        assert_eq!(p.group.to_string(), "232.43.211.234");
        for (line, says) in [
            (
                "t 192.0.2.2 192.0.2.3",
                "none of the hosts is an address of this host",
            ),
            (
                "t 192.0.2.1 192.0.2.2 192.0.2.2",
                "192.0.2.2 is listed twice",
            ),
            (
                "t 192.0.2.1 2001:db8::2",
                "2001:db8::2 is not of the family",
            ),
            ("t 192.0.2.1 232.1.1.1", "232.1.1.1: a host is the unicast"),
            (
                "t 192.0.2.1 192.0.2.2 --group ff3e::1",
                "--group ff3e::1 is not",
            ),
        ] {
            let e = plan_of(line).err().expect(line).to_string();
            assert!(e.contains(says), "{line}: {e}");
        }
    }
}
