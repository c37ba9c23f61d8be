//! RFC 6450, the Multicast Ping Protocol (version 2, what omping speaks): `I` init, `S`
//! server response, `Q` echo request, `A` echo reply, each with the Version option.

use std::net::IpAddr;

use super::{
    WireError, address_of, options, put, put_address, timestamp_bytes, timestamp_of, u32_of,
};

/// Option: Version (one byte, 2): in every message.
pub const OPT_VERSION: u16 = 0;
/// Option: Client ID (opaque bytes).
pub const OPT_CLIENT_ID: u16 = 1;
/// Option: Sequence number (u32).
pub const OPT_SEQ: u16 = 2;
/// Option: Client timestamp (u32 seconds, u32 microseconds).
pub const OPT_CLIENT_TIMESTAMP: u16 = 3;
/// Option: Multicast group (u16 address family, then the address).
pub const OPT_GROUP: u16 = 4;
/// Option: Option request (a list of u16 option types).
pub const OPT_OPTION_REQUEST: u16 = 5;
/// Option: Server information (UTF-8).
pub const OPT_SERVER_INFO: u16 = 6;
/// Option: TTL the server sent with (one byte).
pub const OPT_TTL: u16 = 9;
/// Option: Multicast prefix.
pub const OPT_MCAST_PREFIX: u16 = 10;
/// Option: Session ID (opaque bytes).
pub const OPT_SESSION_ID: u16 = 11;
/// Option: Server timestamp (u32 seconds, u32 microseconds).
pub const OPT_SERVER_TIMESTAMP: u16 = 12;

/// The protocol version this codec speaks.
pub const VERSION: u8 = 2;

/// The four message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `I`: a client asks to start a session.
    Init,
    /// `S`: the server answers an init (or, in answer to a request, says "stop").
    Response,
    /// `Q`: an echo request.
    Request,
    /// `A`: an echo reply, sent unicast and multicast.
    Reply,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Init => b'I',
            Kind::Response => b'S',
            Kind::Request => b'Q',
            Kind::Reply => b'A',
        }
    }
}

/// One RFC 6450 message. Options it does not know are passed over when reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Which of the four it is.
    pub kind: Kind,
    /// The Version option: 2 for this protocol.
    pub version: u8,
    /// The client's id, opaque.
    pub client_id: Option<Vec<u8>>,
    /// The request's number.
    pub seq: Option<u32>,
    /// The client's send time, nanoseconds since the epoch (sent to the microsecond).
    pub client_sent_ns: Option<u64>,
    /// The group of the session.
    pub group: Option<IpAddr>,
    /// Options the client asks the server to include.
    pub option_request: Vec<u16>,
    /// What the server says of itself.
    pub server_info: Option<String>,
    /// The TTL or hop limit the server sent the reply with, so hops need no guess.
    pub ttl: Option<u8>,
    /// The Multicast Prefix option, as it came (u16 family, u8 prefix length, address
    /// bytes): a client's init names the group it wants with it (see `prefix_of`).
    pub mcast_prefix: Option<Vec<u8>>,
    /// The session the server gave the client, opaque.
    pub session_id: Option<Vec<u8>>,
    /// The server's send time, nanoseconds since the epoch.
    pub server_sent_ns: Option<u64>,
}

impl Message {
    /// A message of `kind` with nothing but the Version option.
    pub fn new(kind: Kind) -> Self {
        Message {
            kind,
            version: VERSION,
            client_id: None,
            seq: None,
            client_sent_ns: None,
            group: None,
            option_request: Vec::new(),
            server_info: None,
            ttl: None,
            mcast_prefix: None,
            session_id: None,
            server_sent_ns: None,
        }
    }

    /// Reads a message; one without the Version option is not of this protocol.
    pub fn decode(datagram: &[u8]) -> Result<Message, WireError> {
        MessageRef::decode(datagram).map(MessageRef::into_owned)
    }

