//! The ssmping protocol ("version 1"): `Q` requests and `A` replies of ssmping, asmping and
//! ssmpingd. A reflector answers with the request's own bytes, `Q` turned into `A`.

use std::net::IpAddr;

use super::{
    WireError, address_of, options, put, put_address, timestamp_bytes, timestamp_of, u32_of,
};

/// Option: The client's id (u32; its process id in ssmping).
pub const OPT_PID: u16 = 1;
/// Option: Sequence number (u32).
pub const OPT_SEQ: u16 = 2;
/// Option: Client timestamp (u32 seconds, u32 microseconds).
pub const OPT_TIMESTAMP: u16 = 3;
/// Option: The group (one family byte, 1 IPv4 or 2 IPv6, then the address).
pub const OPT_GROUP: u16 = 4;
/// Option: Asks for the reflector's version string (empty).
pub const OPT_REQUEST_VERSION: u16 = 5;
/// Option: The reflector's version string.
pub const OPT_VERSION: u16 = 6;
/// Option: The reply size asked for (u16).
pub const OPT_REPLY_SIZE: u16 = 7;
/// Option: Padding.
pub const OPT_PAD: u16 = 8;

/// A request or a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Q`, from a client.
    Request,
    /// `A`, from a reflector.
    Reply,
}

/// One ssmping message. Options it does not know are passed over when reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Request or reply; None only in a `Default` being built.
    pub kind: Option<Kind>,
    /// The client's id (its process id in ssmping).
    pub pid: Option<u32>,
    /// The request's number.
    pub seq: Option<u32>,
    /// When the client sent it, in nanoseconds since the epoch (sent to the microsecond).
    pub sent_ns: Option<u64>,
    /// The group asked for; without it a reflector answers on its default group.
    pub group: Option<IpAddr>,
    /// True when the client asks for the reflector's version string.
    pub wants_version: bool,
    /// The reflector's version string.
    pub version: Option<String>,
    /// The reply size asked for, in bytes.
    pub reply_size: Option<u16>,
    /// Bytes of padding carried.
    pub padding: usize,
}

/// A message read in place: its fields, the version string borrowed from the datagram, so
/// that a reflector reads each request without allocating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageRef<'a> {
    /// Request or reply; None only in a `Default`.
    pub kind: Option<Kind>,
    /// The client's id.
    pub pid: Option<u32>,
    /// The request's number.
    pub seq: Option<u32>,
    /// When the client sent it, in nanoseconds since the epoch.
    pub sent_ns: Option<u64>,
    /// The group asked for.
    pub group: Option<IpAddr>,
    /// True when the client asks for the reflector's version string.
    pub wants_version: bool,
    /// The reflector's version string, as it came (not checked to be UTF-8).
    pub version: Option<&'a [u8]>,
    /// The reply size asked for, in bytes.
    pub reply_size: Option<u16>,
    /// Bytes of padding carried.
    pub padding: usize,
}

impl<'a> MessageRef<'a> {
    /// Reads a message; a datagram of another protocol or a malformed one is an error.
    pub fn decode(datagram: &'a [u8]) -> Result<Self, WireError> {
        let (&kind, body) = datagram.split_first().ok_or(WireError::Empty)?;
        let kind = match kind {
            b'Q' => Kind::Request,
            b'A' => Kind::Reply,
            other => return Err(WireError::UnknownType(other)),
        };
        let mut m = MessageRef {
            kind: Some(kind),
            ..MessageRef::default()
        };
        for option in options(body, 1) {
            let (option, value) = option?;
            match option {
                OPT_PID => m.pid = Some(u32_of(option, value)?),
                OPT_SEQ => m.seq = Some(u32_of(option, value)?),
                OPT_TIMESTAMP => m.sent_ns = Some(timestamp_of(option, value)?),
                OPT_GROUP => m.group = Some(address_of(option, value, 1)?),
                OPT_REQUEST_VERSION => m.wants_version = true,
                OPT_VERSION => m.version = Some(value),
                OPT_REPLY_SIZE => {
                    let v = <[u8; 2]>::try_from(value).map_err(|_| WireError::BadLength {
                        option,
                        len: value.len() as u16,
                    })?;
                    m.reply_size = Some(u16::from_be_bytes(v));
                }
                OPT_PAD => m.padding += value.len(),
                _ => {}
            }
        }
        Ok(m)
    }

