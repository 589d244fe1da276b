//! Lifetimes on the command line: `900`, `90s`, `15m`, `2h`, `1d`.

use std::time::Duration;

/// The longest lifetime `auth token mint` writes: a day. Access tokens are
/// meant to be short-lived; a longer one is almost always a mistake.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

/// Parses a lifetime: whole seconds, or a whole number followed by `s`, `m`,
/// `h` or `d`; from one second to [`MAX_TTL`]. For clap's `value_parser`.
pub(crate) fn parse_ttl(text: &str) -> Result<Duration, String> {
    let expected = || {
        format!(
            "expected a lifetime such as 900, 90s, 15m or 2h, from 1s to {}h",
            MAX_TTL.as_secs() / 3600
        )
    };
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(expected()),
    };
    let count: u64 = digits.parse().map_err(|_| expected())?;
    let secs = count.checked_mul(scale).ok_or_else(expected)?;
    if secs == 0 || secs > MAX_TTL.as_secs() {
        return Err(expected());
    }
    Ok(Duration::from_secs(secs))
}

/// A span of seconds for a person: `14m 59s`, `2h 0m`, `3d 4h`.
pub(crate) fn human_span(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_parse_with_and_without_units() {
        assert_eq!(parse_ttl("900"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_ttl("1d"), Ok(Duration::from_secs(86_400)));
        for bad in [
            "",
            "0",
            "m",
            "15x",
            "-5",
            "2d",
            "99999999999999999999",
            "1.5h",
        ] {
            assert!(parse_ttl(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(human_span(59), "59s");
        assert_eq!(human_span(899), "14m 59s");
        assert_eq!(human_span(7200), "2h 0m");
        assert_eq!(human_span(90_000), "1d 1h");
    }
}
