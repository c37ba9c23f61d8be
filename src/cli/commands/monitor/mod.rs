//! `mcast monitor`: watch every group of a list in one process, reading each group's
//! content, and raise and clear alarms when a group never starts, stalls or loses.

mod diagnose;
mod print;
mod sockets;
mod table;
#[cfg(feature = "tui")]
mod view;

use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use mcast::content::flow::{self, Choice};
use mcast::metrics::Exporter;
use mcast::monitor::metrics::{SocketDrops, render};
use mcast::monitor::{
    AlarmKind, Change, Delivery, JoinLimits, Monitor, Options, Target, parse_list, plan,
};
use mcast::probe::now_ns;
use mcast::{IfaceSpec, RecvBatch};

use crate::cli::exit::Exit;
use crate::cli::output::{Stdout, going_on};
use crate::cli::parse;
use crate::cli::signals::stop;
use diagnose::Diagnoses;
use sockets::{Opened, group_of, open_all};
use table::End;

/// Large enough for any UDP datagram, and for a full GRO buffer of coalesced ones.
const BUFFER: usize = 65536;
/// Messages one recvmmsg call takes: one batch serves every socket in turn.
const SLOTS: usize = 16;
/// Batches read from one socket before the next gets its turn.
const TURN: usize = 8;
/// The window over which rates and loss are taken.
const WINDOW: Duration = Duration::from_secs(1);

#[derive(Args, Debug)]
pub struct MonitorArgs {
    /// Groups to watch: [SOURCE@]GROUP:PORT (an IPv6 group in brackets), then ,name=NAME or ,iface=IFACE if wanted
    #[arg(value_name = "TARGET", value_hint = clap::ValueHint::Other)]
    targets: Vec<Target>,
    /// An A/B pair: two targets that carry one feed, e.g. feed1=239.1.1.1:5000,239.2.1.1:5000 (as two targets of one name)
    #[arg(long, value_name = "NAME=A,B", value_parser = pair)]
    pair: Vec<(Target, Target)>,
    /// Read targets from FILE too: one a line (# comments), or an M3U/M3U8 playlist
    #[arg(short, long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    file: Option<PathBuf>,
    /// Interface to join on, for targets that name none: name, index or address
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<IfaceSpec>,
    /// What the datagrams carry: auto finds RTP or MPEG-TS in each sender's first datagrams; raw counts datagrams only
    #[arg(long, value_enum, value_name = "KIND", default_value_t = ContentArg::Auto)]
    content: ContentArg,
    /// Read a sequence number from each datagram: OFFSET:LEN[:be|le] (bytes), or moldudp64
    #[arg(long, value_name = "FORMAT")]
    seq: Option<mcast::content::seq::Format>,
    /// Clock rate of a dynamic RTP payload type (96-127), for jitter: 90000 for video
    #[arg(long, value_name = "HZ", value_parser = parse::clock_rate)]
    clock_rate: Option<u32>,
    /// Raise a stall when a group is silent this long (and never_started when one has not started this long after the joins)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration, default_value = "1s")]
    stall: Duration,
    /// Raise a loss alarm when more than this percentage of a group's packets is lost in one second (0: any loss)
    #[arg(long, value_name = "PERCENT", value_parser = percent, default_value = "0")]
    loss_alarm: f64,
    /// Print the table of every group every DURATION (as Ctrl-\ does at any time)
    #[arg(long, value_name = "DURATION", value_parser = parse::duration)]
    report: Option<Duration>,
    /// Stop after this long in all (e.g. 1m)
    #[arg(short, long, value_name = "DURATION", value_parser = parse::duration)]
    duration: Option<Duration>,
    /// Socket receive buffer in bytes, for each socket (8M, 8388608)
    #[arg(long, value_name = "BYTES", value_parser = parse::rcvbuf)]
    rcvbuf: Option<u32>,
    /// Serve the figures to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1's
    #[arg(long, value_name = "ADDR", value_parser = mcast::metrics::parse_addr)]
    metrics: Option<SocketAddr>,
    /// Print JSON Lines instead of text
    #[arg(long)]
    json: bool,
    /// Lines of text even on a terminal, instead of the live view
    #[arg(long)]
    no_tui: bool,
}

/// What `--content` names.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ContentArg {
    Auto,
    Rtp,
    Ts,
    Raw,
}

