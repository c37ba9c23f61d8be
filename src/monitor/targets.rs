//! Monitor targets: `[SOURCE@]GROUP:PORT` (IPv6 groups in brackets), with `,name=NAME` and
//! `,iface=IFACE` after it; a list of them a line each (`#` comments), or an M3U/M3U8
//! playlist whose `#EXTINF` lines name the `udp://` or `rtp://` entries below them.

use std::net::IpAddr;
use std::str::FromStr;

use crate::addr::IfaceSpec;

/// Bytes of a name kept: a playlist is anyone's to write.
const MAX_NAME: usize = 128;

/// One group to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What people call it (a channel, a feed); None when not given.
    pub name: Option<String>,
    /// The one source of a source-specific join; None for any source.
    pub source: Option<IpAddr>,
    /// The group.
    pub group: IpAddr,
    /// The UDP port.
    pub port: u16,
    /// The interface to join on; None for the routing table's choice.
    pub interface: Option<IfaceSpec>,
}

/// A line of a list or playlist that is not a target: where, what it says, what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// From 1.
    pub line: usize,
    /// Why it was refused, and the form expected.
    pub why: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.why)
    }
}

const FORM: &str = "expected [SOURCE@]GROUP:PORT, an IPv6 group in brackets ([ff3e::1]:5000), \
then ,name=NAME or ,iface=IFACE if wanted";

fn address(s: &str, what: &str) -> Result<IpAddr, String> {
    let inner = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    inner
        .parse()
        .map_err(|_| format!("{what} '{s}' is not an IPv4 or IPv6 address"))
}

/// `[SOURCE@]GROUP:PORT` alone.
fn endpoint(s: &str) -> Result<(Option<IpAddr>, IpAddr, u16), String> {
    let (source, rest) = match s.split_once('@') {
        Some(("", rest)) => (None, rest),
        Some((src, rest)) => (Some(address(src, "source")?), rest),
        None => (None, s),
    };
    let (group, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("'{s}' has no :PORT; {FORM}"))?;
    if group.contains(':') && !group.starts_with('[') {
        return Err(format!(
            "'{rest}': an IPv6 group goes in brackets, [{group}]:{port}"
        ));
    }
    let group = address(group, "group")?;
    if !group.is_multicast() {
        return Err(format!(
            "{group} is not a multicast group (224.0.0.0/4 or ff00::/8)"
        ));
    }
    if let Some(src) = source
        && (src.is_multicast() || src.is_unspecified() || src.is_ipv4() != group.is_ipv4())
    {
        return Err(format!(
            "source {src} cannot send to {group}: give a unicast address of the same family"
        ));
    }
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("port '{port}' is not a port: give 1 to 65535"))?;
    Ok((source, group, port))
}

/// A name as kept: trimmed and cut to MAX_NAME bytes on a character boundary.
fn name_of(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut end = s.len().min(MAX_NAME);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(s[..end].to_string())
}

impl Target {
    /// Where it is, as it is typed: `[SOURCE@]GROUP:PORT`, an IPv6 group in brackets.
    pub fn endpoint(&self) -> String {
        let group = match self.group {
            IpAddr::V6(g) => format!("[{g}]"),
            IpAddr::V4(g) => g.to_string(),
        };
        match self.source {
            Some(s) => format!("{s}@{group}:{}", self.port),
            None => format!("{group}:{}", self.port),
        }
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        let mut parts = s.trim().split(',');
        let (source, group, port) = endpoint(parts.next().unwrap_or_default().trim())?;
        let mut target = Target {
            name: None,
            source,
            group,
            port,
            interface: None,
        };
        for part in parts {
            match part.split_once('=') {
                Some(("name", n)) => target.name = name_of(n),
                Some(("iface", i)) => {
                    target.interface = Some(
                        i.trim()
                            .parse()
                            .map_err(|e: crate::Error| format!("iface '{i}': {e}"))?,
                    );
                }
                _ => return Err(format!("'{part}' is neither name=NAME nor iface=IFACE")),
            }
        }
        Ok(target)
    }
}

/// The name an `#EXTINF:DURATION [ATTRIBUTES],NAME` line gives: after the first comma
/// outside quotes (attributes such as group-title="News, Local" hold commas).
fn extinf_name(line: &str) -> Option<String> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => return name_of(&line[i + 1..]),
            _ => {}
        }
    }
    None
}

/// A playlist entry: `udp://[SOURCE]@GROUP:PORT` or `rtp://...` (VLC's form; `@` alone
/// before the group for any source), options after `?` set aside.
fn playlist_entry(url: &str) -> Result<(Option<IpAddr>, IpAddr, u16), String> {
    let rest = url
        .strip_prefix("udp://")
        .or_else(|| url.strip_prefix("rtp://"))
        .ok_or_else(|| {
            format!(
                "'{url}' is not a udp:// or rtp:// multicast address (only those can be watched)"
            )
        })?;
    let rest = rest.split(['?', '/']).next().unwrap_or_default();
    endpoint(rest)
}

