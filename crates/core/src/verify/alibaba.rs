//! Alibaba Cloud EventBridge HTTP/HTTPS target signatures, checked when
//! `inbound.alibaba_verify_signatures` is on (or an `alibaba_signature_token` is configured).
//!
//! Version 1, as Alibaba's "Signature algorithm" page (help doc 207037) and its own verifier
//! (aliyun/alibabacloud-eventbridge-sdk, `util/java/.../signature`) describe it:
//! * EventBridge draws a temporary secret, "encrypts" it with its RSA private key and sends it
//!   base64 in `x-eventbridge-signature-secret`; the public key is in the X.509 certificate at
//!   `x-eventbridge-signature-url`, which must be on an allowlisted host
//!   (`https://<region>-eventbridge.oss-accelerate.aliyuncs.com`).
//! * `x-eventbridge-signature` = Base64(HMAC-SHA1(secret, string-to-sign)), where the string is
//!   the request URL with its query, a line `name: value` for each of the timestamp, method,
//!   version and certificate-URL headers (and the optional user token), then the body.
//! * `x-eventbridge-signature-timestamp` is in milliseconds; the request is valid for 60 s.
//!
//! Two details differ between the page and the SDK: whether a newline follows the body, and
//! whether the token line is present when no token was set. Both forms are accepted; neither
//! weakens the check, which rests on the secret only EventBridge's private key could produce.
//!
//! Version 2 (`x-eventbridge-signature-v2`: RSA-SHA256 over the string-to-sign, with
//! `x-eventbridge-hash-method`) is documented without its exact string-to-sign: the same layout
//! is assumed, with the hash-method line in place of the method line (as public verifiers do).

pub mod rsa;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use ring::signature::{RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, UnparsedPublicKey};

use super::signing::{self, SignatureError, verify_hmac_sha1};
use crate::common::Secret;
use crate::reply::InboundRequest;

/// Alibaba Cloud EventBridge signature settings.
#[derive(Debug, Clone, Default)]
pub struct AlibabaInbound {
    /// Whether signatures are verified (and required on Alibaba EventBridge events).
    pub verify: bool,
    /// Hosts the signing certificate may come from (`*` = one DNS label).
    pub cert_hosts: Vec<String>,
    /// The token set on the EventBridge target, when one is.
    pub token: Option<Secret>,
    /// Whether `X-Forwarded-*` may name the URL the signature covers.
    pub trust_forwarded: bool,
}

impl AlibabaInbound {
    /// The certificate hosts of a region's EventBridge: its OSS bucket
    /// `<region>-eventbridge`, through the accelerated and the regional endpoint.
    pub fn region_hosts(region: &str) -> [String; 2] {
        [
            format!("{region}-eventbridge.oss-accelerate.aliyuncs.com"),
            format!("{region}-eventbridge.oss-{region}.aliyuncs.com"),
        ]
    }
}

/// Header carrying the version 1 signature.
pub const HEADER_SIGNATURE: &str = "x-eventbridge-signature";
/// Header carrying the version 2 signature.
pub const HEADER_SIGNATURE_V2: &str = "x-eventbridge-signature-v2";
/// Header carrying the encrypted temporary secret (version 1).
pub const HEADER_SECRET: &str = "x-eventbridge-signature-secret";
/// Header carrying the sending time (milliseconds since the epoch).
pub const HEADER_TIMESTAMP: &str = "x-eventbridge-signature-timestamp";
/// Header naming the version 1 algorithm (`HMAC-SHA1`).
pub const HEADER_METHOD: &str = "x-eventbridge-signature-method";
/// Header naming the signature version.
pub const HEADER_VERSION: &str = "x-eventbridge-signature-version";
/// Header carrying the certificate URL.
pub const HEADER_CERT_URL: &str = "x-eventbridge-signature-url";
/// Header carrying the token the user set on the target (optional).
pub const HEADER_TOKEN: &str = "x-eventbridge-signature-token";
/// Header naming the version 2 hash (`SHA256`).
pub const HEADER_HASH_METHOD: &str = "x-eventbridge-hash-method";
/// Accepted clock difference, milliseconds.
pub const WINDOW_MS: i64 = 60_000;

