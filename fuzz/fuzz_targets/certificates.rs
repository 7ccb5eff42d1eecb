//! Certificate parsing: PEM text and DER bytes, as fetched from a signing-certificate URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regrelay_core::testing::signing;

fuzz_target!(|data: &[u8]| {
    let _ = signing::rsa_key_from_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = signing::rsa_key_from_pem(text);
    }
});
