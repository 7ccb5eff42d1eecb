//! AWS Signature Version 4, just what a JSON-over-POST API needs: canonical request, string to
//! sign, the derived key, the `Authorization` header.
//!
//! The tests reproduce AWS's published SigV4 test suite ("Signature Version 4 test suite",
//! AWS General Reference; files `get-vanilla/*` and `get-vanilla-query-order-key-case/*`, with
//! credentials `AKIDEXAMPLE` / `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, region `us-east-1`,
//! service `service`, time `20150830T123600Z`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::store::config::AwsCredentials;

/// A request as SigV4 sees it. Header names must be lowercase; the path already URI-encoded.
#[derive(Debug)]
pub(super) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: &'a [u8],
}

/// Where a signature is valid: region and service.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
}

/// `x-amz-date` for now (`YYYYMMDD'T'HHMMSS'Z'`).
pub(super) fn amz_date_now() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// The `Authorization` header for `request`, signed at `amz_date` (which must also be the
/// request's `x-amz-date` header).
pub(super) fn authorization(
    credentials: &AwsCredentials,
    scope: Scope<'_>,
    amz_date: &str,
    request: &Request<'_>,
) -> String {
    let (signed_headers, canonical) = canonical_request(request);
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{credential_scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", credentials.secret_access_key.expose()).as_bytes(),
        date.as_bytes(),
    );
    for part in [scope.region, scope.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id.expose()
    )
}

/// The signed header list and the canonical request.
fn canonical_request(request: &Request<'_>) -> (String, String) {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    headers.sort();
    let signed = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let mut query: Vec<&str> = request.query.split('&').filter(|p| !p.is_empty()).collect();
    query.sort_by_key(|p| p.split_once('=').unwrap_or((p, "")));
    let canonical = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed}\n{}",
        request.method,
        request.path,
        query.join("&"),
        hex(&Sha256::digest(request.payload))
    );
    (signed, canonical)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; the error branch cannot happen.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

use crate::common::hex;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Secret;

    const SCOPE: Scope<'static> = Scope {
        region: "us-east-1",
        service: "service",
    };
    const HEADERS: [(&str, &str); 2] = [
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
    ];

    fn suite_credentials() -> AwsCredentials {
        AwsCredentials {
            access_key_id: Secret::new("AKIDEXAMPLE"),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: None,
        }
    }

    fn get(query: &str) -> Request<'_> {
        Request {
            method: "GET",
            path: "/",
            query,
            headers: &HEADERS,
            payload: b"",
        }
    }

    /// get-vanilla: `get-vanilla.creq`, the SHA-256 in `get-vanilla.sts` and `get-vanilla.authz`.
    #[test]
    fn get_vanilla() {
        let (signed, creq) = canonical_request(&get(""));
        assert_eq!(signed, "host;x-amz-date");
        assert_eq!(
            creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&Sha256::digest(creq.as_bytes())),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            authorization(&suite_credentials(), SCOPE, "20150830T123600Z", &get("")),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// get-vanilla-query-order-key-case: parameters are sorted before signing.
    #[test]
    fn get_vanilla_query_order_key_case() {
        let authz = authorization(
            &suite_credentials(),
            SCOPE,
            "20150830T123600Z",
            &get("Param2=value2&Param1=value1"),
        );
        assert!(
            authz.ends_with(
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
            ),
            "{authz}"
        );
    }
}
