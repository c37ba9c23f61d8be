//! A serde serializer for one JSON line, fast on what nearly every line is made of: keys and
//! values that are plain printable ASCII. Anything else it hands to serde_json, so its bytes
//! are exactly serde_json's with `SafeFormatter` (a property test holds it to that).
//!
//! Why: serde_json scans every key and value byte by byte through its escape table, one call
//! per string; on a per-datagram line of about twenty strings that was over a third of
//! `mcast recv`'s time at a million datagrams a second.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible, Serializer};

use crate::cli::output::escape::SafeFormatter;

/// Appends `value` as compact JSON to `out`, escaped as `SafeFormatter` escapes.
pub fn write_json<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    match value.serialize(&mut LineSerializer { out: &mut *out }) {
        Ok(()) => Ok(()),
        Err(Error::Json(e)) => Err(e),
        Err(Error::Unsupported) => {
            // A shape this serializer leaves to serde_json (a map, a tuple, an enum with data).
            out.truncate(start);
            by_serde_json(out, value)
        }
    }
}

/// True for strings serde_json would write as they are and a terminal shows as they are.
fn is_verbatim(s: &str) -> bool {
    // No early exit: a loop without one compiles to a few wide compares.
    s.bytes().fold(true, |ok, b| {
        ok & (b' '..=b'~').contains(&b) & (b != b'"') & (b != b'\\')
    })
}

fn by_serde_json<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        out,
        SafeFormatter,
    ))
}

/// Why a line was not written here: serde_json's own error, or a shape left to serde_json.
#[derive(Debug)]
enum Error {
    Json(serde_json::Error),
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Error::Json(e) => e.fmt(f),
            Error::Unsupported => f.write_str("a shape left to serde_json"),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Json(<serde_json::Error as ser::Error>::custom(msg))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e)
    }
}

struct LineSerializer<'a> {
    out: &'a mut Vec<u8>,
}

impl LineSerializer<'_> {
    fn string(&mut self, s: &str) -> Result<(), Error> {
        if !is_verbatim(s) {
            return Ok(by_serde_json(self.out, s)?);
        }
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
        Ok(())
    }
}

/// Numbers, booleans and null are serde_json's own work, delegated whole.
macro_rules! delegate {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            Ok(by_serde_json(self.out, &v)?)
        }
    )*};
}

/// Everything this serializer does not do itself: the caller starts the line again with
/// serde_json.
macro_rules! refuse {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty),* $(,)?) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ret, Error> {
            Err(Error::Unsupported)
        }
    )*};
}

impl<'b, 'a> Serializer for &'b mut LineSerializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'b, 'a>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Compound<'b, 'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    delegate!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
    );

    refuse!(
        serialize_bytes(v: &[u8]) -> (),
        serialize_tuple(len: usize) -> Self::SerializeTuple,
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct,
        serialize_tuple_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize
        ) -> Self::SerializeTupleVariant,
        serialize_map(len: Option<usize>) -> Self::SerializeMap,
        serialize_struct_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize
        ) -> Self::SerializeStructVariant,
    );

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(Error::Unsupported)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        self.out.push(b'[');
        Ok(Compound {
            ser: self,
            first: true,
            close: b']',
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        self.out.push(b'{');
        Ok(Compound {
            ser: self,
            first: true,
            close: b'}',
        })
    }
}

/// An array or an object being written: commas between members, the bracket at the end.
struct Compound<'b, 'a> {
    ser: &'b mut LineSerializer<'a>,
    first: bool,
    close: u8,
}

