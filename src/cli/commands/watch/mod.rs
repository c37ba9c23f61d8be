//! `mcast watch`: IGMP and MLD on the wire, a line per message, and what they add up to:
//! the queriers of each link, the hosts and their groups, and warnings about the problems
//! they cause (no querier, old versions, queriers that disagree, any-source joins of SSM
//! groups).

mod file;
mod metrics;
mod print;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use clap::Args;

use mcast::capture::Capture;
use mcast::wire::igmp;
use mcast::{ErrorKind, IfaceSpec};

use crate::cli::exit::Exit;
use crate::cli::output::{Stdout, going_on};
use crate::cli::parse;
use crate::cli::signals::stop;
use mcast::capture::Pcap;
use mcast::watch::Watch;
use print::{Counts, interval, message_line, summary, warning_line};

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Interface to watch: name, index or address; repeat for several (default: every
    /// interface that is up and multicast-capable)
    #[arg(short, long = "interface", value_name = "IFACE")]
    interfaces: Vec<IfaceSpec>,
    /// IGMP only
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// MLD only
    #[arg(short = '6')]
    ipv6: bool,
    /// Stop after this long (default: until Ctrl-C)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Print the queriers, hosts and figures so far every DURATION (as Ctrl-\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Warn when no querier is heard on a link for this long
    #[arg(long, value_name = "DURATION", default_value = "125s", value_parser = parse::duration)]
    querier_timeout: Duration,
    /// Also write every packet captured to FILE, as pcapng: a block per link, kernel
    /// timestamps, the direction (tcpdump -r FILE, Wireshark)
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Read IGMP and MLD from a capture file instead of the wire (pcap or pcapng; Ethernet
    /// with VLAN tags, Linux cooked v1 or v2, raw IP), on the file's own clock
    #[arg(
        short,
        long,
        value_name = "FILE",
        conflicts_with_all = ["interfaces", "duration", "report", "pcap"]
    )]
    read: Option<PathBuf>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
    /// Exit with status 1 when any warning was given (for scripts and monitoring)
    #[arg(long)]
    fail_on_warning: bool,
    /// Serve what the capture saw to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1's
    #[arg(long, value_name = "ADDR", value_parser = mcast::metrics::parse_addr, conflicts_with = "read")]
    metrics: Option<std::net::SocketAddr>,
}

/// Interface names by index, looked up again when an unknown index appears.
pub struct Names(HashMap<u32, String>);

impl Names {
    fn load() -> Result<Names> {
        Ok(Names(
            mcast::iface::interfaces()?
                .into_iter()
                .map(|i| (i.index, i.name))
                .collect(),
        ))
    }

    pub fn of(&mut self, index: u32) -> String {
        if !self.0.contains_key(&index)
            && let Ok(fresh) = Names::load()
        {
            *self = fresh;
        }
        self.0
            .get(&index)
            .cloned()
            .unwrap_or_else(|| format!("#{index}"))
    }
}

/// The interfaces to watch: those given, or every one up and multicast-capable.
fn links(args: &WatchArgs) -> Result<Vec<u32>> {
    if !args.interfaces.is_empty() {
        return args
            .interfaces
            .iter()
            .map(|s| Ok(mcast::iface::resolve(s)?.index))
            .collect();
    }
    Ok(mcast::iface::interfaces()?
        .into_iter()
        .filter(|i| i.flags.up && i.flags.multicast && !i.flags.loopback)
        .map(|i| i.index)
        .collect())
}

fn open(watched: &[u32]) -> Result<Capture> {
    Capture::open(watched).or_else(|e| {
        let denied = matches!(e.kind(), ErrorKind::Os { source, .. }
            if matches!(source.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES)));
        if denied {
            bail!(
                "capturing IGMP and MLD needs CAP_NET_RAW: run it as root (sudo mcast watch ...), \
                 or let mcast capture once and for all: sudo setcap cap_net_raw+p $(command -v mcast)"
            )
        }
        Err(e.into())
    })
}

/// Creates the --pcap file; under sudo, the user who ran sudo gets it, as tcpdump's files
/// go to the user it runs as, so that it can be read and removed without sudo.
fn create_pcap(path: &std::path::Path) -> Result<Pcap> {
    let failed = |e: std::io::Error| {
        anyhow::anyhow!(
            "--pcap {}: {}",
            path.display(),
            mcast::error::os_message(&e)
        )
    };
    let pcap = Pcap::create(path).map_err(failed)?;
    let id = |key: &str| std::env::var(key).ok().and_then(|v| v.parse::<u32>().ok());
    if nix::unistd::geteuid().is_root()
        && let (Some(uid), Some(gid)) = (id("SUDO_UID"), id("SUDO_GID"))
    {
        pcap.give_to(uid, gid).map_err(failed)?;
    }
    Ok(pcap)
}

