//! Signatures of senders that publish their signing certificate (Amazon SNS, Alibaba
//! EventBridge): allowlisted certificate URLs, a small bounded certificate cache, RSA public keys
//! taken from X.509 certificates (parsed by `rustls-webpki`), and verification with `ring`.
//!
//! A fetched certificate enters the cache only after a signature made with its key verified, so
//! requests with bad signatures cannot fill it; the cache holds at most [`CACHE_CAPACITY`]
//! certificates and drops the oldest beyond that.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{self, UnparsedPublicKey};
use rustls_pki_types::CertificateDer;

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
    /// The sender (an SNS topic) is not on the allowlist.
    #[error("{0}")]
    NotAllowed(String),
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
/// (`*` stands for exactly one DNS label, `{region}` for one AWS region id such as `us-east-1`;
/// comparison is case-insensitive).
pub fn url_allowed(url: &str, patterns: &[String]) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1");
    let scheme_ok = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback);
    let no_userinfo = parsed.username().is_empty() && parsed.password().is_none();
    scheme_ok && no_userinfo && patterns.iter().any(|p| host_matches(host, p))
}

fn host_matches(host: &str, pattern: &str) -> bool {
    let host: Vec<&str> = host.split('.').collect();
    let pattern: Vec<&str> = pattern.trim().split('.').collect();
    host.len() == pattern.len()
        && host.iter().zip(&pattern).all(|(h, p)| match *p {
            "*" => !h.is_empty(),
            "{region}" => is_aws_region(h),
            _ => h.eq_ignore_ascii_case(p),
        })
}

/// An AWS region id: two letters, one or more lowercase words, a number (`us-east-1`,
/// `us-gov-west-1`, `cn-northwest-1`, `eu-isoe-west-1`).
fn is_aws_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    let [country, middle @ .., number] = parts.as_slice() else {
        return false;
    };
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_lowercase())
        && !middle.is_empty()
        && middle
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// Time allowed for a certificate or confirmation fetch.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest certificate body read.
pub const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;
/// Most certificates kept in the cache.
pub const CACHE_CAPACITY: usize = 32;

/// The shared client for certificate and confirmation fetches (callers set [`FETCH_TIMEOUT`]).
pub fn client() -> Result<&'static reqwest::Client, SignatureError> {
    crate::http::client().map_err(SignatureError::Fetch)
}

/// The cache: (URL, PKCS#1 key) pairs, oldest first.
type Cache = Mutex<VecDeque<(String, Arc<Vec<u8>>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Runs `check` with the RSA public key (PKCS#1 DER) of the certificate at `url`: from the cache,
/// else fetched (allowlisted hosts only). A fetched certificate is cached only when `check`
/// succeeds with it.
pub async fn verified<F>(url: &str, patterns: &[String], check: F) -> Result<(), SignatureError>
where
    F: FnOnce(&[u8]) -> Result<(), SignatureError>,
{
    if !url_allowed(url, patterns) {
        return Err(SignatureError::HostNotAllowed(url.to_owned()));
    }
    let cached = cache()
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|(u, _)| u == url).map(|(_, k)| Arc::clone(k)));
    if let Some(key) = cached {
        return check(&key);
    }
    let key = fetch_key(url).await?;
    check(&key)?;
    if let Ok(mut cache) = cache().lock()
        && !cache.iter().any(|(u, _)| u == url)
    {
        if cache.len() >= CACHE_CAPACITY {
            cache.pop_front();
        }
        cache.push_back((url.to_owned(), Arc::new(key)));
    }
    Ok(())
}

/// Fetches a PEM certificate (bounded in time and size) and takes its RSA key.
async fn fetch_key(url: &str) -> Result<Vec<u8>, SignatureError> {
    let fetch = |e: reqwest::Error| SignatureError::Fetch(e.without_url().to_string());
    let mut response = client()?
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(fetch)?;
    if !response.status().is_success() {
        return Err(SignatureError::Fetch(format!(
            "status {}",
            response.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(fetch)? {
        if body.len() + chunk.len() > MAX_CERTIFICATE_BYTES {
            return Err(SignatureError::Certificate);
        }
        body.extend_from_slice(&chunk);
    }
    let pem = String::from_utf8(body).map_err(|_| SignatureError::Certificate)?;
    rsa_key_from_pem(&pem).ok_or(SignatureError::Certificate)
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
    let end = start + pem.get(start..)?.find("-----END CERTIFICATE-----")?;
    let b64: String = pem
        .get(start..end)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD.decode(b64).ok()?;
    rsa_key_from_der(&der)
}

/// The certificate is parsed by `rustls-webpki` (strict X.509 v3 DER); of its
/// `SubjectPublicKeyInfo` we read only the algorithm (must be rsaEncryption) and the key bits.
pub fn rsa_key_from_der(der: &[u8]) -> Option<Vec<u8>> {
    let der = CertificateDer::from(der);
    let cert = webpki::EndEntityCert::try_from(&der).ok()?;
    let spki = cert.subject_public_key_info();
    let (spki, rest) = der::element(spki.as_ref(), 0x30)?;
    let (algorithm, key) = der::element(spki, 0x30)?;
    const RSA_OID: [u8; 11] = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    if !rest.is_empty() || !algorithm.starts_with(&RSA_OID) {
        return None;
    }
    let (bits, rest) = der::element(key, 0x03)?;
    let (unused, key) = bits.split_first()?;
    (*unused == 0 && rest.is_empty()).then(|| key.to_vec())
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
            "https://user@sns.us-east-1.amazonaws.com/cert.pem",
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
mod default_hosts {
    use super::*;

    fn allowed(url: &str) -> bool {
        let defaults: Vec<String> = crate::admit::config::DEFAULT_SNS_HOSTS
            .map(str::to_owned)
            .to_vec();
        url_allowed(url, &defaults)
    }

    #[test]
    fn default_sns_hosts_are_real_sns_hosts_only() {
        for good in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
            "https://sns.us-gov-west-1.amazonaws.com/c.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/c.pem",
            "https://sns.eu-isoe-west-1.amazonaws.com/c.pem",
            "https://sns.ap-southeast-5.amazonaws.com/c.pem",
        ] {
            assert!(allowed(good), "{good}");
        }
        for bad in [
            // An S3 website host of a bucket named "sns" matched the old `sns.*.amazonaws.com`.
            "https://sns.s3-website.amazonaws.com/c.pem",
            "https://sns.s3.amazonaws.com/c.pem",
            "https://sns.execute-api.amazonaws.com/c.pem",
            "https://sns.us-east-1.amazonaws.com.evil.io/c.pem",
            "https://sns.us-east-.amazonaws.com/c.pem",
            "https://sns.useast-1.amazonaws.com/c.pem",
            "http://sns.us-east-1.amazonaws.com/c.pem",
        ] {
            assert!(!allowed(bad), "{bad}");
        }
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