/// Shortest temporary secret accepted, bytes.
const SECRET_MIN: usize = 8;
/// Longest temporary secret accepted, bytes.
const SECRET_MAX: usize = 256;

/// Whether the request carries an EventBridge signature of either version.
pub fn is_signed(headers: &HeaderMap) -> bool {
    headers.contains_key(HEADER_SIGNATURE) || headers.contains_key(HEADER_SIGNATURE_V2)
}

/// Verifies a signed request: token, timestamp, certificate host, then the signature with the
/// key of the (fetched, cached) certificate.
pub async fn verify(
    request: &InboundRequest,
    settings: &AlibabaInbound,
    now_ms: i64,
) -> Result<(), SignatureError> {
    check_token(&request.headers, settings)?;
    check_timestamp(&request.headers, now_ms)?;
    let url = header(&request.headers, HEADER_CERT_URL)
        .ok_or(SignatureError::Missing(HEADER_CERT_URL))?;
    signing::verified(url, &settings.cert_hosts, |key| {
        verify_with_key(request, key, settings.trust_forwarded)
    })
    .await
}

/// The signature check proper, for the PKCS#1 `RSAPublicKey` of a certificate already at hand.
/// `trust_forwarded`: take the URL's scheme and host from `X-Forwarded-*` (behind a proxy the
/// operator named), else from `Host`.
pub fn verify_with_key(
    request: &InboundRequest,
    pkcs1: &[u8],
    trust_forwarded: bool,
) -> Result<(), SignatureError> {
    let headers = &request.headers;
    if let Some(signature) = header(headers, HEADER_SIGNATURE) {
        let encrypted =
            header(headers, HEADER_SECRET).ok_or(SignatureError::Missing(HEADER_SECRET))?;
        let key = parsed_key(pkcs1).ok_or(SignatureError::Certificate)?;
        let secret = rsa::recover(&key, &decode(encrypted)?).ok_or(SignatureError::Mismatch)?;
        if !secret_shaped(&secret) {
            return Err(SignatureError::Mismatch);
        }
        let matches = candidates(request, HEADER_METHOD, trust_forwarded)
            .iter()
            .any(|text| verify_hmac_sha1(&secret, text, signature).is_ok());
        return matches.then_some(()).ok_or(SignatureError::Mismatch);
    }
    let signature =
        header(headers, HEADER_SIGNATURE_V2).ok_or(SignatureError::Missing(HEADER_SIGNATURE))?;
    let signature = decode(signature)?;
    let key = UnparsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, pkcs1);
    let matches = [HEADER_HASH_METHOD, HEADER_METHOD]
        .iter()
        .flat_map(|second| candidates(request, second, trust_forwarded))
        .any(|text| key.verify(&text, &signature).is_ok());
    matches.then_some(()).ok_or(SignatureError::Mismatch)
}

/// Most parsed keys kept (EventBridge signs with one certificate per region).
const PARSED_KEYS: usize = 8;

/// The key of `pkcs1`, parsed once: parsing computes `R² mod n`, the costly part of a check.
fn parsed_key(pkcs1: &[u8]) -> Option<Arc<rsa::PublicKey>> {
    type Keys = Mutex<VecDeque<(Vec<u8>, Arc<rsa::PublicKey>)>>;
    static KEYS: OnceLock<Keys> = OnceLock::new();
    let keys = KEYS.get_or_init(Mutex::default);
    let cached = keys.lock().ok().and_then(|k| {
        k.iter()
            .find(|(der, _)| der.as_slice() == pkcs1)
            .map(|(_, key)| Arc::clone(key))
    });
    if cached.is_some() {
        return cached;
    }
    let key = Arc::new(rsa::PublicKey::from_pkcs1_der(pkcs1)?);
    if let Ok(mut keys) = keys.lock() {
        if keys.len() >= PARSED_KEYS {
            keys.pop_front();
        }
        keys.push_back((pkcs1.to_vec(), Arc::clone(&key)));
    }
    Some(key)
}

