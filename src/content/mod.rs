//! Loss in the content: analyzers of what the datagrams themselves carry (RTP's sequence
//! numbers and timestamps, MPEG-TS continuity counters, a feed's sequence numbers), so that
//! a stream mcast did not send can be judged. Pure: bytes and their kernel arrival time in,
//! statistics and events out, with no allocation per datagram and a typed error (or a
//! count) for what cannot be read.

pub mod arrival;
pub mod flow;
pub mod rtp;
pub mod seq;
pub mod ts;
