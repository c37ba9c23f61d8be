//! What a reflector remembers of strangers, bounded: a table that keeps the most recently
//! used entries, forgets entries idle too long on its own, and evicts the least recently used
//! when full, so a flood of new (spoofed) keys can never push out a client that keeps asking.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::policy::SESSION_LEN;

/// A bounded table ordered by last use: get and insert are O(log n), and so is forgetting
/// whatever has been idle past the age.
#[derive(Debug)]
pub struct Recent<K, V> {
    map: HashMap<K, Entry<V>>,
    /// Use stamps, oldest first: the eviction and ageing order.
    order: BTreeMap<u64, K>,
    next: u64,
    capacity: usize,
    idle: Duration,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    stamp: u64,
    used: Instant,
}

impl<K: Hash + Eq + Clone, V> Recent<K, V> {
    /// A table of at most `capacity` entries, each forgotten after `idle` without use.
    pub fn new(capacity: usize, idle: Duration) -> Self {
        Recent {
            map: HashMap::new(),
            order: BTreeMap::new(),
            next: 0,
            capacity: capacity.max(1),
            idle,
        }
    }

    /// Entries held (idle ones not yet forgotten included).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entry for `key`, marked as used now; None when absent or idle past the age.
    pub fn get_mut(&mut self, key: &K, now: Instant) -> Option<&mut V> {
        self.expire(now);
        let stamp = self.next;
        let e = self.map.get_mut(key)?;
        self.order.remove(&e.stamp);
        self.order.insert(stamp, key.clone());
        self.next += 1;
        e.stamp = stamp;
        e.used = now;
        Some(&mut e.value)
    }

    /// Stores `value` for `key` as used now, making room by forgetting the least recently
    /// used entry; returns whether the key is new.
    pub fn insert(&mut self, key: K, value: V, now: Instant) -> bool {
        self.expire(now);
        let stamp = self.next;
        self.next += 1;
        let old = self.map.insert(
            key.clone(),
            Entry {
                value,
                stamp,
                used: now,
            },
        );
        if let Some(old) = &old {
            self.order.remove(&old.stamp);
        } else if self.map.len() > self.capacity
            && let Some((_, oldest)) = self.order.pop_first()
        {
            self.map.remove(&oldest);
        }
        self.order.insert(stamp, key);
        old.is_none()
    }

    /// Forgets entries not used within the age.
    fn expire(&mut self, now: Instant) {
        while let Some((&stamp, key)) = self.order.first_key_value() {
            let used = self.map.get(key).map(|e| e.used);
            if used.is_some_and(|u| now.saturating_duration_since(u) < self.idle) {
                break;
            }
            let key = key.clone();
            self.order.remove(&stamp);
            self.map.remove(&key);
        }
    }
}

/// An RFC 6450 session: who asked (address and port, so two pings from one host keep theirs)
/// and the id it was given (so an init forged with a client's address opens another session
/// rather than ending the client's).
pub type SessionKey = (IpAddr, u16, [u8; SESSION_LEN]);

/// Sessions are forgotten after this long without a request (a client told "stop" opens a
/// new one).
pub const SESSION_IDLE: Duration = Duration::from_secs(120);

/// The sessions of a reflector or a mesh host.
pub type Sessions = Recent<SessionKey, ()>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_table_forgets_the_least_recently_used() {
        let t0 = Instant::now();
        let mut t: Recent<u32, ()> = Recent::new(3, Duration::from_secs(60));
        for k in 0..3 {
            assert!(t.insert(k, (), t0));
        }
        assert!(
            t.get_mut(&0, t0).is_some(),
            "0 used again: 1 is now the oldest"
        );
        assert!(t.insert(3, (), t0));
        assert_eq!(t.len(), 3);
        assert!(t.get_mut(&1, t0).is_none(), "1 evicted");
        for k in [0, 2, 3] {
            assert!(t.get_mut(&k, t0).is_some(), "{k} kept");
        }
        assert!(!t.insert(3, (), t0), "not new");
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn idle_entries_age_out_on_their_own() {
        let t0 = Instant::now();
        let mut t: Recent<u32, u8> = Recent::new(100, Duration::from_secs(10));
        t.insert(1, 7, t0);
        t.insert(2, 8, t0 + Duration::from_secs(5));
        assert_eq!(t.get_mut(&1, t0 + Duration::from_secs(9)), Some(&mut 7));
        // 1 was used at 9 s, 2 at 5 s: at 16 s only 1 is within the age.
        let at = t0 + Duration::from_secs(16);
        assert!(t.get_mut(&2, at).is_none());
        assert_eq!(t.get_mut(&1, at), Some(&mut 7));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_flood_of_strangers_never_evicts_a_client_that_keeps_asking() {
        let t0 = Instant::now();
        let mut t: Recent<u32, ()> = Recent::new(1000, Duration::from_secs(60));
        t.insert(0, (), t0);
        for n in 1..100_000u32 {
            t.insert(n, (), t0);
            if n % 500 == 0 {
                assert!(t.get_mut(&0, t0).is_some(), "the client at {n}");
            }
        }
        assert!(t.len() <= 1000);
    }
}