/// Whether a recovered secret looks like one EventBridge makes: text (the SDK turns it into a
/// Java `String`), visible ASCII, of a sane length. Random bytes never pass.
fn secret_shaped(secret: &[u8]) -> bool {
    (SECRET_MIN..=SECRET_MAX).contains(&secret.len())
        && secret.iter().all(|b| (0x21..=0x7e).contains(b))
}

fn decode(base64: &str) -> Result<Vec<u8>, SignatureError> {
    STANDARD
        .decode(base64.trim())
        .map_err(|_| SignatureError::Mismatch)
}

/// A configured token must be the one the request was signed with.
fn check_token(headers: &HeaderMap, settings: &AlibabaInbound) -> Result<(), SignatureError> {
    let Some(expected) = &settings.token else {
        return Ok(());
    };
    let sent = header(headers, HEADER_TOKEN).ok_or(SignatureError::Missing(HEADER_TOKEN))?;
    let same: bool =
        subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.expose().as_bytes()).into();
    same.then_some(()).ok_or(SignatureError::Mismatch)
}

/// The timestamp (milliseconds; seconds accepted too) must be within [`WINDOW_MS`] of now.
fn check_timestamp(headers: &HeaderMap, now_ms: i64) -> Result<(), SignatureError> {
    let text =
        header(headers, HEADER_TIMESTAMP).ok_or(SignatureError::Missing(HEADER_TIMESTAMP))?;
    let value = text
        .trim()
        .parse::<i64>()
        .map_err(|_| SignatureError::Stale)?;
    let ms = if value < 100_000_000_000 {
        value.saturating_mul(1000)
    } else {
        value
    };
    if now_ms.saturating_sub(ms).abs() > WINDOW_MS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The strings the signature may cover: `<url>\n` + header lines + body, with and without a
/// final newline, with and without an empty token line when no token was sent. `second` is the
/// header in the second line (the method for version 1).
pub fn candidates(request: &InboundRequest, second: &str, trust_forwarded: bool) -> Vec<Vec<u8>> {
    let headers = &request.headers;
    let mut lines = format!("{}\n", request_url(request, trust_forwarded));
    for name in [HEADER_TIMESTAMP, second, HEADER_VERSION, HEADER_CERT_URL] {
        lines.push_str(&line(name, header(headers, name).unwrap_or_default()));
    }
    let token = header(headers, HEADER_TOKEN);
    let mut heads = vec![format!(
        "{lines}{}",
        line(HEADER_TOKEN, token.unwrap_or_default())
    )];
    if token.is_none() {
        heads.push(lines);
    }
    let mut out = Vec::with_capacity(heads.len() * 2);
    for head in heads {
        let mut text = head.into_bytes();
        text.extend_from_slice(&request.body);
        out.push(text.clone());
        text.push(b'\n');
        out.push(text);
    }
    out
}

/// `name: value\n`, as Apache's `BasicHeader` prints it.
fn line(name: &str, value: &str) -> String {
    format!("{name}: {value}\n")
}

/// The URL EventBridge was given: `<scheme>://<host><path>[?<query>]`: https and `Host`, or,
/// when the operator trusts a proxy in front (`inbound.trust_forwarded_headers`), the scheme and
/// host from `x-forwarded-proto`/`x-forwarded-host`. Untrusted, those headers are any client's
/// words and never bind the signature.
pub fn request_url(request: &InboundRequest, trust_forwarded: bool) -> String {
    let headers = &request.headers;
    let forwarded = |name| trust_forwarded.then(|| header(headers, name)).flatten();
    let scheme = forwarded("x-forwarded-proto").unwrap_or("https");
    let host = forwarded("x-forwarded-host")
        .or_else(|| header(headers, "host"))
        .unwrap_or_default();
    let mut url = format!("{scheme}://{host}{}", request.path);
    if let Some(query) = request.query.as_deref().filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
    url
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, Method};

    fn request(headers: &[(&'static str, &str)]) -> InboundRequest {
        let mut request = InboundRequest::new(Method::POST, "/cloudevents?x=1");
        request.body = bytes::Bytes::from_static(b"{}");
        for (name, value) in headers {
            request
                .headers
                .insert(*name, HeaderValue::from_str(value).unwrap());
        }
        request
    }

    #[test]
    fn string_to_sign_follows_the_sdk_layout() {
        let request = request(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-proto", "http"),
            (HEADER_TIMESTAMP, "1612167546574"),
            (HEADER_METHOD, "HMAC-SHA1"),
            (HEADER_VERSION, "1.0"),
            (HEADER_CERT_URL, "https://c/x.pem"),
        ]);
        let texts: Vec<String> = candidates(&request, HEADER_METHOD, true)
            .into_iter()
            .map(|t| String::from_utf8(t).unwrap())
            .collect();
        let head = "http://127.0.0.1:8080/cloudevents?x=1\nx-eventbridge-signature-timestamp: 1612167546574\nx-eventbridge-signature-method: HMAC-SHA1\nx-eventbridge-signature-version: 1.0\nx-eventbridge-signature-url: https://c/x.pem\n";
        assert_eq!(
            texts,
            [
                format!("{head}x-eventbridge-signature-token: \n{{}}"),
                format!("{head}x-eventbridge-signature-token: \n{{}}\n"),
                format!("{head}{{}}"),
                format!("{head}{{}}\n"),
            ]
        );
    }

    #[test]
    fn forwarded_headers_bind_the_url_only_when_trusted() {
        let request = request(&[
            ("host", "relay.example"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-host", "attacker.example"),
        ]);
        assert_eq!(
            request_url(&request, false),
            "https://relay.example/cloudevents?x=1"
        );
        assert_eq!(
            request_url(&request, true),
            "http://attacker.example/cloudevents?x=1"
        );
    }

    #[test]
    fn recovered_secrets_must_be_visible_ascii_of_sane_length() {
        assert!(secret_shaped(b"regrelay-temporary-secret-0001"));
        assert!(!secret_shaped(b"short"));
        assert!(!secret_shaped(&[b'a'; 257]));
        assert!(!secret_shaped(b"has space inside"));
        assert!(!secret_shaped(&[
            0xc8, 0x79, 0xae, 0x02, 0x37, 0x5a, 0x23, 0xf8
        ]));
    }

    #[test]
    fn timestamps_are_milliseconds_or_seconds_within_a_minute() {
        let now = 1_700_000_000_000;
        let at = |ts: &str| check_timestamp(&request(&[(HEADER_TIMESTAMP, ts)]).headers, now);
        assert!(at("1700000000000").is_ok());
        assert!(at("1699999950000").is_ok());
        assert!(at("1700000000").is_ok(), "seconds");
        assert_eq!(at("1699999930000"), Err(SignatureError::Stale));
        assert_eq!(at("1700000070000"), Err(SignatureError::Stale));
        assert_eq!(at("soon"), Err(SignatureError::Stale));
        assert_eq!(
            check_timestamp(&HeaderMap::new(), now),
            Err(SignatureError::Missing(HEADER_TIMESTAMP))
        );
    }

    #[test]
    fn a_configured_token_must_match() {
        let settings = AlibabaInbound {
            verify: true,
            cert_hosts: vec![],
            token: Some(crate::common::Secret::new("t0k".to_owned())),
            trust_forwarded: false,
        };
        let ok = request(&[(HEADER_TOKEN, "t0k")]);
        let other = request(&[(HEADER_TOKEN, "t0k2")]);
        assert!(check_token(&ok.headers, &settings).is_ok());
        assert_eq!(
            check_token(&other.headers, &settings),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check_token(&HeaderMap::new(), &settings),
            Err(SignatureError::Missing(HEADER_TOKEN))
        );
    }
}
