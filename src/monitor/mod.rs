//! What `mcast monitor` is built from: the groups it watches, as typed on the command line,
//! one a line in a file, or in an M3U playlist as IPTV set-ups have them.

pub mod targets;

pub use targets::{BadLine, Target, parse_list};
