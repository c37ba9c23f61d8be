//! What goes on the wire for the multicast ping protocols, as pure codecs over bytes: the
//! ssmping protocol (version 1: ssmping, asmping, ssmpingd, routers' reflectors) and RFC 6450,
//! the Multicast Ping Protocol (version 2: omping). Both are a type byte and then options,
//! each a u16 type, a u16 length and the value, in network byte order, unaligned; the
//! Version option (type 0, value 2) that every RFC 6450 message carries tells them apart on
//! the one port they share (4321).

pub mod columns;
pub mod igmp;
pub mod ip;
pub mod rfc6450;
pub mod ssmping;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The UDP port both protocols use (RFC 6450 names 9903; omping and ssmping use 4321).
pub const PORT: u16 = 4321;
/// The groups ssmpingd and omping answer on by default.
pub const DEFAULT_GROUP_V4: Ipv4Addr = Ipv4Addr::new(232, 43, 211, 234);
/// The IPv6 default group, ff3e::4321:1234.
pub const DEFAULT_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff3e, 0, 0, 0, 0, 0, 0x4321, 0x1234);

/// Whether a standard reflector answers on multicast for group `g` unasked: ssmpingd's rule,
/// which `mcast reflect` keeps unless started with `--group`, is groups ending in .234
/// (IPv4) or ::4321:1234 (IPv6), so a reflector cannot be pointed at any group in the range.
///
/// ```
/// use mcast::wire::customary_group;
/// assert!(customary_group("239.1.1.234".parse().unwrap()));
/// assert!(customary_group("ff3e::9:4321:1234".parse().unwrap()));
/// assert!(!customary_group("232.1.3.1".parse().unwrap()));
/// ```
pub fn customary_group(g: IpAddr) -> bool {
    match g {
        IpAddr::V4(v4) => v4.octets()[3] == 234,
        IpAddr::V6(v6) => v6.segments()[6..] == [0x4321, 0x1234],
    }
}

/// Why bytes are not a message of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// No bytes at all.
    Empty,
    /// The first byte is no message type of the protocol.
    UnknownType(u8),
    /// An option's header or value runs past the end.
    Truncated {
        /// The offset of the option that does not fit.
        at: usize,
    },
    /// An option has a length its type does not allow.
    BadLength {
        /// The option's type.
        option: u16,
        /// Its length.
        len: u16,
    },
    /// An address option names an unknown family or has the wrong length for it.
    BadAddress {
        /// The option's type.
        option: u16,
    },
    /// An option the message must carry is missing.
    Missing(&'static str),
    /// A timestamp whose microseconds are a second or more: no clock writes that.
    BadTimestamp {
        /// The option's type.
        option: u16,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Empty => write!(f, "empty datagram"),
            WireError::UnknownType(t) => write!(f, "unknown message type 0x{t:02x}"),
            WireError::Truncated { at } => write!(f, "an option runs past the end at byte {at}"),
            WireError::BadLength { option, len } => {
                write!(f, "option {option} cannot be {len} bytes long")
            }
            WireError::BadAddress { option } => {
                write!(f, "option {option} holds no IPv4 or IPv6 address")
            }
            WireError::Missing(what) => write!(f, "no {what} option"),
            WireError::BadTimestamp { option } => {
                write!(
                    f,
                    "option {option} holds a timestamp of 1,000,000 microseconds or more"
                )
            }
        }
    }
}

impl std::error::Error for WireError {}

/// The options after the type byte: (type, value) in order, each checked to fit. An option
/// that runs past the end is an error, and the last item: nothing is allocated to read them.
pub(crate) fn options(body: &[u8], start: usize) -> Options<'_> {
    Options { body, at: 0, start }
}

/// The iterator `options` returns.
pub(crate) struct Options<'a> {
    body: &'a [u8],
    at: usize,
    /// Where the body starts in the datagram, for the error's byte offset.
    start: usize,
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<(u16, &'a [u8]), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        if at >= self.body.len() {
            return None;
        }
        let value = self.body.get(at..at + 4).and_then(|header| {
            let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
            let kind = u16::from_be_bytes([header[0], header[1]]);
            Some((kind, self.body.get(at + 4..at + 4 + len)?))
        });
        match value {
            Some((kind, v)) => {
                self.at = at + 4 + v.len();
                Some(Ok((kind, v)))
            }
            None => {
                // Nothing after a malformed option can be read.
                self.at = self.body.len();
                Some(Err(WireError::Truncated {
                    at: self.start + at,
                }))
            }
        }
    }
}

/// Appends one option.
pub(crate) fn put(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&value[..usize::from(len)]);
}

pub(crate) fn u32_of(option: u16, v: &[u8]) -> Result<u32, WireError> {
    <[u8; 4]>::try_from(v)
        .map(u32::from_be_bytes)
        .map_err(|_| WireError::BadLength {
            option,
            len: v.len() as u16,
        })
}