    /// The same message, owning its version string (read as UTF-8, lossily).
    pub fn into_owned(self) -> Message {
        Message {
            kind: self.kind,
            pid: self.pid,
            seq: self.seq,
            sent_ns: self.sent_ns,
            group: self.group,
            wants_version: self.wants_version,
            version: self
                .version
                .map(|v| String::from_utf8_lossy(v).into_owned()),
            reply_size: self.reply_size,
            padding: self.padding,
        }
    }
}

impl Message {
    /// Reads a message; a datagram of another protocol or a malformed one is an error.
    pub fn decode(datagram: &[u8]) -> Result<Message, WireError> {
        MessageRef::decode(datagram).map(MessageRef::into_owned)
    }

    /// The message's bytes, in the order ssmping writes them.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![match self.kind {
            Some(Kind::Reply) => b'A',
            _ => b'Q',
        }];
        if let Some(pid) = self.pid {
            put(&mut out, OPT_PID, &pid.to_be_bytes());
        }
        if let Some(seq) = self.seq {
            put(&mut out, OPT_SEQ, &seq.to_be_bytes());
        }
        if let Some(ns) = self.sent_ns {
            put(&mut out, OPT_TIMESTAMP, &timestamp_bytes(ns));
        }
        if self.wants_version {
            put(&mut out, OPT_REQUEST_VERSION, &[]);
        }
        if let Some(v) = &self.version {
            put(&mut out, OPT_VERSION, v.as_bytes());
        }
        if let Some(size) = self.reply_size {
            put(&mut out, OPT_REPLY_SIZE, &size.to_be_bytes());
        }
        if let Some(g) = self.group {
            put_address(&mut out, OPT_GROUP, g, 1);
        }
        if self.padding > 0 {
            put(&mut out, OPT_PAD, &vec![0u8; self.padding]);
        }
        out
    }
}

/// A reply to `request` as ssmpingd makes it: the same bytes with `Q` turned into `A`.
/// None when `request` is not a well-formed ssmping request.
pub fn reply_to(request: &[u8]) -> Option<Vec<u8>> {
    let mut reply = Vec::new();
    reply_into(request, &mut reply)?;
    Some(reply)
}

/// As `reply_to`, into `reply` (what it held is replaced, its room kept: nothing is
/// allocated once it is large enough), and with the request as read.
pub fn reply_into<'a>(request: &'a [u8], reply: &mut Vec<u8>) -> Option<MessageRef<'a>> {
    let m = MessageRef::decode(request).ok()?;
    (m.kind == Some(Kind::Request)).then(|| {
        reply.clear();
        reply.extend_from_slice(request);
        reply[0] = b'A';
        m
    })
}

