//! What IGMP and MLD on the wire say, apart from any capture: the queriers of each link
//! (elected by their own timers), the hosts' memberships and their source filters, and the
//! warnings a network engineer acts on (no querier, an old one, queriers that disagree, a
//! host that does not answer its queries), all bounded whatever a hostile host sends.
//! `mcast watch` feeds it the packets it captures.

mod local;
mod state;

pub use local::LocalAnswers;
pub use state::{
    HostView, Kind, MAX_ENTRIES, MAX_QUERIERS, MAX_SOURCES, MAX_TOLD, Membership, Querier, Timers,
    Warning, Watch, protocol,
};
