//! mcast mesh's column codec. How `mcast mesh` hosts hand each other their columns of the matrix: once a host's own
//! pinging is done, it sends every other host what reached it from each sender, so each can
//! print the whole matrix. mcast's own message on the mesh port ("MCM" and a version), which
//! other RFC 6450 hosts (omping) ignore as not theirs; their columns stay unknown.
//!
//! A column carries the RFC 6450 session id its receiver gave the sharer: only a host that
//! completed a session with the receiver knows it, so a neighbour spoofing a member's
//! address cannot slip in a column of its own. Values no run produces are refused.

use std::net::IpAddr;

use crate::ping::PathSummary;

const MAGIC: &[u8; 4] = b"MCM2";
/// The longest session id a column may carry.
const MAX_TOKEN: usize = 64;
/// A column larger than this many senders is not believed.
const MAX_ROWS: usize = 4096;

/// What reached the sharing host from one sender.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The sender.
    pub from: IpAddr,
    /// Its unicast replies to the sharing host.
    pub unicast: PathSummary,
    /// Its multicast replies.
    pub multicast: PathSummary,
    /// Milliseconds from the sharing host's first request to the first multicast reply.
    pub first_multicast_ms: Option<f64>,
}

/// "I have your column": what a host answers to a column, so its sender can stop sending.
pub const ACK: &[u8; 4] = b"MCK1";

/// Whether a datagram acknowledges this host's column.
pub fn is_ack(datagram: &[u8]) -> bool {
    datagram == ACK
}

/// Whether a datagram is a shared column (rather than ssmping or RFC 6450).
pub fn is_share(datagram: &[u8]) -> bool {
    datagram.starts_with(MAGIC)
}

fn put_f(out: &mut Vec<u8>, v: Option<f64>) {
    // None as all ones: a NaN no figure here ever is.
    out.extend(v.map_or(u64::MAX, f64::to_bits).to_be_bytes());
}

fn put_path(out: &mut Vec<u8>, p: &PathSummary) {
    for n in [p.sent, p.received, p.duplicates, p.reordered] {
        out.extend(n.to_be_bytes());
    }
    put_f(out, p.loss_pct);
    for v in [
        p.loss_since_first_pct,
        p.rtt_min_ms,
        p.rtt_avg_ms,
        p.rtt_max_ms,
        p.rtt_mdev_ms,
    ] {
        put_f(out, v);
    }
    out.push(p.hops.unwrap_or(u8::MAX));
}

impl Row {
    /// Whether a run could have produced these figures: no more received than sent and
    /// duplicated, losses within 0..100 %, no negative time.
    pub fn possible(&self) -> bool {
        let pct = |v: Option<f64>| v.is_none_or(|v| (0.0..=100.0).contains(&v));
        let time = |v: Option<f64>| v.is_none_or(|v| v >= 0.0);
        [&self.unicast, &self.multicast].iter().all(|p| {
            p.received <= p.sent.saturating_add(p.duplicates)
                // A reply arrives with a TTL of 1 at least, so at most 254 routers passed:
                // 255 is how a column writes "unknown".
                && p.hops != Some(u8::MAX)
                && pct(p.loss_pct)
                && pct(p.loss_since_first_pct)
                && [p.rtt_min_ms, p.rtt_avg_ms, p.rtt_max_ms, p.rtt_mdev_ms]
                    .into_iter()
                    .all(time)
        }) && time(self.first_multicast_ms)
    }
}

/// A column as bytes, for the host that gave this one the session `token`.
pub fn encode(token: &[u8], rows: &[Row]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    let token = &token[..token.len().min(MAX_TOKEN)];
    out.push(token.len() as u8);
    out.extend(token);
    out.extend((rows.len() as u16).to_be_bytes());
    for r in rows {
        match r.from {
            IpAddr::V4(a) => {
                out.push(4);
                out.extend(a.octets());
            }
            IpAddr::V6(a) => {
                out.push(6);
                out.extend(a.octets());
            }
        }
        put_path(&mut out, &r.unicast);
        put_path(&mut out, &r.multicast);
        put_f(&mut out, r.first_multicast_ms);
    }
    out
}

/// A cursor over untrusted bytes: every read checked.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn f(&mut self) -> Option<Option<f64>> {
        let bits = self.u64()?;
        Some(
            (bits != u64::MAX)
                .then(|| f64::from_bits(bits))
                .filter(|v| v.is_finite()),
        )
    }

    fn path(&mut self) -> Option<PathSummary> {
        let (sent, received, duplicates, reordered) =
            (self.u64()?, self.u64()?, self.u64()?, self.u64()?);
        let loss_pct = self.f()?;
        let (since, min, avg, max, mdev) = (self.f()?, self.f()?, self.f()?, self.f()?, self.f()?);
        let hops = self.take(1)?[0];
        Some(PathSummary {
            sent,
            received,
            duplicates,
            reordered,
            loss_pct,
            loss_since_first_pct: since,
            rtt_min_ms: min,
            rtt_avg_ms: avg,
            rtt_max_ms: max,
            rtt_mdev_ms: mdev,
            hops: (hops != u8::MAX).then_some(hops),
        })
    }
}

