//! Every inbound source end to end through the real HTTP app: each fixture posted with the
//! headers its sender really uses, and what the webhook receiver got. SNS: signed with the test
//! key under `tests/fixtures/sns`, certificate and confirmation served by loopback receivers.

use regrelay_core::testing::lenient;
use regrelay_tests::{App, Receiver, Scripted, client, fixture, webhook_config};
use serde_json::Value;

mod alibaba;
mod serve;
mod sns;

pub(super) async fn post(app: &App, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
    let mut request = client().post(app.url("/api/events")).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

/// A loopback host that serves the test signing certificate (`sns/signing_cert.pem`, whose key
/// is `sns/signing_key.pk8.der`) up to `times` times.
pub(super) async fn cert_server(times: usize) -> Receiver {
    let pem = String::from_utf8(fixture("sns/signing_cert.pem")).unwrap();
    Receiver::scripted(vec![
        Scripted {
            body: pem,
            ..Scripted::status(200)
        };
        times
    ])
    .await
}

/// Posts a fixture with headers, expects 200, returns what the sink received.
async fn deliver(fixture_name: &str, headers: &[(&str, &str)], expected: usize) -> Vec<Value> {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let (status, body) = post(&app, headers, fixture(fixture_name)).await;
    assert_eq!(status, 200, "{fixture_name}: {body}");
    let got = sink.wait_for(expected).await;
    assert_eq!(got.len(), expected, "{fixture_name}: {body}");
    got.iter().map(|r| r.json()).collect()
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn ecr_through_an_api_destination() {
    let got = deliver(
        "ecr/image_action.push.json",
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("user-agent", "Amazon/EventBridge/ApiDestinations"),
        ],
        1,
    )
    .await;
    assert_eq!(
        got[0]["registry"],
        "123456789012.dkr.ecr.us-west-2.amazonaws.com"
    );
    assert_eq!(
        (got[0]["action"].as_str(), got[0]["outcome"].as_str()),
        (Some("push"), Some("succeeded"))
    );
    assert_eq!(got[0]["schema"], "eventbridge");
}

#[tokio::test]
async fn ecr_as_a_direct_lambda_invocation() {
    let sink = Receiver::start().await;
    let config = regrelay_core::Config::from_toml(
        &webhook_config(&sink.url("/hook")),
        &regrelay_core::ProcessEnv,
    )
    .unwrap();
    let pipeline = regrelay_core::Pipeline::new(config).unwrap();
    let payload = String::from_utf8(fixture("ecr/image_scan.json")).unwrap();
    let request = lambda_http::request::from_str(&payload).expect("pass-through");
    let response = regrelay_lambda::handler(pipeline, request).await.unwrap();
    assert_eq!(response.status(), 200);
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].json()["scan"]["severities"]["critical"], 10);
}

