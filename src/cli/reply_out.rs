//! Multicast replies out of the interface the request came in on, for `reflect` and `mesh`:
//! with several links, the route to a group is not where the client is.

use std::net::IpAddr;

use mcast::{IfaceSpec, McastSocket, ScopedAddr, Service, Zone};

/// Sends replies to groups out of arrival interfaces, remembering the IPv4 socket's choice.
#[derive(Debug, Default)]
pub struct ReplyOut {
    /// The IPv4 socket's IP_MULTICAST_IF as last set (0: the route's choice).
    v4_if: u32,
}

impl ReplyOut {
    /// Sends `bytes` to `group`:`port` out of interface `ifindex` (the route's when unknown).
    pub fn send(
        &mut self,
        sock: &mut McastSocket,
        bytes: &[u8],
        group: IpAddr,
        ifindex: Option<u32>,
        port: u16,
    ) -> mcast::Result<usize> {
        let mut to = ScopedAddr::from(group);
        if group.is_ipv6() {
            to.zone = ifindex.map(Zone::Index);
        } else if let Some(i) = ifindex.filter(|i| *i != self.v4_if) {
            // Set only when it changes: setting it reads the interface list.
            if sock
                .set_send_options(Some(&IfaceSpec::Index(i)), None, None, None)
                .is_ok()
            {
                self.v4_if = i;
            }
        }
        sock.send_to(bytes, &to, &Service::Port(port))
    }
}
