//! Amazon SNS over HTTP: the subscription confirmation reaches a loopback "SNS", forged or
//! foreign-host messages get 403, a signed notification is unwrapped and delivered, and the
//! signing certificate is fetched once.

use base64::Engine;
use regrelay_tests::{App, Receiver, Scripted, fixture, webhook_config};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

use super::{cert_server, post};

/// Signs an SNS message with SignatureVersion 2 (ring signs no SHA-1; version 1 is covered by a
/// unit test on an openssl-made signature). The canonical string is written out here,
/// independently of the code under test.
fn sign_sns(mut message: Value) -> Value {
    let fields: &[&str] = if message["Type"] == "Notification" {
        &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]
    } else {
        &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]
    };
    let mut canonical = String::new();
    for field in fields {
        if let Some(value) = message[*field].as_str() {
            canonical.push_str(&format!("{field}\n{value}\n"));
        }
    }
    let key = RsaKeyPair::from_pkcs8(&fixture("sns/signing_key.pk8.der")).unwrap();
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        canonical.as_bytes(),
        &mut signature,
    )
    .unwrap();
    message["SignatureVersion"] = json!("2");
    message["Signature"] = json!(base64::engine::general_purpose::STANDARD.encode(signature));
    message
}

/// The topics these tests' messages come from (any region, one account).
const TOPICS: &str =
    "sns_topics = [\"arn:aws:sns:*:123456789012:ecr\", \"arn:aws:sns:*:123456789012:ecr-events\"]";

/// RFC 3339 time `offset_secs` from now, as SNS writes `Timestamp`.
fn now(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn sns_headers(kind: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "text/plain; charset=UTF-8".into()),
        ("x-amz-sns-message-type", kind.into()),
        ("x-amz-sns-message-id", "m".into()),
        (
            "x-amz-sns-topic-arn",
            "arn:aws:sns:us-west-2:123456789012:ecr".into(),
        ),
        (
            "user-agent",
            "Amazon Simple Notification Service Agent".into(),
        ),
    ]
}

async fn post_sns(app: &App, kind: &str, message: &Value) -> (u16, Value) {
    let owned = sns_headers(kind);
    let refs: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (*n, v.as_str())).collect();
    post(app, &refs, message.to_string().into_bytes()).await
}