/// A timestamp of two u32s, seconds and microseconds, as nanoseconds since the epoch.
pub(crate) fn timestamp_of(option: u16, v: &[u8]) -> Result<u64, WireError> {
    if v.len() != 8 {
        return Err(WireError::BadLength {
            option,
            len: v.len() as u16,
        });
    }
    let sec = u64::from(u32_of(option, &v[..4])?);
    let usec = u64::from(u32_of(option, &v[4..])?);
    // A second's worth of microseconds or more is no time a clock gives (and would not come
    // back the same through seconds and microseconds).
    if usec >= 1_000_000 {
        return Err(WireError::BadTimestamp { option });
    }
    Ok(sec * 1_000_000_000 + usec * 1_000)
}

/// Nanoseconds since the epoch as the wire's seconds and microseconds (seconds wrap in 2106).
pub(crate) fn timestamp_bytes(ns: u64) -> [u8; 8] {
    let sec = (ns / 1_000_000_000) as u32;
    let usec = ((ns % 1_000_000_000) / 1_000) as u32;
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&sec.to_be_bytes());
    b[4..].copy_from_slice(&usec.to_be_bytes());
    b
}

/// An address after a family of `family_len` bytes (1 for ssmping, 2 for RFC 6450), the
/// family 1 for IPv4 and 2 for IPv6 (IANA address family numbers).
pub(crate) fn address_of(option: u16, v: &[u8], family_len: usize) -> Result<IpAddr, WireError> {
    let bad = WireError::BadAddress { option };
    let (family, addr) = (
        v.get(..family_len).ok_or(bad.clone())?,
        &v[family_len.min(v.len())..],
    );
    let family = family.iter().fold(0u16, |f, b| (f << 8) | u16::from(*b));
    match (family, addr.len()) {
        (1, 4) => Ok(IpAddr::V4(Ipv4Addr::new(
            addr[0], addr[1], addr[2], addr[3],
        ))),
        (2, 16) => {
            let mut o = [0u8; 16];
            o.copy_from_slice(addr);
            Ok(IpAddr::V6(Ipv6Addr::from(o)))
        }
        _ => Err(bad),
    }
}

/// Appends an address option: a family of `family_len` bytes (the family number in the last),
/// then the address, built on the stack.
pub(crate) fn put_address(out: &mut Vec<u8>, kind: u16, ip: IpAddr, family_len: usize) {
    let mut value = [0u8; 2 + 16];
    let octets_at = family_len;
    let len = match ip {
        IpAddr::V4(v4) => {
            value[family_len - 1] = 1;
            value[octets_at..octets_at + 4].copy_from_slice(&v4.octets());
            octets_at + 4
        }
        IpAddr::V6(v6) => {
            value[family_len - 1] = 2;
            value[octets_at..octets_at + 16].copy_from_slice(&v6.octets());
            octets_at + 16
        }
    };
    put(out, kind, &value[..len]);
}

/// Which protocol a datagram speaks, by its type byte and the Version option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// ssmping ("version 1").
    Ssmping,
    /// RFC 6450 (version 2).
    Rfc6450,
}

/// Tells the protocol of a datagram on the shared port; None when it is neither.
pub fn protocol_of(datagram: &[u8]) -> Option<Protocol> {
    let (&kind, body) = datagram.split_first()?;
    let mut v2 = false;
    for option in options(body, 1) {
        let (t, v) = option.ok()?;
        v2 |= t == rfc6450::OPT_VERSION && v == [2];
    }
    match (kind, v2) {
        (b'I' | b'S' | b'Q' | b'A', true) => Some(Protocol::Rfc6450),
        (b'Q' | b'A', false) => Some(Protocol::Ssmping),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_family_is_read_whole() {
        assert_eq!(
            address_of(3, &[0, 1, 10, 0, 0, 1], 2),
            Ok("10.0.0.1".parse().unwrap())
        );
        // 257 is no family, though its low byte says IPv4.
        assert_eq!(
            address_of(3, &[1, 1, 10, 0, 0, 1], 2),
            Err(WireError::BadAddress { option: 3 })
        );
    }

    #[test]
    fn the_protocol_is_rfc_6450_only_by_its_version_option() {
        let with = |kind: u8, option: u16, value: &[u8]| {
            let mut d = vec![kind];
            put(&mut d, option, value);
            protocol_of(&d)
        };
        let version = rfc6450::OPT_VERSION;
        assert_eq!(with(b'Q', version, &[2]), Some(Protocol::Rfc6450));
        assert_eq!(with(b'Q', version, &[1]), Some(Protocol::Ssmping));
        // Another option whose value happens to be 2.
        assert_eq!(with(b'Q', version + 1, &[2]), Some(Protocol::Ssmping));
        assert_eq!(with(b'I', version + 1, &[2]), None);
    }

    #[test]
    fn each_error_says_what_was_wrong_where() {
        let said = [
            WireError::Empty,
            WireError::UnknownType(0x7e),
            WireError::Truncated { at: 9 },
            WireError::BadLength { option: 3, len: 5 },
            WireError::BadAddress { option: 1 },
            WireError::Missing("Version"),
            WireError::BadTimestamp { option: 2 },
        ]
        .map(|e| e.to_string());
        assert_eq!(
            said,
            [
                "empty datagram",
                "unknown message type 0x7e",
                "an option runs past the end at byte 9",
                "option 3 cannot be 5 bytes long",
                "option 1 holds no IPv4 or IPv6 address",
                "no Version option",
                "option 2 holds a timestamp of 1,000,000 microseconds or more",
            ]
        );
    }
}
