//! Signature verification inputs: Alibaba EventBridge requests (every signature header, the
//! body, the URL) checked against the test certificate's key, raw RSA keys and ciphertexts, and
//! SNS messages verified with the same key. Nothing here may panic, and nothing random verifies.
#![no_main]

use std::sync::OnceLock;

use http::{HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use regrelay_core::InboundRequest;
use regrelay_core::testing::alibaba::{self, rsa};
use regrelay_core::testing::signing;

const CERT: &str = include_str!("../../tests/fixtures/sns/signing_cert.pem");

/// The headers the fuzzer's lines fill, in order.
const HEADERS: [&str; 9] = [
    alibaba::HEADER_SIGNATURE,
    alibaba::HEADER_SECRET,
    alibaba::HEADER_TIMESTAMP,
    alibaba::HEADER_METHOD,
    alibaba::HEADER_VERSION,
    alibaba::HEADER_CERT_URL,
    alibaba::HEADER_TOKEN,
    alibaba::HEADER_SIGNATURE_V2,
    "x-forwarded-host",
];

/// The test certificate's key, and the same key parsed for the raw operation.
fn keys() -> &'static (Vec<u8>, rsa::PublicKey) {
    static KEYS: OnceLock<(Vec<u8>, rsa::PublicKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let der = signing::rsa_key_from_pem(CERT).expect("test certificate");
        let public = rsa::PublicKey::from_pkcs1_der(&der).expect("test key");
        (der, public)
    })
}

fuzz_target!(|data: &[u8]| {
    let (key, public) = keys();
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let mut request = InboundRequest::new(Method::POST, "/api/events");
    for name in HEADERS {
        let Some(value) = lines.next() else { break };
        if let Ok(value) = HeaderValue::from_str(value) {
            request.headers.insert(HeaderName::from_static(name), value);
        }
    }
    request.body = lines.collect::<Vec<_>>().join("\n").into();
    for trust in [false, true] {
        assert!(alibaba::verify_with_key(&request, key, trust).is_err());
    }
    if let Some(other) = rsa::PublicKey::from_pkcs1_der(data) {
        let _ = rsa::recover(&other, data);
    }
    let _ = rsa::recover(public, data);
    let _ = rsa::unpad_type1(data);
    assert!(signing::verify_rsa(key, true, data, &text).is_err());
    assert!(signing::verify_rsa(key, false, data, &text).is_err());
    let _ = signing::url_allowed(&text, &["sns.{region}.amazonaws.com".to_owned()]);
});
