//! The probe wire format: a 32-byte big-endian header that makes loss and delay measurable.
//!
//! | bytes | field |
//! |---|---|
//! | 0-3 | magic `MCST` |
//! | 4 | version, 1 |
//! | 5 | flags, 0 |
//! | 6-7 | header length, 32 |
//! | 8-11 | sender id, random per run |
//! | 12-19 | sequence number, from 0 |
//! | 20-27 | send time, nanoseconds since the Unix epoch |
//! | 28-31 | datagrams planned, 0 when open-ended |
//! | 32- | padding up to the probe size |
//!
//! A sender that cycles through sizes (`mcast send --sizes`) says so after the header, which
//! it lengthens to hold it: at 32 the number of sizes n (u16, 1 to 8), then the n sizes (u16
//! each); probe number `seq` is `sizes[seq % n]` bytes long. A receiver so knows the size of
//! every probe, lost ones included, and can say "datagrams of this size do not arrive".

/// The first four bytes of every probe.
pub const MAGIC: [u8; 4] = *b"MCST";
/// The version this code writes and reads.
pub const VERSION: u8 = 1;
/// The header's length; a probe is at least this long.
pub const HEADER_LEN: usize = 32;

/// One probe's header.
///
/// ```
/// use mcast::probe::Probe;
/// let p = Probe { sender: 7, seq: 1, sent_ns: 42, planned: 10 };
/// let mut datagram = [0u8; 64];
/// assert!(p.encode(&mut datagram));
/// assert_eq!(Probe::decode(&datagram), Some(p));
/// assert_eq!(Probe::decode(b"hello"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Who sent it: random per sender run, so two senders on one group are told apart.
    pub sender: u32,
    /// Its sequence number, counted from 0.
    pub seq: u64,
    /// When it was sent, in nanoseconds since the Unix epoch.
    pub sent_ns: u64,
    /// How many the sender planned to send; 0 when open-ended.
    pub planned: u32,
}

impl Probe {
    /// Writes the header into the first 32 bytes of `buf` and returns false, writing nothing,
    /// when `buf` is shorter than that. Padding beyond the header is left as it is.
    #[must_use = "false means nothing was written: the buffer is shorter than the header"]
    pub fn encode(&self, buf: &mut [u8]) -> bool {
        let Some(h) = buf.get_mut(..HEADER_LEN) else {
            return false;
        };
        h[0..4].copy_from_slice(&MAGIC);
        h[4] = VERSION;
        h[5] = 0;
        h[6..8].copy_from_slice(&(HEADER_LEN as u16).to_be_bytes());
        h[8..12].copy_from_slice(&self.sender.to_be_bytes());
        h[12..20].copy_from_slice(&self.seq.to_be_bytes());
        h[20..28].copy_from_slice(&self.sent_ns.to_be_bytes());
        h[28..32].copy_from_slice(&self.planned.to_be_bytes());
        true
    }

    /// Reads a probe header; None for anything that is not a well-formed version-1 probe
    /// (too short, wrong magic or version, a header length that does not fit).
    #[must_use]
    pub fn decode(buf: &[u8]) -> Option<Probe> {
        let h = buf.get(..HEADER_LEN)?;
        if h[0..4] != MAGIC || h[4] != VERSION {
            return None;
        }
        let header_len = usize::from(u16::from_be_bytes([h[6], h[7]]));
        if header_len < HEADER_LEN || header_len > buf.len() {
            return None;
        }
        let u32_at = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[i..i + 8]);
            u64::from_be_bytes(b)
        };
        Some(Probe {
            sender: u32_at(8),
            seq: u64_at(12),
            sent_ns: u64_at(20),
            planned: u32_at(28),
        })
    }
}

/// The most sizes one cycle holds.
pub const MAX_SIZES: usize = 8;

/// The sizes a sender cycles through, probe by probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeCycle {
    sizes: [u16; MAX_SIZES],
    len: u8,
}

impl SizeCycle {
    /// A cycle of 1 to `MAX_SIZES` sizes, each long enough for the header and the cycle.
    pub fn new(sizes: &[u16]) -> Option<SizeCycle> {
        if sizes.is_empty() || sizes.len() > MAX_SIZES {
            return None;
        }
        let need = HEADER_LEN + 2 + 2 * sizes.len();
        if sizes.iter().any(|&s| usize::from(s) < need) {
            return None;
        }
        let mut c = SizeCycle {
            sizes: [0; MAX_SIZES],
            len: sizes.len() as u8,
        };
        c.sizes[..sizes.len()].copy_from_slice(sizes);
        Some(c)
    }

    /// The sizes, in the order sent.
    pub fn sizes(&self) -> &[u16] {
        &self.sizes[..usize::from(self.len)]
    }

    /// Which of the sizes probe `seq` has, as an index into `sizes`.
    pub fn index_of(&self, seq: u64) -> usize {
        (seq % u64::from(self.len)) as usize
    }

