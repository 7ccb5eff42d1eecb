//! What one delivery attempt to one target came to, and how failures are classified.
//!
//! Retryable: timeouts, transport errors, 408, 429 (with `Retry-After` honoured) and 5xx.
//! Permanent: every other non-2xx reply, redirects included (senders must not follow them).

use std::time::Duration;

use crate::common::AttemptClass;

/// A target's own reading of a reply, where the status alone does not tell (DingTalk and Slack
/// answer some failures with HTTP 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Result class.
    pub class: AttemptClass,
    /// What went wrong, in words.
    pub error: Option<String>,
    /// Least wait before another attempt, in seconds.
    pub retry_after_secs: Option<u64>,
}

impl Verdict {
    /// A failure of `class` with a reason.
    pub fn failed(class: AttemptClass, error: String) -> Verdict {
        Verdict {
            class,
            error: Some(error),
            retry_after_secs: None,
        }
    }
}

/// Reads a reply's status and body; `None` keeps the status classification.
pub type ReplyCheck = fn(status: u16, body: &[u8]) -> Option<Verdict>;

/// Classifies an HTTP status.
pub fn classify_status(status: u16) -> AttemptClass {
    match status {
        200..=299 => AttemptClass::Delivered,
        408 | 429 | 500..=599 => AttemptClass::Retryable,
        _ => AttemptClass::Permanent,
    }
}

/// Longest wait a target's `Retry-After` can ask for; larger values are clamped to it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Reads `Retry-After` in its delay-seconds form (the HTTP-date form is read as "unknown"),
/// clamped to [`MAX_RETRY_AFTER`]: the value is the target's to choose, never ours to trust.
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let text = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Any run of digits too long for u64 is "very long": clamp rather than refuse.
    let secs = text.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// At most `limit` bytes of `body` as text, cut on a character boundary.
pub fn excerpt(body: &[u8], limit: usize) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(limit)]);
    let text = text.trim_end_matches('\u{fffd}');
    Some(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_classify_as_senders_expect() {
        assert_eq!(classify_status(200), AttemptClass::Delivered);
        assert_eq!(classify_status(204), AttemptClass::Delivered);
        assert_eq!(classify_status(301), AttemptClass::Permanent);
        assert_eq!(classify_status(400), AttemptClass::Permanent);
        assert_eq!(classify_status(404), AttemptClass::Permanent);
        assert_eq!(classify_status(408), AttemptClass::Retryable);
        assert_eq!(classify_status(429), AttemptClass::Retryable);
        assert_eq!(classify_status(503), AttemptClass::Retryable);
    }

    #[test]
    fn retry_after_is_clamped() {
        let with = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::RETRY_AFTER, value.parse().unwrap());
            retry_after(&headers)
        };
        assert_eq!(with("30"), Some(Duration::from_secs(30)));
        assert_eq!(with("10000000000000000000"), Some(MAX_RETRY_AFTER));
        assert_eq!(with("99999999999999999999999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(with("-5"), None);
        assert_eq!(with("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        assert_eq!(excerpt("héllo".as_bytes(), 2).as_deref(), Some("h"));
        assert_eq!(excerpt(b"", 10), None);
    }
}