/// Pads `reply` with a padding option to the size the request asked for (its reply-size
/// option), but to no more than `limit` bytes; never shortens it. Returns whether the size
/// asked for was cut down to `limit`.
pub fn pad_reply(reply: &mut Vec<u8>, asked: Option<u16>, limit: usize) -> bool {
    let Some(asked) = asked.map(usize::from).filter(|a| *a > reply.len()) else {
        return false;
    };
    let target = asked.min(limit);
    // A padding option is 4 bytes of header and its value (at most a u16's worth).
    if target >= reply.len() + 4 {
        let len = u16::try_from(target - reply.len() - 4).unwrap_or(u16::MAX);
        reply.extend_from_slice(&OPT_PAD.to_be_bytes());
        reply.extend_from_slice(&len.to_be_bytes());
        reply.resize(reply.len() + usize::from(len), 0);
    }
    target < asked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request as ssmping 0.9.1 sends it, byte by byte: pid 0x1234, seq 7, timestamp
    /// 1000 s 500 us, group 232.43.211.234.
    const SSMPING_REQUEST: &[u8] = &[
        b'Q', //
        0, 1, 0, 4, 0, 0, 0x12, 0x34, // pid
        0, 2, 0, 4, 0, 0, 0, 7, // seq
        0, 3, 0, 8, 0, 0, 0x03, 0xe8, 0, 0, 0x01, 0xf4, // timestamp
        0, 4, 0, 5, 1, 232, 43, 211, 234, // group
    ];

    #[test]
    fn a_timestamp_of_a_second_or_more_of_microseconds_is_malformed() {
        // Found by the ping_wire fuzz target: such a time did not come back the same.
        let at = |usec: u32| {
            let mut b = vec![b'Q', 0, 3, 0, 8];
            b.extend(7u32.to_be_bytes());
            b.extend(usec.to_be_bytes());
            b
        };
        assert_eq!(
            Message::decode(&at(u32::MAX)),
            Err(WireError::BadTimestamp { option: 3 })
        );
        assert_eq!(Message::decode(&at(1_000_000)).ok(), None);
        let m = Message::decode(&at(999_999)).unwrap();
        assert_eq!(m.sent_ns, Some(7_999_999_000));
        assert_eq!(Message::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn replies_grow_to_the_size_asked_within_the_limit() {
        let request = reply_to(SSMPING_REQUEST).unwrap();
        let len = request.len();
        let mut r = request.clone();
        assert!(!pad_reply(&mut r, None, 65_535), "nothing asked");
        assert_eq!(r.len(), len);
        assert!(
            pad_reply(&mut r, Some(65_000), len),
            "asked more than allowed"
        );
        assert_eq!(r.len(), len, "never larger than the request by default");
        assert!(!pad_reply(&mut r, Some(500), 1000));
        assert_eq!(r.len(), 500);
        assert_eq!(Message::decode(&r).unwrap().padding, 500 - len - 4);
        let mut r = request.clone();
        assert!(pad_reply(&mut r, Some(65_000), 1000));
        assert_eq!(r.len(), 1000, "cut to the limit");
        let mut r = request.clone();
        assert!(
            !pad_reply(&mut r, Some(10), 1000),
            "smaller than the request"
        );
        assert_eq!(r.len(), len);
    }

    #[test]
    fn an_ssmping_request_reads_field_by_field() {
        let m = Message::decode(SSMPING_REQUEST).unwrap();
        assert_eq!(m.kind, Some(Kind::Request));
        assert_eq!(m.pid, Some(0x1234));
        assert_eq!(m.seq, Some(7));
        assert_eq!(m.sent_ns, Some(1_000_000_500_000));
        assert_eq!(m.group, Some("232.43.211.234".parse().unwrap()));
        assert!(!m.wants_version && m.version.is_none() && m.reply_size.is_none());
    }

    #[test]
    fn encoding_writes_what_ssmping_writes() {
        let m = Message {
            kind: Some(Kind::Request),
            pid: Some(0x1234),
            seq: Some(7),
            sent_ns: Some(1_000_000_500_999),
            group: Some("232.43.211.234".parse().unwrap()),
            ..Message::default()
        };
        assert_eq!(m.encode(), SSMPING_REQUEST);
    }

    #[test]
    fn a_reply_is_the_request_with_its_type_turned() {
        let reply = reply_to(SSMPING_REQUEST).unwrap();
        assert_eq!(reply[0], b'A');
        assert_eq!(&reply[1..], &SSMPING_REQUEST[1..]);
        assert_eq!(Message::decode(&reply).unwrap().kind, Some(Kind::Reply));
        assert!(reply_to(&reply).is_none(), "a reply is not answered");
    }

    #[test]
    fn ipv6_groups_versions_sizes_and_padding_round_trip() {
        let m = Message {
            kind: Some(Kind::Reply),
            pid: Some(1),
            seq: Some(u32::MAX),
            sent_ns: Some(0),
            group: Some("ff3e::4321:1234".parse().unwrap()),
            wants_version: true,
            version: Some("mcast 0.1.0".into()),
            reply_size: Some(1000),
            padding: 37,
        };
        assert_eq!(Message::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn malformed_datagrams_are_typed_errors() {
        assert_eq!(Message::decode(b""), Err(WireError::Empty));
        assert_eq!(Message::decode(b"X"), Err(WireError::UnknownType(b'X')));
        let cut = &SSMPING_REQUEST[..SSMPING_REQUEST.len() - 2];
        assert_eq!(Message::decode(cut), Err(WireError::Truncated { at: 29 }));
        assert_eq!(
            Message::decode(&[b'Q', 0, 2, 0, 3, 1, 2, 3]),
            Err(WireError::BadLength { option: 2, len: 3 })
        );
        assert_eq!(
            Message::decode(&[b'Q', 0, 4, 0, 5, 2, 1, 2, 3, 4]),
            Err(WireError::BadAddress { option: 4 })
        );
        // Unknown options are passed over.
        assert!(Message::decode(&[b'Q', 0, 99, 0, 1, 7]).is_ok());
    }

    #[test]
    fn a_reply_grows_by_a_few_bytes_exactly() {
        let mut r = reply_to(SSMPING_REQUEST).unwrap();
        let len = r.len();
        assert!(!pad_reply(&mut r, Some(len as u16 + 10), 1000));
        assert_eq!(r.len(), len + 10, "a padding option of 6 bytes");
        let mut r = reply_to(SSMPING_REQUEST).unwrap();
        assert!(!pad_reply(&mut r, Some(len as u16 + 3), 1000));
        assert_eq!(r.len(), len, "no room for a padding option's header");
    }
}
