//! Making untrusted bytes safe for a terminal: escaped text, and JSON that escapes the same.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

/// Characters a terminal may act on rather than show: controls (C0, DEL, C1) and the
/// invisible format characters that reorder, hide or disguise text (bidi controls,
/// zero-widths, the soft hyphen, interlinear annotation marks, tag characters).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Every format character (General Category Cf, as of Unicode 16), the line and
        // paragraph separators, and the whole tag block.
        || matches!(c,
            '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
            | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}')
}

/// True when `s` is printable ASCII only: nothing a terminal acts on, nothing to escape.
pub fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Text from outside mcast (a payload, an interface name, a value typed in) as a person can
/// read it and a terminal cannot act on: valid UTF-8 shows as itself, everything else as
/// `\n`, `\t`, `\u{202e}` or `\xff`; `\` and `"` are escaped too, so an escape or a quoted
/// payload cannot be forged. The one escaping function for text output and stderr.
/// Borrowed when nothing needs escaping, as nearly always: printing a datagram then builds
/// nothing.
pub fn escape(bytes: &[u8]) -> Cow<'_, str> {
    let verbatim = bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\' && b != b'"');
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
                '"' => out.push_str("\\\""),
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
                // Beyond the BMP (tag characters), JSON spells it as a surrogate pair.
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every format character (Cf) that Python's Unicode tables know is escaped: the list
    /// comes from those tables, not from the code's own.
    #[test]
    fn every_format_character_of_the_unicode_tables_is_escaped() {
        let listed = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys,unicodedata\nprint(unicodedata.unidata_version)\nprint(' '.join(str(c) for c in range(sys.maxunicode+1) if unicodedata.category(chr(c))=='Cf'))",
            ])
            .output();
        let Some(out) = listed.ok().filter(|o| o.status.success()) else {
            eprintln!(
                "escape: the Unicode-table test did not run: python3 not found (install python3)"
            );
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let version = lines.next().unwrap_or("");
        let codes: Vec<u32> = lines
            .next()
            .unwrap_or("")
            .split(' ')
            .filter_map(|n| n.parse().ok())
            .collect();
        assert!(
            codes.len() > 100,
            "Unicode {version}: {} Cf characters",
            codes.len()
        );
        for code in codes {
            let c = char::from_u32(code).unwrap();
            assert!(
                is_unsafe(c),
                "U+{code:04X} (Cf in Unicode {version}) is not escaped"
            );
            let shown = escape(c.to_string().as_bytes()).into_owned();
            assert!(!shown.contains(c), "U+{code:04X} shown raw");
        }
    }

    #[test]
    fn hostile_payloads_come_out_inert() {
        assert_eq!(escape(b"hi"), "hi");
        assert!(matches!(escape(b"eth0"), Cow::Borrowed("eth0")));
        assert_eq!(escape("give me €uros".as_bytes()), "give me €uros");
        assert_eq!(escape(b"\x1b[2Jgone\x07"), "\\x1b[2Jgone\\x07");
        assert_eq!(escape(b"a\nb\\"), "a\\nb\\\\");
        assert_eq!(escape(b"\xff\xfe"), "\\xff\\xfe");
        assert_eq!(escape("\u{9b}31m".as_bytes()), "\\x9b31m");
        assert_eq!(escape("abc\u{202e}def".as_bytes()), "abc\\u{202e}def");
        // A quote would end the quoted payload early and let the rest pass as fields.
        assert_eq!(escape(br#"ok"  ttl 64  "see"#), r#"ok\"  ttl 64  \"see"#);
        assert_eq!(
            escape("tag\u{e0041}\u{e007f} soft\u{ad}hy \u{fff9}ann\u{fffb}".as_bytes()),
            "tag\\u{e0041}\\u{e007f} soft\\xadhy \\u{fff9}ann\\u{fffb}"
        );
    }

    #[test]
    fn json_escapes_what_a_terminal_would_act_on_and_still_parses_back() {
        let text = "x\u{1b}[31m\u{9b}\u{202e}\u{7f}\u{ad}\u{fffa}y€";
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafeFormatter);
        serde::Serialize::serialize(text, &mut ser).unwrap();
        let json = String::from_utf8(buf).unwrap();
        // Judged against the literal expected line, not against `is_unsafe` itself.
        assert_eq!(json, r#""x\u001b[31m\u009b\u202e\u007f\u00ad\ufffay€""#);
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
        // A tag character is beyond the BMP: JSON writes it as its surrogate pair.
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafeFormatter);
        serde::Serialize::serialize("a\u{e0041}", &mut ser).unwrap();
        let json = String::from_utf8(buf).unwrap();
        assert_eq!(json, r#""a\udb40\udc41""#);
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), "a\u{e0041}");
    }
}
