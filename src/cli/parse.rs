//! Value parsers for options clap cannot type by itself: durations and rates.

use std::time::Duration;

/// A send rate: a number of datagrams a second, or as fast as the system takes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// As fast as the system allows.
    Max,
    /// Datagrams per second.
    PerSecond(f64),
}

/// The highest paced rate accepted; beyond it, `max` says what is meant.
const MAX_PPS: f64 = 10_000_000.0;

/// The longest duration accepted: far beyond any run, and short enough that adding it to
/// the current time cannot overflow.
const MAX_DURATION: Duration = Duration::from_secs(3_155_760_000); // 100 years of 365.25 days

/// Parses a humantime duration such as `10ms`, `1s` or `2m`, or a bare number of seconds
/// (`5`, `0.5`), as ping takes them; zero and more than 100 years are refused.
pub fn duration(s: &str) -> Result<Duration, String> {
    let seconds = s
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && !s.trim_start().starts_with(['+', '-']));
    let d = match seconds {
        Some(n) if n > MAX_DURATION.as_secs_f64() => None,
        Some(n) => Some(Duration::from_secs_f64(n)),
        None => match humantime::parse_duration(s) {
            Ok(d) => Some(d),
            Err(humantime::DurationError::NumberOverflow) => None,
            Err(_) => {
                return Err(format!(
                    "'{s}' is not a duration: write seconds, or a number and a unit, such as 500ms, 10s or 2m"
                ));
            }
        },
    };
    match d {
        Some(d) if d.is_zero() => Err(format!(
            "'{s}' is no time at all: give a duration above zero"
        )),
        Some(d) if d <= MAX_DURATION => Ok(d),
        _ => Err(format!(
            "'{s}' is longer than mcast can wait: give at most 100 years, or leave the option out to run until stopped"
        )),
    }
}

/// Parses a size in bytes with an optional K, M or G (powers of 1024): `8M`, `65536`.
pub fn bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => t.split_at(at),
        None => (t, ""),
    };
    let scale: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => 0,
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|_| scale > 0)
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("'{s}' is not a size: write bytes, or a number with K, M or G (8M)"))
}

/// A receive buffer size: 1 KiB to 2 GiB.
pub fn rcvbuf(s: &str) -> Result<u32, String> {
    let n = bytes(s)?;
    match u32::try_from(n) {
        Ok(n) if (1024..=i32::MAX as u32).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is out of range: give 1K to 2G")),
    }
}