#[tokio::test]
async fn sns_confirmation_signature_and_notification() {
    let certs = cert_server(12).await;
    let confirm = Receiver::start().await;
    let sink = Receiver::start().await;
    let app = App::start(&format!(
        "[inbound]\nsns_allowed_hosts = [\"127.0.0.1\"]\n{TOPICS}\n{}",
        webhook_config(&sink.url("/hook"))
    ))
    .await;
    let cert_url = certs.url("/SimpleNotificationService-test.pem");
    let confirmation = json!({
        "Type": "SubscriptionConfirmation", "MessageId": "c1", "Token": "t0k",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:ecr",
        "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:ecr.",
        "SubscribeURL": confirm.url("/?Action=ConfirmSubscription&Token=t0k"),
        "Timestamp": now(0), "SigningCertURL": cert_url,
    });
    let (status, body) = post_sns(
        &app,
        "SubscriptionConfirmation",
        &sign_sns(confirmation.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        confirm.received()[0].uri,
        "/?Action=ConfirmSubscription&Token=t0k"
    );

    let mut forged = sign_sns(confirmation.clone());
    forged["Token"] = json!("other");
    let (status, _) = post_sns(&app, "SubscriptionConfirmation", &forged).await;
    assert_eq!(status, 403, "a changed field breaks the signature");
    let mut elsewhere = confirmation.clone();
    elsewhere["SubscribeURL"] = json!("https://evil.example.com/confirm");
    let (status, _) = post_sns(&app, "SubscriptionConfirmation", &sign_sns(elsewhere)).await;
    assert_eq!(status, 403, "SubscribeURL host is not allowlisted");
    assert_eq!(confirm.received().len(), 1);

    let ecr = String::from_utf8(fixture("ecr/image_action.delete.json")).unwrap();
    let notification = json!({
        "Type": "Notification", "MessageId": "n1", "TopicArn": "arn:aws:sns:us-west-2:123456789012:ecr",
        "Message": ecr, "Timestamp": now(0), "SigningCertURL": cert_url,
        "UnsubscribeURL": confirm.url("/?Action=Unsubscribe"),
    });
    let (status, body) = post_sns(&app, "Notification", &sign_sns(notification.clone())).await;
    assert_eq!(status, 200, "{body}");
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].json()["id"], "dd3b46cb-2c74-f49e-393b-28286b67279d");
    assert_eq!(got[0].json()["action"], "delete");
    let mut unsigned = notification.clone();
    unsigned["SignatureVersion"] = json!("1");
    unsigned["Signature"] = json!("bm90IGEgc2lnbmF0dXJl");
    let (status, _) = post_sns(&app, "Notification", &unsigned).await;
    assert_eq!(status, 403);
    assert_eq!(
        certs.received().len(),
        1,
        "the certificate is fetched once and cached"
    );

    let mut foreign = notification.clone();
    foreign["TopicArn"] = json!("arn:aws:sns:us-west-2:999999999999:ecr");
    foreign["MessageId"] = json!("n-foreign");
    let (status, body) = post_sns(&app, "Notification", &sign_sns(foreign)).await;
    assert_eq!(
        status, 403,
        "a validly signed message of another topic: {body}"
    );
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("inbound.sns_topics"),
        "{body}"
    );
    let mut replayed = notification.clone();
    replayed["Timestamp"] = json!(now(-2 * 3600));
    replayed["MessageId"] = json!("n-old");
    let (status, body) = post_sns(&app, "Notification", &sign_sns(replayed)).await;
    assert_eq!(status, 403, "a message two hours old: {body}");
    assert_eq!(sink.received().len(), 1, "nothing refused was delivered");

    // A certificate is cached only once it verified a signature: forged messages naming a new
    // certificate URL make it fetched each time, and never fill the cache.
    let before = certs.received().len();
    for n in 0..2 {
        let mut forged = sign_sns(notification.clone());
        forged["SigningCertURL"] = json!(certs.url(&format!("/forged-{n}.pem")));
        forged["Message"] = json!("{\"tampered\": true}");
        let (status, _) = post_sns(&app, "Notification", &forged).await;
        assert_eq!(status, 403);
        let (status, _) = post_sns(&app, "Notification", &forged).await;
        assert_eq!(status, 403);
    }
    assert_eq!(
        certs.received().len(),
        before + 4,
        "unverified certificates are fetched again, not cached"
    );
}

/// Without `inbound.sns_topics` no SNS message is accepted and no subscription is confirmed.
#[tokio::test]
async fn sns_needs_a_topic_allowlist() {
    let confirm = Receiver::start().await;
    let sink = Receiver::start().await;
    let app = App::start(&format!(
        "[inbound]\nsns_allowed_hosts = [\"127.0.0.1\"]\n{}",
        webhook_config(&sink.url("/hook"))
    ))
    .await;
    let confirmation = json!({
        "Type": "SubscriptionConfirmation", "MessageId": "c9", "Token": "t0k",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:ecr", "Message": "subscribe",
        "SubscribeURL": confirm.url("/?Action=ConfirmSubscription&Token=t0k"),
        "Timestamp": now(0), "SigningCertURL": confirm.url("/cert.pem"),
    });
    let (status, body) = post_sns(&app, "SubscriptionConfirmation", &sign_sns(confirmation)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        confirm.received().is_empty(),
        "nothing is fetched, nothing confirmed"
    );
}

