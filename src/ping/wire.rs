//! What a ping puts on the wire and reads back, for both protocols: the request (or,
//! for RFC 6450 before a session, the init) and the reply or session response.

use std::net::IpAddr;

use crate::wire::ssmping::{Kind, Message};

/// The protocols a ping speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// The ssmping protocol: ssmpingd, routers' reflectors.
    Ssmping,
    /// The Multicast Ping Protocol, which omping speaks (`omping` is accepted for it).
    Rfc6450,
}

/// A reply as both protocols carry it.
pub struct Reply {
    /// The number of the request it answers.
    pub seq: u32,
    /// Routers on the way back: from the server's TTL option (RFC 6450), else 64 less what
    /// arrived (ssmping reflectors send with 64).
    pub hops: Option<u8>,
}

/// The size an init is padded to: room for a response with a 16-byte session id, an IPv6
/// group and a server name of 40 bytes ("mcast 0.1.0" is 11).
pub const INIT_SIZE: usize = 1 + 5 + 8 + 20 + 22 + 44;

/// What `ping` sends a server now: an echo request, or (RFC 6450, before a session) an init.
pub fn request_for(
    proto: Proto,
    pid: u32,
    seq: u32,
    ns: u64,
    group: Option<IpAddr>,
    session: Option<&[u8]>,
) -> (Vec<u8>, bool) {
    use crate::wire::rfc6450;
    match (proto, session) {
        (Proto::Ssmping, _) => {
            let m = Message {
                kind: Some(Kind::Request),
                pid: Some(pid),
                seq: Some(seq),
                sent_ns: Some(ns),
                group,
                ..Message::default()
            };
            (m.encode(), true)
        }
        (Proto::Rfc6450, None) => {
            let mut m = rfc6450::Message::new(rfc6450::Kind::Init);
            m.client_id = Some(pid.to_be_bytes().to_vec());
            // Its name and version: mcast mesh hosts tell each other apart from omping so.
            m.option_request = vec![rfc6450::OPT_SERVER_INFO];
            // The group we want, as a prefix: servers such as omping require it.
            m.mcast_prefix = group.map(rfc6450::prefix_of);
            // A server's response (a session id, the group, its name) may not be larger than
            // the init it answers, or a spoofed init would make the server an amplifier; so
            // the init is padded to the size of the largest response, by asking again for the
            // version, which every message carries anyway.
            while m.encode().len() < INIT_SIZE {
                m.option_request.push(rfc6450::OPT_VERSION);
            }
            (m.encode(), false)
        }
        (Proto::Rfc6450, Some(id)) => {
            let mut m = rfc6450::Message::new(rfc6450::Kind::Request);
            m.client_id = Some(pid.to_be_bytes().to_vec());
            m.seq = Some(seq);
            m.client_sent_ns = Some(ns);
            m.group = group;
            m.session_id = Some(id.to_vec());
            (m.encode(), true)
        }
    }
}

/// Reads a datagram from a server: a reply of ours, or (RFC 6450) a response that opens or
/// closes the session in `session`.
pub fn read_reply(
    datagram: &[u8],
    pid: u32,
    ttl: Option<u8>,
    session: &mut Option<Vec<u8>>,
) -> Option<Reply> {
    use crate::wire::rfc6450;
    match crate::wire::protocol_of(datagram)? {
        crate::wire::Protocol::Ssmping => {
            let m = Message::decode(datagram).ok()?;
            if m.kind != Some(Kind::Reply) || m.pid != Some(pid) {
                return None;
            }
            Some(Reply {
                seq: m.seq?,
                hops: hops(ttl),
            })
        }
        crate::wire::Protocol::Rfc6450 => {
            let m = rfc6450::Message::decode(datagram).ok()?;
            if m.client_id.as_deref() != Some(&pid.to_be_bytes()[..]) {
                return None;
            }
            match m.kind {
                rfc6450::Kind::Response => {
                    // With a group and a session it opens one; without, it says stop.
                    *session = m.session_id.filter(|_| m.group.is_some());
                    None
                }
                rfc6450::Kind::Reply => Some(Reply {
                    seq: m.seq?,
                    hops: match (m.ttl, ttl) {
                        (Some(sent), Some(got)) => Some(sent.saturating_sub(got)),
                        _ => hops(ttl),
                    },
                }),
                _ => None,
            }
        }
    }
}

