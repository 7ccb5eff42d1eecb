//! DingTalk's replies: failures usually come back as HTTP 200 with a non-zero `errcode`.
//!
//! `130101` (sending too fast) is retryable, after at least a minute. `310000` (sign, keyword or
//! IP allow-list refused), `300005` (unknown token) and `40035` (missing token) need the operator:
//! permanent. Any other non-zero code is retryable, so nothing is dropped on a code we do not know.

use serde::Deserialize;

use crate::common::Attempt;
use crate::common::AttemptClass;
use crate::dispatch::outcome::Verdict;

/// DingTalk's "send too fast" code.
pub const TOO_FAST: i64 = 130_101;
/// Least wait after [`TOO_FAST`], in seconds.
pub const TOO_FAST_WAIT_SECS: u64 = 60;
/// Longest `errmsg` kept in an attempt's error.
const ERRMSG_CHARS: usize = 200;

#[derive(Deserialize)]
struct Reply {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Reads a DingTalk reply (a [`crate::dispatch::outcome::ReplyCheck`]).
pub fn check(status: u16, body: &[u8]) -> Option<Verdict> {
    let Ok(reply) = serde_json::from_slice::<Reply>(body) else {
        return (200..300).contains(&status).then(|| {
            Verdict::failed(
                AttemptClass::Retryable,
                format!("DingTalk replied {status} without an errcode"),
            )
        });
    };
    if reply.errcode == 0 {
        return None;
    }
    let errmsg: String = reply.errmsg.chars().take(ERRMSG_CHARS).collect();
    let class = classify(reply.errcode);
    Some(Verdict {
        class,
        error: Some(format!("DingTalk errcode {}: {errmsg}", reply.errcode)),
        retry_after_secs: (reply.errcode == TOO_FAST).then_some(TOO_FAST_WAIT_SECS),
    })
}

/// Whether an attempt's reply was DingTalk's "send too fast".
pub fn throttled(attempt: &Attempt) -> bool {
    attempt
        .response_excerpt
        .as_deref()
        .and_then(|text| serde_json::from_str::<Reply>(text).ok())
        .is_some_and(|reply| reply.errcode == TOO_FAST)
}

/// The class of a non-zero `errcode`.
pub fn classify(errcode: i64) -> AttemptClass {
    match errcode {
        310_000 | 300_005 | 40_035 => AttemptClass::Permanent,
        _ => AttemptClass::Retryable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcodes_classify() {
        assert_eq!(check(200, br#"{"errcode":0,"errmsg":"ok"}"#), None);
        let fast = check(200, br#"{"errcode":130101,"errmsg":"send too fast"}"#).unwrap();
        assert_eq!(fast.class, AttemptClass::Retryable);
        assert_eq!(fast.retry_after_secs, Some(60));
        let sign = check(200, br#"{"errcode":310000,"errmsg":"sign not match"}"#).unwrap();
        assert_eq!(sign.class, AttemptClass::Permanent);
        assert!(sign.error.unwrap().contains("sign not match"));
        assert_eq!(classify(300_005), AttemptClass::Permanent);
        assert_eq!(classify(40_035), AttemptClass::Permanent);
        assert_eq!(classify(12_345), AttemptClass::Retryable);
        let html = check(200, b"<html>").unwrap();
        assert_eq!(html.class, AttemptClass::Retryable);
        assert_eq!(check(502, b"<html>"), None);
    }
}
