//! What a reflector remembers of strangers, bounded: a table that keeps the most recently
//! used entries, forgets entries idle too long on its own, and evicts the least recently used
//! when full, so a flood of new (spoofed) keys can never push out a client that keeps asking.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::policy::SESSION_LEN;

/// No slot: the end of the use order.
const NONE: usize = usize::MAX;

/// A bounded table ordered by last use: get, insert and forgetting an idle entry are O(1).
/// Entries live in slots linked oldest to newest; a slot freed is used again, so once the
/// table has held `capacity` entries it allocates nothing more, whatever the traffic.
#[derive(Debug)]
pub struct Recent<K, V> {
    index: HashMap<K, usize>,
    slots: Vec<Slot<K, V>>,
    /// Slots whose entries aged out, to be used again first.
    free: Vec<usize>,
    oldest: usize,
    newest: usize,
    capacity: usize,
    idle: Duration,
}

#[derive(Debug)]
struct Slot<K, V> {
    key: K,
    value: V,
    used: Instant,
    older: usize,
    newer: usize,
}

impl<K: Hash + Eq + Clone, V> Recent<K, V> {
    /// A table of at most `capacity` entries, each forgotten after `idle` without use.
    pub fn new(capacity: usize, idle: Duration) -> Self {
        Recent {
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            oldest: NONE,
            newest: NONE,
            capacity: capacity.max(1),
            idle,
        }
    }

    /// Entries held (idle ones not yet forgotten included).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The entry for `key`, marked as used now; None when absent or idle past the age.
    pub fn get_mut(&mut self, key: &K, now: Instant) -> Option<&mut V> {
        self.expire(now);
        let i = *self.index.get(key)?;
        self.touch(i, now);
        Some(&mut self.slots[i].value)
    }

    /// Stores `value` for `key` as used now, making room by forgetting the least recently
    /// used entry; returns whether the key is new.
    pub fn insert(&mut self, key: K, value: V, now: Instant) -> bool {
        self.expire(now);
        if let Some(&i) = self.index.get(&key) {
            self.slots[i].value = value;
            self.touch(i, now);
            return false;
        }
        let slot = Slot {
            key: key.clone(),
            value,
            used: now,
            older: NONE,
            newer: NONE,
        };
        if self.index.len() >= self.capacity {
            self.forget(self.oldest);
        }
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.link_newest(i);
        self.index.insert(key, i);
        true
    }

    /// Forgets entries not used within the age.
    fn expire(&mut self, now: Instant) {
        while self.oldest != NONE
            && now.saturating_duration_since(self.slots[self.oldest].used) >= self.idle
        {
            self.forget(self.oldest);
        }
    }

    /// Moves slot `i` to the newest end, used at `now`.
    fn touch(&mut self, i: usize, now: Instant) {
        self.unlink(i);
        self.link_newest(i);
        self.slots[i].used = now;
    }

    /// Removes slot `i`'s entry, leaving the slot free.
    fn forget(&mut self, i: usize) {
        self.unlink(i);
        self.index.remove(&self.slots[i].key);
        self.free.push(i);
    }

    fn unlink(&mut self, i: usize) {
        let (older, newer) = (self.slots[i].older, self.slots[i].newer);
        match older {
            NONE => self.oldest = newer,
            o => self.slots[o].newer = newer,
        }
        match newer {
            NONE => self.newest = older,
            n => self.slots[n].older = older,
        }
        self.slots[i].older = NONE;
        self.slots[i].newer = NONE;
    }

    fn link_newest(&mut self, i: usize) {
        self.slots[i].older = self.newest;
        self.slots[i].newer = NONE;
        match self.newest {
            NONE => self.oldest = i,
            n => self.slots[n].newer = i,
        }
        self.newest = i;
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

    #[test]
    fn it_keeps_what_a_plain_list_ordered_by_use_would() {
        // A model: (key, value, used), oldest first, searched and reordered by hand.
        let t0 = Instant::now();
        let idle = Duration::from_secs(50);
        let mut t: Recent<u8, u32> = Recent::new(8, idle);
        let mut model: Vec<(u8, u32, Instant)> = Vec::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut now = t0;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            now += Duration::from_secs(x % 3);
            model.retain(|e| now.saturating_duration_since(e.2) < idle);
            let key = (x >> 8) as u8 % 16;
            let at = model.iter().position(|e| e.0 == key);
            if x & 0x10 == 0 {
                let got = t.get_mut(&key, now).map(|v| *v);
                let want = at.map(|i| {
                    let e = model.remove(i);
                    model.push((e.0, e.1, now));
                    e.1
                });
                assert_eq!(got, want, "get {key} at step {step}");
            } else {
                let new = t.insert(key, step, now);
                assert_eq!(new, at.is_none(), "insert {key} at step {step}");
                if let Some(i) = at {
                    model.remove(i);
                } else if model.len() == 8 {
                    model.remove(0);
                }
                model.push((key, step, now));
            }
            assert_eq!(t.len(), model.len(), "step {step}");
        }
    }

    #[test]
    fn empty_until_an_entry_and_again_once_it_ages_out() {
        let t0 = Instant::now();
        let mut t: Recent<u8, ()> = Recent::new(4, Duration::from_secs(1));
        assert!(t.is_empty());
        t.insert(1, (), t0);
        assert!(!t.is_empty());
        assert!(t.get_mut(&1, t0 + Duration::from_secs(2)).is_none());
        assert!(t.is_empty());
    }
}