/// `--pair NAME=A,B`: two targets of one name; each may take `,iface=IFACE`.
fn pair(s: &str) -> Result<(Target, Target), String> {
    let form =
        "give NAME=A,B, e.g. feed1=239.1.1.1:5000,239.2.1.1:5000 (each leg may take ,iface=IFACE)";
    let (name, legs) = s
        .split_once('=')
        .filter(|(n, _)| !n.is_empty())
        .ok_or_else(|| format!("'{s}': {form}"))?;
    // A piece naming an option belongs to the leg before it.
    let mut parts: Vec<String> = Vec::new();
    for piece in legs.split(',') {
        match parts.last_mut() {
            Some(last) if piece.starts_with("iface=") => {
                last.push(',');
                last.push_str(piece);
            }
            _ if piece.starts_with("name=") => {
                return Err(format!("'{s}': the pair's name is the legs' name; {form}"));
            }
            _ => parts.push(piece.to_string()),
        }
    }
    let [a, b] = &parts[..] else {
        return Err(format!("'{s}': {} legs; {form}", parts.len()));
    };
    let leg = |t: &str| -> Result<Target, String> {
        let mut t: Target = t.parse().map_err(|e| format!("'{s}': {e}"))?;
        t.name = Some(name.chars().take(128).collect());
        Ok(t)
    };
    Ok((leg(a)?, leg(b)?))
}

/// `--loss-alarm`: a percentage from 0 to 100, with or without `%`; kept as a share.
fn percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p / 100.0),
        _ => Err(format!(
            "'{s}': give a percentage from 0 to 100 (0.1 for one packet in a thousand; 0 for any loss)"
        )),
    }
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The targets of the command line, then those of --file; --interface given to those
/// without one.
fn targets(args: &MonitorArgs) -> Result<Vec<Target>> {
    let mut all = args.targets.clone();
    for (a, b) in &args.pair {
        all.extend([a.clone(), b.clone()]);
    }
    if let Some(path) = &args.file {
        let text = std::fs::read(path)
            .with_context(|| format!("--file {}: cannot read it", path.display()))?;
        let text = String::from_utf8_lossy(&text);
        let listed =
            parse_list(&text).map_err(|bad| anyhow::anyhow!("--file {}: {bad}", path.display()))?;
        all.extend(listed);
    }
    if all.is_empty() {
        bail!(
            "no target: give GROUP:PORT (e.g. 239.1.1.1:5000), or --file FILE with one a line or an M3U playlist"
        );
    }
    if let Some(i) = &args.interface {
        for t in all.iter_mut().filter(|t| t.interface.is_none()) {
            t.interface = Some(i.clone());
        }
    }
    Ok(all)
}

fn options(args: &MonitorArgs) -> Result<Options> {
    let chosen = match args.content {
        ContentArg::Auto => Some(Choice::Auto),
        ContentArg::Rtp => Some(Choice::Rtp),
        ContentArg::Ts => Some(Choice::Ts),
        ContentArg::Raw => None,
    };
    let named = parse::value_name(&args.content);
    let choice = parse::content_choice(args.seq, chosen, &named).map_err(anyhow::Error::msg)?;
    Ok(Options {
        content: choice.map(|choice| flow::Options {
            choice,
            clock_rate: args.clock_rate,
            stall_ns: ns(args.stall),
            ..flow::Options::default()
        }),
        stall_ns: ns(args.stall),
        loss_alarm: args.loss_alarm,
        window_ns: ns(WINDOW),
    })
}

pub fn run(args: MonitorArgs) -> Result<Exit> {
    let opts = options(&args)?;
    let targets = targets(&args)?;
    let limits = JoinLimits::of_this_host();
    let plans = plan(&targets, &limits).map_err(|t| {
        anyhow::anyhow!(
            "target {} is given twice (as number {} and {}): each is counted once; remove one",
            print::label(&targets[t.again]),
            t.first + 1,
            t.again + 1
        )
    })?;
    let mut monitor = Monitor::new(targets, opts, now_ns());
    monitor.pair_by_name().map_err(anyhow::Error::msg)?;
    let names: Vec<String> = monitor
        .groups()
        .iter()
        .map(|w| print::label(&w.target))
        .collect();
    let mut sockets = open_all(&plans, args.rcvbuf, &mut monitor, |i| names[i].clone())?;
    // The sockets the joins were spread over: those that hold them without being read, or
    // where each is read, the readers.
    let joining = match sockets.holders.len() {
        0 => sockets.readers.len(),
        n => n,
    };
    let socks = &mut sockets.readers;
    stop::install()?;
    monitor.start(now_ns());
    let mut out = Stdout::new();
    // Served from here on: a scrape before this point would find nothing joined.
    let exporter = args.metrics.map(Exporter::serve).transpose()?;
    let served = exporter.as_ref().map(Exporter::addr);
    print::monitoring(&mut out, args.json, &monitor, joining, &limits, served)?;
    out.flush()?;
    let mut telling = Telling {
        out: &mut out,
        json: args.json,
        doctor: Diagnoses::new(),
        told_unchecked: false,
        exporter,
        #[cfg(feature = "tui")]
        view: None,
    };
    #[cfg(feature = "tui")]
    if !args.json && !args.no_tui && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        let title = format!(
            "mcast monitor: {} groups on {} socket{}",
            monitor.groups().len(),
            joining,
            if joining == 1 { "" } else { "s" }
        );
        telling.view = Some(view::View::open(title)?);
    }
    let ended_by = watch(&args, &mut monitor, socks, &mut telling);
    // The terminal is given back before anything else is printed.
    #[cfg(feature = "tui")]
    drop(telling.view.take());
    let ended_by = ended_by?;
    let drops = kernel_drops(socks)?;
    let end = End {
        now_ns: now_ns(),
        ended_by,
        sockets: joining,
        kernel_drops: drops,
    };
    drop(sockets);
    monitor.finish();
    table::summary(&mut out, args.json, &monitor, &end)?;
    out.flush()?;
    Ok(if monitor.raised() > 0 {
        Exit::Problem
    } else {
        Exit::Success
    })
}