impl Compound<'_, '_> {
    #[inline(always)]
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.ser.out.push(b',');
        }
    }

    fn end(self) -> Result<(), Error> {
        self.ser.out.push(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    // Inlined into each derived field, where the key's length is a constant and its copy a
    // few moves rather than a call to memcpy.
    #[inline(always)]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.separate();
        // Keys are field names fixed at compile time, all plain identifiers: no need to scan
        // them (a test checks every key of every event).
        debug_assert!(is_verbatim(key), "{key}");
        let out = &mut *self.ser.out;
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::cli::output::events::{
        Event, MembershipChange, Packet, ProbeInfo, RecvSummary, SendSummary, SenderSummary,
        SizeSummary,
    };

    /// What serde_json itself writes for `value`, escaping as `SafeFormatter` does.
    fn reference<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        by_serde_json(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn ours<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = b"kept ".to_vec();
        write_json(&mut out, value).unwrap();
        String::from_utf8(out)
            .unwrap()
            .strip_prefix("kept ")
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_event_comes_out_as_serde_json_writes_it() {
        let packet = Event::Packet(Packet {
            command: "recv",
            time: "2026-11-24T21:44:37.337378Z",
            source: "fe80::1",
            source_port: 47187,
            group: "ff02::1234",
            port: 7777,
            interface: Some("eth0"),
            size: 64,
            truncated: false,
            ttl: Some(1),
            tos: None,
            text: None,
            probe: Some(ProbeInfo {
                sender: "7a905c4d",
                seq: u64::MAX,
                delay_ms: 0.093952,
            }),
        });
        let summary = Event::Summary(RecvSummary {
            packets: 3,
            elapsed_ms: f64::NAN,
            rate_pps: f64::INFINITY,
            kernel_drops: Some(0),
            senders: vec![SenderSummary {
                sender: "00000001".into(),
                source: "192.0.2.2".into(),
                planned: 0,
                received: 1,
                lost: 2,
                lost_after_last: 1,
                pending: 7,
                before_join: 3,
                unjudged: 0,
                last_time: "2026-11-24T21:18:37.565627Z".into(),
                silent_ms: 1.5,
                pace_ms: None,
                duplicates: 0,
                reordered: 0,
                stale: 1,
                implausible: true,
                disbelieved: 3,
                heard_once: true,
                sizes: vec![SizeSummary {
                    size: 1472,
                    received: 0,
                    expected: 9,
                }],
                sizes_not_arriving: vec![1472],
                delay_min_ms: Some(-0.5),
                delay_avg_ms: None,
                delay_max_ms: Some(1e300),
                jitter_ms: 1e-9,
            }],
            ..RecvSummary::default()
        });
        let sent = Event::SendSummary(SendSummary {
            path: "gso",
            gap_p99_us: Some(12.25),
            ..SendSummary::default()
        });
        let joined = Event::Joined(MembershipChange {
            command: "join",
            time: "t".into(),
            group: "232.1.1.1".into(),
            interface: None,
            sources: vec!["192.0.2.2".into(), "a\"b".into(), "c\\d".into()],
        });
        let link = Event::Link {
            command: "recv",
            time: "t".into(),
            interface: "eth\u{1b}[0".into(),
            state: "down",
        };
        for event in [packet, summary, sent, joined, link] {
            let want = reference(&event);
            assert_eq!(ours(&event), want);
            serde_json::from_str::<serde_json::Value>(&want).unwrap();
        }
    }

    #[test]
    fn shapes_it_does_not_do_itself_are_serde_jsons_work() {
        let map: BTreeMap<&str, (u8, char)> = [("a", (1, 'x')), ("b\u{7f}", (2, 'y'))].into();
        assert_eq!(ours(&map), reference(&map));
        let data = serde_json::json!({"nested": [1, {"k": null}], "s": "\u{202e}"});
        assert_eq!(ours(&data), reference(&data));
        assert_eq!(ours(&vec![Some(1.5), None]), "[1.5,null]");
    }

    proptest::proptest! {
        #[test]
        fn any_packet_matches_serde_json(
            text in proptest::option::of(".*"),
            source in "\\PC{0,40}",
            interface in proptest::option::of("[\\x00-\\x7f\u{80}-\u{10ffff}]{0,16}"),
            seq: u64,
            size: usize,
            ttl: Option<u8>,
            delay_ms: f64,
            truncated: bool,
        ) {
            let event = Event::Packet(Packet {
                command: "recv",
                time: "2026-11-24T21:44:37.337378Z",
                source: &source,
                source_port: 1,
                group: "239.1.1.1",
                port: 2,
                interface: interface.as_deref(),
                size,
                truncated,
                ttl,
                tos: ttl,
                text: text.as_deref(),
                probe: (seq % 2 == 0).then_some(ProbeInfo { sender: "x", seq, delay_ms }),
            });
            proptest::prop_assert_eq!(ours(&event), reference(&event));
        }
    }
}
