//! Making untrusted bytes safe for a terminal: escaped text, and JSON that escapes the same.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

/// Characters a terminal may act on rather than show: controls (C0, DEL, C1) and the
/// invisible format characters that reorder or hide text (bidi overrides, zero-widths).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// True when `s` is printable ASCII only: nothing a terminal acts on, nothing to escape.
pub fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// A payload as text a person can read and a terminal cannot act on: valid UTF-8 shows as
/// itself, everything else as `\n`, `\t`, `\\`, `\u{202e}` or `\xff`. Borrowed when
/// nothing needs escaping, as nearly always: printing a datagram then builds nothing.
pub fn escape_payload(bytes: &[u8]) -> Cow<'_, str> {
    let verbatim = bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\');
    // Printable ASCII is UTF-8 as it is; the check cannot fail once `verbatim` holds.
    if verbatim && let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if is_unsafe(c) && (c as u32) < 0x100 => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if is_unsafe(c) => {
                    let _ = write!(out, "\\u{{{:04x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// serde_json's compact output, but with every unsafe character written as `\uXXXX`, so
/// JSON printed to a terminal is as harmless as text. The JSON still means the same string.
pub struct SafeFormatter;

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Nearly every string is plain printable ASCII: write it at once.
        if is_plain(fragment) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_payloads_come_out_inert() {
        assert_eq!(escape_payload(b"hi"), "hi");
        assert!(matches!(escape_payload(b"eth0"), Cow::Borrowed("eth0")));
        assert_eq!(escape_payload("give me €uros".as_bytes()), "give me €uros");
        assert_eq!(escape_payload(b"\x1b[2Jgone\x07"), "\\x1b[2Jgone\\x07");
        assert_eq!(escape_payload(b"a\nb\\"), "a\\nb\\\\");
        assert_eq!(escape_payload(b"\xff\xfe"), "\\xff\\xfe");
        assert_eq!(escape_payload("\u{9b}31m".as_bytes()), "\\x9b31m");
        assert_eq!(
            escape_payload("abc\u{202e}def".as_bytes()),
            "abc\\u{202e}def"
        );
    }

    #[test]
    fn json_escapes_what_a_terminal_would_act_on_and_still_parses_back() {
        let text = "x\u{1b}[31m\u{9b}\u{202e}\u{7f}y€";
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafeFormatter);
        serde::Serialize::serialize(text, &mut ser).unwrap();
        let json = String::from_utf8(buf).unwrap();
        assert!(json.chars().all(|c| !is_unsafe(c)), "{json}");
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
    }
}
