//! What `mcast reflect` answers, and to whom: the reply to each request of either protocol,
//! the groups it serves, the sources it refuses, and the token buckets that keep it from
//! being an amplifier. Pure: the tests drive it without a network.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use mcast::wire::ssmping::{self, Message};
use mcast::wire::{DEFAULT_GROUP_V4, DEFAULT_GROUP_V6, Protocol, protocol_of};

use super::events::now_ns;

/// Clients followed for rate limiting; past this, new clients share the global budget only.
pub const MAX_CLIENTS: usize = 10_000;
/// The TTL (hop limit) replies leave with, so clients can count hops as 64 less what arrives.
pub const REPLY_TTL: u32 = 64;

/// A token bucket: `rate` a second, up to `burst` saved.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    pub at: Instant,
}

impl Bucket {
    pub fn new(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    pub fn take(&mut self, rate: f64, burst: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// RFC 6450 session ids are opaque; omping uses 16 bytes.
pub const SESSION_LEN: usize = 16;

/// What to send back to one request.
pub struct Answer {
    pub protocol: &'static str,
    /// The reply to the client.
    pub unicast: Vec<u8>,
    /// The reply to the group (the same bytes), when there is one.
    pub multicast: Option<Vec<u8>>,
    /// The group the request asked for, if any.
    pub group: Option<IpAddr>,
    /// An RFC 6450 request outside the session it was given: told to stop.
    pub stale_session: bool,
    /// The request's sequence number (an echo request's; an init has none).
    pub seq: Option<u32>,
    /// The reply asked to be larger than the limit allows, and was not.
    pub capped: bool,
}

/// The answer to `request` from `client`; None for anything that is not a request of either
/// protocol. ssmping: the request's own bytes. RFC 6450: a server response with a new
/// session to an init, an echo reply to a request in that session (the request's options but
/// the server's own, and the TTL it leaves with), or "stop" (a response without a group).
pub fn answer(
    request: &[u8],
    client: IpAddr,
    sessions: &mut HashMap<IpAddr, [u8; SESSION_LEN]>,
    extra: &[IpAddr],
    max_reply: usize,
) -> Option<Answer> {
    use mcast::wire::rfc6450::{self, OPT_SERVER_INFO, OPT_SERVER_TIMESTAMP};
    match protocol_of(request)? {
        Protocol::Ssmping => {
            let m = Message::decode(request).ok()?;
            let mut reply = ssmping::reply_to(request)?;
            // ssmping's reply-size option: honoured up to --max-reply-size (by default the
            // request's own size, so a reflector is never an amplifier).
            let capped = ssmping::pad_reply(&mut reply, m.reply_size, max_reply.max(request.len()));
            Some(Answer {
                protocol: "ssmping",
                unicast: reply.clone(),
                multicast: Some(reply),
                group: m.group,
                stale_session: false,
                seq: m.seq,
                capped,
            })
        }
        Protocol::Rfc6450 => {
            let m = rfc6450::Message::decode(request).ok()?;
            let mut response = rfc6450::Message::new(rfc6450::Kind::Response);
            response.client_id = m.client_id.clone();
            response.seq = m.seq;
            match m.kind {
                rfc6450::Kind::Init => {
                    let session = new_session(client);
                    if sessions.len() < MAX_CLIENTS || sessions.contains_key(&client) {
                        sessions.insert(client, session);
                    }
                    response.group = reply_group(None, client, extra);
                    response.session_id = Some(session.to_vec());
                    if m.option_request.contains(&OPT_SERVER_INFO) {
                        response.server_info = Some(format!("mcast {}", env!("CARGO_PKG_VERSION")));
                    }
                    Some(Answer {
                        protocol: "rfc6450",
                        unicast: response.encode(),
                        multicast: None,
                        group: None,
                        stale_session: false,
                        seq: None,
                        capped: false,
                    })
                }
                rfc6450::Kind::Request => {
                    let in_session = m
                        .session_id
                        .as_deref()
                        .is_some_and(|id| sessions.get(&client).is_some_and(|s| s[..] == *id));
                    if !in_session {
                        return Some(Answer {
                            protocol: "rfc6450",
                            unicast: response.encode(),
                            multicast: None,
                            group: None,
                            stale_session: true,
                            seq: None,
                            capped: false,
                        });
                    }
                    let mut reply = m.clone();
                    reply.kind = rfc6450::Kind::Reply;
                    reply.session_id = None;
                    reply.server_info = None;
                    reply.ttl = Some(REPLY_TTL as u8);
                    reply.server_sent_ns = m
                        .option_request
                        .contains(&OPT_SERVER_TIMESTAMP)
                        .then(now_ns);
                    let bytes = reply.encode();
                    Some(Answer {
                        protocol: "rfc6450",
                        unicast: bytes.clone(),
                        multicast: Some(bytes),
                        group: m.group,
                        stale_session: false,
                        seq: m.seq,
                        capped: false,
                    })
                }
                _ => None,
            }
        }
    }
}

/// A session id no one can guess from outside this process.
fn new_session(client: IpAddr) -> [u8; SESSION_LEN] {
    use std::hash::{BuildHasher, RandomState};
    let state = RandomState::new();
    let a = state.hash_one((client, now_ns()));
    let b = state.hash_one((now_ns(), a));
    let mut id = [0u8; SESSION_LEN];
    id[..8].copy_from_slice(&a.to_be_bytes());
    id[8..].copy_from_slice(&b.to_be_bytes());
    id
}

/// The group a reply goes to: the one asked for when allowed, else the family's default.
/// None when one was asked for and is not allowed (the multicast reply is refused).
pub fn reply_group(asked: Option<IpAddr>, client: IpAddr, extra: &[IpAddr]) -> Option<IpAddr> {
    let default = if client.is_ipv4() {
        IpAddr::V4(DEFAULT_GROUP_V4)
    } else {
        IpAddr::V6(DEFAULT_GROUP_V6)
    };
    let Some(g) = asked else { return Some(default) };
    // ssmpingd's rule, and the groups the operator named.
    let customary = mcast::wire::customary_group(g);
    let ok =
        g.is_multicast() && g.is_ipv4() == client.is_ipv4() && (customary || extra.contains(&g));
    ok.then_some(g)
}

/// Whether a request's source cannot be a real client: multicast, unspecified, this host's
/// own address, or a broadcast or network address of one of this host's IPv4 prefixes
/// (judged by the prefix, not the last octet: 10.80.1.255 is a host in a /16). An answer to
/// such a source would go to many hosts, or to this one.
pub fn bad_source(ip: IpAddr, own: &[(IpAddr, u8)]) -> bool {
    if ip.is_multicast() || ip.is_unspecified() || own.iter().any(|a| a.0 == ip) {
        return true;
    }
    let IpAddr::V4(v4) = ip else { return false };
    if v4.is_broadcast() {
        return true;
    }
    own.iter().any(|&(addr, len)| match addr {
        // /31 and /32 have no network or broadcast address (RFC 3021).
        IpAddr::V4(mine) if len < 31 => {
            let mask = u32::MAX << (32 - u32::from(len));
            let (net, host) = (u32::from(mine) & mask, u32::from(v4));
            host & mask == net && (host == net || host == net | !mask)
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_customary_or_named_groups_get_a_multicast_reply() {
        let v4: IpAddr = "192.0.2.2".parse().unwrap();
        let v6: IpAddr = "2001:db8::2".parse().unwrap();
        let g = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(reply_group(None, v4, &[]), g("232.43.211.234"));
        assert_eq!(reply_group(None, v6, &[]), g("ff3e::4321:1234"));
        assert_eq!(reply_group(g("239.1.1.234"), v4, &[]), g("239.1.1.234"));
        assert_eq!(reply_group(g("239.1.1.1"), v4, &[]), None);
        assert_eq!(
            reply_group(g("239.1.1.1"), v4, &[g("239.1.1.1").unwrap()]),
            g("239.1.1.1")
        );
        assert_eq!(
            reply_group(g("ff3e::9:4321:1234"), v6, &[]),
            g("ff3e::9:4321:1234")
        );
        assert_eq!(reply_group(g("ff3e::4321:1234"), v4, &[]), None, "family");
        assert_eq!(reply_group(g("10.0.0.234"), v4, &[]), None, "not a group");
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(20.0, t0);
        let burst = (0..100).filter(|_| b.take(10.0, 20.0, t0)).count();
        assert_eq!(burst, 20);
        assert!(b.take(10.0, 20.0, t0 + Duration::from_millis(100)));
        assert!(!b.take(10.0, 20.0, t0 + Duration::from_millis(100)));
    }

    #[test]
    fn spoofable_sources_are_refused() {
        let own: Vec<(IpAddr, u8)> = vec![("192.0.2.1".parse().unwrap(), 24)];
        for s in [
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.255",
            "192.0.2.1",
            "ff02::1",
            "::",
        ] {
            assert!(bad_source(s.parse().unwrap(), &own), "{s}");
        }
        assert!(!bad_source("192.0.2.2".parse().unwrap(), &own));
    }

    #[test]
    fn broadcast_and_network_addresses_come_from_the_prefixes_not_the_last_octet() {
        let own: Vec<(IpAddr, u8)> = vec![
            ("10.80.0.1".parse().unwrap(), 16),
            ("10.79.0.1".parse().unwrap(), 25),
            ("10.78.0.1".parse().unwrap(), 31),
        ];
        let judged = |s: &str| bad_source(s.parse().unwrap(), &own);
        assert!(!judged("10.80.1.255"), "a host of the /16");
        assert!(!judged("10.80.1.0"), "a host of the /16");
        assert!(judged("10.80.255.255") && judged("10.80.0.0"));
        assert!(judged("10.79.0.127"), "the /25's broadcast");
        assert!(judged("10.79.0.0"), "the /25's network");
        assert!(!judged("10.79.0.126"));
        assert!(!judged("10.78.0.0"), "a /31 has no network address");
        assert!(
            !judged("198.51.100.255"),
            "no prefix of this host: not judged by the octet"
        );
    }
}