/// Parses `max` or a positive number of datagrams a second.
pub fn rate(s: &str) -> Result<Rate, String> {
    if s.eq_ignore_ascii_case("max") {
        return Ok(Rate::Max);
    }
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= MAX_PPS => Ok(Rate::PerSecond(r)),
        Ok(_) => Err(format!(
            "'{s}' is out of range: give datagrams a second above 0 and at most {MAX_PPS}, or max"
        )),
        Err(_) => Err(format!(
            "'{}' is not a rate: give datagrams a second (such as 100 or 0.5) or max",
            s
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("10ms"), Ok(Duration::from_millis(10)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("0.25"), Ok(Duration::from_millis(250)));
        assert!(
            duration("ten")
                .unwrap_err()
                .contains("'ten' is not a duration")
        );
        assert!(duration("0s").unwrap_err().contains("above zero"));
        assert!(duration("0").unwrap_err().contains("above zero"));
        assert!(duration("-1s").is_err());
        assert!(duration("-1").is_err());
        assert!(duration("NaN").is_err());
        for huge in ["300000000000y", "18446744073709551615s", "101y", "1e300"] {
            let e = duration(huge).unwrap_err();
            assert!(e.contains("longer than mcast can wait"), "{huge}: {e}");
        }
        assert_eq!(duration("100y"), Ok(MAX_DURATION));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_a_value_or_an_error(s in "\\PC*") {
            let _ = duration(&s);
            let _ = rate(&s);
        }

        #[test]
        fn formatted_durations_parse_back(ms in 1u64..10_000_000_000) {
            let d = Duration::from_millis(ms);
            let shown = humantime::format_duration(d).to_string();
            proptest::prop_assert_eq!(duration(&shown), Ok(d));
        }

        #[test]
        fn rates_parse_back(r in 0.001f64..10_000_000.0) {
            proptest::prop_assert_eq!(rate(&r.to_string()), Ok(Rate::PerSecond(r)));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes("65536"), Ok(65536));
        assert_eq!(bytes("8M"), Ok(8 << 20));
        assert_eq!(bytes("64k"), Ok(64 << 10));
        assert_eq!(bytes("1G"), Ok(1 << 30));
        assert!(bytes("8X").unwrap_err().contains("'8X' is not a size"));
        assert!(bytes("M").is_err() && bytes("").is_err() && bytes("-1").is_err());
        assert!(bytes("99999999999999999999G").is_err());
        assert_eq!(rcvbuf("8M"), Ok(8 << 20));
        assert!(rcvbuf("10").unwrap_err().contains("out of range"));
        assert!(rcvbuf("4G").unwrap_err().contains("out of range"));
    }

    #[test]
    fn rates() {
        assert_eq!(rate("max"), Ok(Rate::Max));
        assert_eq!(rate("250"), Ok(Rate::PerSecond(250.0)));
        assert_eq!(rate("0.5"), Ok(Rate::PerSecond(0.5)));
        assert!(rate("0").unwrap_err().contains("out of range"));
        assert!(rate("NaN").is_err());
        assert!(rate("fast").unwrap_err().contains("'fast' is not a rate"));
    }
}

/// A host's IP address; a name is told that names are not resolved, with how to.
pub fn address(s: &str) -> Result<std::net::IpAddr, String> {
    s.parse().map_err(|_| {
        let looks_like_name = s.chars().any(|c| c.is_ascii_alphabetic()) && !s.contains(':');
        if looks_like_name {
            format!("'{s}' is not an IP address: mcast takes addresses, not host names (resolve it first: getent hosts {s})")
        } else {
            format!("'{s}' is not an IPv4 or IPv6 address")
        }
    })
}

/// Sources given with --source, each once: a repeat would be a second join the kernel
/// refuses with an error that points elsewhere.
pub fn distinct_sources(sources: &[std::net::IpAddr]) -> Result<(), String> {
    for (i, s) in sources.iter().enumerate() {
        if sources[..i].contains(s) {
            return Err(format!(
                "--source {s} is given twice: give each source once"
            ));
        }
    }
    Ok(())
}

/// A count of 1 or more, said in words when it is not ("give a count of 1 or more"), not in
/// Rust's range syntax.
pub fn count(s: &str) -> Result<u64, String> {
    match s.parse::<i128>() {
        Ok(n) if n >= 1 && n <= i128::from(u64::MAX) => Ok(n as u64),
        Ok(_) => Err(format!("'{s}': give a count of 1 or more")),
        Err(_) => Err(format!("'{s}' is not a number: give a count of 1 or more")),
    }
}

/// A count of 1 to 4294967295 (ping's and mesh's requests are numbered in 32 bits).
pub fn count32(s: &str) -> Result<u32, String> {
    let n = count(s)?;
    u32::try_from(n).map_err(|_| format!("'{s}': give a count of 1 to 4294967295"))
}

/// A whole number from `lo` to `hi`, what it is named in the message.
fn within(s: &str, lo: u32, hi: u32, what: &str) -> Result<u32, String> {
    match s.parse::<i64>() {
        Ok(n) if n >= i64::from(lo) && n <= i64::from(hi) => Ok(n as u32),
        Ok(_) => Err(format!("'{s}': give {what} from {lo} to {hi}")),
        Err(_) => Err(format!(
            "'{s}' is not a number: give {what} from {lo} to {hi}"
        )),
    }
}

/// A TTL or hop limit: 0 to 255.
pub fn ttl(s: &str) -> Result<u32, String> {
    within(s, 0, 255, "a TTL")
}

/// An IP precedence: 0 to 7.
pub fn precedence(s: &str) -> Result<u8, String> {
    within(s, 0, 7, "a precedence").map(|p| p as u8)
}

#[cfg(test)]
mod word_tests {
    use super::*;

    #[test]
    fn out_of_range_numbers_are_said_in_words() {
        assert_eq!(count("0").unwrap_err(), "'0': give a count of 1 or more");
        assert_eq!(count("-3").unwrap_err(), "'-3': give a count of 1 or more");
        assert_eq!(count("7"), Ok(7));
        assert_eq!(ttl("300").unwrap_err(), "'300': give a TTL from 0 to 255");
        assert_eq!(
            precedence("8").unwrap_err(),
            "'8': give a precedence from 0 to 7"
        );
        assert!(
            count32("4294967296")
                .unwrap_err()
                .contains("1 to 4294967295")
        );
        for e in [count("0"), count("x")] {
            assert!(!e.unwrap_err().contains(".."), "no range syntax");
        }
    }
}

/// `--clock-rate`: a whole number of Hz, 1 or more.
pub fn clock_rate(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(hz) if hz > 0 => Ok(hz),
        _ => Err(format!(
            "'{s}': give the clock rate in Hz, a whole number of 1 or more (90000 for video, 48000 for audio)"
        )),
    }
}

/// What a datagram's content is read as, from `--seq` and `--content`: a feed's numbers
/// when `--seq` names their place, else what `--content` chose (`chosen`, None: not read).
/// `named` is `--content`'s value as typed; with `--seq`, anything but auto is refused,
/// since the two say different things.
pub fn content_choice(
    seq: Option<mcast::content::seq::Format>,
    chosen: Option<mcast::content::flow::Choice>,
    named: &str,
) -> Result<Option<mcast::content::flow::Choice>, String> {
    match seq {
        None => Ok(chosen),
        Some(format) if named == "auto" => Ok(Some(mcast::content::flow::Choice::Feed(format))),
        Some(format) => Err(format!(
            "--seq {format}: a sequence number at a fixed place is a feed's, and --content {named} says otherwise; leave --content out"
        )),
    }
}

/// An enumerated option's value as the user types it (`--content rtp`: "rtp").
pub fn value_name<T: clap::ValueEnum>(v: &T) -> String {
    v.to_possible_value()
        .map_or_else(String::new, |p| p.get_name().to_string())
}
