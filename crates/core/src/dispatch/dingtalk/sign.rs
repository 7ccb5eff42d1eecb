//! DingTalk's "sign" (加签) security setting: `timestamp` (milliseconds) and
//! `sign = urlencode(base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" + secret)))`
//! appended to the robot URL as query parameters.

use crate::common::Secret;
use crate::dispatch::mac::hmac_sha256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The Base64 signature of `timestamp_ms` (not yet URL-encoded).
pub fn signature(secret: &Secret, timestamp_ms: i64) -> String {
    let to_sign = format!("{timestamp_ms}\n{}", secret.expose());
    STANDARD.encode(hmac_sha256(secret.expose().as_bytes(), to_sign.as_bytes()))
}

/// `url` with `timestamp` and `sign` appended (form-URL-encoded, as DingTalk's own clients do).
pub fn signed_url(url: &reqwest::Url, secret: &Secret, timestamp_ms: i64) -> reqwest::Url {
    let mut url = url.clone();
    url.query_pairs_mut()
        .append_pair("timestamp", &timestamp_ms.to_string())
        .append_pair("sign", &signature(secret, timestamp_ms));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_dingtalk_clients() {
        // Computed independently: printf '1700000000000\nSECtest' | openssl dgst -sha256 -hmac SECtest -binary | base64
        let secret = Secret::new("SECtest");
        let url =
            reqwest::Url::parse("https://oapi.dingtalk.com/robot/send?access_token=t").unwrap();
        let signed = signed_url(&url, &secret, 1_700_000_000_000);
        let sign = signature(&secret, 1_700_000_000_000);
        assert_eq!(sign, EXPECTED);
        let query = signed.query().unwrap();
        assert!(
            query.starts_with("access_token=t&timestamp=1700000000000&sign="),
            "{query}"
        );
        assert!(
            query.ends_with("&sign=aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D"),
            "{query}"
        );
    }

    const EXPECTED: &str = "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=";
}
