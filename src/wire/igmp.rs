//! IGMP (v1, v2, v3; RFC 1112, 2236, 3376) and MLD (v1, v2; RFC 2710, 3810) as they appear on
//! the wire, read from whole IPv4 or IPv6 packets. Untrusted bytes: every length is checked,
//! and a packet that is not one of these messages is an error, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why bytes are not an IGMP or MLD message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// A header or field runs past the end.
    Truncated,
    /// Whole, but not one of these messages: which check failed.
    Not(&'static str),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Truncated => f.write_str("cut short"),
            ParseError::Not(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for ParseError {}

/// What a group record says (RFC 3376 4.2.12, RFC 3810 5.2.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    /// 1: the host's filter is INCLUDE these sources (current state).
    ModeIsInclude,
    /// 2: EXCLUDE these sources (current state); with none, any source.
    ModeIsExclude,
    /// 3: changed to INCLUDE.
    ChangeToInclude,
    /// 4: changed to EXCLUDE.
    ChangeToExclude,
    /// 5: these sources added.
    AllowNewSources,
    /// 6: these sources removed.
    BlockOldSources,
    /// Any other value.
    Other(u8),
}

impl RecordType {
    fn from_wire(v: u8) -> Self {
        match v {
            1 => RecordType::ModeIsInclude,
            2 => RecordType::ModeIsExclude,
            3 => RecordType::ChangeToInclude,
            4 => RecordType::ChangeToExclude,
            5 => RecordType::AllowNewSources,
            6 => RecordType::BlockOldSources,
            v => RecordType::Other(v),
        }
    }

    /// The RFC's name, as printed.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            RecordType::ModeIsInclude => "MODE_IS_INCLUDE",
            RecordType::ModeIsExclude => "MODE_IS_EXCLUDE",
            RecordType::ChangeToInclude => "CHANGE_TO_INCLUDE",
            RecordType::ChangeToExclude => "CHANGE_TO_EXCLUDE",
            RecordType::AllowNewSources => "ALLOW_NEW_SOURCES",
            RecordType::BlockOldSources => "BLOCK_OLD_SOURCES",
            RecordType::Other(_) => "unknown",
        }
    }

    /// Whether the record puts the group in EXCLUDE mode (any-source, less some).
    #[must_use]
    pub fn is_exclude(self) -> bool {
        matches!(
            self,
            RecordType::ModeIsExclude | RecordType::ChangeToExclude
        )
    }
}

/// One group record of an IGMPv3 or MLDv2 report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// What the record says.
    pub kind: RecordType,
    /// The group.
    pub group: IpAddr,
    /// Its sources.
    pub sources: Vec<IpAddr>,
}

/// A query, of any version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// IGMP 1, 2 or 3; MLD 1 or 2.
    pub version: u8,
    /// The group asked about; None for a general query.
    pub group: Option<IpAddr>,
    /// Sources asked about (group-and-source-specific queries).
    pub sources: Vec<IpAddr>,
    /// How long hosts may take to answer, in milliseconds (0 for IGMPv1).
    pub max_response_ms: u32,
    /// Suppress router-side processing (v3/v2 only).
    pub suppress: bool,
    /// Querier's robustness variable (v3/v2 only; 0 when not given).
    pub qrv: u8,
    /// Querier's query interval in seconds (v3/v2 only; 0 when not given).
    pub qqi_s: u32,
}

/// One IGMP or MLD message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A membership query.
    Query(Query),
    /// A membership report: v1/v2 for one group (one record, `ModeIsExclude`, no sources,
    /// as the RFCs treat them), v3/MLDv2 with its records.
    Report {
        /// IGMP 1, 2 or 3; MLD 1 or 2.
        version: u8,
        /// What it reports.
        records: Vec<Record>,
    },
    /// An IGMPv2 leave or an MLDv1 done.
    Leave {
        /// The group left.
        group: IpAddr,
    },
}

/// A message with what the IP header said of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Who sent it.
    pub source: IpAddr,
    /// Where to (a group, or the all-routers address for v3 and MLDv2 reports).
    pub destination: IpAddr,
    /// TTL or hop limit: 1 on a link, anything else is suspect.
    pub ttl: u8,
    /// The message.
    pub message: Message,
    /// Whether the IGMP or ICMPv6 checksum is right. A host's kernel and a snooping switch
    /// discard a message whose checksum is wrong: it is shown, and changes nothing.
    pub checksum_ok: bool,
}

