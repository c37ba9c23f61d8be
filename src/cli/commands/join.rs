//! `mcast join`: join groups, show what the kernel now holds, hold them, then leave.

use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use clap::Args;

use mcast::membership::memberships;
use mcast::{IfaceSpec, IpMode, McastSocket, Membership, ScopedAddr};

use crate::cli::signals::stop;

use crate::cli::exit::{Exit, not_held};
use crate::cli::output::events::{self, Event, JoinSummary, MembershipChange};
use crate::cli::output::memberships::{self, GroupJson};
use crate::cli::output::{Stdout, going_on};
use crate::cli::parse;

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// Groups to join (239.1.1.1, ff15::1, ff02::1234%eth0)
    #[arg(value_name = "GROUP", value_hint = clap::ValueHint::Other, required = true)]
    groups: Vec<ScopedAddr>,
    /// Interface to join on: name, index or address
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// Join only this source (source-specific); repeat for several
    #[arg(long = "source", value_name = "ADDR", value_hint = clap::ValueHint::Other)]
    sources: Vec<IpAddr>,
    /// Leave after this long (default: hold until Ctrl-C)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Show what the kernel holds again every DURATION (as Ctrl-\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
}

fn change(m: &Membership) -> MembershipChange {
    MembershipChange {
        command: "join",
        time: events::timestamp(SystemTime::now()),
        group: m.group.to_string(),
        interface: m.interface.as_ref().map(|i| i.1.clone()),
        sources: m.source.iter().map(ToString::to_string).collect(),
    }
}

pub fn run(args: JoinArgs) -> Result<Exit> {
    parse::distinct_sources(&args.sources).map_err(anyhow::Error::msg)?;
    for s in &args.sources {
        if !args.groups.iter().any(|g| g.ip.is_ipv4() == s.is_ipv4()) {
            bail!(
                "--source {s}: no group of its family to join it on; give a source of the groups' family"
            );
        }
    }
    stop::install()?;
    // One socket per family, so source-specific IPv4 joins work on every OS.
    let mut v4 = None;
    let mut v6 = None;
    for g in &args.groups {
        let slot = if g.ip.is_ipv4() { &mut v4 } else { &mut v6 };
        if slot.is_none() {
            *slot = Some(McastSocket::new(IpMode::for_addr(g.ip), true)?);
        }
        let Some(sock) = slot.as_mut() else { continue };
        let sources: Vec<Option<IpAddr>> = args
            .sources
            .iter()
            .filter(|s| s.is_ipv4() == g.ip.is_ipv4())
            .copied()
            .map(Some)
            .collect();
        let sources = if sources.is_empty() {
            vec![None]
        } else {
            sources
        };
        for s in sources {
            sock.join(g, args.interface.as_ref(), s)?;
        }
    }
    let sockets: Vec<&mut McastSocket> = [v4.as_mut(), v6.as_mut()].into_iter().flatten().collect();
    let joined: Vec<Membership> = sockets
        .iter()
        .flat_map(|s| s.memberships().to_vec())
        .collect();
    let mut out = Stdout::new();
    let started = Instant::now();
    // A stop while stdout is not read skips the rest of the output, not the leave.
    if going_on(announce(&mut out, &args, &joined))? {
        let end = args.duration.map(|d| Instant::now() + d);
        let mut next_report = args.report.map(|r| Instant::now() + r);
        while !stop::requested() && end.is_none_or(|e| Instant::now() < e) {
            let now = Instant::now();
            let due = next_report.is_some_and(|r| now >= r);
            if due || stop::report_requested() {
                if let (true, Some(r)) = (due, args.report) {
                    next_report = Some(now + r);
                }
                if !going_on(held(&mut out, &args, &joined))? {
                    break;
                }
            }
            let left = end.map_or(Duration::from_millis(100), |e| {
                e.saturating_duration_since(Instant::now())
            });
            std::thread::sleep(left.min(Duration::from_millis(100)));
        }
    }
    let mut left = Vec::new();
    for sock in sockets {
        for (m, done) in sock.leave_each() {
            match done {
                Ok(()) => left.push(m),
                Err(e) if e.is_not_held() => not_held(&e),
                Err(e) => return Err(e.into()),
            }
        }
    }
    for m in &left {
        if args.json {
            out.json_line(&Event::Left(change(m)))?;
        } else {
            events::change_text(&mut out, "left", &change(m))?;
        }
    }
    if args.json {
        // Held to the end of -d, or let go on a signal (or a reader that went away).
        let held_out = args.duration.is_some_and(|d| started.elapsed() >= d);
        out.json_line(&Event::JoinSummary(JoinSummary {
            command: "join",
            version: env!("CARGO_PKG_VERSION"),
            time: events::timestamp(SystemTime::now()),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            ended_by: if held_out { "duration" } else { "signal" },
            joined: joined.len(),
            left: left.len(),
        }))?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

/// The joined lines and what the kernel holds for them.
fn announce(out: &mut Stdout, args: &JoinArgs, joined: &[Membership]) -> Result<()> {
    for m in joined {
        if args.json {
            out.json_line(&Event::Joined(change(m)))?;
        } else {
            events::change_text(out, "joined", &change(m))?;
        }
    }
    held(out, args, joined)
}

/// What the kernel holds for the groups joined, from its own tables.
fn held(out: &mut Stdout, args: &JoinArgs, joined: &[Membership]) -> Result<()> {
    let held: Vec<_> = memberships()?
        .into_iter()
        .filter(|k| {
            joined
                .iter()
                .any(|m| m.group == k.group && m.interface.as_ref().is_none_or(|i| i.0 == k.index))
        })
        .collect();
    if args.json {
        out.json_line(&Event::Memberships {
            command: "join",
            time: events::timestamp(SystemTime::now()),
            groups: held.iter().map(GroupJson::from).collect(),
        })?;
    } else {
        writeln!(out, "the kernel holds:")?;
        memberships::write_text(out, &held)?;
    }
    out.flush()?;
    Ok(())
}
