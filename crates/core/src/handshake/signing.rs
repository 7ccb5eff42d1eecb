//! Signatures of senders that publish their signing certificate (Amazon SNS, Alibaba
//! EventBridge): allowlisted certificate URLs, a small certificate cache, RSA public keys taken
//! from X.509 certificates, and verification with `ring`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{self, UnparsedPublicKey};

use super::der;

/// Why a signature could not be verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required field or header is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// The URL is not https on an allowlisted host (http only for loopback).
    #[error("URL '{0}' is not https on an allowed host")]
    HostNotAllowed(String),
    /// The certificate could not be fetched.
    #[error("cannot fetch certificate: {0}")]
    Fetch(String),
    /// The certificate is not a PEM X.509 certificate with an RSA key.
    #[error("certificate is not a PEM X.509 certificate with an RSA key")]
    Certificate,
    /// The signature version is not one regrelay knows.
    #[error("unsupported signature version '{0}'")]
    Version(String),
    /// The signature does not match.
    #[error("signature does not match")]
    Mismatch,
    /// The request is too old or from the future.
    #[error("timestamp outside the accepted window")]
    Stale,
}

impl SignatureError {
    /// The reply status: 503 when the certificate could not be fetched (the sender should retry),
    /// else 403.
    pub fn status(&self) -> http::StatusCode {
        match self {
            SignatureError::Fetch(_) => http::StatusCode::SERVICE_UNAVAILABLE,
            _ => http::StatusCode::FORBIDDEN,
        }
    }
}

/// Whether `url` is https (or http to a loopback host) on a host matching one of `patterns`
/// (`*` stands for exactly one DNS label; comparison is case-insensitive).
pub fn url_allowed(url: &str, patterns: &[String]) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1");
    let scheme_ok = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback);
    scheme_ok && patterns.iter().any(|p| host_matches(host, p))
}

fn host_matches(host: &str, pattern: &str) -> bool {
    let host: Vec<&str> = host.split('.').collect();
    let pattern: Vec<&str> = pattern.trim().split('.').collect();
    host.len() == pattern.len()
        && host
            .iter()
            .zip(&pattern)
            .all(|(h, p)| *p == "*" && !h.is_empty() || h.eq_ignore_ascii_case(p))
}

/// Time allowed for a certificate or confirmation fetch.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The shared client for certificate and confirmation fetches (callers set [`FETCH_TIMEOUT`]).
pub fn client() -> Result<&'static reqwest::Client, SignatureError> {
    crate::http::client().map_err(SignatureError::Fetch)
}

/// The RSA public key (PKCS#1 DER) of the certificate at `url`, fetched once per process.
pub async fn public_key(url: &str, patterns: &[String]) -> Result<Arc<Vec<u8>>, SignatureError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    if !url_allowed(url, patterns) {
        return Err(SignatureError::HostNotAllowed(url.to_owned()));
    }
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(key) = cache.lock().ok().and_then(|c| c.get(url).cloned()) {
        return Ok(key);
    }
    let response = client()?
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| SignatureError::Fetch(e.to_string()))?;
    if !response.status().is_success() {
        return Err(SignatureError::Fetch(format!(
            "status {}",
            response.status()
        )));
    }
    let pem = response
        .text()
        .await
        .map_err(|e| SignatureError::Fetch(e.to_string()))?;
    let key = Arc::new(rsa_key_from_pem(&pem).ok_or(SignatureError::Certificate)?);
    if let Ok(mut cache) = cache.lock() {
        cache.insert(url.to_owned(), key.clone());
    }
    Ok(key)
}

