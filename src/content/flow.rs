//! The streams of one group and port, one per sender (source address and port): what each
//! carries (found in its first datagrams, or as told), the analyzer that reads it, when it
//! falls silent and comes back, how its datagrams are spaced, and whose fault its losses
//! were: a gap in the content that coincides with datagrams the kernel dropped on this
//! socket is this host's, the rest the network's.
//!
//! Detection (`Choice::Auto`): raw TS when the datagram is whole 188-byte packets that each
//! start with 0x47; RTP when it parses as version 2 with a payload type that has a clock
//! rate or is dynamic (96-127), and the sender's next datagram has the same SSRC and a
//! sequence number just after (or, for payload type 33, at once when the payload is TS).
//! Anything else is not analysed, and neither is a sender beyond the most followed.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::arrival::{Arrival, Mdi};
use super::rtp::{self, Rtp};
use super::seq::{self, Feed};
use super::ts::{self, Ts};

/// What a stream carries, once known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// RTP, its payload not read.
    Rtp,
    /// MPEG-TS inside RTP (payload type 33): RTP's sequence and TS's counters both read.
    RtpTs,
    /// MPEG-TS straight over UDP.
    Ts,
    /// A sequenced feed (`--seq`).
    Feed,
}

impl Content {
    /// Its name in JSON and text.
    pub fn name(self) -> &'static str {
        match self {
            Content::Rtp => "rtp",
            Content::RtpTs => "rtp_ts",
            Content::Ts => "ts",
            Content::Feed => "feed",
        }
    }
}

/// How the streams are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Found from the first datagrams of each sender.
    Auto,
    /// RTP (with TS inside when its payload type is 33 and the payload is TS).
    Rtp,
    /// MPEG-TS (inside RTP when it comes so).
    Ts,
    /// A sequence number where the format says.
    Feed(seq::Format),
}

/// How the streams are read and judged.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// What the content is.
    pub choice: Choice,
    /// The clock rate of RTP's dynamic payload types, in Hz.
    pub clock_rate: Option<u32>,
    /// A stream silent this long is stalled, in ns.
    pub stall_ns: u64,
    /// How long a PID a PMT lists may be silent (TR 101 290 1.6), in ns.
    pub pid_timeout_ns: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            choice: Choice::Auto,
            clock_rate: None,
            stall_ns: 1_000_000_000,
            pid_timeout_ns: 5_000_000_000,
        }
    }
}

/// What a stream told, for the caller to show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Told {
    /// A stream was recognised (for RTP, a sender's SSRC: `others` senders were there
    /// before it on the same source, and more than none is a second sender).
    Stream {
        /// What it carries.
        content: Content,
        /// Its SSRC, for RTP.
        ssrc: Option<u32>,
        /// Its payload type, for RTP.
        payload_type: Option<u8>,
        /// Senders (SSRCs) followed on this source before it.
        others: usize,
    },
    /// Sequence numbers skipped (RTP or a feed).
    Gap {
        /// The RTP sender, when RTP.
        ssrc: Option<u32>,
        /// The number awaited.
        expected: u64,
        /// The number that came.
        found: u64,
        /// Numbers missing between them.
        missing: u64,
        /// Of them, those that coincide with datagrams this host's kernel dropped.
        host: u64,
    },
    /// The sequence started again (an RTP sender's confirmed jump, a feed's new session).
    Restart {
        /// The RTP sender, when RTP.
        ssrc: Option<u32>,
    },
    /// A TS continuity error (TR 101 290 1.4).
    Continuity {
        /// The PID.
        pid: u16,
        /// What went wrong.
        error: ts::Continuity,
        /// Whether it coincides with datagrams this host's kernel dropped.
        host: bool,
    },
    /// Another TS indicator (sync, PAT, PMT, PID, CRC, PCR) or a silence of one ending.
    Ts(ts::Event),
    /// Nothing came for longer than the stall limit.
    Stall {
        /// When the last datagram came, ns since the epoch.
        last_ns: u64,
        /// How long it has been silent when told, in ns.
        silent_ns: u64,
    },
    /// It came back after a stall.
    Resume {
        /// How long it was silent, in ns.
        outage_ns: u64,
    },
}

/// How many datagrams a sender may send that parse as RTP without proving it.
const TENTATIVE: u8 = 3;

