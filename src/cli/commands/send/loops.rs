//! The send loops: paced or flat-out batches of messages and probes, and stdin line by line.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Result;

use mcast::pace::{GapHistogram, Pacer};
use mcast::probe::{Probe, SizeCycle};
use mcast::{Destination, McastSocket, SendPath};

use crate::cli::output::events::now_ns;
use crate::cli::signals::stop;

use super::report::Reporter;
use super::stdin_lines::{Next, StdinLines};

/// Most datagrams built per batch: bounds the buffer (512 x 1400 bytes is 700 KiB).
const MAX_BATCH: usize = 512;

/// What a run did.
pub struct Run {
    pub packets: u64,
    pub bytes: u64,
    pub errors: u64,
    pub gaps: GapHistogram,
    pub path: SendPath,
}

impl Run {
    fn new(path: SendPath) -> Self {
        Run {
            packets: 0,
            bytes: 0,
            errors: 0,
            gaps: GapHistogram::default(),
            path,
        }
    }
}

/// What each datagram carries.
pub enum Template {
    /// The same bytes every time.
    Message(Vec<u8>),
    /// A probe header with the next sequence number, padded to `size`.
    Probe {
        size: usize,
        sender: u32,
        planned: u32,
    },
}

/// When to stop and how fast to go.
pub struct Limits {
    pub count: Option<u64>,
    pub rate: Option<f64>,
    pub end: Option<Instant>,
}

/// Sends datagrams from `template` until the count, the deadline or a stop signal.
pub fn blast(
    sock: &mut McastSocket,
    dest: &Destination,
    template: &Template,
    limits: &Limits,
    reporter: &mut Reporter,
) -> Result<Run> {
    let size = match template {
        Template::Message(m) => m.len(),
        Template::Probe { size, .. } => *size,
    };
    let capacity = sock.batch_capacity(size).min(MAX_BATCH);
    let mut buf = match template {
        Template::Message(m) => m.repeat(capacity),
        Template::Probe { .. } => vec![0u8; capacity * size],
    };
    let pacer = Pacer::new(limits.rate);
    let mut run = Run::new(sock.send_path(size));
    let mut status = Status::new();
    loop {
        let left = limits.count.map_or(u64::MAX, |c| c - run.packets);
        if left == 0 || stop::requested() {
            break;
        }
        let most = left.min(capacity as u64);
        let n = pacer.wait(run.packets, most, limits.end, stop::requested) as usize;
        if n == 0 {
            break;
        }
        if let Template::Probe {
            sender, planned, ..
        } = template
        {
            let sent_ns = now_ns();
            for (k, slot) in buf.chunks_mut(size).take(n).enumerate() {
                let seq = run.packets + k as u64;
                let written = Probe {
                    sender: *sender,
                    seq,
                    sent_ns,
                    planned: *planned,
                }
                .encode(slot);
                // --size is at least the header's length, so every slot holds one.
                debug_assert!(written, "a probe slot shorter than the header");
            }
        }
        match sock.send_many(&buf[..n * size], size, dest) {
            Ok(sent) => {
                run.packets += sent as u64;
                run.bytes += (sent * size) as u64;
                run.gaps.record(Instant::now(), sent as u64);
            }
            Err(e) if run.packets > 0 && transient(&e) => {
                // The queue is full: count it, give the kernel a moment, send the rest again.
                run.errors += 1;
                std::thread::sleep(Duration::from_micros(50));
            }
            Err(e) => return Err(e.into()),
        }
        status.tick(run.packets, pacer.due(0));
        reporter.check(&run)?;
    }
    run.path = sock.send_path(size);
    status.clear();
    Ok(run)
}

/// Where `one_at_a_time` takes its datagrams from.
pub enum Source<'a> {
    /// Each line of standard input.
    Stdin(StdinLines<io::Stdin>),
    /// The same bytes every time (an empty message, which a batch cannot lay out).
    Fixed(&'a [u8]),
    /// Probes whose sizes follow `cycle`, each carrying the cycle (they differ in size, so
    /// they cannot share one segmented send).
    Cycle {
        cycle: SizeCycle,
        sender: u32,
        planned: u32,
        buf: Vec<u8>,
    },
}

/// Sends datagrams from `source` one system call each, paced when a rate is given.
pub fn one_at_a_time(
    sock: &mut McastSocket,
    dest: &Destination,
    limits: &Limits,
    mut source: Source,
    reporter: &mut Reporter,
) -> Result<Run> {
    let pacer = Pacer::new(limits.rate);
    let mut run = Run::new(SendPath::Sendto);
    while limits.count.is_none_or(|c| run.packets < c) && !stop::requested() {
        if pacer.wait(run.packets, 1, limits.end, stop::requested) == 0 {
            break;
        }
        let datagram: &[u8] = match &mut source {
            Source::Stdin(lines) => match lines.next(limits.end)? {
                Next::Line(text) => text,
                Next::End | Next::Stopped => break,
            },
            Source::Fixed(bytes) => bytes,
            Source::Cycle {
                cycle,
                sender,
                planned,
                buf,
            } => {
                let seq = run.packets;
                let size = usize::from(cycle.sizes()[cycle.index_of(seq)]);
                let probe = Probe {
                    sender: *sender,
                    seq,
                    sent_ns: now_ns(),
                    planned: *planned,
                };
                // Every size holds the header and the cycle (SizeCycle::new checked).
                let written = probe.encode(&mut buf[..size]) && cycle.encode(&mut buf[..size]);
                debug_assert!(written, "a probe shorter than its header");
                &buf[..size]
            }
        };
        match sock.send_dest(datagram, dest) {
            Ok(n) => {
                run.packets += 1;
                run.bytes += n as u64;
                run.gaps.record(Instant::now(), 1);
            }
            Err(e) if run.packets > 0 && transient(&e) => run.errors += 1,
            Err(e) => return Err(e.into()),
        }
        reporter.check(&run)?;
    }
    Ok(run)
}

/// Errors a busy or flapping network causes, counted rather than fatal once sending worked.
fn transient(e: &mcast::Error) -> bool {
    e.os_error()
        .and_then(io::Error::raw_os_error)
        .is_some_and(|code| {
            [
                libc::ENOBUFS,
                libc::EAGAIN,
                libc::EINTR,
                libc::ENETDOWN,
                libc::ENETUNREACH,
                libc::EHOSTUNREACH,
                libc::ECONNREFUSED,
            ]
            .contains(&code)
        })
}

/// The one-line live status on a terminal's stderr, redrawn once a second.
struct Status {
    on: bool,
    next: Instant,
}

impl Status {
    fn new() -> Self {
        Status {
            on: io::stderr().is_terminal(),
            next: Instant::now() + Duration::from_secs(1),
        }
    }

    fn tick(&mut self, packets: u64, start: Instant) {
        if !self.on || Instant::now() < self.next {
            return;
        }
        self.next += Duration::from_secs(1);
        let rate = packets as f64 / start.elapsed().as_secs_f64().max(1e-9);
        let _ = write!(io::stderr(), "\r\x1b[Kmcast: sent {packets} ({rate:.1}/s)");
    }

    fn clear(&self) {
        if self.on {
            let _ = write!(io::stderr(), "\r\x1b[K");
        }
    }
}
