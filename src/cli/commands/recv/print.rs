//! How `mcast recv` shows one datagram, and a link that went down or came back.

use std::borrow::Cow;
use std::time::SystemTime;

use anyhow::Result;

use mcast::Received;
use mcast::probe::Probe;

use super::link_watch::{self, State};
use crate::cli::exit::warn;
use crate::cli::output::Stdout;
use crate::cli::output::escape::escape;
use crate::cli::output::events::{self, Event, Packet, ProbeInfo};
use crate::cli::output::labels::Labels;

/// Says on stderr (and as a JSON event) that the joined interface went down or came back.
pub fn tell_link(out: &mut Stdout, json: bool, change: &link_watch::Change) -> Result<()> {
    let name = change.interface;
    match change.state {
        State::Up => warn(format_args!("{name} is up again; receiving goes on")),
        State::Down => warn(format_args!(
            "{name} went down; nothing can arrive until it is back (receiving goes on)"
        )),
        State::Gone => warn(format_args!(
            "{name} was deleted, and its memberships with it; nothing more can arrive on it \
             (stop with Ctrl-C, and join again once it exists)"
        )),
    }
    if json {
        out.json_line(&Event::Link {
            command: "recv",
            time: events::timestamp(SystemTime::now()),
            interface: change.interface.to_string(),
            state: change.state.name(),
        })?;
    }
    Ok(())
}

/// What one datagram's line needs besides the shared labels.
pub struct Datagram<'a> {
    pub r: &'a Received,
    pub data: &'a [u8],
    pub probe: Option<Probe>,
    pub arrival_ns: u64,
    pub interface: Option<&'a str>,
    pub port: u16,
    /// Read as RTP, MPEG-TS or a feed: its payload is media, not shown.
    pub analysed: bool,
}

pub fn print_packet(out: &mut Stdout, json: bool, labels: &mut Labels, d: Datagram) -> Result<()> {
    labels.update(d.arrival_ns, d.r, d.probe.as_ref());
    let packet = Packet {
        command: "recv",
        time: &labels.time,
        source: &labels.source,
        source_port: d.r.source.port(),
        group: &labels.group,
        port: d.port,
        interface: d.interface,
        size: if d.r.truncated {
            d.r.wire_len
        } else {
            d.data.len()
        },
        truncated: d.r.truncated,
        ttl: d.r.ttl,
        tos: d.r.tos,
        text: match d.probe {
            Some(_) => None,
            None if d.analysed => None,
            None => std::str::from_utf8(d.data).ok(),
        },
        probe: d.probe.map(|p| ProbeInfo {
            sender: &labels.sender,
            seq: p.seq,
            // In integers first: epoch nanoseconds lose their last digits as f64.
            delay_ms: (i128::from(d.arrival_ns) - i128::from(p.sent_ns)) as f64 / 1e6,
        }),
    };
    if json {
        out.json_line(&Event::Packet(packet))?;
    } else {
        let shown = if d.probe.is_some() || d.analysed {
            Cow::Borrowed("")
        } else {
            escape(d.data)
        };
        out.text_line(|line| events::packet_text(line, &packet, &shown))?;
    }
    Ok(())
}