pub fn run(args: WatchArgs) -> Result<Exit> {
    let families: Vec<bool> = match (args.ipv4, args.ipv6) {
        (true, _) => vec![true],
        (_, true) => vec![false],
        _ => vec![true, false],
    };
    if let Some(path) = &args.read {
        // No capture: the capability is not needed at all.
        let _ = mcast::capture::relinquish_privilege();
        return file::run(&args, path, &families);
    }
    let watched = links(&args)?;
    if watched.is_empty() {
        bail!("no interface is up and multicast-capable here: name one with -i");
    }
    let mut capture = open(&watched)?;
    // Open now, the capability is needed no more.
    let _ = mcast::capture::relinquish_privilege();
    let mut pcap = args.pcap.as_deref().map(create_pcap).transpose()?;
    stop::install()?;
    let started = Instant::now();
    let end = args.duration.map(|d| started + d);
    let link_families: Vec<(u32, bool)> = watched
        .iter()
        .flat_map(|i| families.iter().map(move |f| (*i, *f)))
        .collect();
    let mut watch = Watch::new(&link_families, args.querier_timeout, started);
    let mut local = mcast::watch::LocalAnswers::default();
    let mut names = Names::load()?;
    let mut out = Stdout::new();
    let mut ignored = 0u64;
    let mut bad_checksums = 0u64;
    let mut warned = 0u64;
    let mut last_tick = started;
    let mut buf = vec![0u8; 65_536];
    let mut next_report = args.report.map(|r| started + r);
    let mut last = (Counts::default(), SystemTime::now());
    let exporter = args
        .metrics
        .map(mcast::metrics::Exporter::serve)
        .transpose()?;
    'run: while !stop::requested() && end.is_none_or(|e| Instant::now() < e) {
        if let Some(e) = exporter.as_ref().filter(|e| e.wanted()) {
            let (packets, kernel_drops) = capture.stats()?;
            let seen = metrics::Seen {
                packets,
                kernel_drops,
                ignored,
                bad_checksums,
                warnings: warned,
            };
            e.publish(metrics::render(&watch, &mut names, &seen));
        }
        let report_due = next_report.is_some_and(|r| Instant::now() >= r);
        if report_due || stop::report_requested() {
            if let (true, Some(r)) = (report_due, args.report) {
                next_report = Some(Instant::now() + r);
            }
            let (packets, kernel_drops) = capture.stats()?;
            let counts = Counts {
                packets,
                kernel_drops,
                ignored,
                bad_checksums,
                warnings: warned,
                from_file: false,
            };
            let now = SystemTime::now();
            let told = interval(
                &mut out,
                args.json,
                &watch,
                &mut names,
                (counts, last.0),
                (last.1, now),
            );
            if !going_on(told)? {
                break 'run;
            }
            last = (counts, now);
        }
        let wait = end
            .into_iter()
            .chain(next_report)
            .min()
            .map_or(Duration::from_millis(250), |e| {
                e.saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(250))
            })
            // A scrape waits for the loop: look for one at least every 50 ms.
            .min(if exporter.is_some() {
                Duration::from_millis(50)
            } else {
                Duration::MAX
            });
        let mut warnings = Vec::new();
        if let Some(frame) = capture.recv(&mut buf, wait)? {
            let now = Instant::now();
            let data = &buf[..frame.len.min(buf.len())];
            // The kernel's filter passes IPv4 and IPv6 only; the version says which.
            let v4 = data.first().is_some_and(|b| b >> 4 == 4);
            if !watched.contains(&frame.ifindex) || !families.contains(&v4) {
                continue;
            }
            let name = names.of(frame.ifindex);
            // Every packet of the links watched goes to the file, parsed or not: the ones
            // mcast cannot read are the ones to open in Wireshark.
            if let Some(p) = pcap.as_mut() {
                p.write(&frame, &name, data)?;
            }
            let Ok(packet) = igmp::parse(data) else {
                ignored += 1;
                continue;
            };
            let line = message_line(
                &mut out,
                args.json,
                frame.time,
                &name,
                frame.outgoing,
                &packet,
            );
            if !going_on(line)? {
                break 'run;
            }
            if packet.checksum_ok {
                warnings = watch.observe(frame.ifindex, &packet, now);
                local.observe(frame.ifindex, frame.outgoing, &packet, now);
            } else {
                bad_checksums += 1;
            }
        }
        let now = Instant::now();
        if now.saturating_duration_since(last_tick) >= Duration::from_millis(100) {
            last_tick = now;
            warnings.extend(watch.tick(now));
            warnings.extend(local.tick(now));
        }
        warned += warnings.len() as u64;
        for w in &warnings {
            let name = names.of(w.ifindex);
            if !going_on(warning_line(
                &mut out,
                args.json,
                &name,
                w,
                SystemTime::now(),
            ))? {
                break 'run;
            }
        }
        if !going_on(out.flush())? {
            break;
        }
    }
    if let Some(p) = pcap.as_mut() {
        p.flush()?;
    }
    let (packets, drops) = capture.stats()?;
    summary(
        &mut out,
        args.json,
        &watch,
        &mut names,
        Counts {
            packets,
            kernel_drops: drops,
            ignored,
            bad_checksums,
            warnings: warned,
            from_file: false,
        },
        (Instant::now(), SystemTime::now()),
    )?;
    out.flush()?;
    let not_told: u64 = watch.not_told.values().sum();
    Ok(if args.fail_on_warning && warned + not_told > 0 {
        Exit::Problem
    } else {
        Exit::Success
    })
}