/// A reply's hops from the TTL it arrived with: reflectors send with 64 (Windows 128).
fn hops(ttl: Option<u8>) -> Option<u8> {
    ttl.map(|t| {
        if t > 64 {
            128u8.saturating_sub(t)
        } else {
            64 - t
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// INIT_SIZE is exactly the largest response it makes room for: a 16-byte session id, an
    /// IPv6 group and a 40-byte server name, for our 4-byte client id.
    #[test]
    fn an_init_is_the_size_of_the_largest_response_it_makes_room_for() {
        use crate::wire::rfc6450;
        let mut r = rfc6450::Message::new(rfc6450::Kind::Response);
        r.client_id = Some(9u32.to_be_bytes().to_vec());
        r.session_id = Some(vec![1; 16]);
        r.group = Some("ff3e::4321:1234".parse().unwrap());
        r.server_info = Some("s".repeat(40));
        assert_eq!(r.encode().len(), INIT_SIZE);
        // Padded two bytes at a time (an option's number asked again), whatever the group.
        for group in [r.group, Some("232.1.1.1".parse().unwrap()), None] {
            let (init, _) = request_for(Proto::Rfc6450, 9, 1, 1, group, None);
            let len = init.len();
            assert!(
                (INIT_SIZE..=INIT_SIZE + 1).contains(&len),
                "{group:?}: {len}"
            );
        }
    }

    /// The reflector answers this ping's own init with a session in no more bytes than it
    /// (the reflector's rule), the server name included.
    #[test]
    fn the_reflectors_answer_to_our_init_fits_within_it() {
        use crate::reflect::{Limits, SESSION_IDLE, Sessions, answer};
        let mut sessions = Sessions::new(10, SESSION_IDLE);
        let strict = Limits {
            extra: &[],
            max_reply: 0,
            larger_init: false,
        };
        for (group, from) in [
            ("232.43.211.234", "192.0.2.2:40000"),
            ("ff3e::4321:1234", "[2001:db8::2]:40000"),
        ] {
            let (init, _) =
                request_for(Proto::Rfc6450, 9, 1, 1, Some(group.parse().unwrap()), None);
            let from = from.parse().unwrap();
            let now = std::time::Instant::now();
            let mut reply = Vec::new();
            let a =
                answer(&init, from, &mut sessions, &strict, now, &mut reply).expect("an answer");
            assert!(a.open.is_some() && reply.len() <= init.len());
            let r = crate::wire::rfc6450::Message::decode(&reply).unwrap();
            assert!(r.server_info.is_some(), "the name fits: {r:?}");
        }
    }

    #[test]
    fn an_rfc6450_session_opens_on_a_response_with_a_group_and_closes_without() {
        use crate::wire::rfc6450::{Kind as K, Message as M};
        let (init, counts) = request_for(
            Proto::Rfc6450,
            7,
            1,
            0,
            Some("232.43.211.234".parse().unwrap()),
            None,
        );
        assert!(!counts, "an init is not a request");
        assert_eq!(M::decode(&init).unwrap().kind, K::Init);
        let mut session = None;
        let mut open = M::new(K::Response);
        open.client_id = Some(7u32.to_be_bytes().to_vec());
        open.group = Some("232.43.211.234".parse().unwrap());
        open.session_id = Some(vec![1; 16]);
        assert!(read_reply(&open.encode(), 7, Some(64), &mut session).is_none());
        assert_eq!(session.as_deref(), Some(&[1u8; 16][..]));
        let (request, counts) = request_for(Proto::Rfc6450, 7, 2, 0, None, session.as_deref());
        assert!(counts && M::decode(&request).unwrap().session_id == session);
        let mut reply = M::decode(&request).unwrap();
        reply.kind = K::Reply;
        reply.ttl = Some(64);
        let r = read_reply(&reply.encode(), 7, Some(63), &mut session).unwrap();
        assert_eq!(
            (r.seq, r.hops),
            (2, Some(1)),
            "hops from the server's TTL option"
        );
        // A server sending with another TTL than 64 says so: hops from its word, not a guess.
        reply.ttl = Some(100);
        let r = read_reply(&reply.encode(), 7, Some(97), &mut session).unwrap();
        assert_eq!(r.hops, Some(3), "100 sent, 97 arrived");
        let mut stop = M::new(K::Response);
        stop.client_id = Some(7u32.to_be_bytes().to_vec());
        read_reply(&stop.encode(), 7, Some(64), &mut session);
        assert_eq!(session, None, "a response without a group says stop");
        // Another client's messages are not ours.
        assert!(read_reply(&reply.encode(), 8, Some(63), &mut session).is_none());
    }

    #[test]
    fn an_ssmping_request_says_who_asks_and_only_our_replies_are_read() {
        use crate::wire::ssmping::reply_to;
        let group: IpAddr = "232.43.211.234".parse().unwrap();
        let (request, counts) = request_for(Proto::Ssmping, 9, 5, 1_000_000_000, Some(group), None);
        assert!(counts);
        let m = Message::decode(&request).unwrap();
        assert_eq!(m.kind, Some(Kind::Request));
        assert_eq!(
            (m.pid, m.seq, m.sent_ns, m.group),
            (Some(9), Some(5), Some(1_000_000_000), Some(group))
        );
        let mut session = None;
        let reply = reply_to(&request).unwrap();
        let r = read_reply(&reply, 9, Some(62), &mut session).unwrap();
        assert_eq!((r.seq, r.hops), (5, Some(2)));
        // Another ping's reply, and our own request looped back, are not replies of ours.
        assert!(read_reply(&reply, 10, Some(62), &mut session).is_none());
        assert!(read_reply(&request, 9, Some(62), &mut session).is_none());
    }

    #[test]
    fn ssmping_hops_count_down_from_64_or_128() {
        assert_eq!(
            (hops(Some(64)), hops(Some(61)), hops(Some(126)), hops(None)),
            (Some(0), Some(3), Some(2), None)
        );
    }
}