    /// The message's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let list: Vec<u8> = self
            .option_request
            .iter()
            .flat_map(|o| o.to_be_bytes())
            .collect();
        let m = MessageRef {
            kind: self.kind,
            version: self.version,
            client_id: self.client_id.as_deref(),
            seq: self.seq,
            client_sent_ns: self.client_sent_ns,
            group: self.group,
            option_request: &list,
            server_info: self.server_info.as_deref().map(str::as_bytes),
            ttl: self.ttl,
            mcast_prefix: self.mcast_prefix.as_deref(),
            session_id: self.session_id.as_deref(),
            server_sent_ns: self.server_sent_ns,
        };
        let mut out = Vec::new();
        m.encode_into(&mut out);
        out
    }
}

/// A message read in place, its opaque options borrowed from the datagram: what a reflector
/// reads and writes each request with, allocating nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRef<'a> {
    /// Which of the four it is.
    pub kind: Kind,
    /// The Version option.
    pub version: u8,
    /// The client's id.
    pub client_id: Option<&'a [u8]>,
    /// The request's number.
    pub seq: Option<u32>,
    /// The client's send time, nanoseconds since the epoch.
    pub client_sent_ns: Option<u64>,
    /// The group of the session.
    pub group: Option<IpAddr>,
    /// The Option Request option's value as it came: u16 option types (an even length,
    /// checked when read); empty when absent.
    pub option_request: &'a [u8],
    /// What the server says of itself, as it came (not checked to be UTF-8).
    pub server_info: Option<&'a [u8]>,
    /// The TTL or hop limit the server sent the reply with.
    pub ttl: Option<u8>,
    /// The Multicast Prefix option, as it came.
    pub mcast_prefix: Option<&'a [u8]>,
    /// The session the server gave the client.
    pub session_id: Option<&'a [u8]>,
    /// The server's send time, nanoseconds since the epoch.
    pub server_sent_ns: Option<u64>,
}

impl<'a> MessageRef<'a> {
    /// A message of `kind` with nothing but the Version option.
    pub fn new(kind: Kind) -> Self {
        MessageRef {
            kind,
            version: VERSION,
            client_id: None,
            seq: None,
            client_sent_ns: None,
            group: None,
            option_request: &[],
            server_info: None,
            ttl: None,
            mcast_prefix: None,
            session_id: None,
            server_sent_ns: None,
        }
    }

    /// Reads a message; one without the Version option is not of this protocol.
    pub fn decode(datagram: &'a [u8]) -> Result<Self, WireError> {
        let (&kind, body) = datagram.split_first().ok_or(WireError::Empty)?;
        let kind = match kind {
            b'I' => Kind::Init,
            b'S' => Kind::Response,
            b'Q' => Kind::Request,
            b'A' => Kind::Reply,
            other => return Err(WireError::UnknownType(other)),
        };
        let mut m = MessageRef::new(kind);
        let mut version = None;
        let bad = |option: u16, value: &[u8]| WireError::BadLength {
            option,
            len: value.len() as u16,
        };
        let byte = |option: u16, value: &[u8]| match value {
            [b] => Ok(*b),
            _ => Err(bad(option, value)),
        };
        for option in options(body, 1) {
            let (option, value) = option?;
            match option {
                OPT_VERSION => version = Some(byte(option, value)?),
                OPT_CLIENT_ID => m.client_id = Some(value),
                OPT_SEQ => m.seq = Some(u32_of(option, value)?),
                OPT_CLIENT_TIMESTAMP => m.client_sent_ns = Some(timestamp_of(option, value)?),
                OPT_GROUP => m.group = Some(address_of(option, value, 2)?),
                OPT_OPTION_REQUEST => {
                    if value.len() % 2 != 0 {
                        return Err(bad(option, value));
                    }
                    m.option_request = value;
                }
                OPT_SERVER_INFO => m.server_info = Some(value),
                OPT_TTL => m.ttl = Some(byte(option, value)?),
                OPT_MCAST_PREFIX => m.mcast_prefix = Some(value),
                OPT_SESSION_ID => m.session_id = Some(value),
                OPT_SERVER_TIMESTAMP => m.server_sent_ns = Some(timestamp_of(option, value)?),
                _ => {}
            }
        }
        m.version = version.ok_or(WireError::Missing("Version"))?;
        Ok(m)
    }