#[tokio::test]
async fn harbor_default_and_cloudevents_formats() {
    let got = deliver(
        "harbor/default.push_by_digest.json",
        &[JSON, ("authorization", "Bearer x")],
        1,
    )
    .await;
    assert_eq!(
        got[0]["tag"],
        Value::Null,
        "the digest Harbor put in tag moved to digest"
    );
    assert_eq!(
        got[0]["digest"],
        "sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8"
    );
    // The docs' CloudEvents sample carries `//` comments; Harbor itself sends strict JSON.
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let cloudevents = ("content-type", "application/cloudevents+json");
    let pushed = lenient::repair(
        &String::from_utf8(fixture("harbor/cloudevents.artifact_pushed.json")).unwrap(),
    );
    let (status, body) = post(&app, &[cloudevents], pushed.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    for name in [
        "harbor/cloudevents.quota_exceeded.json",
        "harbor/cloudevents.replication_status_changed.json",
    ] {
        let (status, body) = post(&app, &[cloudevents], fixture(name)).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    // The tagless push (by digest, no media type) is held for its push's tagged event and, none
    // coming, delivered alone after the coalescing window: it arrives last.
    let got: Vec<Value> = sink.wait_for(3).await.iter().map(|r| r.json()).collect();
    let mut summary: Vec<_> = got
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().map(str::to_owned),
                e["repository"].as_str().map(str::to_owned),
                e["registry_kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    summary.sort();
    let own = |s: &str| Some(s.to_owned());
    assert_eq!(
        summary,
        [
            ("push".into(), None, own("harbor/alpine"), "harbor".into()),
            (
                "quota".into(),
                own("denied"),
                own("harbor/alpine"),
                "harbor".into()
            ),
            (
                "replication".into(),
                own("succeeded"),
                own("harbor/alpine"),
                "harbor".into()
            ),
        ]
    );
    let pushed = got.iter().find(|e| e["action"] == "push").unwrap();
    assert_eq!(pushed["actor"], "harbor-jobservice");
    assert_eq!(pushed["tag"], Value::Null, "pushed by digest");
}

#[tokio::test]
async fn distribution_envelope_delivers_manifests_not_layers() {
    let got = deliver(
        "distribution/v2.push_with_layers.json",
        &[
            (
                "content-type",
                "application/vnd.docker.distribution.events.v2+json",
            ),
            ("user-agent", "Go-http-client/1.1"),
        ],
        1,
    )
    .await;
    assert_eq!(got[0]["id"], "asdf-asdf-asdf-asdf-0");
    let got = deliver(
        "distribution/v2.manifest_pull.json",
        &[(
            "content-type",
            "application/vnd.docker.distribution.events.v1+json",
        )],
        1,
    )
    .await;
    assert_eq!(got[0]["action"], "pull");
}

#[tokio::test]
async fn docker_hub_acr_webhook_and_alibaba_classic() {
    let got = deliver("docker_hub/push.json", &[JSON], 1).await;
    assert_eq!(
        (got[0]["repository"].as_str(), got[0]["registry"].as_str()),
        (Some("svendowideit/testhook"), Some("docker.io"))
    );
    let got = deliver("acr_webhook/push.json", &[JSON], 1).await;
    assert_eq!(got[0]["type"], "Microsoft.ContainerRegistry.ImagePushed");
    let got = deliver("alibaba/webhook.push.json", &[JSON], 1).await;
    assert_eq!(got[0]["time"], "2016-11-29T12:25:46Z");
}

#[tokio::test]
async fn rules_scope_and_tag_regex_work_on_harbor_and_ecr_events() {
    let sink = Receiver::start().await;
    let config = format!(
        r#"
[[targets]]
name = "sink"
type = "webhook"
url = "{}"

[[rules]]
name = "harbor-project"
scope = {{ namespace = "test-webhook", repository = "debian" }}
tag_regex = "v[0-9]+\\.[0-9]+\\.[0-9]+"
targets = ["sink"]

[[rules]]
name = "ecr-team"
scope = {{ instance = "123456789012", namespace = "team" }}
targets = ["sink"]
"#,
        sink.url("/hook")
    );
    let app = App::start(&config).await;
    let tagged = String::from_utf8(fixture("harbor/default.push_artifact.json"))
        .unwrap()
        .replace("latest", "v1.2.3");
    let (status, body) = post(
        &app,
        &[("content-type", "application/json")],
        tagged.into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for (name, content_type) in [
        ("harbor/default.push_artifact.json", "application/json"),
        (
            "ecr/quirks.untagged_push_team_repo.json",
            "application/json",
        ),
        ("ecr/image_action.push.json", "application/json"),
    ] {
        let (status, body) = post(&app, &[("content-type", content_type)], fixture(name)).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    let got: Vec<(String, String)> = sink
        .wait_for(2)
        .await
        .iter()
        .map(|r| {
            let event = r.json();
            let text = |key: &str| event[key].as_str().unwrap_or("-").to_owned();
            (text("repository"), text("tag"))
        })
        .collect();
    assert_eq!(
        got,
        [
            ("test-webhook/debian".to_owned(), "v1.2.3".to_owned()),
            ("team/app".to_owned(), "-".to_owned())
        ],
        "v1.2.3 matches the tag expression, latest does not; team/app is in namespace team, my-repository-name is not"
    );
}

#[tokio::test]
async fn an_unknown_shape_names_what_is_accepted() {
    let app = App::start(&webhook_config("http://127.0.0.1:9/unused")).await;
    let (status, body) = post(&app, &[JSON], br#"{"hello":"world"}"#.to_vec()).await;
    assert_eq!(status, 400);
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("EventBridge") && error.contains("Harbor") && error.contains("Distribution"),
        "{error}"
    );
}
