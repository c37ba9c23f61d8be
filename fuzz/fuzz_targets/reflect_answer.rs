//! The reflector's answer to any bytes: never larger than the request (so a spoofed request
//! can never make the reflector an amplifier), never a panic, its session table bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcast::reflect::{Limits, SESSION_IDLE, Sessions, answer};

fuzz_target!(|data: &[u8]| {
    let mut sessions = Sessions::new(16, SESSION_IDLE);
    let limits = Limits {
        extra: &[],
        max_reply: 0,
        larger_init: false,
    };
    let now = std::time::Instant::now();
    let client = "192.0.2.2:40000".parse().unwrap();
    // The input as one request, then cut in two at its first byte's value: an init that may
    // open a session, and what follows it.
    let cut = usize::from(data.first().copied().unwrap_or(0)).min(data.len());
    // One reply buffer for all three, as the reflector keeps one: what a reply leaves in it
    // must not leak into the next.
    let mut reply = Vec::new();
    for request in [data, &data[..cut], &data[cut..]] {
        if let Some(a) = answer(request, client, &mut sessions, &limits, now, &mut reply) {
            assert!(reply.len() <= request.len());
            if let Some(key) = a.open {
                sessions.insert(key, (), now);
            }
        }
    }
});