/// SNS invoking the Lambda function directly: `lambda_http` hands the `Records` envelope over
/// through pass-through; the record's message is verified like an HTTP one and delivered.
#[tokio::test]
async fn sns_records_invoking_lambda_directly() {
    use lambda_http::request::from_str;
    use regrelay_core::Pipeline;
    use regrelay_core::{Config, ProcessEnv};

    let certs = cert_server(4).await;
    let sink = Receiver::start().await;
    let toml = format!(
        "[inbound]\nsecret = \"lambda-secret\"\nsns_allowed_hosts = [\"127.0.0.1\"]\n{TOPICS}\n{}",
        webhook_config(&sink.url("/hook"))
    );
    let pipeline = Pipeline::new(Config::from_toml(&toml, &ProcessEnv).unwrap()).unwrap();
    let ecr = String::from_utf8(fixture("ecr/image_action.push.json")).unwrap();
    let message = sign_sns(json!({
        "Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ecr-events", "Subject": null,
        "Message": ecr, "Timestamp": now(0),
        "SigningCertUrl": certs.url("/SimpleNotificationService-test.pem"),
        "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
        "MessageAttributes": {},
    }));
    let record = |sns: &Value| {
        json!({"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:ecr-events:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
            "Sns": sns,
        }]})
        .to_string()
    };

    let request = from_str(&record(&message)).expect("pass-through");
    let response = regrelay_lambda::handler(pipeline.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].json()["action"], "push");
    assert_eq!(got[0].json()["tag"], "latest");

    let mut forged = message.clone();
    forged["Message"] = json!(ecr.replace("latest", "evil"));
    let request = from_str(&record(&forged)).expect("pass-through");
    let response = regrelay_lambda::handler(pipeline, request).await.unwrap();
    assert_eq!(
        response.status(),
        403,
        "a changed message breaks the signature"
    );
    assert_eq!(sink.received().len(), 1);
}

/// The published SNS → Lambda samples are recognized, with either spelling of the URL fields.
#[test]
fn published_lambda_sns_events_are_recognized() {
    use regrelay_core::testing::sns::LambdaSnsEvent;
    for name in [
        "sns/lambda.aws-lambda-go.json",
        "sns/lambda.aws-lambda-rust-runtime.json",
        "sns/lambda.awsdocs.json",
    ] {
        let body = fixture(name);
        let event = LambdaSnsEvent::detect(&body).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(event.records.len(), 1, "{name}");
        let sns = &event.records[0].sns;
        assert!(
            sns.message.as_deref().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        assert!(sns.signing_cert_url.is_some(), "{name}: either spelling");
        assert_eq!(sns.signature_version.as_deref(), Some("1"), "{name}");
    }
    let other = br#"{"Records":[{"eventSource":"aws:s3","s3":{}}]}"#;
    assert!(
        LambdaSnsEvent::detect(other).is_none(),
        "S3 records are not SNS"
    );
}

/// A certificate that cannot be fetched is the receiver's problem, not the message's: 503, so SNS
/// retries, and nothing is delivered meanwhile.
#[tokio::test]
async fn an_unreachable_certificate_asks_sns_to_retry() {
    let certs = Receiver::scripted(vec![Scripted::status(500); 2]).await;
    let sink = Receiver::start().await;
    let app = App::start(&format!(
        "[inbound]\nsns_allowed_hosts = [\"127.0.0.1\"]\n{TOPICS}\n{}",
        webhook_config(&sink.url("/hook"))
    ))
    .await;
    let notification = json!({
        "Type": "Notification", "MessageId": "n2", "TopicArn": "arn:aws:sns:us-west-2:123456789012:ecr",
        "Message": String::from_utf8(fixture("ecr/image_action.push.json")).unwrap(),
        "Timestamp": now(0),
        "SigningCertURL": certs.url("/SimpleNotificationService-down.pem"),
    });
    let (status, body) = post_sns(&app, "Notification", &sign_sns(notification)).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("certificate"),
        "{body}"
    );
    assert!(sink.received().is_empty());
}
