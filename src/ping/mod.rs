//! What a ping learns of each server, apart from any socket: replies counted per path only
//! when they answer a request that was sent, their round trips and hops, and the verdict a
//! person reads at a glance. `mcast ping` and `mcast mesh` keep one `ServerStats` per host.

mod stats;
mod times;
mod wire;

pub use stats::{
    Counts, DUPLICATE_WINDOW, PathCounts, PathStats, PathSummary, ServerStats, ServerSummary,
    Verdict,
};
pub use times::{SendTimes, TxStamps};
pub use wire::{INIT_SIZE, Proto, Reply, read_reply, request_for};