/// The Internet checksum's one's-complement sum of `parts` (RFC 1071), folded.
fn ones_sum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            sum += u64::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            sum += u64::from(*last) << 8;
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Reads an IPv4 or IPv6 packet holding one IGMP or MLD message.
pub fn parse(packet: &[u8]) -> Result<Packet, ParseError> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => parse_v4(packet),
        Some(6) => parse_v6(packet),
        _ => Err(ParseError::Not("not an IPv4 or IPv6 packet")),
    }
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ParseError> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(ParseError::Truncated)
}

fn v4_at(b: &[u8], at: usize) -> Result<IpAddr, ParseError> {
    let s = b.get(at..at + 4).ok_or(ParseError::Truncated)?;
    Ok(IpAddr::V4(Ipv4Addr::new(s[0], s[1], s[2], s[3])))
}

fn v6_at(b: &[u8], at: usize) -> Result<IpAddr, ParseError> {
    let s: [u8; 16] = b
        .get(at..at + 16)
        .ok_or(ParseError::Truncated)?
        .try_into()
        .expect("16 bytes");
    Ok(IpAddr::V6(Ipv6Addr::from(s)))
}

/// A group field: the unspecified address means none (general query).
fn some_group(g: IpAddr) -> Option<IpAddr> {
    (!g.is_unspecified()).then_some(g)
}

/// IGMPv3's 8-bit codes (max response in tenths of a second, QQIC in seconds): values from
/// 128 are a floating-point form, mantissa and exponent.
fn igmp_code(c: u8) -> u32 {
    if c < 128 {
        u32::from(c)
    } else {
        (u32::from(c & 0x0f) | 0x10) << (((c >> 4) & 0x07) + 3)
    }
}

/// MLDv2's 16-bit maximum response code, in milliseconds.
fn mld_code(c: u16) -> u32 {
    if c < 32768 {
        u32::from(c)
    } else {
        (u32::from(c & 0x0fff) | 0x1000) << (((c >> 12) & 0x07) + 3)
    }
}

fn parse_v4(p: &[u8]) -> Result<Packet, ParseError> {
    let ihl = usize::from(p.first().ok_or(ParseError::Truncated)? & 0x0f) * 4;
    let total = usize::from(u16_at(p, 2)?);
    if ihl < 20 || ihl > total || p.len() < total {
        return Err(ParseError::Truncated);
    }
    if p[9] != 2 {
        return Err(ParseError::Not("not IGMP"));
    }
    let (source, destination, ttl) = (v4_at(p, 12)?, v4_at(p, 16)?, p[8]);
    let m = &p[ihl..total];
    let kind = *m.first().ok_or(ParseError::Truncated)?;
    if m.len() < 8 {
        return Err(ParseError::Truncated);
    }
    let group = v4_at(m, 4)?;
    let message = match kind {
        0x11 if m.len() == 8 => Message::Query(Query {
            // IGMPv1 queries have a zero max response code.
            version: if m[1] == 0 { 1 } else { 2 },
            group: some_group(group),
            sources: Vec::new(),
            max_response_ms: u32::from(m[1]) * 100,
            suppress: false,
            qrv: 0,
            qqi_s: 0,
        }),
        0x11 => {
            let n = usize::from(u16_at(m, 10)?);
            let sources = (0..n)
                .map(|i| v4_at(m, 12 + 4 * i))
                .collect::<Result<_, _>>()?;
            Message::Query(Query {
                version: 3,
                group: some_group(group),
                sources,
                max_response_ms: igmp_code(m[1]) * 100,
                suppress: m[8] & 0x08 != 0,
                qrv: m[8] & 0x07,
                qqi_s: igmp_code(m[9]),
            })
        }
        0x12 | 0x16 => Message::Report {
            version: if kind == 0x12 { 1 } else { 2 },
            records: vec![Record {
                kind: RecordType::ModeIsExclude,
                group,
                sources: Vec::new(),
            }],
        },
        0x17 => Message::Leave { group },
        0x22 => Message::Report {
            version: 3,
            records: records(m, 6, 8, 4, v4_at)?,
        },
        _ => return Err(ParseError::Not("not an IGMP message mcast knows")),
    };
    Ok(Packet {
        source,
        destination,
        ttl,
        message,
        // Over the whole IGMP message, its checksum field included: all ones when right.
        checksum_ok: ones_sum(&[m]) == 0xffff,
    })
}

