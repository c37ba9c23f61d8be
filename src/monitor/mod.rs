//! What `mcast monitor` is built from: the groups it watches (as typed on the command line,
//! one a line in a file, or in an M3U playlist as IPTV set-ups have them), the sockets their
//! joins need within the kernel's per-socket limits, and the engine that reads every group's
//! datagrams and raises and clears its alarms on a clock.

pub mod alarm;
pub mod engine;
pub mod group;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod pair;
pub mod plan;
pub mod targets;

pub use alarm::{AlarmKind, Change, Seen};
pub use engine::{Delivery, Monitor, Options};
pub use group::{State, Watched, Window};
pub use pair::{Merge, Pair};
pub use plan::{Join, JoinLimits, SocketPlan, Twice, plan};
pub use targets::{BadLine, Target, parse_list};
