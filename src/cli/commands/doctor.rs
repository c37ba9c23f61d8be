//! `mcast doctor`: why multicast does not arrive. Reads everything on the host that decides
//! it (interface, route, group range, MAC aliasing, reverse path, forced versions, limits,
//! port, firewall), optionally listens or looks at the sender's side, and answers a line per
//! check: what it saw and, unless all is well, the fix.

use crate::cli::output::color::{self, Paint};
use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;

use mcast::{IfaceSpec, ScopedAddr};

use crate::cli::exit::Exit;
use crate::cli::output::Stdout;
use crate::cli::output::escape::escape;
use crate::cli::parse;
use mcast::doctor::{self, Case, Check, Status};

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// The group that does not arrive (ff02::1%eth0 names its link)
    #[arg(value_name = "GROUP", value_hint = clap::ValueHint::Other)]
    group: ScopedAddr,
    /// Its UDP port (for the port check and --listen)
    #[arg(value_name = "PORT")]
    port: Option<u16>,
    /// A sender to join from (source-specific); repeat for several
    #[arg(short, long = "source", value_name = "ADDR", value_hint = clap::ValueHint::Other)]
    sources: Vec<IpAddr>,
    /// Interface to join on: name, index or address (default: the route's choice)
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// Also join for this long and report what arrived and which kernel counters moved
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    listen: Option<Duration>,
    /// Look at the sender's side instead: route out, source address, TTL, MTU
    #[arg(long, conflicts_with = "listen")]
    send: bool,
    /// Print one JSON array of checks instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(args: DoctorArgs) -> Result<Exit> {
    parse::distinct_sources(&args.sources).map_err(anyhow::Error::msg)?;
    let group = args.group.ip;
    if !group.is_multicast() {
        bail!("{group} is not a multicast group: give the group the receiver joins");
    }
    if let Some(s) = args.sources.iter().find(|s| s.is_ipv4() != group.is_ipv4()) {
        bail!("--source {s} is not of the family of {group}");
    }
    let spec = args.interface.clone().or_else(|| {
        args.group.zone.clone().map(|z| match z {
            mcast::Zone::Name(n) => IfaceSpec::Name(n),
            mcast::Zone::Index(i) => IfaceSpec::Index(i),
        })
    });
    let case = Case {
        group,
        port: args.port,
        sources: args.sources.clone(),
        given: spec.map(|s| mcast::iface::resolve(&s).map_err(|e| e.to_string())),
    };
    let host = doctor::System;
    let mut all: Vec<Check> = if args.send {
        doctor::sender_checks(&case, &host)
    } else {
        doctor::receiver_checks(&case, &host)
    };
    let mut out = Stdout::new();
    let listen = args.listen;
    let mut shown = 0;
    if let Some(d) = listen {
        // The instant checks first, so the wait is not a silence.
        if !args.json {
            write_checks(&mut out, &all)?;
            out.flush()?;
            shown = all.len();
            crate::cli::exit::warn(format_args!(
                "listening for {} on port {} for {}...",
                group,
                args.port.map_or("-".into(), |p| p.to_string()),
                humantime::format_duration(d)
            ));
        }
        all.extend(doctor::listen(&case, &host, d));
    }
    if args.json {
        out.json_line(&all)?;
    } else {
        write_checks(&mut out, &all[shown..])?;
        write_conclusion(&mut out, &all)?;
    }
    out.flush()?;
    Ok(if all.iter().any(|c| c.status == Status::Fail) {
        Exit::Problem
    } else {
        Exit::Success
    })
}

/// Text of several lines as one: the lines trimmed, the empty ones dropped, joined by "; ".
fn fold(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn write_checks(out: &mut Stdout, all: &[Check]) -> std::io::Result<()> {
    for c in all {
        let (status, paint) = match c.status {
            Status::Ok => ("ok", Paint::Good),
            Status::Warn => ("WARN", Paint::Warn),
            Status::Fail => ("FAIL", Paint::Bad),
            Status::Skipped => ("skipped", Paint::Dim),
        };
        // Padded before it is painted: the colour codes take no room on the screen.
        let status = color::paint(&format!("{status:<7}"), paint);
        // Evidence quotes other programs (nft's errors, process names): folded to one line
        // (their own line breaks become "; ", so the columns hold), then escaped.
        let evidence = fold(&c.evidence);
        let evidence = escape(evidence.as_bytes());
        writeln!(out, "{status}  {:<10} {evidence}", c.check)?;
        if let Some(fix) = &c.fix {
            let fix = fold(fix);
            writeln!(out, "{:<7}  {:<10} fix: {}", "", "", escape(fix.as_bytes()))?;
        }
    }
    Ok(())
}

fn write_conclusion(out: &mut Stdout, all: &[Check]) -> std::io::Result<()> {
    let fails = all.iter().filter(|c| c.status == Status::Fail).count();
    let warns = all.iter().filter(|c| c.status == Status::Warn).count();
    match (fails, warns) {
        (0, 0) => writeln!(out, "nothing wrong found here"),
        (0, w) => writeln!(out, "no failure; {w} to look at"),
        (f, _) => writeln!(
            out,
            "{f} {} what keeps multicast from arriving: start with the first",
            if f == 1 { "failure is" } else { "failures are" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn other_programs_lines_fold_into_one() {
        assert_eq!(
            fold("Error: Could not process rule: Operation not permitted\n  list ruleset\n\n"),
            "Error: Could not process rule: Operation not permitted; list ruleset"
        );
        assert_eq!(fold("one line"), "one line");
    }
}