/// The kernel's drops over every socket that counts them; None when none does.
fn kernel_drops(socks: &[Opened]) -> Result<Option<u64>> {
    let mut total = None;
    for s in socks.iter().filter(|s| s.drops_counted) {
        if let Some(d) = s.sock.kernel_drops()? {
            *total.get_or_insert(0) += d;
        }
    }
    Ok(total)
}

/// What the run loop prints to.
struct Telling<'a> {
    out: &'a mut Stdout,
    json: bool,
    doctor: Diagnoses,
    /// Whether a group that never started went without doctor's checks (said once).
    told_unchecked: bool,
    /// The figures served to Prometheus, when asked for.
    exporter: Option<Exporter>,
    /// The live view, when stdout is a terminal: alarms go to its log.
    #[cfg(feature = "tui")]
    view: Option<view::View>,
}

impl Telling<'_> {
    /// Puts a line in the live view's log; false when there is no view (print it then).
    fn line(&mut self, line: String) -> bool {
        #[cfg(feature = "tui")]
        if let Some(v) = self.view.as_mut() {
            v.log(line);
            return true;
        }
        let _ = line;
        false
    }

    /// Lets the live view read its keys and redraw; true when the user asked to quit.
    fn view_turn(&mut self, m: &Monitor) -> Result<bool> {
        #[cfg(feature = "tui")]
        if let Some(v) = self.view.as_mut() {
            return Ok(matches!(v.turn(m, now_ns())?, view::Asked::Quit));
        }
        let _ = m;
        Ok(false)
    }

    /// Whether the live view holds the terminal (a table printed now would tear it).
    fn viewing(&self) -> bool {
        #[cfg(feature = "tui")]
        return self.view.is_some();
        #[cfg(not(feature = "tui"))]
        false
    }

    /// Renders the figures for a scrape that waits for them.
    fn scrape(&self, m: &Monitor, socks: &[Opened], drops: &[u64]) {
        let Some(e) = self.exporter.as_ref().filter(|e| e.wanted()) else {
            return;
        };
        let sockets: Vec<SocketDrops> = socks
            .iter()
            .zip(drops)
            .enumerate()
            .map(|(socket, (s, &d))| SocketDrops {
                socket,
                port: s.port,
                drops: s.drops_counted.then_some(d),
            })
            .collect();
        e.publish(render(m, &sockets));
    }

    /// Prints `changes` and empties it, passing them on at once (a script waits on them),
    /// and asks doctor's checks for a group that never started; false when the output is
    /// gone.
    fn changes(&mut self, m: &Monitor, changes: &mut Vec<Change>) -> Result<bool> {
        if changes.is_empty() {
            return Ok(true);
        }
        for c in changes.drain(..) {
            if !self.line(print::change_text(m, &c))
                && !going_on(print::change(self.out, self.json, m, &c))?
            {
                return Ok(false);
            }
            if let Change::Raised { group, .. } = c
                && c.kind() == AlarmKind::NeverStarted
                && !self.doctor.ask(group, &m.groups()[group].target)
                && !std::mem::replace(&mut self.told_unchecked, true)
                && !going_on(print::not_diagnosed(self.out, self.json, diagnose::MAX))?
            {
                return Ok(false);
            }
        }
        going_on(self.out.flush())
    }

    /// Prints the doctor's checks that came back; false when the output is gone.
    fn diagnoses(&mut self, m: &Monitor) -> Result<bool> {
        let ready = self.doctor.ready();
        if ready.is_empty() {
            return Ok(true);
        }
        for (g, checks) in ready {
            let now = now_ns();
            let w = &m.groups()[g];
            let in_view = print::diagnosis_text(w, &checks, now)
                .into_iter()
                .fold(false, |_, l| self.line(l));
            if !in_view && !going_on(print::diagnosis(self.out, self.json, w, &checks, now))? {
                return Ok(false);
            }
        }
        going_on(self.out.flush())
    }
}

