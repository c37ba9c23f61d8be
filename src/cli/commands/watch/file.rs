//! `mcast watch -r FILE`: the same lines, state and warnings from a capture file, on the
//! file's own clock (a querier silent for ten minutes in the file is warned about, however
//! fast the file is read).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};

use mcast::capture::CaptureFile;
use mcast::watch::Watch;
use mcast::wire::igmp;

use super::print::{Counts, message_line, summary, warning_line};
use super::{Names, WatchArgs};
use crate::cli::exit::{self, Exit};
use crate::cli::output::{Stdout, going_on};
use crate::cli::signals::stop;

/// Links told apart beyond this many are counted as one: a file's cooked headers may name
/// any interface index, and each link costs memory.
const MAX_LINKS: usize = 256;
/// Steps of the watch's clock between two packets: at least 100 ms, at most this many.
const MAX_TICKS_PER_GAP: u32 = 1000;

/// The file's links, each given a number for the watch's state, by the name it goes by.
struct Links {
    ids: HashMap<String, u32>,
    names: Names,
}

impl Links {
    fn id(&mut self, link: &str) -> u32 {
        if let Some(id) = self.ids.get(link) {
            return *id;
        }
        let name = if self.ids.len() < MAX_LINKS {
            link.to_string()
        } else {
            "(other links)".to_string()
        };
        let next = self.ids.len() as u32 + 1;
        let id = *self.ids.entry(name.clone()).or_insert(next);
        self.names.0.insert(id, name);
        id
    }
}

pub fn run(args: &WatchArgs, path: &Path, families: &[bool]) -> Result<Exit> {
    let shown = path.display();
    let mut file = CaptureFile::open(path)
        .map_err(|e| anyhow::anyhow!("-r {shown}: {}", mcast::error::os_message(&e)))?;
    stop::install()?;
    let base = Instant::now();
    let mut watch = Watch::new(&[], args.querier_timeout, base);
    let mut links = Links {
        ids: HashMap::new(),
        names: Names(HashMap::new()),
    };
    let mut out = Stdout::new();
    let mut counts = Counts {
        from_file: true,
        ..Counts::default()
    };
    // The file's clock: its first packet's time is `base`; it never runs backwards.
    let mut first: Option<SystemTime> = None;
    let (mut now, mut when) = (base, SystemTime::now());
    let mut ticked = base;
    'read: while !stop::requested() {
        let packet = match file.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                exit::warn(format_args!(
                    "-r {shown}: {e}; the packets before it were read"
                ));
                break;
            }
            Err(e) => bail!("-r {shown}: {}", mcast::error::os_message(&e)),
        };
        counts.packets += 1;
        let start = *first.get_or_insert(packet.time);
        let at = base + packet.time.duration_since(start).unwrap_or_default();
        if at > now {
            (now, when) = (at, packet.time);
        }
        // Time passing up to this packet: queriers gone silent, memberships aged.
        let gap = now.saturating_duration_since(ticked);
        let step = (gap / MAX_TICKS_PER_GAP).max(Duration::from_millis(100));
        while ticked + step <= now {
            ticked += step;
            let at_tick = when - now.saturating_duration_since(ticked);
            for w in watch.tick(ticked) {
                counts.warnings += 1;
                let name = links.names.of(w.ifindex);
                if !going_on(warning_line(&mut out, args.json, &name, &w, at_tick))? {
                    break 'read;
                }
            }
        }
        let Ok(ip) = packet.ip() else {
            counts.ignored += 1;
            continue;
        };
        let v4 = ip.first().is_some_and(|b| b >> 4 == 4);
        if !families.contains(&v4) {
            continue;
        }
        let Ok(message) = igmp::parse(ip) else {
            counts.ignored += 1;
            continue;
        };
        let id = links.id(&packet.link);
        for f in families {
            watch.add_link((id, *f), now);
        }
        let name = links.names.of(id);
        let line = message_line(
            &mut out,
            args.json,
            packet.time,
            &name,
            packet.outgoing,
            &message,
        );
        if !going_on(line)? {
            break;
        }
        if !message.checksum_ok {
            counts.bad_checksums += 1;
            continue;
        }
        for w in watch.observe(id, &message, now) {
            counts.warnings += 1;
            if !going_on(warning_line(&mut out, args.json, &name, &w, packet.time))? {
                break 'read;
            }
        }
    }
    summary(
        &mut out,
        args.json,
        &watch,
        &mut links.names,
        counts,
        (now, when),
    )?;
    out.flush()?;
    let not_told: u64 = watch.not_told.values().sum();
    Ok(if args.fail_on_warning && counts.warnings + not_told > 0 {
        Exit::Problem
    } else {
        Exit::Success
    })
}
