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

#[cfg(test)]
mod tests {
    use super::*;

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
