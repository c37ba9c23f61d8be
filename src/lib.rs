//! mcast: a multicast socket library and the diagnostic tool built on it.
//!
//! The library is a Rust rendering of a mid-level multicast socket API:
//! [`McastSocket`] joins and leaves groups (any-source and source-specific, IPv4 and IPv6, on
//! one dual-stack socket where the OS allows), sets send and receive options, and reports for
//! each datagram who sent it, to which group, on which interface and with what TTL and TOS.
//! [`SenderMcastSocket`] and [`ReceiverMcastSocket`] are the simplified one-group pair.
//! [`iface`] lists interfaces and [`membership`] what the kernel holds. Nothing here knows of
//! the command line.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod addr;
pub mod batch;
pub mod capture;
#[cfg(feature = "doctor")]
pub mod doctor;
pub mod error;
pub mod iface;
mod join;
pub mod lanes;
pub mod membership;
pub mod mesh;
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
