//! The figures so far of a mesh (`--report`, Ctrl-\): this host's row of each other host, as
//! the table at the end has them, and what each did in the interval. The matrix waits for
//! the end: other hosts share their columns only once they have their figures.

use std::io::{self, Write};
use std::net::IpAddr;
use std::time::SystemTime;

use serde::Serialize;

use mcast::mesh::MeshPeer;
use mcast::ping::{Counts, PathSummary};

use super::table;
use crate::cli::output::Stdout;
use crate::cli::output::events::Span;

/// One other host's replies to this one, so far.
#[derive(Serialize)]
struct PeerSoFar {
    peer: String,
    unicast: PathSummary,
    multicast: PathSummary,
    verdict: &'static str,
    interval: Counts,
}

/// An interval record.
#[derive(Serialize)]
struct Interval {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'static str,
    version: &'static str,
    #[serde(flatten)]
    span: Span,
    host: String,
    peers: Vec<PeerSoFar>,
}

/// Prints the figures so far at `now`, each peer's interval since `from`; `last` holds each
/// peer's counts at the previous interval, and is brought up to now.
pub fn interval(
    out: &mut Stdout,
    json: bool,
    local: IpAddr,
    peers: &[MeshPeer],
    last: &mut [Counts],
    (from, now): (SystemTime, SystemTime),
) -> io::Result<()> {
    let rows = super::rows(peers);
    let parts: Vec<Counts> = rows
        .iter()
        .zip(last.iter_mut())
        .map(|((_, s, _), last)| {
            let counts = s.counts();
            let part = counts.since(last);
            *last = counts;
            part
        })
        .collect();
    if json {
        let peers = rows
            .into_iter()
            .zip(parts)
            .map(|((addr, s, v), part)| PeerSoFar {
                peer: addr.to_string(),
                unicast: s.unicast,
                multicast: s.multicast,
                verdict: v.key(),
                interval: part,
            })
            .collect();
        return out.json_line(&Interval {
            kind: "interval",
            command: "mesh",
            version: env!("CARGO_PKG_VERSION"),
            span: Span::new(from, now),
            host: local.to_string(),
            peers,
        });
    }
    let secs = Span::secs(from, now);
    let asked: u64 = parts.iter().map(|p| p.unicast.sent).sum();
    let (u, m): (u64, u64) = parts
        .iter()
        .map(|p| (p.unicast.received, p.multicast.received))
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
    writeln!(
        out,
        "in the last {secs:.1} s: {asked} requests, {u} unicast and {m} multicast replies; so far, from this host:"
    )?;
    table::write(out, local, &rows)?;
    out.flush()
}