/// The analyzer of one stream.
#[derive(Debug)]
enum Reader {
    /// Parses as RTP; not yet confirmed by a second datagram of one of the senders
    /// (SSRC and number) heard so far, which may take turns.
    Tentative {
        rtp: Rtp,
        heard: [Option<(u32, u16)>; TENTATIVE as usize],
        tries: u8,
    },
    Rtp(Rtp),
    RtpTs(Rtp, Ts),
    Ts(Ts),
    Feed(Feed),
    /// Not analysed.
    Raw,
}

/// One sender's stream.
#[derive(Debug)]
pub struct Flow {
    /// Who sends it.
    pub source: SocketAddr,
    reader: Reader,
    /// Datagrams.
    pub datagrams: u64,
    /// Their bytes.
    pub bytes: u64,
    /// When the first and last came, ns since the epoch.
    pub first_ns: u64,
    /// See `first_ns`.
    pub last_ns: u64,
    /// How its datagrams were spaced.
    pub arrival: Arrival,
    /// RFC 4445's index, for TS.
    pub mdi: Option<Mdi>,
    /// Lost units (RTP packets, TS packets, feed numbers) that coincide with datagrams
    /// this host's kernel dropped.
    pub lost_host: u64,
    /// Stalls seen, and their length in all (ns), a stall still going on counted so far.
    pub stalls: u64,
    stalled_ns: u64,
    stalled: bool,
    /// The socket's drop counter at its last datagram.
    drops_at_last: u64,
}

fn plausible(h: &rtp::Header) -> bool {
    rtp::clock_rate(h.payload_type).is_some() || (96..=127).contains(&h.payload_type)
}

/// The TS inside an RTP datagram, when there is some.
fn ts_inside(datagram: &[u8], h: &rtp::Header) -> Option<std::ops::Range<usize>> {
    let range = h.payload_offset..h.payload_offset + h.payload_len;
    (h.payload_type == 33 && Ts::looks_like(&datagram[range.clone()])).then_some(range)
}

impl Flow {
    fn new(source: SocketAddr, now_ns: u64, drops: u64) -> Flow {
        Flow {
            source,
            reader: Reader::Raw,
            datagrams: 0,
            bytes: 0,
            first_ns: now_ns,
            last_ns: now_ns,
            arrival: Arrival::default(),
            mdi: None,
            lost_host: 0,
            stalls: 0,
            stalled_ns: 0,
            stalled: false,
            drops_at_last: drops,
        }
    }

    /// What it carries; None when it is not analysed (or not known yet).
    pub fn content(&self) -> Option<Content> {
        match self.reader {
            Reader::Rtp(_) => Some(Content::Rtp),
            Reader::RtpTs(..) => Some(Content::RtpTs),
            Reader::Ts(_) => Some(Content::Ts),
            Reader::Feed(_) => Some(Content::Feed),
            Reader::Tentative { .. } | Reader::Raw => None,
        }
    }

    /// The RTP senders' figures, for RTP.
    pub fn rtp(&self) -> Option<&Rtp> {
        match &self.reader {
            Reader::Rtp(r) | Reader::RtpTs(r, _) => Some(r),
            _ => None,
        }
    }

    /// The TS figures, for TS.
    pub fn ts(&self) -> Option<&Ts> {
        match &self.reader {
            Reader::Ts(t) | Reader::RtpTs(_, t) => Some(t),
            _ => None,
        }
    }

    /// The feed's figures, for a feed.
    pub fn feed(&self) -> Option<&Feed> {
        match &self.reader {
            Reader::Feed(f) => Some(f),
            _ => None,
        }
    }

    /// Units lost: RTP packets (RFC 3550 A.3, never below 0), else TS packets missing by
    /// the continuity counters, else a feed's numbers.
    pub fn lost(&self) -> u64 {
        if let Some(r) = self.rtp() {
            return r.streams().map(rtp::Stream::missing).sum();
        }
        if let Some(t) = self.ts() {
            return t.pids().map(|(_, p)| p.missing).sum();
        }
        self.feed().map_or(0, |f| f.lost)
    }

    /// Units lost that do not coincide with a drop on this host: the network's.
    pub fn lost_network(&self) -> u64 {
        self.lost().saturating_sub(self.lost_host)
    }