/// A column from bytes, with the session id it carries; None for anything malformed, for a
/// sender named twice, and for figures no run produces.
pub fn decode(bytes: &[u8]) -> Option<(Vec<u8>, Vec<Row>)> {
    let mut r = Reader(bytes.strip_prefix(MAGIC)?);
    let len = usize::from(r.take(1)?[0]);
    if len > MAX_TOKEN {
        return None;
    }
    let token = r.take(len)?.to_vec();
    let n = usize::from(u16::from_be_bytes(r.take(2)?.try_into().ok()?));
    if n > MAX_ROWS {
        return None;
    }
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let from = match r.take(1)?[0] {
            4 => IpAddr::from(<[u8; 4]>::try_from(r.take(4)?).ok()?),
            6 => IpAddr::from(<[u8; 16]>::try_from(r.take(16)?).ok()?),
            _ => return None,
        };
        let row = Row {
            from,
            unicast: r.path()?,
            multicast: r.path()?,
            first_multicast_ms: r.f()?,
        };
        if !row.possible() || rows.iter().any(|o: &Row| o.from == row.from) {
            return None;
        }
        rows.push(row);
    }
    r.0.is_empty().then_some((token, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ping::ServerStats;

    fn row(from: &str, replies: u32) -> Row {
        let mut s = ServerStats {
            sent: 3,
            last_seq: 3,
            ..ServerStats::default()
        };
        for seq in 1..=replies {
            s.unicast.record(seq, Some(120_000), Some(0));
            s.multicast.record(seq, Some(150_000), Some(1));
        }
        s.first_multicast_ms = (replies > 0).then_some(0.25);
        let sum = s.summary(from.into());
        Row {
            from: from.parse().unwrap(),
            unicast: sum.unicast,
            multicast: sum.multicast,
            first_multicast_ms: sum.first_multicast_ms,
        }
    }

    #[test]
    fn a_column_comes_back_as_it_went() {
        let rows = vec![row("192.0.2.2", 3), row("2001:db8::9", 0)];
        let bytes = encode(&[7; 16], &rows);
        assert!(is_share(&bytes));
        assert_eq!(decode(&bytes).unwrap(), (vec![7; 16], rows));
    }

    #[test]
    fn anything_cut_or_padded_is_refused() {
        let bytes = encode(&[1; 16], &[row("192.0.2.2", 2)]);
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_none(), "cut at {n}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode(&long).is_none());
        assert!(decode(b"MCM2\x00\xff\xff").is_none(), "too many rows");
        let most: Vec<Row> = (0..MAX_ROWS as u32)
            .map(|i| row(&std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string(), 1))
            .collect();
        assert_eq!(
            decode(&encode(&[], &most)).map(|r| r.1.len()),
            Some(MAX_ROWS)
        );
        let mut more = most.clone();
        more.push(row("192.0.2.2", 1));
        assert!(
            decode(&encode(&[], &more)).is_none(),
            "one row past the most"
        );
        // The longest session id comes through; a longer one is cut when sent, refused when
        // read.
        let longest = [5; MAX_TOKEN];
        assert_eq!(
            decode(&encode(&longest, &[])),
            Some((longest.to_vec(), vec![]))
        );
        assert_eq!(encode(&[5; MAX_TOKEN + 1], &[]), encode(&longest, &[]));
        let mut longer = b"MCM2".to_vec();
        longer.push(MAX_TOKEN as u8 + 1);
        longer.extend([5; MAX_TOKEN + 1]);
        longer.extend([0, 0]);
        assert!(decode(&longer).is_none(), "a session id past the longest");
        assert!(!is_share(b"Q\x00\x01"));
        assert!(is_ack(ACK) && !is_ack(b"MCK1 ") && !is_share(ACK));
    }

    #[test]
    fn figures_no_run_produces_and_repeated_senders_are_refused() {
        let good = row("192.0.2.2", 3);
        let forged = |f: &dyn Fn(&mut Row)| {
            let mut r = good.clone();
            f(&mut r);
            decode(&encode(&[1; 16], &[r])).is_none()
        };
        assert!(forged(&|r| r.multicast.received = 50), "received > sent");
        assert!(forged(&|r| r.multicast.loss_pct = Some(-50.0)));
        assert!(forged(&|r| r.unicast.loss_pct = Some(1e308)));
        assert!(forged(&|r| r.multicast.rtt_min_ms = Some(-3.0)));
        assert!(forged(&|r| r.first_multicast_ms = Some(-1.0)));
        assert!(!forged(&|_| {}), "the real one passes");
        let twice = encode(&[1; 16], &[good.clone(), good]);
        assert!(decode(&twice).is_none(), "one sender named twice");
    }
}