    /// The smallest probe that can carry this cycle.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + 2 + 2 * usize::from(self.len)
    }

    /// Writes the cycle after a probe header already in `buf` and lengthens the header to
    /// hold it; false, writing nothing, when `buf` is too short.
    #[must_use = "false means nothing was written: the buffer is too short"]
    pub fn encode(&self, buf: &mut [u8]) -> bool {
        let len = self.header_len();
        let Some(h) = buf.get_mut(..len) else {
            return false;
        };
        h[6..8].copy_from_slice(&(len as u16).to_be_bytes());
        h[32..34].copy_from_slice(&u16::from(self.len).to_be_bytes());
        for (i, s) in self.sizes().iter().enumerate() {
            h[34 + 2 * i..36 + 2 * i].copy_from_slice(&s.to_be_bytes());
        }
        true
    }

    /// The cycle a probe carries; None for a probe without one (or a malformed one).
    #[must_use]
    pub fn decode(buf: &[u8]) -> Option<SizeCycle> {
        Probe::decode(buf)?;
        let header_len = usize::from(u16::from_be_bytes([buf[6], buf[7]]));
        let n = usize::from(u16::from_be_bytes([*buf.get(32)?, *buf.get(33)?]));
        if header_len != HEADER_LEN + 2 + 2 * n {
            return None;
        }
        let sizes: Vec<u16> = (0..n)
            .map(|i| u16::from_be_bytes([buf[34 + 2 * i], buf[35 + 2 * i]]))
            .collect();
        SizeCycle::new(&sizes)
    }
}

/// Now, in nanoseconds since the Unix epoch, the clock a probe's send time is read on (0
/// before 1970; saturating past 2554).
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(u128::from(u64::MAX)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_cycle_rides_after_the_header_and_comes_back() {
        let c = SizeCycle::new(&[200, 1400, 1472]).unwrap();
        let mut buf = vec![0u8; 200];
        assert!(P.encode(&mut buf) && c.encode(&mut buf));
        assert_eq!(Probe::decode(&buf), Some(P), "the header reads as before");
        assert_eq!(SizeCycle::decode(&buf), Some(c));
        assert_eq!((c.index_of(7), c.sizes()[c.index_of(7)]), (1, 1400));
        assert_eq!(SizeCycle::decode(&buf[..39]), None, "cut inside the cycle");
        let mut plain = vec![0u8; 64];
        assert!(P.encode(&mut plain));
        assert_eq!(SizeCycle::decode(&plain), None, "no cycle");
        assert_eq!(SizeCycle::new(&[]), None);
        assert_eq!(SizeCycle::new(&[100; 9]), None, "more than eight");
        assert_eq!(SizeCycle::new(&[35]), None, "shorter than header and cycle");
        assert!(SizeCycle::new(&[36]).is_some());
    }

    const P: Probe = Probe {
        sender: 0xdead_beef,
        seq: 7,
        sent_ns: 1_700_000_000_123_456_789,
        planned: 100,
    };

    #[test]
    fn encodes_the_documented_layout() {
        let mut buf = [0xaau8; 40];
        assert!(P.encode(&mut buf));
        assert_eq!(&buf[..8], b"MCST\x01\x00\x00\x20");
        assert_eq!(&buf[8..12], &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(&buf[12..20], &7u64.to_be_bytes());
        assert_eq!(&buf[28..32], &100u32.to_be_bytes());
        assert_eq!(buf[32], 0xaa, "padding untouched");
        assert_eq!(Probe::decode(&buf), Some(P));
    }

    #[test]
    fn a_longer_header_is_a_future_version_read_as_far_as_known() {
        // A header length above 32 (within the datagram) is taken; below 32, or past the
        // datagram's end, it is not a probe.
        let mut buf = [0u8; 48];
        assert!(P.encode(&mut buf));
        buf[6..8].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(Probe::decode(&buf), Some(P));
        buf[6..8].copy_from_slice(&48u16.to_be_bytes());
        assert_eq!(Probe::decode(&buf), Some(P));
        buf[6..8].copy_from_slice(&49u16.to_be_bytes());
        assert_eq!(Probe::decode(&buf), None);
        buf[6..8].copy_from_slice(&31u16.to_be_bytes());
        assert_eq!(Probe::decode(&buf), None);
    }

    #[test]
    fn malformed_probes_are_not_probes() {
        let mut buf = [0u8; 32];
        assert!(!P.encode(&mut buf[..31]));
        assert!(P.encode(&mut buf));
        assert!(Probe::decode(&buf[..31]).is_none(), "short");
        let mut bad = buf;
        bad[0] = b'X';
        assert!(Probe::decode(&bad).is_none(), "magic");
        let mut bad = buf;
        bad[4] = 2;
        assert!(Probe::decode(&bad).is_none(), "version");
        let mut bad = buf;
        bad[7] = 64;
        assert!(Probe::decode(&bad).is_none(), "header longer than datagram");
        assert!(Probe::decode(b"").is_none());
    }
}
