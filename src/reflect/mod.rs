//! The reflector's engine, apart from any socket: what `mcast reflect` (and `mcast mesh`'s
//! answering side) sends back to each ssmping or RFC 6450 request, to whom, and the bounded
//! state it keeps of strangers. Pure, so that tests and fuzz targets drive it without a
//! network.

mod policy;
mod reply_out;
mod state;

pub use policy::{
    Answer, Bucket, Limits, MAX_CLIENTS, REPLY_TTL, SESSION_LEN, answer, bad_source,
    multicast_port, reply_group,
};
pub use reply_out::{Path, ReplyBatch, ReplyOut, Sent};
pub use state::{Recent, SESSION_IDLE, SessionKey, Sessions};