    /// Time spent stalled, in ns, up to `now_ns` for a stall going on.
    pub fn stalled_ns(&self, now_ns: u64) -> u64 {
        let going_on = if self.stalled {
            now_ns.saturating_sub(self.last_ns)
        } else {
            0
        };
        self.stalled_ns + going_on
    }

    /// Whether it is stalled now.
    pub fn is_stalled(&self) -> bool {
        self.stalled
    }

    /// Picks the reader for a first datagram.
    fn start(&mut self, opts: &Options, datagram: &[u8], on: &mut impl FnMut(Told)) {
        let header = rtp::Header::parse(datagram).ok();
        let in_rtp = header.and_then(|h| ts_inside(datagram, &h));
        let ts = || {
            let mut t = Ts::new();
            t.pid_timeout_ns = opts.pid_timeout_ns;
            t
        };
        self.reader = match opts.choice {
            Choice::Feed(format) => Reader::Feed(Feed::new(format)),
            Choice::Ts if in_rtp.is_some() => Reader::RtpTs(Rtp::new(opts.clock_rate), ts()),
            Choice::Ts => Reader::Ts(ts()),
            Choice::Rtp | Choice::Auto if in_rtp.is_some() => {
                Reader::RtpTs(Rtp::new(opts.clock_rate), ts())
            }
            Choice::Rtp => Reader::Rtp(Rtp::new(opts.clock_rate)),
            Choice::Auto if Ts::looks_like(datagram) => Reader::Ts(ts()),
            Choice::Auto => match header.filter(plausible) {
                Some(h) => Reader::Tentative {
                    rtp: Rtp::new(opts.clock_rate),
                    heard: [Some((h.ssrc, h.seq)), None, None],
                    tries: 0,
                },
                None => Reader::Raw,
            },
        };
        if matches!(self.reader, Reader::Ts(_) | Reader::RtpTs(..)) {
            self.mdi = Some(Mdi::default());
        }
        if let Some(content) = self.content() {
            let (ssrc, payload_type) = match (content, header) {
                (Content::Rtp | Content::RtpTs, Some(h)) => (Some(h.ssrc), Some(h.payload_type)),
                _ => (None, None),
            };
            on(Told::Stream {
                content,
                ssrc,
                payload_type,
                others: 0,
            });
        }
    }

    /// A tentative RTP sender's next datagram: confirmed, tried again, or given up.
    fn confirm(&mut self, datagram: &[u8], on: &mut impl FnMut(Told)) {
        let Reader::Tentative { heard, tries, .. } = &mut self.reader else {
            return;
        };
        let header = rtp::Header::parse(datagram).ok().filter(plausible);
        // A sender heard before, a little further on: RTP, whoever else takes turns with it.
        let follows = |h: &rtp::Header| {
            heard
                .iter()
                .flatten()
                .any(|&(ssrc, seq)| ssrc == h.ssrc && (1..=100).contains(&h.seq.wrapping_sub(seq)))
        };
        match header {
            Some(h) if follows(&h) => {
                let Reader::Tentative { rtp, heard, .. } =
                    std::mem::replace(&mut self.reader, Reader::Raw)
                else {
                    return;
                };
                // Every sender heard while on trial is told, in the order first heard.
                for (others, ssrc) in heard.iter().flatten().map(|&(ssrc, _)| ssrc).enumerate() {
                    on(Told::Stream {
                        content: Content::Rtp,
                        ssrc: Some(ssrc),
                        payload_type: rtp.stream(ssrc).map(|s| s.payload_type),
                        others,
                    });
                }
                self.reader = Reader::Rtp(rtp);
            }
            _ if *tries + 1 >= TENTATIVE => self.reader = Reader::Raw,
            Some(h) => {
                *tries += 1;
                // The same sender's latest number, or a new sender in a free place: there
                // is always one, as many places as tries.
                if let Some(slot) = heard
                    .iter()
                    .position(|x| x.is_none_or(|(ssrc, _)| ssrc == h.ssrc))
                {
                    heard[slot] = Some((h.ssrc, h.seq));
                }
            }
            None => *tries += 1,
        }
    }