/// Reads every socket until the duration ends or a signal stops it; returns how it ended.
fn watch(
    args: &MonitorArgs,
    m: &mut Monitor,
    socks: &mut [Opened],
    tell: &mut Telling,
) -> Result<&'static str> {
    let start = Instant::now();
    let end = args.duration.map(|d| start + d);
    let tick_every = Duration::from_nanos(m.tick_every());
    let mut next_tick = start + tick_every;
    // The live view is the table, always up to date.
    let mut next_report = args.report.filter(|_| !tell.viewing()).map(|r| start + r);
    let mut last_report_ns = m.started_ns();
    let mut batch = RecvBatch::new(SLOTS, BUFFER);
    let mut changes = Vec::new();
    let mut drops = vec![0u64; socks.len()];
    let mut ready = vec![false; socks.len()];
    loop {
        if stop::requested() {
            return Ok("signal");
        }
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) {
            return Ok("duration");
        }
        tell.scrape(m, socks, &drops);
        if now >= next_tick {
            m.tick(now_ns(), &mut changes);
            next_tick = now + tick_every;
            if !tell.changes(m, &mut changes)? || !tell.diagnoses(m)? {
                return Ok("signal");
            }
        }
        if tell.view_turn(m)? {
            return Ok("signal");
        }
        let report_due = next_report.is_some_and(|r| now >= r);
        if report_due || stop::report_requested() {
            if let (true, Some(r)) = (report_due, args.report) {
                next_report = Some(now + r);
            }
            let at = now_ns();
            let shown = table::report(tell.out, args.json, m, last_report_ns, at);
            last_report_ns = at;
            if !going_on(shown)? || !going_on(tell.out.flush())? {
                return Ok("signal");
            }
        }
        let wake = [Some(next_tick), end, next_report]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(next_tick);
        if !wait(
            socks,
            &mut ready,
            wake.saturating_duration_since(Instant::now()),
        )? {
            continue;
        }
        for (i, s) in socks.iter_mut().enumerate().filter(|(i, _)| ready[*i]) {
            for _ in 0..TURN {
                let got = s.sock.recv_batch(&mut batch)?;
                if got == 0 {
                    break;
                }
                let read_ns = now_ns();
                for (r, data) in batch.iter() {
                    if let Some(d) = r.kernel_drops {
                        drops[i] = u64::from(d);
                    }
                    let Some(group) = group_of(r.destination) else {
                        continue;
                    };
                    let d = Delivery {
                        socket: i,
                        group,
                        source: r.source,
                        ns: r.timestamp_ns.unwrap_or(read_ns),
                        drops: drops[i],
                    };
                    for datagram in r.segments(data) {
                        m.observe(&d, datagram, &mut changes);
                    }
                }
                if !tell.changes(m, &mut changes)? {
                    return Ok("signal");
                }
                // Fewer than a batch: drained, most likely; poll says when there is more.
                if got < SLOTS {
                    break;
                }
            }
        }
    }
}

/// Waits up to `timeout` for any socket to have datagrams, marking which in `ready`;
/// false when none has (the time ran out, or a signal came).
fn wait(socks: &[Opened], ready: &mut [bool], timeout: Duration) -> Result<bool> {
    let mut fds: Vec<PollFd> = socks
        .iter()
        .map(|s| PollFd::new(s.sock.as_fd(), PollFlags::POLLIN))
        .collect();
    // Rounded up, so a wait never ends before its deadline and spins.
    let ms = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
    match poll(
        &mut fds,
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
    ) {
        Ok(0) | Err(nix::errno::Errno::EINTR) => Ok(false),
        Ok(_) => {
            for (r, fd) in ready.iter_mut().zip(&fds) {
                *r = fd.revents().is_some_and(|e| e.contains(PollFlags::POLLIN));
            }
            Ok(true)
        }
        Err(e) => Err(anyhow::Error::new(e).context("wait for datagrams (poll)")),
    }
}
