//! Replies for `reflect` and `mesh`, from the address the request came to and, for a group,
//! out of the interface it came in on: with several addresses or links, the route's choice
//! is not what the client asked, and a client joined to (server, group) would drop the rest.

use std::net::{IpAddr, SocketAddr};

use crate::{IfaceSpec, McastSocket, ScopedAddr, Service, Zone};

/// Sends replies, remembering the IPv4 socket's multicast interface for the fallback path.
#[derive(Debug, Default)]
pub struct ReplyOut {
    /// The IPv4 socket's IP_MULTICAST_IF as last set (0: the route's choice).
    v4_if: u32,
}

/// Whether `local` (where a request came to) can be a reply's source.
fn usable_source(local: IpAddr) -> bool {
    !(local.is_multicast()
        || local.is_unspecified()
        || matches!(local, IpAddr::V4(a) if a.is_broadcast()))
}

impl ReplyOut {
    /// Sends `bytes` to `to` (the client, or a group at the client's port) from `local` and,
    /// for a group, out of interface `ifindex`.
    pub fn send(
        &mut self,
        sock: &mut McastSocket,
        bytes: &[u8],
        to: SocketAddr,
        local: Option<IpAddr>,
        ifindex: Option<u32>,
    ) -> crate::Result<usize> {
        let group = to.ip().is_multicast();
        if let Some(from) = local.filter(|l| usable_source(*l)) {
            let oif = if group { ifindex } else { None };
            if let Ok(n) = sock.send_from(bytes, to, from, oif) {
                return Ok(n);
            }
        }
        // The address is gone, or the OS would not take it: the route's choice then.
        if !group {
            return sock
                .socket()
                .send_to(bytes, &to.into())
                .map_err(|e| crate::Error::os(format!("send to {to}"), "sendto", e));
        }
        let mut dest = ScopedAddr::from(to.ip());
        if to.is_ipv6() {
            dest.zone = ifindex.map(Zone::Index);
        } else if let Some(i) = ifindex.filter(|i| *i != self.v4_if) {
            // Set only when it changes: setting it reads the interface list.
            if sock
                .set_send_options(Some(&IfaceSpec::Index(i)), None, None, None)
                .is_ok()
            {
                self.v4_if = i;
            }
        }
        sock.send_to(bytes, &dest, &Service::Port(to.port()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_unicast_address_of_ours_is_a_source() {
        for (a, ok) in [
            ("192.0.2.1", true),
            ("2001:db8::1", true),
            ("232.43.211.234", false),
            ("ff3e::4321:1234", false),
            ("255.255.255.255", false),
            ("0.0.0.0", false),
            ("::", false),
        ] {
            assert_eq!(usable_source(a.parse().unwrap()), ok, "{a}");
        }
    }
}