    /// Reads one datagram; `window` is how many datagrams the kernel dropped since the
    /// last one of this sender.
    fn read(&mut self, datagram: &[u8], ns: u64, window: u64, on: &mut impl FnMut(Told)) {
        let any_drop = window > 0;
        let mut lost_host = 0u64;
        let mut ts_missing = 0u64;
        let mut ts_bytes = 0usize;
        // Returns true when the sender started again: a confirmed jump, or a new SSRC.
        let mut rtp_told =
            |r: &mut Rtp, content: Content, datagram: &[u8], on: &mut dyn FnMut(Told)| {
                match r.observe(datagram, ns) {
                    Ok(rtp::Event::Packet { ssrc, seen }) => match seen {
                        rtp::Seen::Gap {
                            expected,
                            found,
                            missing,
                        } => {
                            let missing = u64::from(missing);
                            // Each dropped datagram held one RTP packet (and a datagram
                            // brings one gap at most).
                            let host = missing.min(window);
                            lost_host += host;
                            on(Told::Gap {
                                ssrc: Some(ssrc),
                                expected: u64::from(expected),
                                found: u64::from(found),
                                missing,
                                host,
                            });
                        }
                        rtp::Seen::Restart => {
                            on(Told::Restart { ssrc: Some(ssrc) });
                            return true;
                        }
                        _ => {}
                    },
                    Ok(rtp::Event::NewSender { ssrc, others }) if others > 0 => {
                        let payload_type = r.stream(ssrc).map(|s| s.payload_type);
                        on(Told::Stream {
                            content,
                            ssrc: Some(ssrc),
                            payload_type,
                            others,
                        });
                        return true;
                    }
                    _ => {}
                }
                false
            };
        match &mut self.reader {
            Reader::Tentative { rtp, .. } => {
                let _ = rtp.observe(datagram, ns);
            }
            Reader::Rtp(r) => {
                rtp_told(r, Content::Rtp, datagram, on);
            }
            Reader::RtpTs(r, t) => {
                if rtp_told(r, Content::RtpTs, datagram, on) {
                    t.sender_restarted(ns);
                }
                if let Ok(h) = rtp::Header::parse(datagram) {
                    let payload = &datagram[h.payload_offset..h.payload_offset + h.payload_len];
                    ts_bytes = payload.len();
                    ts_read(t, payload, ns, any_drop, &mut ts_missing, on);
                }
            }
            Reader::Ts(t) => {
                ts_bytes = datagram.len();
                ts_read(t, datagram, ns, any_drop, &mut ts_missing, on);
                // RTP's sequence counts the loss of an RTP stream; here the counters do.
                if any_drop {
                    lost_host += ts_missing;
                }
            }
            Reader::Feed(f) => match f.observe(datagram) {
                Ok(seq::Seen::Gap {
                    expected,
                    found,
                    missing,
                }) => {
                    // A datagram of a field format holds one number; of MoldUDP64,
                    // many: a drop there takes the whole gap.
                    let host = match f.format() {
                        seq::Format::Field { .. } => missing.min(window),
                        seq::Format::MoldUdp64 if window > 0 => missing,
                        seq::Format::MoldUdp64 => 0,
                    };
                    lost_host += host;
                    on(Told::Gap {
                        ssrc: None,
                        expected,
                        found,
                        missing,
                        host,
                    });
                }
                Ok(seq::Seen::NewSession) => on(Told::Restart { ssrc: None }),
                _ => {}
            },
            Reader::Raw => {}
        }
        self.lost_host += lost_host;
        if let Some(m) = self.mdi.as_mut() {
            m.arrived(ns, ts_bytes, ts_missing);
        }
    }
}

/// Reads TS packets, telling continuity errors with their cause and the other indicators;
/// adds the packets missing to `missing`.
fn ts_read(
    t: &mut Ts,
    payload: &[u8],
    ns: u64,
    any_drop: bool,
    missing: &mut u64,
    on: &mut dyn FnMut(Told),
) {
    t.observe(payload, ns, |e| match e {
        ts::Event::ContinuityError { pid, error } => {
            if let ts::Continuity::Lost { missing: m, .. } = error {
                *missing += u64::from(m);
            }
            on(Told::Continuity {
                pid,
                error,
                host: any_drop,
            });
        }
        ts::Event::NewPid { .. } => {}
        other => on(Told::Ts(other)),
    });
}

/// Senders followed, at most: a flood of forged sources must not grow memory.
pub const MAX_FLOWS: usize = 1024;

