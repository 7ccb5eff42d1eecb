//! Human durations in config (`500ms`, `10s`, `5m`, `3d`).

use std::time::Duration;

/// Longest delivery budget, backoff or SNS message age accepted: a day.
pub const MAX_CONFIG_WAIT: Duration = Duration::from_secs(86_400);

/// Parses `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 10s, 500ms or 3d"))?;
    let secs = |k: u64| Duration::from_secs(n.saturating_mul(k));
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(secs(1)),
        "m" => Ok(secs(60)),
        "h" => Ok(secs(3600)),
        "d" => Ok(secs(86_400)),
        _ => Err(format!("'{text}' has no unit: use ms, s, m, h or d")),
    }
}

/// `d` in whole milliseconds, saturating.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A duration the way config writes it, in its largest whole unit (`24h`, `90s`, `1500ms`).
pub fn display(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_in_the_largest_whole_unit() {
        for text in ["1d", "24h", "90s", "1500ms", "0ms", "5m"] {
            let shown = display(parse(text).unwrap());
            assert_eq!(parse(&shown).unwrap(), parse(text).unwrap(), "{text}");
        }
        assert_eq!(display(Duration::from_secs(86_400)), "1d");
        assert_eq!(display(Duration::from_secs(7200)), "2h");
    }

    #[test]
    fn parses_units() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse("3d").unwrap(), Duration::from_secs(259_200));
        assert!(parse("10").is_err());
        assert!(parse("s").is_err());
    }
}
