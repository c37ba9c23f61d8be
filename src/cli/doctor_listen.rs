//! The checks of `mcast doctor` that take part: `--listen` joins for a while and reports what
//! arrived, the kernel's counters over that time and whether a querier spoke; `--send` looks
//! at the sender's side (route, source address, TTL against the group's reach, MTU).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mcast::iface::Interface;
use mcast::wire::igmp::{self, Message};
use mcast::{IfaceSpec, IpMode, McastSocket, ScopedAddr, Service};

use super::doctor_checks::{Case, Check, Status};
use super::doctor_proc::all_counters;

/// The counters worth showing, with what a rise in each means.
const WATCHED: [(&str, &str); 7] = [
    ("IpExt:InMcastPkts", "multicast packets reached IP"),
    ("Udp:InDatagrams", "UDP datagrams delivered"),
    ("Udp:NoPorts", "UDP for a port no socket holds"),
    ("Udp:InErrors", "UDP errors"),
    ("Udp:RcvbufErrors", "UDP dropped for a full receive buffer"),
    (
        "TcpExt:IPReversePathFilter",
        "dropped by the reverse-path filter",
    ),
    ("Udp6:InDatagrams", "UDP over IPv6 delivered"),
];

/// IPv6's counters (/proc/net/snmp6: a name and a value a line), named as `all_counters`.
fn counters_now() -> std::collections::HashMap<String, u64> {
    let mut all = all_counters();
    if let Ok(text) = std::fs::read_to_string("/proc/net/snmp6") {
        for l in text.lines() {
            let mut f = l.split_whitespace();
            if let (Some(n), Some(v)) = (f.next(), f.next())
                && let (Some(rest), Ok(v)) = (n.strip_prefix("Udp6"), v.parse())
            {
                all.insert(format!("Udp6:{rest}"), v);
            }
        }
    }
    all
}

/// What the queriers of the link said while listening: None without CAP_NET_RAW.
fn hear_queriers(ifindex: u32, v4: bool, until: Instant) -> Result<Vec<String>, String> {
    let mut cap = mcast::capture::Capture::open(&[ifindex]).map_err(|e| e.to_string())?;
    let mut heard = Vec::new();
    let mut buf = vec![0u8; 65_536];
    while Instant::now() < until {
        let left = until.saturating_duration_since(Instant::now());
        let Ok(Some(frame)) = cap.recv(&mut buf, left.min(Duration::from_millis(200))) else {
            continue;
        };
        if frame.ifindex != ifindex {
            continue;
        }
        if let Ok(p) = igmp::parse(&buf[..frame.len])
            && let Message::Query(q) = p.message
            && p.source.is_ipv4() == v4
        {
            let proto = super::watch_state::protocol(v4, q.version);
            let who = format!("{} {proto}", p.source);
            if !heard.contains(&who) {
                heard.push(who);
            }
        }
    }
    Ok(heard)
}

/// Joins for `how_long`, counting what arrives; returns the listen check and the querier
/// check.
pub fn listen(case: &Case, how_long: Duration) -> Vec<Check> {
    let Some(port) = case.port else {
        return vec![Check::new(
            "listen",
            Status::Skipped,
            "no PORT to listen on",
        )];
    };
    let Some(iface) = case.join_interface() else {
        return vec![Check::new(
            "listen",
            Status::Skipped,
            "no interface to join on",
        )];
    };
    let v4 = case.group.is_ipv4();
    let until = Instant::now() + how_long;
    let index = iface.index;
    let querier = std::thread::spawn(move || hear_queriers(index, v4, until));
    let before = counters_now();
    let started = Instant::now();
    let arrived = receive(case, &iface, port, until);
    let after = counters_now();
    let heard = querier
        .join()
        .unwrap_or_else(|_| Err("the capture failed".into()));
    let moved: Vec<String> = WATCHED
        .iter()
        .filter_map(|(k, what)| {
            let d = after.get(*k)?.saturating_sub(*before.get(*k)?);
            (d > 0).then(|| format!("{k} +{d} ({what})"))
        })
        .collect();
    let counted = if moved.is_empty() {
        "no counter moved".to_string()
    } else {
        moved.join(", ")
    };
    let secs = how_long.as_secs_f64();
    let listen = match arrived {
        Err(e) => Check::new("listen", Status::Fail, format!("could not listen: {e}")),
        Ok((n, senders, first)) if n > 0 => {
            let list: Vec<String> = senders.iter().map(|(s, c)| format!("{s} ({c})")).collect();
            Check::new(
                "listen",
                Status::Ok,
                format!(
                    "{n} datagrams in {secs:.1} s from {}, the first {:.0} ms after joining; {counted}",
                    list.join(", "),
                    first
                        .unwrap_or(started)
                        .saturating_duration_since(started)
                        .as_secs_f64()
                        * 1000.0
                ),
            )
        }
        Ok(_) => {
            let rp = moved
                .iter()
                .any(|m| m.starts_with("TcpExt:IPReversePathFilter"));
            let reached = moved.iter().any(|m| m.starts_with("IpExt:InMcastPkts"));
            let fix = if rp {
                "the reverse-path filter dropped them: see the rp_filter check"
            } else if reached {
                "multicast reached the host but not this socket: see the port and firewall checks"
            } else {
                "nothing reached this host: check the sender (mcast doctor GROUP PORT --send there), a querier on the link (mcast watch), and the routers between"
            };
            Check::new(
                "listen",
                Status::Fail,
                format!(
                    "nothing arrived on {} port {port} in {secs:.1} s; {counted}",
                    iface.name
                ),
            )
            .fix(fix)
        }
    };
    let querier = match heard {
        Err(e) => Check::new(
            "querier",
            Status::Skipped,
            format!("listening for a querier needs CAP_NET_RAW ({e})"),
        )
        .fix("run as root to hear the link's queriers"),
        Ok(h) if h.is_empty() => Check::new(
            "querier",
            Status::Warn,
            format!("no querier heard on {} in {secs:.1} s", iface.name),
        )
        .fix("queries come every 125 s by default: listen longer (mcast watch) before concluding there is none; without one, snooping switches stop forwarding after about 260 s"),
        Ok(h) => Check::new(
            "querier",
            Status::Ok,
            format!("heard on {}: {}", iface.name, h.join(", ")),
        ),
    };
    vec![listen, querier]
}

