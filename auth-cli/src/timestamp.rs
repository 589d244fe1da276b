//! NumericDate claims (seconds since the epoch) for a person: UTC date and
//! time, and how far from now.

use super::duration::human_span;

/// Seconds since the epoch, now (0 for a clock set before 1970).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `2026-12-03T20:15:00Z (in 14m 59s)` for `secs`, seen at `now`.
pub(crate) fn describe(secs: i64, now: i64) -> String {
    let relative = match secs.checked_sub(now) {
        Some(0) => "now".to_owned(),
        Some(ahead) if ahead > 0 => format!("in {}", human_span(ahead.unsigned_abs())),
        Some(behind) => format!("{} ago", human_span(behind.unsigned_abs())),
        None => "far from now".to_owned(),
    };
    format!("{} ({relative})", rfc3339(secs))
}

/// RFC 3339 UTC, e.g. `2026-12-03T20:15:00Z`; a year outside 0..=9999 is
/// written as the raw number of seconds.
pub(crate) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return format!("{secs} s since the epoch");
    }
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era.saturating_mul(400) + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MAX), format!("{} s since the epoch", i64::MAX));
    }

    #[test]
    fn times_say_how_far_from_now() {
        assert_eq!(describe(1_000, 100), "1970-01-01T00:16:40Z (in 15m 0s)");
        assert_eq!(describe(100, 1_000), "1970-01-01T00:01:40Z (15m 0s ago)");
        assert_eq!(describe(5, 5), "1970-01-01T00:00:05Z (now)");
        assert!(describe(i64::MIN, i64::MAX).ends_with("(far from now)"));
    }
}
