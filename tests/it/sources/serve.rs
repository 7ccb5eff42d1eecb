//! One fixture of every source, posted to the real `regrelay serve` binary with the headers its
//! sender really sends, and what reached the webhook target: the path a user's deployment takes.

use std::time::Duration;

use regrelay_tests::process::ServeProcess;
use regrelay_tests::{Receiver, client, fixture, webhook_config};
use serde_json::json;

/// `(fixture, headers, registry_kind, action)` per source.
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
);

fn cases() -> Vec<Case> {
    let json = ("content-type", "application/json");
    vec![
        (
            "seeds/event_grid.image_pushed.de.json",
            vec![
                json,
                ("aeg-event-type", "Notification"),
                ("aeg-delivery-count", "0"),
            ],
            "acr",
            "push",
        ),
        (
            "seeds/cloudevents.image_deleted.fr.json",
            vec![
                (
                    "content-type",
                    "application/cloudevents+json; charset=utf-8",
                ),
                ("aeg-event-type", "Notification"),
            ],
            "acr",
            "delete",
        ),
        (
            "ecr/image_action.push.json",
            vec![
                ("content-type", "application/json; charset=utf-8"),
                ("user-agent", "Amazon/EventBridge/ApiDestinations"),
                ("range", "bytes=0-1048575"),
            ],
            "ecr",
            "push",
        ),
        (
            "ecr/inspector2_scan.json",
            vec![
                ("content-type", "application/json; charset=utf-8"),
                ("user-agent", "Amazon/EventBridge/ApiDestinations"),
            ],
            "ecr",
            "scan",
        ),
        (
            "harbor/default.scanning_completed.json",
            vec![json, ("user-agent", "Go-http-client/1.1")],
            "harbor",
            "scan",
        ),
        (
            "harbor/cloudevents.quota_exceeded.json",
            vec![
                ("content-type", "application/cloudevents+json"),
                ("user-agent", "Go-http-client/1.1"),
            ],
            "harbor",
            "quota",
        ),
        (
            "distribution/v2.manifest_pull.json",
            vec![(
                "content-type",
                "application/vnd.docker.distribution.events.v1+json",
            )],
            "distribution",
            "pull",
        ),
        ("docker_hub/push.json", vec![json], "docker_hub", "push"),
        (
            "acr_webhook/chart_push.json",
            vec![json, ("user-agent", "AzureContainerRegistry/1.0")],
            "acr",
            "chart_push",
        ),
        (
            "alibaba/eventbridge.build_completed.json",
            vec![json],
            "alibaba",
            "build",
        ),
        ("alibaba/webhook.push.json", vec![json], "alibaba", "push"),
    ]
}

#[tokio::test]
async fn every_source_through_the_serve_binary() {
    let sink = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("regrelay.toml");
    let toml = format!(
        "[inbound]\nsns_verify_signatures = false\nsns_topics = [\"arn:aws:sns:*:123456789012:ecr\"]\n\n[store]\nkind = \"sqlite\"\npath = \"{}\"\n{}",
        dir.path().join("regrelay.db").display(),
        webhook_config(&sink.url("/hook"))
    );
    std::fs::write(&config, toml).unwrap();
    let server = ServeProcess::start(config).await;
    let http = client();

    let mut expected = Vec::new();
    for (name, headers, kind, action) in cases() {
        let mut request = http
            .post(server.url())
            .timeout(Duration::from_secs(10))
            .body(fixture(name));
        for (header, value) in headers {
            request = request.header(header, value);
        }
        let reply = request.send().await.unwrap();
        assert_eq!(
            reply.status(),
            200,
            "{name}: {}",
            reply.text().await.unwrap()
        );
        expected.push((kind.to_owned(), action.to_owned()));
    }
    // SNS over HTTP (signature checks are covered in `sns`): text/plain, its own headers.
    let notification = json!({
        "Type": "Notification", "MessageId": "n-serve", "TopicArn": "arn:aws:sns:us-west-2:123456789012:ecr",
        "Message": String::from_utf8(fixture("ecr/image_action.delete.json")).unwrap(),
        "Timestamp": chrono::Utc::now().to_rfc3339(),
    });
    let reply = http
        .post(server.url())
        .header("content-type", "text/plain; charset=UTF-8")
        .header("x-amz-sns-message-type", "Notification")
        .header(
            "x-amz-sns-topic-arn",
            "arn:aws:sns:us-west-2:123456789012:ecr",
        )
        .header("user-agent", "Amazon Simple Notification Service Agent")
        .body(notification.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    expected.push(("ecr".into(), "delete".into()));

    // Queued (the SQLite store's default): the worker delivers in its own order.
    let mut got: Vec<(String, String)> = sink
        .wait_for(expected.len())
        .await
        .iter()
        .map(|r| {
            let event = r.json();
            let text = |k: &str| event[k].as_str().unwrap_or_default().to_owned();
            (text("registry_kind"), text("action"))
        })
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}