    /// The option types the client asks for.
    pub fn requested(&self) -> impl Iterator<Item = u16> + 'a {
        self.option_request
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
    }

    /// Whether the client asks for option `option`.
    pub fn requests(&self, option: u16) -> bool {
        self.requested().any(|o| o == option)
    }

    /// The same message, owning its options (server info read as UTF-8, lossily).
    pub fn into_owned(self) -> Message {
        Message {
            kind: self.kind,
            version: self.version,
            client_id: self.client_id.map(<[u8]>::to_vec),
            seq: self.seq,
            client_sent_ns: self.client_sent_ns,
            group: self.group,
            option_request: self.requested().collect(),
            server_info: self
                .server_info
                .map(|v| String::from_utf8_lossy(v).into_owned()),
            ttl: self.ttl,
            mcast_prefix: self.mcast_prefix.map(<[u8]>::to_vec),
            session_id: self.session_id.map(<[u8]>::to_vec),
            server_sent_ns: self.server_sent_ns,
        }
    }

    /// Writes the message's bytes into `out`, replacing what it held and keeping its room:
    /// nothing is allocated once `out` is large enough.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.clear();
        out.push(self.kind.byte());
        put(out, OPT_VERSION, &[self.version]);
        if let Some(id) = self.client_id {
            put(out, OPT_CLIENT_ID, id);
        }
        if let Some(seq) = self.seq {
            put(out, OPT_SEQ, &seq.to_be_bytes());
        }
        if let Some(ns) = self.client_sent_ns {
            put(out, OPT_CLIENT_TIMESTAMP, &timestamp_bytes(ns));
        }
        if let Some(g) = self.group {
            put_address(out, OPT_GROUP, g, 2);
        }
        if !self.option_request.is_empty() {
            put(out, OPT_OPTION_REQUEST, self.option_request);
        }
        if let Some(info) = self.server_info {
            put(out, OPT_SERVER_INFO, info);
        }
        if let Some(ttl) = self.ttl {
            put(out, OPT_TTL, &[ttl]);
        }
        if let Some(prefix) = self.mcast_prefix {
            put(out, OPT_MCAST_PREFIX, prefix);
        }
        if let Some(id) = self.session_id {
            put(out, OPT_SESSION_ID, id);
        }
        if let Some(ns) = self.server_sent_ns {
            put(out, OPT_SERVER_TIMESTAMP, &timestamp_bytes(ns));
        }
    }
}

