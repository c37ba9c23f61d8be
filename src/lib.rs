//! mcast: a multicast socket library and the diagnostic tool built on it.
//!
//! The library is a Rust rendering of a mid-level multicast socket API:
//! [`McastSocket`] joins and leaves groups (any-source and source-specific, IPv4 and IPv6, on
//! one dual-stack socket where the OS allows), sets send and receive options, and reports for
//! each datagram who sent it, to which group, on which interface and with what TTL and TOS.
//! [`SenderMcastSocket`] and [`ReceiverMcastSocket`] are the simplified one-group pair.
//! Nothing here knows of the command line; the engines of its commands are here, each a
//! module a program can drive without it.
//!
//! The modules:
//! - [`socket`], [`simple`], [`addr`], [`service`], [`error`]: the socket API itself, the
//!   addresses (with zones) and ports it takes, and its errors.
//! - [`batch`]: many datagrams a call (GSO/GRO, sendmmsg/recvmmsg); [`pace`]: sending at a rate;
//!   [`pipe`]: pipes a fast receiver writes into.
//! - [`iface`]: interfaces, their flags and addresses, routes to a group; [`membership`]: what
//!   the kernel holds, with source filters; [`lanes`]: source-specific joins spread over as
//!   many sockets as the kernel's limits ask.
//! - [`probe`], [`stats`]: mcast's numbered probes, and loss, duplicates, reordering, delay
//!   and jitter judged from them.
//! - [`wire`]: codecs of what crosses the network: IGMP/MLD, IP headers, ssmping, RFC 6450,
//!   mesh's columns.
//! - [`content`]: loss in what the datagrams carry: RTP, MPEG-TS, sequenced feeds.
//! - [`capture`]: IGMP/MLD or one group's traffic as it crosses the wire, pcapng files written
//!   and pcap/pcapng files read back (Ethernet, VLAN, Linux cooked v1/v2).
//! - [`watch`]: the IGMP/MLD state of a link (queriers and their elections, hosts, warnings).
//! - [`ping`]: the ping engine of `ping` and `mesh`: requests, replies, statistics, send times.
//! - [`reflect`]: the reflector's decision, what to answer with which limits, and its reply path.
//! - [`mesh`]: what a mesh host knows of each other host.
//! - [`monitor`]: `mcast monitor`'s engine: targets, lists and M3U playlists, joins planned
//!   within the kernel's per-socket limits, each group's state, alarms on a clock.
//! - `metrics` (feature `metrics`, on with `cli`): figures served to Prometheus as
//!   OpenMetrics text by a small HTTP server on a thread of its own.
//! - `doctor` (feature `doctor`, on with `cli`): why multicast does not arrive, checks as
//!   functions of what the host reports through one seam.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod addr;
pub mod batch;
pub mod capture;
pub mod content;
#[cfg(feature = "doctor")]
pub mod doctor;
pub mod error;
pub mod iface;
mod join;
pub mod lanes;
pub mod membership;
pub mod mesh;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod monitor;
mod options;
pub mod pace;
pub mod ping;
pub mod pipe;
pub mod probe;
pub mod reflect;
pub mod service;
pub mod simple;
pub mod socket;
pub mod stats;
mod sys;
pub mod watch;
pub mod wire;

pub use addr::{IfaceSpec, ScopedAddr, Zone};
pub use batch::{RecvBatch, SendPath};
pub use error::{Error, ErrorKind, Result};
pub use service::Service;
pub use simple::{ReceiverMcastSocket, SenderMcastSocket};
pub use socket::{Destination, IpMode, McastSocket, Membership, Received};
