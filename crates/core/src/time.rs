//! Lenient timestamp reading: every time form registry senders use becomes RFC 3339 UTC, or
//! nothing, never an error.
//!
//! Accepted: RFC 3339 with any fraction length and any offset; the same with a space instead of
//! `T`; a date-time without zone (read as UTC, the only reading that does not guess a region);
//! Alibaba's `…PRC` suffix (China Standard Time, +08:00); Unix seconds as an integer, float or
//! exponent (`1.417566161e+09`), and Unix milliseconds.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Parses `text` and renders it as RFC 3339 in UTC, or `None` if it is not a time we can read.
pub fn normalize(text: &str) -> Option<String> {
    utc_fast_path(text)
        .or_else(|| parse(text).map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
}

/// The common case, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, rendered without a full parse: the
/// fraction is padded to 3, 6 or 9 digits as `SecondsFormat::AutoSi` would.
fn utc_fast_path(text: &str) -> Option<String> {
    let body = text.strip_suffix('Z')?;
    let (head, fraction) = match body.split_once('.') {
        Some((head, fraction)) => (head, fraction),
        None => (body, ""),
    };
    let b = head.as_bytes();
    let shape = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape
        || fraction.len() > 9
        || !fraction.bytes().all(|c| c.is_ascii_digit())
        || (body.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| head[r].parse::<u32>().ok();
    let date =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    // Pad to 9 digits, then drop trailing groups of three zeros (AutoSi): 3, 6 or 9 digits.
    let mut digits = [b'0'; 9];
    digits[..fraction.len()].copy_from_slice(fraction.as_bytes());
    let mut keep = 9;
    while keep > 0 && digits[keep - 3..keep] == *b"000" {
        keep -= 3;
    }
    let mut out = String::with_capacity(head.len() + 11);
    out.push_str(head);
    if keep > 0 {
        out.push('.');
        out.extend(digits[..keep].iter().map(|&d| char::from(d)));
    }
    out.push('Z');
    Some(out)
}

/// Parses `text` into a UTC time, or `None`.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(local) = text.strip_suffix("PRC") {
        let china = FixedOffset::east_opt(8 * 3600)?;
        let naive = naive(local)?;
        return china
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(&text.replacen(' ', "T", 1)) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(t) = naive(text) {
        return Some(Utc.from_utc_datetime(&t));
    }
    unix(text)
}

fn naive(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(text, fmt).ok())
}

/// Unix seconds (integer or float) or milliseconds (integers above 10^11).
fn unix(text: &str) -> Option<DateTime<Utc>> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    if let Ok(whole) = text.parse::<i64>() {
        return if whole.abs() >= 100_000_000_000 {
            DateTime::from_timestamp_millis(whole)
        } else {
            DateTime::from_timestamp(whole, 0)
        };
    }
    let float = text
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && f.abs() < 1e11)?;
    #[allow(clippy::cast_possible_truncation)]
    let nanos = (float * 1e9).round() as i64;
    Some(DateTime::from_timestamp_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::{normalize, parse, utc_fast_path};
    use chrono::SecondsFormat;

    #[test]
    fn fast_path_renders_as_chrono_does() {
        for fraction in [
            "",
            "1",
            "12",
            "123",
            "1234",
            "120000",
            "000001",
            "100000000",
            "000000000",
        ] {
            let text = if fraction.is_empty() {
                "2024-02-29T23:59:59Z".to_owned()
            } else {
                format!("2024-02-29T23:59:59.{fraction}Z")
            };
            let slow = parse(&text).map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            assert_eq!(utc_fast_path(&text), slow, "{text}");
        }
    }

    #[test]
    fn reads_every_sender_form() {
        let cases = [
            (
                "2018-04-25T21:39:47.6549614Z",
                Some("2018-04-25T21:39:47.654961400Z"),
            ),
            (
                "2018-04-25T21:39:47.276585742Z",
                Some("2018-04-25T21:39:47.276585742Z"),
            ),
            (
                "2019-03-12T22:16:31.0087496+00:00",
                Some("2019-03-12T22:16:31.008749600Z"),
            ),
            ("2020-11-19T21:04:41+08:00", Some("2020-11-19T13:04:41Z")),
            (
                "2020-11-19T21:04:42.179PRC",
                Some("2020-11-19T13:04:42.179Z"),
            ),
            ("2021-11-15 20:49:40", Some("2021-11-15T20:49:40Z")),
            ("1614265330", Some("2021-02-25T15:02:10Z")),
            ("1.417566161e+09", Some("2014-12-03T00:22:41Z")),
            ("1614265330123", Some("2021-02-25T15:02:10.123Z")),
            ("019-03-12T22:42:08.7034064Z", None),
            ("2018-02-30T00:00:00Z", None),
            ("2018-04-25T21:39:47Z", Some("2018-04-25T21:39:47Z")),
            ("2018-04-25T21:39:47.100Z", Some("2018-04-25T21:39:47.100Z")),
            ("2018-04-25T21:39:47.1Z", Some("2018-04-25T21:39:47.100Z")),
            ("2018-04-25T21:39:47.000000Z", Some("2018-04-25T21:39:47Z")),
            ("2018-04-25T21:39:47.Z", None),
            ("", None),
            ("yesterday", None),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input).as_deref(), want, "{input}");
        }
    }
}

#[cfg(test)]
mod properties {
    //! Round trips: any instant written as senders write it reads back as the same instant, and
    //! the fast path renders exactly what the full parse renders.

    use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
    use proptest::prelude::*;

    /// Instants between 1970 and 2200, with nanoseconds.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..7_258_118_400, 0u32..1_000_000_000)
            .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
    }

    proptest! {
        #[test]
        fn rfc3339_in_utc_is_rendered_as_it_was_written(t in instant()) {
            let written = t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            prop_assert_eq!(super::normalize(&written), Some(written));
        }

        #[test]
        fn any_offset_and_fraction_reads_back_as_the_same_instant(
            t in instant(),
            offset_minutes in -14 * 60i32..14 * 60,
            digits in 0usize..10,
        ) {
            let zone = FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let local = t.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::Nanos, false);
            // Keep `digits` fraction digits (0 drops the fraction and its dot).
            let (head, rest) = local.split_once('.').unwrap();
            let (fraction, zone_text) = rest.split_at(9);
            let written = if digits == 0 {
                format!("{head}{zone_text}")
            } else {
                format!("{head}.{}{zone_text}", &fraction[..digits])
            };
            let read = super::normalize(&written).and_then(|n| super::parse(&n));
            let expected = super::parse(&written);
            prop_assert!(expected.is_some(), "{}", written);
            prop_assert_eq!(read, expected);
            let truncated = t.timestamp_subsec_nanos() / 10u32.pow(9 - digits as u32) * 10u32.pow(9 - digits as u32);
            prop_assert_eq!(expected.unwrap().timestamp_subsec_nanos(), truncated);
            prop_assert_eq!(expected.unwrap().timestamp(), t.timestamp());
        }

        #[test]
        fn the_fast_path_agrees_with_the_full_parse(t in instant(), digits in 0usize..10) {
            let nanos = t.to_rfc3339_opts(SecondsFormat::Nanos, true);
            let (head, rest) = nanos.split_once('.').unwrap();
            let written = if digits == 0 {
                format!("{head}Z")
            } else {
                format!("{head}.{}Z", &rest[..digits])
            };
            let full = super::parse(&written).map(|p| p.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            prop_assert_eq!(super::utc_fast_path(&written), full);
        }
    }
}