/// Verifies an RSA PKCS#1 v1.5 signature (base64) over `message` with SHA-1 (`sha1`) or SHA-256.
pub fn verify_rsa(
    key: &[u8],
    sha1: bool,
    message: &[u8],
    signature_b64: &str,
) -> Result<(), SignatureError> {
    let signature = STANDARD
        .decode(signature_b64.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    let algorithm: &dyn signature::VerificationAlgorithm = if sha1 {
        &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
    } else {
        &signature::RSA_PKCS1_2048_8192_SHA256
    };
    UnparsedPublicKey::new(algorithm, key)
        .verify(message, &signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// Base64 HMAC-SHA1 of `message` under `key`, compared in constant time with `signature_b64`.
pub fn verify_hmac_sha1(
    key: &[u8],
    message: &[u8],
    signature_b64: &str,
) -> Result<(), SignatureError> {
    let expected = STANDARD
        .decode(signature_b64.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    ring::hmac::verify(&key, message, &expected).map_err(|_| SignatureError::Mismatch)
}

/// The RSA public key (the `subjectPublicKey` bits, PKCS#1 DER) of the first certificate in a
/// PEM text.
pub fn rsa_key_from_pem(pem: &str) -> Option<Vec<u8>> {
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = pem.find(begin)? + begin.len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let b64: String = pem[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD.decode(b64).ok()?;
    rsa_key_from_der(&der)
}

/// Walks `Certificate → tbsCertificate → subjectPublicKeyInfo → subjectPublicKey`.
fn rsa_key_from_der(der: &[u8]) -> Option<Vec<u8>> {
    let (cert, _) = der::element(der, 0x30)?;
    let (mut tbs, _) = der::element(cert, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = der::element(tbs, 0xa0)?.1; // [0] version
    }
    for _ in 0..5 {
        // serialNumber, signature, issuer, validity, subject
        tbs = der::skip(tbs)?;
    }
    let (spki, _) = der::element(tbs, 0x30)?;
    let (algorithm, rest) = der::element(spki, 0x30)?;
    const RSA_OID: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    if !algorithm.starts_with(&RSA_OID) {
        return None;
    }
    let (bits, _) = der::element(rest, 0x03)?;
    let (unused, key) = bits.split_first()?;
    (*unused == 0).then(|| key.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_one_label_per_star() {
        let sns = vec!["sns.*.amazonaws.com".to_owned()];
        assert!(url_allowed(
            "https://sns.us-east-1.amazonaws.com/cert.pem",
            &sns
        ));
        assert!(!url_allowed(
            "http://sns.us-east-1.amazonaws.com/cert.pem",
            &sns
        ));
        assert!(!url_allowed(
            "https://sns.us-east-1.amazonaws.com.evil.io/c.pem",
            &sns
        ));
        assert!(!url_allowed(
            "https://evil.io/sns.us-east-1.amazonaws.com",
            &sns
        ));
        assert!(!url_allowed("https://sns.a.b.amazonaws.com/c.pem", &sns));
        let loopback = vec!["127.0.0.1".to_owned()];
        assert!(url_allowed("http://127.0.0.1:8080/c.pem", &loopback));
        assert!(!url_allowed(
            "http://10.0.0.1/c.pem",
            &["10.0.0.1".to_owned()]
        ));
    }
}

#[cfg(test)]
mod sns_tests {
    use super::*;
    use crate::schema::sns::SnsMessage;

    const CERT: &str = include_str!("../../../../tests/fixtures/sns/signing_cert.pem");
    const SIGNED: &str =
        include_str!("../../../../tests/fixtures/sns/notification.ecr_push.sha1.json");

    #[test]
    fn signature_version_1_made_by_openssl_verifies() {
        let key = rsa_key_from_pem(CERT).expect("RSA key in the test certificate");
        let message = SnsMessage::parse(SIGNED.as_bytes()).unwrap();
        let signature = message.signature.as_deref().unwrap();
        let canonical = message.string_to_sign();
        assert_eq!(
            verify_rsa(&key, true, canonical.as_bytes(), signature),
            Ok(())
        );
        assert_eq!(
            verify_rsa(&key, false, canonical.as_bytes(), signature),
            Err(SignatureError::Mismatch),
            "version 2 (SHA-256) does not accept a SHA-1 signature"
        );
        let tampered = canonical.replace("my-repository-name", "other");
        assert_eq!(
            verify_rsa(&key, true, tampered.as_bytes(), signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            rsa_key_from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            None
        );
    }
}
