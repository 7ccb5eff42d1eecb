//! Amazon SNS message signatures: version 1 (SHA1withRSA) and 2 (SHA256withRSA) over the
//! canonical string of the message's fields, with the certificate from an allowlisted https host.

use super::signing::{self, SignatureError};
use crate::schema::sns::SnsMessage;

/// Verifies an SNS message's signature (version 1: SHA1withRSA, 2: SHA256withRSA).
pub async fn verify(
    message: &SnsMessage<'_>,
    allowed_hosts: &[String],
) -> Result<(), SignatureError> {
    let sha1 = match message.signature_version.as_deref() {
        Some("1") => true,
        Some("2") => false,
        Some(other) => return Err(SignatureError::Version(other.to_owned())),
        None => return Err(SignatureError::Missing("SignatureVersion")),
    };
    let signature = message
        .signature
        .as_deref()
        .ok_or(SignatureError::Missing("Signature"))?;
    let url = message
        .signing_cert_url
        .as_deref()
        .ok_or(SignatureError::Missing("SigningCertURL"))?;
    let text = message.string_to_sign();
    signing::verified(url, allowed_hosts, |key| {
        signing::verify_rsa(key, sha1, text.as_bytes(), signature)
    })
    .await
}
