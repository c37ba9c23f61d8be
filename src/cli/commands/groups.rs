//! `mcast groups`: the memberships the kernel holds, per interface, with source filters.

use std::io::Write;

use anyhow::Result;
use clap::Args;

use mcast::IfaceSpec;
use mcast::iface;
use mcast::membership::{GroupMembership, memberships};

use crate::cli::exit::Exit;
use crate::cli::output::Stdout;
use crate::cli::output::memberships::{GroupJson, write_text};

#[derive(Args, Debug)]
pub struct GroupsArgs {
    /// Show only the groups of this interface (name, index or address)
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// Show only IPv4 groups
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// Show only IPv6 groups
    #[arg(short = '6')]
    ipv6: bool,
    /// Print one JSON array instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(args: GroupsArgs) -> Result<Exit> {
    let index = match &args.interface {
        Some(spec) => Some(iface::resolve(spec)?.index),
        None => None,
    };
    let list: Vec<GroupMembership> = memberships()?
        .into_iter()
        .filter(|m| index.is_none_or(|i| m.index == i))
        .filter(|m| !args.ipv4 || m.group.is_ipv4())
        .filter(|m| !args.ipv6 || m.group.is_ipv6())
        .collect();
    let mut out = Stdout::new();
    if args.json {
        let json: Vec<GroupJson> = list.iter().map(GroupJson::from).collect();
        out.json_line(&json)?;
    } else {
        write_text(&mut out, &list)?;
    }
    out.flush()?;
    Ok(Exit::Success)
}
