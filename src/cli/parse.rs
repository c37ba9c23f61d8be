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

/// Parses a humantime duration such as `10ms`, `1s` or `2m`; zero is refused.
pub fn duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|_| {
        format!(
            "'{}' is not a duration: write a number and a unit, such as 500ms, 10s or 2m",
            s.escape_debug()
        )
    })?;
    if d.is_zero() {
        return Err(format!(
            "'{s}' is no time at all: give a duration above zero"
        ));
    }
    Ok(d)
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
            s.escape_debug()
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
        assert!(
            duration("10")
                .unwrap_err()
                .contains("'10' is not a duration")
        );
        assert!(duration("0s").unwrap_err().contains("above zero"));
        assert!(duration("-1s").is_err());
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
    fn rates() {
        assert_eq!(rate("max"), Ok(Rate::Max));
        assert_eq!(rate("250"), Ok(Rate::PerSecond(250.0)));
        assert_eq!(rate("0.5"), Ok(Rate::PerSecond(0.5)));
        assert!(rate("0").unwrap_err().contains("out of range"));
        assert!(rate("NaN").is_err());
        assert!(rate("fast").unwrap_err().contains("'fast' is not a rate"));
    }
}
