//! Replies for `reflect` and `mesh`, from the address the request came to and, for a group,
//! out of the interface it came in on: with several addresses or links, the route's choice
//! is not what the client asked, and a client joined to (server, group) would drop the rest.

use std::net::{IpAddr, SocketAddr};

use crate::sys::{self, FromTo};
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

/// Which path a reply takes, for the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// To the client.
    Unicast,
    /// To the group, at the client's port.
    Multicast,
}

/// What one `ReplyBatch::flush` sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Replies the kernel took, to clients.
    pub unicast: u64,
    /// Replies the kernel took, to groups.
    pub multicast: u64,
    /// Replies it refused.
    pub errors: u64,
}

/// One reply waiting in a batch: where its bytes lie, and where it goes.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    len: usize,
    to: SocketAddr,
    local: Option<IpAddr>,
    ifindex: Option<u32>,
    path: Path,
}

/// The replies to a batch of requests, copied into slots of their own and sent with one
/// sendmmsg (Linux; one sendmsg each elsewhere), each from the address its request came to:
/// two system calls for a batch of requests where one each made three a request. The
/// buffers are made once; nothing is allocated per reply.
#[derive(Debug)]
pub struct ReplyBatch {
    bytes: Box<[u8]>,
    slot: usize,
    waiting: Vec<Waiting>,
}

impl ReplyBatch {
    /// The most replies a batch holds: one sendmmsg's worth.
    pub const CAPACITY: usize = sys::MAX_MESSAGES;

    /// Room for CAPACITY replies of up to `largest` bytes.
    pub fn new(largest: usize) -> ReplyBatch {
        let slot = largest.max(1);
        ReplyBatch {
            bytes: vec![0; slot * Self::CAPACITY].into_boxed_slice(),
            slot,
            waiting: Vec::with_capacity(Self::CAPACITY),
        }
    }

    /// Replies waiting.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// True when none waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Drops the replies waiting, sending none.
    pub fn clear(&mut self) {
        self.waiting.clear();
    }

    /// Queues `bytes` to `to` from `local`, out of `ifindex` for a group (as
    /// `ReplyOut::send`). False, queuing nothing, when the batch is full or the reply does
    /// not fit a slot: send it alone then.
    pub fn push(
        &mut self,
        bytes: &[u8],
        to: SocketAddr,
        local: Option<IpAddr>,
        ifindex: Option<u32>,
        path: Path,
    ) -> bool {
        let at = self.waiting.len();
        if at >= Self::CAPACITY || bytes.len() > self.slot {
            return false;
        }
        self.bytes[at * self.slot..at * self.slot + bytes.len()].copy_from_slice(bytes);
        self.waiting.push(Waiting {
            len: bytes.len(),
            to,
            local,
            ifindex,
            path,
        });
        true
    }

    /// Sends every reply waiting, in order, and empties the batch. Replies with a source
    /// of ours go together in one call; one the kernel refuses, and one without a usable
    /// source, goes alone through `out` (which falls back to the route's choice).
    pub fn flush(&mut self, sock: &mut McastSocket, out: &mut [ReplyOut; 2]) -> Sent {
        let mut sent = Sent::default();
        let mut count = |path: Path, ok: bool| match (ok, path) {
            (false, _) => sent.errors += 1,
            (true, Path::Unicast) => sent.unicast += 1,
            (true, Path::Multicast) => sent.multicast += 1,
        };
        let mut i = 0;
        while i < self.waiting.len() {
            // The run of replies from here that have a source of ours.
            let mut msgs = [FromTo {
                bytes: &[],
                to: self.waiting[i].to,
                from: self.waiting[i].to.ip(),
                ifindex: 0,
            }; Self::CAPACITY];
            let mut n = 0;
            for w in &self.waiting[i..] {
                let Some(from) = w.local.filter(|l| usable_source(*l)) else {
                    break;
                };
                let at = (i + n) * self.slot;
                msgs[n] = FromTo {
                    bytes: &self.bytes[at..at + w.len],
                    to: w.to,
                    from,
                    ifindex: if w.to.ip().is_multicast() {
                        w.ifindex.unwrap_or(0)
                    } else {
                        0
                    },
                };
                n += 1;
            }
            let took = if n > 0 {
                sys::send_many_from(sock.socket(), &msgs[..n]).unwrap_or(0)
            } else {
                0
            };
            for w in &self.waiting[i..i + took] {
                count(w.path, true);
            }
            i += took;
            if i < self.waiting.len() {
                // Refused in the batch, or no source of ours: alone, with the fallbacks.
                let w = self.waiting[i];
                let at = i * self.slot;
                let one = &self.bytes[at..at + w.len];
                let ok = out[usize::from(w.to.is_ipv6())]
                    .send(sock, one, w.to, w.local, w.ifindex)
                    .is_ok();
                count(w.path, ok);
                i += 1;
            }
        }
        self.clear();
        sent
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

    #[test]
    fn a_batch_holds_one_sendmmsg_of_replies_each_within_its_slot() {
        let to: SocketAddr = "192.0.2.9:4000".parse().unwrap();
        let mut b = ReplyBatch::new(100);
        assert!(b.is_empty());
        assert!(
            !b.push(&[0; 101], to, None, None, Path::Unicast),
            "larger than a slot"
        );
        for i in 0..ReplyBatch::CAPACITY {
            assert!(b.push(&[i as u8; 100], to, None, None, Path::Multicast));
        }
        assert_eq!(b.len(), ReplyBatch::CAPACITY);
        assert!(!b.is_empty());
        assert!(!b.push(&[1], to, None, None, Path::Unicast), "full");
        // Each reply in its own slot, whole.
        let last = (ReplyBatch::CAPACITY - 1) * b.slot;
        assert_eq!(
            &b.bytes[last..last + 100],
            &[ReplyBatch::CAPACITY as u8 - 1; 100]
        );
        // Cleared, it takes a batch again from its first slot.
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.len(), 0, "len and is_empty agree");
        assert!(b.push(&[7; 3], to, None, None, Path::Unicast));
        assert_eq!((b.len(), &b.bytes[..3]), (1, &[7u8; 3][..]));
    }
}
