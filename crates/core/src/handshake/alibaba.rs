//! The (assumed) check of Alibaba Cloud EventBridge HTTP target requests, on when
//! `inbound.alibaba_signing_key` is set.
//!
//! VERIFIED from Alibaba's "Signature algorithm" page (help doc 207037): the headers
//! `x-eventbridge-signature`, `-timestamp`, `-method` (`HMAC-SHA1`), `-version`, `-url`; the
//! string-to-sign `<url>\n<fixed headers joined by \n>\n<body>`; Base64(HMAC-SHA1); a 60 s window.
//! ASSUMED: the key. EventBridge's own key is a per-request secret encrypted with its private key
//! (or, in the newer scheme, an RSA-SHA256 signature `x-eventbridge-signature-v2` whose exact
//! string-to-sign is not published); regrelay cannot recover either, so it uses the configured
//! key, e.g. for a signing proxy. The header line format `name:value` and the URL's scheme (from
//! `x-forwarded-proto`, default https) are assumptions too. See `docs/sources.md`.

use http::HeaderMap;

use super::signing::{SignatureError, verify_hmac_sha1};
use crate::reply::InboundRequest;

/// Header carrying the signature.
pub const HEADER_SIGNATURE: &str = "x-eventbridge-signature";
/// Signed headers, in the documented order.
pub const SIGNED_HEADERS: [&str; 4] = [
    "x-eventbridge-signature-timestamp",
    "x-eventbridge-signature-method",
    "x-eventbridge-signature-version",
    "x-eventbridge-signature-url",
];
/// Accepted clock difference, seconds.
pub const WINDOW_SECS: i64 = 60;

/// Checks a request that carries `x-eventbridge-signature`; others pass (`Ok`).
pub fn check(request: &InboundRequest, key: &[u8], now_secs: i64) -> Result<(), SignatureError> {
    let headers = &request.headers;
    let Some(signature) = header(headers, HEADER_SIGNATURE) else {
        return Ok(());
    };
    let timestamp = header(headers, SIGNED_HEADERS[0])
        .ok_or(SignatureError::Missing("x-eventbridge-signature-timestamp"))?;
    let secs = timestamp
        .trim()
        .parse::<i64>()
        .map(|t| if t > 100_000_000_000 { t / 1000 } else { t })
        .map_err(|_| SignatureError::Stale)?;
    if (now_secs - secs).abs() > WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    verify_hmac_sha1(key, string_to_sign(request).as_bytes(), signature)
}

/// `<scheme>://<host><path>[?<query>]\n<name>:<value>\n…\n<body>`.
pub fn string_to_sign(request: &InboundRequest) -> String {
    let headers = &request.headers;
    let scheme = header(headers, "x-forwarded-proto").unwrap_or("https");
    let host = header(headers, "host").unwrap_or_default();
    let mut out = format!("{scheme}://{host}{}", request.path);
    if let Some(query) = request.query.as_deref().filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(query);
    }
    out.push('\n');
    let lines: Vec<String> = SIGNED_HEADERS
        .iter()
        .map(|name| format!("{name}:{}", header(headers, name).unwrap_or_default()))
        .collect();
    out.push_str(&lines.join("\n"));
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(&request.body));
    out
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