/// Every sender's stream on one group and port.
#[derive(Debug)]
pub struct Streams {
    opts: Options,
    /// In the order first heard; never removed (bounded by MAX_FLOWS).
    flows: Vec<Flow>,
    index: HashMap<SocketAddr, usize>,
    /// The flow of the latest datagram: most datagrams follow one from the same sender,
    /// so most need no lookup.
    last: usize,
    /// Datagrams of senders beyond MAX_FLOWS.
    pub untracked: u64,
    /// What one datagram told, kept to spare an allocation per datagram.
    told: Vec<Told>,
}

impl Streams {
    /// Streams read as `opts` says, none seen yet.
    pub fn new(opts: Options) -> Streams {
        Streams {
            opts,
            flows: Vec::new(),
            index: HashMap::new(),
            last: 0,
            untracked: 0,
            told: Vec::new(),
        }
    }

    /// Reads one datagram from `source` that arrived at `ns` (the kernel's time, ns since
    /// the epoch), `drops` being the socket's count of datagrams its kernel dropped as last
    /// reported; `on` hears what it told. Returns what the datagram was read as, None when
    /// it was not analysed.
    pub fn observe(
        &mut self,
        source: SocketAddr,
        datagram: &[u8],
        ns: u64,
        drops: u64,
        mut on: impl FnMut(&Flow, Told),
    ) -> Option<Content> {
        let at = match self.flows.get(self.last) {
            Some(f) if f.source == source => self.last,
            _ => match self.index.get(&source) {
                Some(&i) => i,
                None if self.flows.len() >= MAX_FLOWS => {
                    self.untracked += 1;
                    return None;
                }
                None => {
                    self.index.insert(source, self.flows.len());
                    self.flows.push(Flow::new(source, ns, drops));
                    self.flows.len() - 1
                }
            },
        };
        self.last = at;
        let flow = &mut self.flows[at];
        // Gathered, then told: the flow is changing while its analyzers speak.
        let mut told = std::mem::take(&mut self.told);
        told.clear();
        let mut push = |t: Told| told.push(t);
        let window = drops.saturating_sub(flow.drops_at_last);
        flow.drops_at_last = drops;
        if flow.datagrams == 0 {
            flow.start(&self.opts, datagram, &mut push);
        } else {
            if flow.stalled {
                flow.stalled = false;
                let outage_ns = ns.saturating_sub(flow.last_ns);
                flow.stalled_ns += outage_ns;
                if let Reader::Ts(t) | Reader::RtpTs(_, t) = &mut flow.reader {
                    t.resume(ns);
                }
                push(Told::Resume { outage_ns });
            }
            flow.confirm(datagram, &mut push);
        }
        flow.read(datagram, ns, window, &mut push);
        flow.datagrams += 1;
        flow.bytes += datagram.len() as u64;
        flow.arrival.arrived(ns);
        flow.last_ns = flow.last_ns.max(ns);
        for t in &told {
            on(flow, *t);
        }
        self.told = told;
        match flow.reader {
            Reader::Tentative { .. } => Some(Content::Rtp),
            _ => flow.content(),
        }
    }

    /// Tells the streams that have been silent for longer than the stall limit at `now_ns`.
    /// Call it when `next_due` says: a stream that stops sends nothing to observe.
    pub fn tick(&mut self, now_ns: u64, mut on: impl FnMut(&Flow, Told)) {
        let limit = self.opts.stall_ns;
        for flow in &mut self.flows {
            if flow.content().is_none() || flow.stalled {
                continue;
            }
            let silent_ns = now_ns.saturating_sub(flow.last_ns);
            if silent_ns > limit {
                flow.stalled = true;
                flow.stalls += 1;
                on(
                    flow,
                    Told::Stall {
                        last_ns: flow.last_ns,
                        silent_ns,
                    },
                );
            }
        }
    }

    /// When the next stall could be told, ns since the epoch; None when no stream is
    /// flowing.
    pub fn next_due(&self) -> Option<u64> {
        self.flows
            .iter()
            .filter(|f| f.content().is_some() && !f.stalled)
            .map(|f| {
                f.last_ns
                    .saturating_add(self.opts.stall_ns)
                    .saturating_add(1)
            })
            .min()
    }

    /// Every sender's stream, in the order first heard.
    pub fn flows(&self) -> impl Iterator<Item = &Flow> {
        self.flows.iter()
    }
}

#[cfg(test)]
mod tests;
