//! Standard Webhooks signing: `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, with the key
//! given as a `whsec_<base64>` secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::dispatch::mac::hmac_sha256;

/// Prefix of symmetric Standard Webhooks secrets.
pub const SECRET_PREFIX: &str = "whsec_";
/// Header carrying the message id (stable across retries).
pub const ID: &str = "webhook-id";
/// Header carrying the attempt's unix time in seconds.
pub const TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying the signatures.
pub const SIGNATURE: &str = "webhook-signature";
/// Key sizes the spec allows, in bytes.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// A decoded signing key; never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// Decodes a `whsec_<base64>` secret (the prefix may be left out).
    pub fn from_secret(secret: &str) -> Result<SigningKey, String> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        let key = STANDARD
            .decode(encoded.trim())
            .map_err(|_| "must be whsec_ followed by base64".to_owned())?;
        if !KEY_BYTES.contains(&key.len()) {
            return Err(format!("must decode to 24 to 64 bytes (got {})", key.len()));
        }
        Ok(SigningKey(key))
    }

    /// The `webhook-signature` value for one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut signed = Vec::with_capacity(id.len() + body.len() + 24);
        signed.extend_from_slice(id.as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(timestamp.to_string().as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(body);
        format!("v1,{}", STANDARD.encode(hmac_sha256(&self.0, &signed)))
    }
}

/// The `webhook-id` of an (event, target) pair: the same on every attempt, so receivers can
/// deduplicate; `msg_` and 24 hex characters of SHA-256(event id, newline, target name).
pub fn webhook_id(event_id: &str, target: &str) -> String {
    let digest = Sha256::new()
        .chain_update(event_id.as_bytes())
        .chain_update(b"\n")
        .chain_update(target.as_bytes())
        .finalize();
    let hex = crate::common::hex(&digest[..12]);
    format!("msg_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's test vector (svix's test suite).
    #[test]
    fn signs_the_spec_test_vector() {
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = key.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn ids_are_stable_per_event_and_target() {
        let id = webhook_id("e1", "deployer");
        assert_eq!(id, webhook_id("e1", "deployer"));
        assert_ne!(id, webhook_id("e1", "other"));
        assert_eq!(id.len(), 4 + 24);
        assert!(id.starts_with("msg_"));
    }

    #[test]
    fn bad_secrets_are_refused_without_echoing_them() {
        let short = SigningKey::from_secret("whsec_c2hvcnQ=").unwrap_err();
        assert!(short.contains("24 to 64"), "{short}");
        let junk = SigningKey::from_secret("whsec_!!!").unwrap_err();
        assert!(!junk.contains("!!!"), "{junk}");
        assert_eq!(
            format!(
                "{:?}",
                SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
            ),
            "SigningKey([redacted])"
        );
    }
}
