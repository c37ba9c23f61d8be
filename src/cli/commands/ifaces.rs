//! `mcast ifaces`: interfaces with flags, MTU, MAC and addresses, as text or JSON.

use std::io::Write;
use std::net::IpAddr;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use mcast::IfaceSpec;
use mcast::iface::{self, Interface};

use crate::cli::exit::Exit;
use crate::cli::output::Stdout;
use crate::cli::output::escape::escape;

#[derive(Args, Debug)]
pub struct IfacesArgs {
    /// Show only this interface (name or index)
    #[arg(value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// IPv4 addresses only
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// IPv6 addresses only
    #[arg(short = '6')]
    ipv6: bool,
    /// Print one JSON array instead of text
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct IfaceJson<'a> {
    name: &'a str,
    index: u32,
    flags: Vec<&'static str>,
    mtu: Option<u32>,
    mac: Option<String>,
    addresses: Vec<AddrJson>,
}

#[derive(Serialize)]
struct AddrJson {
    family: &'static str,
    address: String,
    prefix_len: u8,
    scope: &'static str,
    broadcast: Option<String>,
}

pub fn run(args: IfacesArgs) -> Result<Exit> {
    let mut list = iface::interfaces()?;
    if let Some(spec) = &args.interface {
        list = vec![iface::resolve(spec)?];
    }
    // As `ip -4 addr`: the interfaces stay, with the addresses of the family asked for.
    for i in &mut list {
        i.addresses
            .retain(|a| (!args.ipv4 || a.ip.is_ipv4()) && (!args.ipv6 || a.ip.is_ipv6()));
    }
    let mut out = Stdout::new();
    if args.json {
        let json: Vec<IfaceJson> = list.iter().map(to_json).collect();
        out.json_line(&json)?;
    } else {
        for i in &list {
            write_text(&mut out, i)?;
        }
    }
    out.flush()?;
    Ok(Exit::Success)
}

pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn family(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "ipv4" } else { "ipv6" }
}

fn to_json(i: &Interface) -> IfaceJson<'_> {
    IfaceJson {
        name: &i.name,
        index: i.index,
        flags: i.flags.names(),
        mtu: i.mtu,
        mac: i.mac.as_ref().map(mac_text),
        addresses: i
            .addresses
            .iter()
            .map(|a| AddrJson {
                family: family(a.ip),
                address: a.ip.to_string(),
                prefix_len: a.prefix_len,
                scope: a.scope().name(),
                broadcast: a.broadcast.map(|b| b.to_string()),
            })
            .collect(),
    }
}

fn write_text(out: &mut impl Write, i: &Interface) -> std::io::Result<()> {
    write!(
        out,
        "{}: {}  <{}>",
        i.index,
        escape(i.name.as_bytes()),
        i.flags.names().join(",")
    )?;
    if let Some(mtu) = i.mtu {
        write!(out, "  mtu {mtu}")?;
    }
    if let Some(mac) = &i.mac {
        write!(out, "  mac {}", mac_text(mac))?;
    }
    writeln!(out)?;
    let cells: Vec<String> = i
        .addresses
        .iter()
        .map(|a| format!("{}/{}", a.ip, a.prefix_len))
        .collect();
    let width = cells.iter().map(String::len).max().unwrap_or(0);
    for (a, cell) in i.addresses.iter().zip(&cells) {
        let fam = if a.ip.is_ipv4() { "inet " } else { "inet6" };
        write!(out, "    {fam} {cell:<width$}  scope {}", a.scope().name())?;
        if let Some(b) = a.broadcast {
            write!(out, "  brd {b}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
