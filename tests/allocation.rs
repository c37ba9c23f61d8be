//! The reflector's path from a request to its queued replies allocates nothing once warm:
//! every allocation of this thread is counted while requests of both protocols are
//! answered, limited and batched as `mcast reflect` does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use mcast::reflect::{
    Bucket, Limits, Path, Recent, ReplyBatch, SESSION_IDLE, Sessions, answer, reply_group,
};
use mcast::wire::{rfc6450, ssmping};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is passed to the system allocator unchanged; only a thread-local
// counter (const-initialised, so reading it allocates nothing) is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// An ssmping request with a group, a version request, padding and a reply size: every
/// option the reflector reads.
fn ssmping_request(seq: u32) -> Vec<u8> {
    ssmping::Message {
        kind: Some(ssmping::Kind::Request),
        pid: Some(9),
        seq: Some(seq),
        sent_ns: Some(1_000),
        group: Some("232.43.211.234".parse().unwrap()),
        wants_version: true,
        version: Some("asked".into()),
        reply_size: Some(200),
        padding: 60,
    }
    .encode()
}

fn rfc6450_init() -> Vec<u8> {
    let mut m = rfc6450::Message::new(rfc6450::Kind::Init);
    m.client_id = Some(vec![7; 24]);
    m.option_request = vec![rfc6450::OPT_SERVER_INFO, rfc6450::OPT_SERVER_TIMESTAMP];
    m.mcast_prefix = Some(rfc6450::prefix_of("232.43.211.234".parse().unwrap()));
    m.encode()
}

fn rfc6450_request(seq: u32, session: &[u8]) -> Vec<u8> {
    let mut m = rfc6450::Message::new(rfc6450::Kind::Request);
    m.client_id = Some(vec![7; 24]);
    m.seq = Some(seq);
    m.client_sent_ns = Some(1_000);
    m.group = Some("232.43.211.234".parse().unwrap());
    m.option_request = vec![rfc6450::OPT_SERVER_TIMESTAMP];
    m.session_id = Some(session.to_vec());
    m.encode()
}

/// What `reflect` does with one request once it passed the address checks: answer, take
/// from the buckets, keep the session, queue both replies.
struct Reflector {
    sessions: Sessions,
    clients: Recent<IpAddr, Bucket>,
    groups: Recent<IpAddr, Bucket>,
    replies: ReplyBatch,
    reply: Vec<u8>,
}

impl Reflector {
    fn take(&mut self, request: &[u8], client: SocketAddr, now: Instant) -> bool {
        let limits = Limits {
            extra: &[],
            max_reply: 1024,
            larger_init: false,
        };
        let Some(a) = answer(
            request,
            client,
            &mut self.sessions,
            &limits,
            now,
            &mut self.reply,
        ) else {
            return false;
        };
        if self.clients.get_mut(&client.ip(), now).is_none() {
            self.clients.insert(client.ip(), Bucket::new(1e9, now), now);
        }
        let bucket = self.clients.get_mut(&client.ip(), now).unwrap();
        assert!(bucket.take(1e9, 1e9, now));
        if let Some(key) = a.open {
            self.sessions.insert(key, (), now);
        }
        if self.replies.len() + 2 > ReplyBatch::CAPACITY {
            // What a flush leaves: an empty batch (sending needs a socket, not tested here).
            self.replies.clear();
        }
        assert!(
            self.replies
                .push(&self.reply, client, None, None, Path::Unicast)
        );
        if a.multicast
            && let Some(g) = reply_group(a.group, client.ip(), &[])
        {
            if self.groups.get_mut(&g, now).is_none() {
                self.groups.insert(g, Bucket::new(1e9, now), now);
            }
            let to = SocketAddr::new(g, client.port());
            assert!(
                self.replies
                    .push(&self.reply, to, None, None, Path::Multicast)
            );
        }
        true
    }
}

#[test]
fn answering_a_warm_reflectors_requests_allocates_nothing() {
    let t0 = Instant::now();
    let mut r = Reflector {
        sessions: Sessions::new(64, SESSION_IDLE),
        clients: Recent::new(64, Duration::from_secs(60)),
        groups: Recent::new(64, Duration::from_secs(60)),
        replies: ReplyBatch::new(2048),
        reply: Vec::with_capacity(2048),
    };
    // 50 clients, each with a session (the requests are built before counting).
    let clients: Vec<SocketAddr> = (0..50)
        .map(|i| SocketAddr::new(IpAddr::from([192, 0, 2, 10 + i]), 40_000))
        .collect();
    let init = rfc6450_init();
    let mut traffic = Vec::new();
    for c in &clients {
        assert!(r.take(&init, *c, t0));
        let key = r.sessions_key(*c);
        for seq in 0..20 {
            traffic.push((rfc6450_request(seq, &key), *c));
            traffic.push((ssmping_request(seq), *c));
        }
    }
    traffic.push((rfc6450_request(1, &[0; 16]), clients[0])); // a stale session: "stop"
    traffic.push((b"MCST not a request".to_vec(), clients[1]));
    // One round: every request once, and five inits from known clients, which open
    // sessions until the table is full and then evict the oldest.
    let round = |r: &mut Reflector, now: Instant| {
        let mut answered = 0;
        for (req, c) in &traffic {
            answered += u64::from(r.take(req, *c, now));
        }
        for c in &clients[..5] {
            answered += u64::from(r.take(&init, *c, now));
        }
        answered
    };
    // Warm: every table grown to what it holds for good (the sessions' to its bound).
    for n in 1..=10 {
        round(&mut r, t0 + Duration::from_millis(n));
    }
    let before = allocations();
    let mut answered = 0;
    for n in 11..=15 {
        answered += round(&mut r, t0 + Duration::from_millis(n));
    }
    let made = allocations() - before;
    assert_eq!(answered, 5 * (traffic.len() as u64 - 1 + 5));
    assert_eq!(made, 0, "{made} allocations for {answered} requests");
}

impl Reflector {
    /// The session id the reflector gave `client`, read back from its last reply.
    fn sessions_key(&self, _client: SocketAddr) -> Vec<u8> {
        let m = rfc6450::Message::decode(&self.reply).expect("a server response");
        m.session_id.expect("a session")
    }
}
