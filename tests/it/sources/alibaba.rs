//! Alibaba Cloud EventBridge HTTP target signatures, end to end: the certificate comes from a
//! loopback "OSS" host, the temporary secret was encrypted with the matching private key by
//! `openssl pkeyutl -sign` (`tests/fixtures/alibaba/signature_secret.b64`), and the string-to-sign
//! is written out here from Alibaba's description, independently of the code under test.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use regrelay_tests::{App, Receiver, fixture, webhook_config};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use super::{cert_server, post};

/// The secret inside `signature_secret.b64`.
const SECRET: &[u8] = b"regrelay-temporary-secret-0001";
const TOKEN: &str = "target-t0ken";

struct Signer {
    url: String,
    cert_url: String,
    secret_b64: String,
    /// The secret the HMAC is keyed with (what `secret_b64` decrypts to).
    secret: Vec<u8>,
}

/// How a request is signed: which layout variant, and what to send.
#[derive(Clone, Copy)]
struct Variant {
    trailing_newline: bool,
    age_ms: i64,
    token: &'static str,
}

const SDK: Variant = Variant {
    trailing_newline: true,
    age_ms: 0,
    token: TOKEN,
};

impl Signer {
    fn string_to_sign(
        &self,
        second: (&str, &str),
        ts: &str,
        token: &str,
        body: &[u8],
        nl: bool,
    ) -> Vec<u8> {
        let mut text = format!(
            "{}\nx-eventbridge-signature-timestamp: {ts}\n{}: {}\nx-eventbridge-signature-version: 1.0\nx-eventbridge-signature-url: {}\nx-eventbridge-signature-token: {token}\n",
            self.url, second.0, second.1, self.cert_url
        )
        .into_bytes();
        text.extend_from_slice(body);
        if nl {
            text.push(b'\n');
        }
        text
    }

    /// Version 1 headers: HMAC-SHA1 under the temporary secret.
    fn v1(&self, body: &[u8], variant: Variant) -> Vec<(&'static str, String)> {
        let ts = (chrono::Utc::now().timestamp_millis() - variant.age_ms).to_string();
        let text = self.string_to_sign(
            ("x-eventbridge-signature-method", "HMAC-SHA1"),
            &ts,
            variant.token,
            body,
            variant.trailing_newline,
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.secret);
        let signature = STANDARD.encode(ring::hmac::sign(&key, &text));
        let mut headers = self.common(&ts, variant.token);
        headers.push(("x-eventbridge-signature", signature));
        headers.push(("x-eventbridge-signature-method", "HMAC-SHA1".into()));
        headers.push(("x-eventbridge-signature-secret", self.secret_b64.clone()));
        headers
    }

    /// Version 2 headers: RSA-SHA256 with the certificate's private key.
    fn v2(&self, body: &[u8]) -> Vec<(&'static str, String)> {
        let ts = chrono::Utc::now().timestamp_millis().to_string();
        let text = self.string_to_sign(
            ("x-eventbridge-hash-method", "SHA256"),
            &ts,
            TOKEN,
            body,
            false,
        );
        let key = RsaKeyPair::from_pkcs8(&fixture("sns/signing_key.pk8.der")).unwrap();
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            &text,
            &mut signature,
        )
        .unwrap();
        let mut headers = self.common(&ts, TOKEN);
        headers.push(("x-eventbridge-signature-v2", STANDARD.encode(signature)));
        headers.push(("x-eventbridge-hash-method", "SHA256".into()));
        headers
    }

    fn common(&self, ts: &str, token: &str) -> Vec<(&'static str, String)> {
        vec![
            ("content-type", "application/json".into()),
            ("x-eventbridge-signature-timestamp", ts.into()),
            ("x-eventbridge-signature-version", "1.0".into()),
            ("x-eventbridge-signature-url", self.cert_url.clone()),
            ("x-eventbridge-signature-token", token.into()),
        ]
    }
}