/// The targets of `text`: an M3U playlist when it starts with `#EXTM3U` or holds an
/// `#EXTINF` line, else one target a line (blank lines and `#` comments skipped). The first
/// line that is neither is refused.
pub fn parse_list(text: &str) -> Result<Vec<Target>, BadLine> {
    let playlist = text.trim_start().starts_with("#EXTM3U") || text.contains("#EXTINF");
    let mut out = Vec::new();
    let mut pending_name = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        let bad = |why: String| BadLine { line: i + 1, why };
        if line.is_empty() {
            continue;
        }
        if playlist {
            if let Some(info) = line.strip_prefix("#EXTINF:") {
                pending_name = extinf_name(info);
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (source, group, port) = playlist_entry(line).map_err(bad)?;
            out.push(Target {
                name: pending_name.take(),
                source,
                group,
                port,
                interface: None,
            });
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        // A comment may follow a target.
        let target = line.split(" #").next().unwrap_or_default();
        out.push(target.parse().map_err(bad)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        s.parse().unwrap()
    }

    #[test]
    fn a_target_is_shown_as_it_is_typed() {
        for typed in [
            "239.1.1.1:5000",
            "10.0.0.5@232.1.1.1:5004",
            "[ff3e::1]:5000",
            "2001:db8::1@[ff3e::2]:1",
        ] {
            let t: Target = typed.parse().unwrap();
            assert_eq!(t.endpoint(), typed);
            assert_eq!(t.endpoint().parse::<Target>().unwrap(), t);
        }
    }

    #[test]
    fn targets_with_a_source_a_name_and_an_interface() {
        let a = t("10.0.0.5@232.1.1.1:5004,name=Channel One,iface=eth0");
        assert_eq!(a.source, Some("10.0.0.5".parse().unwrap()));
        assert_eq!((a.group.to_string(), a.port), ("232.1.1.1".into(), 5004));
        assert_eq!(a.name.as_deref(), Some("Channel One"));
        assert_eq!(a.interface, Some(IfaceSpec::Name("eth0".into())));
        let b = t("[ff3e::1]:5000");
        assert_eq!(
            (b.group.to_string(), b.port, b.source),
            ("ff3e::1".into(), 5000, None)
        );
        assert_eq!(
            t("2001:db8::5@[ff3e::1]:5000").source,
            Some("2001:db8::5".parse().unwrap())
        );
    }

    #[test]
    fn bad_targets_say_what_is_wrong_and_what_was_expected() {
        let e = |s: &str| s.parse::<Target>().unwrap_err();
        assert!(e("239.1.1.1").contains("has no :PORT; expected [SOURCE@]GROUP:PORT"));
        assert_eq!(
            e("10.1.1.1:5000"),
            "10.1.1.1 is not a multicast group (224.0.0.0/4 or ff00::/8)"
        );
        assert_eq!(
            e("ff3e::1:5000"),
            "'ff3e::1:5000': an IPv6 group goes in brackets, [ff3e::1]:5000"
        );
        assert_eq!(e("239.1.1.1:0"), "port '0' is not a port: give 1 to 65535");
        assert!(e("239.1.1.1:5000,colour=red").contains("neither name=NAME nor iface=IFACE"));
        assert!(e("2001:db8::1@232.1.1.1:5000").contains("same family"));
        for source in ["239.9.9.9", "0.0.0.0"] {
            assert_eq!(
                e(&format!("{source}@232.1.1.1:5000")),
                format!(
                    "source {source} cannot send to 232.1.1.1: give a unicast address of the same family"
                )
            );
        }
        assert!(e("nowhere@232.1.1.1:5000").contains("source 'nowhere' is not"));
    }

    #[test]
    fn a_list_with_comments_and_a_bad_line_refused_by_number() {
        let list = "# head-end A\n239.1.1.1:1234,name=One\n\n239.1.1.2:1234 # spare\n";
        let got = parse_list(list).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].name, None);
        let bad = parse_list("239.1.1.1:1234\n239.1.1.300:1234\n").unwrap_err();
        assert_eq!(bad.line, 2);
        assert_eq!(
            bad.to_string(),
            "line 2: group '239.1.1.300' is not an IPv4 or IPv6 address"
        );
    }

    #[test]
    fn an_m3u_playlist_names_its_channels_from_extinf() {
        let m3u = "\u{feff}#EXTM3U\n\
            #EXTINF:-1 tvg-id=\"one\" group-title=\"News, Local\",Channel One\n\
            udp://@239.1.1.1:1234\n\
            #EXTVLCOPT:network-caching=1000\n\
            #EXTINF:-1,Channel Two\n\
            rtp://10.0.0.5@232.1.1.1:5004?miface=eth0\n\
            udp://@[ff3e::1]:1234\n";
        let got = parse_list(m3u).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.source.map(|s| s.to_string()),
                    t.group.to_string(),
                    t.port,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Some("Channel One".into()), None, "239.1.1.1".into(), 1234),
                (
                    Some("Channel Two".into()),
                    Some("10.0.0.5".into()),
                    "232.1.1.1".into(),
                    5004
                ),
                (None, None, "ff3e::1".into(), 1234),
            ]
        );
        let bad =
            parse_list("#EXTM3U\n#EXTINF:-1,Web\nhttp://example.invalid/live.m3u8\n").unwrap_err();
        assert_eq!(bad.line, 3);
        assert!(
            bad.why
                .contains("is not a udp:// or rtp:// multicast address"),
            "{bad}"
        );
    }

    #[test]
    fn names_are_bounded() {
        let long = format!("239.1.1.1:1234,name={}", "é".repeat(200));
        let name = t(&long).name.unwrap();
        assert!(name.len() <= MAX_NAME && name.chars().all(|c| c == 'é'));
        // A character of three bytes across the limit is left out whole.
        let long = format!("239.1.1.1:1234,name={}", "€".repeat(100));
        assert_eq!(t(&long).name.unwrap(), "€".repeat(MAX_NAME / 3));
    }
}