/// The Multicast Prefix value for exactly one group: its family, its full length in bits,
/// and its address (as omping writes it and checks it).
pub fn prefix_of(group: IpAddr) -> Vec<u8> {
    let (family, bits, octets): (u16, u8, Vec<u8>) = match group {
        IpAddr::V4(v4) => (1, 32, v4.octets().to_vec()),
        IpAddr::V6(v6) => (2, 128, v6.octets().to_vec()),
    };
    let mut out = family.to_be_bytes().to_vec();
    out.push(bits);
    out.extend(octets);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Protocol, protocol_of};

    /// An echo request as RFC 6450 lays it out: version 2, client id "c1", seq 3, client
    /// timestamp 10 s 20 us, group 232.43.211.234 (family as a u16), session id "s".
    const REQUEST: &[u8] = &[
        b'Q', //
        0, 0, 0, 1, 2, // version
        0, 1, 0, 2, b'c', b'1', // client id
        0, 2, 0, 4, 0, 0, 0, 3, // seq
        0, 3, 0, 8, 0, 0, 0, 10, 0, 0, 0, 20, // client timestamp
        0, 4, 0, 6, 0, 1, 232, 43, 211, 234, // group
        0, 11, 0, 1, b's', // session id
    ];

    #[test]
    fn an_echo_request_reads_field_by_field_and_writes_back_the_same() {
        let m = Message::decode(REQUEST).unwrap();
        assert_eq!((m.kind, m.version), (Kind::Request, 2));
        assert_eq!(m.client_id.as_deref(), Some(&b"c1"[..]));
        assert_eq!(m.seq, Some(3));
        assert_eq!(m.client_sent_ns, Some(10_000_020_000));
        assert_eq!(m.group, Some("232.43.211.234".parse().unwrap()));
        assert_eq!(m.session_id.as_deref(), Some(&b"s"[..]));
        assert_eq!(m.encode(), REQUEST);
    }

    #[test]
    fn every_option_round_trips() {
        let mut m = Message::new(Kind::Reply);
        m.client_id = Some(vec![1, 2, 3]);
        m.seq = Some(u32::MAX);
        m.client_sent_ns = Some(1_700_000_000_123_456_000);
        m.group = Some("ff3e::4321:1234".parse().unwrap());
        m.option_request = vec![OPT_SERVER_INFO, OPT_SERVER_TIMESTAMP];
        m.server_info = Some("mcast".into());
        m.ttl = Some(64);
        m.mcast_prefix = Some(prefix_of("232.43.211.234".parse().unwrap()));
        m.session_id = Some(vec![9; 16]);
        m.server_sent_ns = Some(5_000_000);
        assert_eq!(Message::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn a_prefix_names_one_group_at_full_length() {
        assert_eq!(
            prefix_of("232.43.211.234".parse().unwrap()),
            [0, 1, 32, 232, 43, 211, 234]
        );
        assert_eq!(
            prefix_of("ff3e::4321:1234".parse().unwrap()).len(),
            2 + 1 + 16
        );
    }

    #[test]
    fn the_version_option_tells_the_protocols_apart() {
        assert_eq!(protocol_of(REQUEST), Some(Protocol::Rfc6450));
        let v1 = [b'Q', 0, 2, 0, 4, 0, 0, 0, 1];
        assert_eq!(protocol_of(&v1), Some(Protocol::Ssmping));
        assert_eq!(Message::decode(&v1), Err(WireError::Missing("Version")));
        assert_eq!(protocol_of(&[b'I', 0, 2, 0, 4, 0, 0, 0, 1]), None);
        assert_eq!(protocol_of(b"MCST"), None);
        assert_eq!(protocol_of(b""), None);
    }

    #[test]
    fn malformed_options_are_typed_errors() {
        assert_eq!(
            Message::decode(&[b'Q', 0, 0, 0, 2, 2, 2]),
            Err(WireError::BadLength { option: 0, len: 2 })
        );
        assert_eq!(
            Message::decode(&[b'Q', 0, 0, 0, 1, 2, 0, 5, 0, 3, 0, 6, 0]),
            Err(WireError::BadLength { option: 5, len: 3 })
        );
        assert_eq!(
            Message::decode(&[b'Q', 0, 0, 0, 1, 2, 0, 4, 0, 6, 0, 2, 1, 2, 3, 4]),
            Err(WireError::BadAddress { option: 4 })
        );
        assert_eq!(
            Message::decode(&[b'A', 0, 0, 0]),
            Err(WireError::Truncated { at: 1 })
        );
    }

    #[test]
    fn the_options_asked_for_are_read_in_place() {
        let mut m = Message::new(Kind::Init);
        m.option_request = vec![OPT_SERVER_INFO, OPT_SERVER_TIMESTAMP];
        let bytes = m.encode();
        let r = MessageRef::decode(&bytes).unwrap();
        assert!(r.requests(OPT_SERVER_INFO) && r.requests(OPT_SERVER_TIMESTAMP));
        assert!(!r.requests(OPT_TTL));
        assert_eq!(r.into_owned(), m);
    }
}