/// The group records of a v3 or MLDv2 report: the count at `count_at`, the first record at
/// `first`, addresses of `len` bytes read by `addr`.
fn records(
    m: &[u8],
    count_at: usize,
    first: usize,
    len: usize,
    addr: fn(&[u8], usize) -> Result<IpAddr, ParseError>,
) -> Result<Vec<Record>, ParseError> {
    let n = usize::from(u16_at(m, count_at)?);
    let mut at = first;
    let mut out = Vec::with_capacity(n.min(256));
    for _ in 0..n {
        let kind = RecordType::from_wire(*m.get(at).ok_or(ParseError::Truncated)?);
        let aux = usize::from(*m.get(at + 1).ok_or(ParseError::Truncated)?) * 4;
        let nsrc = usize::from(u16_at(m, at + 2)?);
        let group = addr(m, at + 4)?;
        let sources = (0..nsrc)
            .map(|i| addr(m, at + 4 + len * (1 + i)))
            .collect::<Result<_, _>>()?;
        out.push(Record {
            kind,
            group,
            sources,
        });
        at += 4 + len * (1 + nsrc) + aux;
    }
    Ok(out)
}

fn parse_v6(p: &[u8]) -> Result<Packet, ParseError> {
    if p.len() < 40 {
        return Err(ParseError::Truncated);
    }
    let payload = usize::from(u16_at(p, 4)?);
    let end = (40 + payload).min(p.len());
    let (source, destination, ttl) = (v6_at(p, 8)?, v6_at(p, 24)?, p[7]);
    // Past extension headers (MLD carries a hop-by-hop router alert) to ICMPv6.
    let (mut next, mut at) = (p[6], 40);
    for _ in 0..8 {
        match next {
            58 => break,
            0 | 43 | 60 => {
                next = *p.get(at).ok_or(ParseError::Truncated)?;
                at += (usize::from(*p.get(at + 1).ok_or(ParseError::Truncated)?) + 1) * 8;
            }
            _ => return Err(ParseError::Not("not ICMPv6")),
        }
    }
    if next != 58 || at > end {
        return Err(ParseError::Not("not ICMPv6"));
    }
    let m = &p[at..end];
    if m.len() < 24 {
        return Err(ParseError::Truncated);
    }
    let message = match m[0] {
        130 if m.len() < 28 => Message::Query(Query {
            version: 1,
            group: some_group(v6_at(m, 8)?),
            sources: Vec::new(),
            max_response_ms: u32::from(u16_at(m, 4)?),
            suppress: false,
            qrv: 0,
            qqi_s: 0,
        }),
        130 => {
            let n = usize::from(u16_at(m, 26)?);
            let sources = (0..n)
                .map(|i| v6_at(m, 28 + 16 * i))
                .collect::<Result<_, _>>()?;
            Message::Query(Query {
                version: 2,
                group: some_group(v6_at(m, 8)?),
                sources,
                max_response_ms: mld_code(u16_at(m, 4)?),
                suppress: m[24] & 0x08 != 0,
                qrv: m[24] & 0x07,
                qqi_s: igmp_code(m[25]),
            })
        }
        131 => Message::Report {
            version: 1,
            records: vec![Record {
                kind: RecordType::ModeIsExclude,
                group: v6_at(m, 8)?,
                sources: Vec::new(),
            }],
        },
        132 => Message::Leave {
            group: v6_at(m, 8)?,
        },
        143 => Message::Report {
            version: 2,
            records: records(m, 6, 8, 16, v6_at)?,
        },
        _ => return Err(ParseError::Not("not an MLD message")),
    };
    // ICMPv6's checksum covers a pseudo-header (RFC 8200 8.1): the addresses, the message's
    // length as 32 bits, and next header 58.
    let len = (m.len() as u32).to_be_bytes();
    let pseudo = [&p[8..40], &len[..], &[0, 0, 0, 58][..], m];
    Ok(Packet {
        source,
        destination,
        ttl,
        message,
        checksum_ok: ones_sum(&pseudo) == 0xffff,
    })
}

#[cfg(test)]
#[path = "igmp_tests.rs"]
mod tests;