type Arrivals = (u64, BTreeMap<IpAddr, u64>, Option<Instant>);

fn receive(case: &Case, iface: &Interface, port: u16, until: Instant) -> mcast::Result<Arrivals> {
    let mut sock = McastSocket::new(IpMode::for_addr(case.group), false)?;
    let _ = sock.socket().set_reuse_address(true);
    sock.bind(None, &Service::Port(port))?;
    let group = ScopedAddr::from(case.group);
    let on = IfaceSpec::Index(iface.index);
    if case.sources.is_empty() {
        sock.join(&group, Some(&on), None)?;
    } else {
        for s in &case.sources {
            sock.join(&group, Some(&on), Some(*s))?;
        }
    }
    sock.socket()
        .set_nonblocking(true)
        .map_err(|e| mcast::Error::os("listen", "fcntl(O_NONBLOCK)", e))?;
    let mut buf = vec![0u8; 65_536];
    let (mut n, mut senders, mut first) = (0u64, BTreeMap::new(), None);
    while Instant::now() < until {
        let left = until.saturating_duration_since(Instant::now());
        if !sock.wait_readable(Some(left.min(Duration::from_millis(200))))? {
            continue;
        }
        while let Ok(r) = sock.recv_from(&mut buf) {
            if r.destination == Some(case.group) {
                n += 1;
                *senders.entry(r.source.ip()).or_insert(0) += 1;
                first.get_or_insert_with(Instant::now);
            }
        }
    }
    Ok((n, senders, first))
}

/// The sender's side: where a send to the group leaves, from which address, whether the
/// default TTL reaches beyond the link, and the MTU.
pub fn send(case: &Case) -> Check {
    const C: &str = "send";
    let iface = case.join_interface();
    let Some(iface) = iface else {
        return Check::new(
            C,
            Status::Fail,
            format!("no route for {} and no -i: a send fails", case.group),
        )
        .fix("give -i IFACE, or add a multicast route (ip route add 224.0.0.0/4 dev IFACE)");
    };
    let source = source_for(case, &iface).map_or_else(
        || "an address the kernel would not say".to_string(),
        |s| s.to_string(),
    );
    let header = if case.group.is_ipv4() { 28 } else { 48 };
    let mtu = iface.mtu.map_or(String::new(), |m| {
        format!(
            "; MTU {m}: up to {} bytes a datagram go unfragmented",
            m.saturating_sub(header)
        )
    });
    let evidence = format!("leaves by {} from {source}{mtu}", iface.name);
    let link_only = match case.group {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => matches!(v6.segments()[0] & 0x000f, 1 | 2),
    };
    if link_only {
        Check::new(
            C,
            Status::Ok,
            format!("{evidence}; the group stays on the link, as TTL 1 keeps it"),
        )
    } else {
        Check::new(
            C,
            Status::Warn,
            format!("{evidence}; mcast send's default TTL 1 keeps it on this link"),
        )
        .fix("give --ttl N, one more than the routers between sender and receivers (and check mcast send --loop if receivers are on this host)")
    }
}

/// The source address a send to the group would carry.
fn source_for(case: &Case, iface: &Interface) -> Option<IpAddr> {
    let mut sock = McastSocket::new(IpMode::for_addr(case.group), false).ok()?;
    sock.set_send_options(Some(&IfaceSpec::Index(iface.index)), None, None, None)
        .ok()?;
    let mut group = ScopedAddr::from(case.group);
    if case.group.is_ipv6() {
        group.zone = Some(mcast::Zone::Index(iface.index));
    }
    sock.connect(&group, &Service::Port(case.port.unwrap_or(9)))
        .ok()?;
    sock.local_addr().ok().map(|a| a.ip())
}
