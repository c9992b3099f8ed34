//! Timestamps as met in the wild, and the one form the local cache stores.
//!
//! The central tables use `TIMESTAMP` without zone and the Python server writes
//! UTC into them; legacy stores and hand edits hold every ISO-8601 variant and
//! epoch numbers. Everything is read as UTC and written as
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ`, which sorts as text and keeps Postgres's
//! microsecond precision.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Epoch values above this are taken as milliseconds (it is in 2286 as seconds).
const EPOCH_MILLIS_THRESHOLD: f64 = 1.0e10;

/// Parses an ISO-8601 date-time (with `T` or a space, with or without a zone or
/// fraction), a bare date, or epoch seconds/milliseconds, into UTC.
pub fn parse(text: &str) -> Option<NaiveDateTime> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<f64>() {
        return from_epoch(n);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc).naive_utc());
    }
    let normalized = s.replacen(' ', "T", 1);
    let (body, offset) = split_zone(&normalized);
    let naive = NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(body, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    Some(naive - chrono::Duration::seconds(offset?))
}

/// Converts epoch seconds (or milliseconds, when implausibly large) to UTC.
pub fn from_epoch(n: f64) -> Option<NaiveDateTime> {
    if !n.is_finite() {
        return None;
    }
    let secs = if n.abs() > EPOCH_MILLIS_THRESHOLD { n / 1000.0 } else { n };
    let whole = secs.floor();
    let micros = ((secs - whole) * 1_000_000.0).round() as u32;
    Utc.timestamp_opt(whole as i64, micros * 1000).single().map(|d| d.naive_utc())
}

/// Formats a UTC time the way the local cache stores it.
pub fn format(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The cache's form of a PostgreSQL `timestamp` in its binary wire form
/// (microseconds since 2000-01-01), written directly: pulls format one per
/// timestamp column of every row, and chrono's format strings are slow.
/// `None` outside years 1 to 9999 (infinity included), whose text form the
/// caller must take from PostgreSQL instead.
pub fn from_postgres_micros(micros: i64) -> Option<String> {
    use chrono::{Datelike, Timelike};
    // 2000-01-01 counted in days from 0001-01-01 (day 1).
    const POSTGRES_EPOCH_DAYS_FROM_CE: i64 = 730_120;
    let secs = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let days = i32::try_from(secs.div_euclid(86_400) + POSTGRES_EPOCH_DAYS_FROM_CE).ok()?;
    let date = NaiveDate::from_num_days_from_ce_opt(days)?;
    if !(1..=9999).contains(&date.year()) {
        return None;
    }
    let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs.rem_euclid(86_400) as u32, 0)?;
    let mut out = String::with_capacity(27);
    use std::fmt::Write;
    write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        date.year(),
        date.month(),
        date.day(),
        time.hour(),
        time.minute(),
        time.second(),
        fraction
    )
    .ok()?;
    Some(out)
}

/// Now, in the cache's form.
pub fn now() -> String {
    format(&Utc::now().naive_utc())
}

/// Splits a trailing `Z`, `+HH:MM`, `+HHMM` or `+HH` off; the offset is in
/// seconds east of UTC (`None` when the suffix is not a valid zone).
fn split_zone(s: &str) -> (&str, Option<i64>) {
    if let Some(body) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return (body, Some(0));
    }
    let Some(t) = s.find('T') else { return (s, Some(0)) };
    let time = &s[t..];
    let Some(pos) = time.rfind(['+', '-']) else { return (s, Some(0)) };
    let (body, zone) = s.split_at(t + pos);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    let parsed = match digits.len() {
        2 => digits.parse::<i64>().ok().map(|h| h * 3600),
        4 => digits[..2].parse::<i64>().ok().zip(digits[2..].parse::<i64>().ok()).map(|(h, m)| h * 3600 + m * 60),
        _ => None,
    };
    (body, parsed.map(|o| sign * o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_wire_timestamps_format_like_the_cache_form() {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        for micros in
            [0i64, 1, -1, 999_999, 86_400_000_000, -86_400_000_001, 777_777_777_123_456, -63_082_281_600_000_000, 252_455_615_999_999_999]
        {
            let t = epoch + chrono::Duration::microseconds(micros);
            assert_eq!(from_postgres_micros(micros).as_deref(), Some(format(&t).as_str()), "{micros}");
        }
        assert_eq!(from_postgres_micros(i64::MAX), None, "infinity");
        assert_eq!(from_postgres_micros(i64::MIN), None, "-infinity");
        assert_eq!(from_postgres_micros(-63_082_281_600_000_001), None, "before year 1");
        assert_eq!(from_postgres_micros(252_455_616_000_000_000), None, "year 10000");
    }

    #[test]
    fn every_form_met_in_the_wild_means_the_same_instant() {
        let expected = "2024-03-05T14:07:09.250000Z";
        for input in [
            "2024-03-05T14:07:09.250",
            "2024-03-05T14:07:09.25Z",
            "2024-03-05 14:07:09.250",
            "2024-03-05T14:07:09.250+00:00",
            "2024-03-05T16:07:09.250+02:00",
            "2024-03-05T09:07:09.250-0500",
            "2024-03-05T15:07:09.250+01",
            "1709647629.25",
            "1709647629250",
        ] {
            assert_eq!(parse(input).map(|t| format(&t)).as_deref(), Some(expected), "input {input}");
        }
    }

    #[test]
    fn dates_and_minutes_without_seconds_parse() {
        assert_eq!(format(&parse("2024-03-05").unwrap()), "2024-03-05T00:00:00.000000Z");
        assert_eq!(format(&parse("2024-03-05 14:07").unwrap()), "2024-03-05T14:07:00.000000Z");
    }

    #[test]
    fn garbage_is_not_a_time() {
        for input in ["", "yesterday", "2024-13-45T99:00:00", "NaN", "2024-03-05T14:07:09+0x:00"] {
            assert!(parse(input).is_none(), "{input} should not parse");
        }
    }
}