async fn send(app: &App, headers: &[(&'static str, String)], body: &[u8]) -> u16 {
    let refs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let (status, reply) = post(app, &refs, body.to_vec()).await;
    assert!(reply.is_object(), "every reply is a JSON body: {reply}");
    status
}

#[tokio::test]
async fn eventbridge_signatures_are_verified_with_the_recovered_secret() {
    let oss = cert_server(4).await;
    let sink = Receiver::start().await;
    let app = App::start(&format!(
        "[inbound]\nalibaba_verify_signatures = true\nalibaba_cert_hosts = [\"127.0.0.1\"]\nalibaba_signature_token = \"{TOKEN}\"\n{}",
        webhook_config(&sink.url("/hook"))
    ))
    .await;
    let signer = Signer {
        url: format!("https://{}/api/events", app.addr),
        cert_url: oss.url("/x509_public_certificate_test.pem"),
        secret_b64: String::from_utf8(fixture("alibaba/signature_secret.b64")).unwrap(),
        secret: SECRET.to_vec(),
    };
    let build = fixture("alibaba/eventbridge.build_completed.json");
    let scan = fixture("alibaba/eventbridge.scan_completed.assembled.json");
    let sync = fixture("alibaba/eventbridge.sync_completed.assumed.json");

    assert_eq!(
        send(&app, &signer.v1(&build, SDK), &build).await,
        200,
        "SDK layout"
    );
    let doc_layout = Variant {
        trailing_newline: false,
        ..SDK
    };
    assert_eq!(
        send(&app, &signer.v1(&scan, doc_layout), &scan).await,
        200,
        "doc layout"
    );
    assert_eq!(send(&app, &signer.v2(&sync), &sync).await, 200, "version 2");
    let got = sink.wait_for(3).await;
    let actions: Vec<_> = got.iter().map(|r| r.json()["action"].clone()).collect();
    assert_eq!(actions, ["build", "scan", "sync"]);

    let mut tampered = build.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        send(&app, &signer.v1(&build, SDK), &tampered).await,
        403,
        "body changed"
    );
    let stale = Variant {
        age_ms: 120_000,
        ..SDK
    };
    assert_eq!(
        send(&app, &signer.v1(&build, stale), &build).await,
        403,
        "too old"
    );
    let other_token = Variant {
        token: "someone-elses",
        ..SDK
    };
    assert_eq!(
        send(&app, &signer.v1(&build, other_token), &build).await,
        403,
        "signed, but not with this target's token"
    );
    let foreign = Signer {
        cert_url:
            "https://evil-eventbridge.oss-accelerate.aliyuncs.com/x509_public_certificate.pem"
                .into(),
        ..signer
    };
    assert_eq!(
        send(&app, &foreign.v1(&build, SDK), &build).await,
        403,
        "certificate host"
    );
    let unsigned = [("content-type", "application/json".to_owned())];
    assert_eq!(
        send(&app, &unsigned, &build).await,
        403,
        "Alibaba events must be signed"
    );
    let ecr = fixture("ecr/image_action.push.json");
    assert_eq!(
        send(&app, &unsigned, &ecr).await,
        200,
        "other senders are not affected"
    );
    assert_eq!(sink.wait_for(4).await.len(), 4);
    assert_eq!(oss.received().len(), 1, "the certificate is fetched once");
}

/// The forgery the strict unpadding stops: a ciphertext found with the public key alone
/// (`scripts/fixtures/forge-alibaba-secret.py`) that decrypts to a PKCS#1 block of type 2, whose
/// message the forger knows and keys the HMAC with.
#[tokio::test]
async fn a_secret_forged_with_the_public_key_is_refused() {
    let oss = cert_server(2).await;
    let sink = Receiver::start().await;
    let app = App::start(&format!(
        "[inbound]\nalibaba_verify_signatures = true\nalibaba_cert_hosts = [\"127.0.0.1\"]\n{}",
        webhook_config(&sink.url("/hook"))
    ))
    .await;
    let forged: serde_json::Value =
        serde_json::from_slice(&fixture("forged/alibaba_secret.json")).unwrap();
    let hex = forged["secret_hex"].as_str().unwrap();
    let secret = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let forger = Signer {
        url: format!("https://{}/api/events", app.addr),
        cert_url: oss.url("/x509_public_certificate_test.pem"),
        secret_b64: forged["ciphertext_b64"].as_str().unwrap().to_owned(),
        secret,
    };
    let build = fixture("alibaba/eventbridge.build_completed.json");
    assert_eq!(
        send(&app, &forger.v1(&build, SDK), &build).await,
        403,
        "a type-2 block is no EventBridge secret"
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(sink.received().is_empty(), "nothing forged is delivered");
}

#[tokio::test]
async fn without_verification_alibaba_events_are_accepted_as_sent() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let build = fixture("alibaba/eventbridge.build_completed.json");
    let status = send(
        &app,
        &[("content-type", "application/json".to_owned())],
        &build,
    )
    .await;
    assert_eq!(status, 200);
    let got = sink.wait_for(1).await;
    assert_eq!(
        (
            got[0].json()["action"].as_str(),
            got[0].json()["outcome"].as_str()
        ),
        (Some("build"), Some("succeeded"))
    );
}

#[test]
fn verification_needs_regions_or_hosts() {
    let error = regrelay_core::Config::from_toml(
        "[inbound]\nalibaba_verify_signatures = true\n",
        &regrelay_core::ProcessEnv,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("inbound.alibaba_regions"),
        "{error}"
    );
}
