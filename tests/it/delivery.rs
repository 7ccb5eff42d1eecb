//! Fan-out over real HTTP: events reach loopback receivers; senders get 200, 5xx, 400, 413 or 415
//! as their retry rules need; the ledger keeps retries from sending twice.

use regrelay_core::DeliveryState;
use regrelay_tests::{App, Receiver, Scripted, client, fixture, webhook_config};
use serde_json::Value;

async fn post(app: &App, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let reply = client()
        .post(app.url("/api/events"))
        .header("content-type", content_type)
        .header("aeg-event-type", "Notification")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pushed_event_reaches_the_webhook_in_both_schemas() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let (status, _) = post(
        &app,
        "application/json",
        fixture("seeds/event_grid.image_pushed.de.json"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &app,
        "application/cloudevents+json; charset=utf-8",
        fixture("cloudevents/structured.connected_registry_push.json"),
    )
    .await;
    assert_eq!(status, 200);
    let got = sink.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].headers["content-type"], "application/json");
    let first = got[0].json();
    assert_eq!(first["type"], "Microsoft.ContainerRegistry.ImagePushed");
    assert_eq!(first["repository"], "aci-helloworld");
    assert_eq!(first["registry"], "demo.azurecr.io");
    let second = got[1].json();
    assert_eq!(second["schema"], "cloudevents");
    assert_eq!(second["connected_registry"], "edge1");
}

#[tokio::test]
async fn binary_mode_cloud_event_is_accepted() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let data =
        r#"{"action":"push","target":{"repository":"team/app","tag":"v%201","digest":"sha256:1"}}"#;
    let reply = client()
        .post(app.url("/api/events"))
        .header("content-type", "application/json")
        .header("ce-specversion", "1.0")
        .header("ce-id", "bin-1")
        .header(
            "ce-source",
            "/subscriptions/s/providers/Microsoft.ContainerRegistry/registries/demo",
        )
        .header("ce-type", "Microsoft.ContainerRegistry.ImagePushed")
        .header("ce-subject", "team/app:v%201")
        .header("ce-time", "2024-05-01T08:00:00Z")
        .body(data)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let got = sink.wait_for(1).await;
    let event = got[0].json();
    assert_eq!(event["id"], "bin-1");
    assert_eq!(event["subject"], "team/app:v 1", "percent-decoded header");
    assert_eq!(event["registry"], "demo");
}

#[tokio::test]
async fn non_registry_events_and_empty_batches_are_acknowledged() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let (status, body) = post(&app, "application/cloudevents-batch+json", b"[]".to_vec()).await;
    assert_eq!(status, 200);
    assert_eq!(body["events"], 0);
    let blob = br#"[{"id":"b1","eventType":"Microsoft.Storage.BlobCreated","subject":"x","eventTime":"2024-01-01T00:00:00Z","data":{}}]"#;
    let (status, body) = post(&app, "application/json", blob.to_vec()).await;
    assert_eq!(status, 200);
    assert_eq!(body["ignored"], 1);
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn bad_input_gets_the_right_permanent_status() {
    let app = App::start(&format!(
        "[server]\nmax_body_bytes = 2048\n{}",
        webhook_config("http://127.0.0.1:9/unused")
    ))
    .await;
    let (status, body) = post(&app, "application/json", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );
    let (status, body) = post(&app, "application/json", b"[1, 2]".to_vec()).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("event[0]"),
        "{body}"
    );
    let (status, body) = post(
        &app,
        "application/json",
        br#"[{"id":"x","foo":1}]"#.to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("neither an Event Grid event"),
        "{body}"
    );
    let (status, _) = post(&app, "application/xml", b"<a/>".to_vec()).await;
    assert_eq!(status, 415);
    let (status, body) = post(&app, "application/json", vec![b' '; 4096]).await;
    assert_eq!(status, 413);
    assert!(body["error"].as_str().unwrap().contains("2048"), "{body}");
    let (status, _) = post(&app, "application/json", Vec::new()).await;
    assert_eq!(status, 400);
    let wrong = client()
        .delete(app.url("/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    let lost = client().get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(lost.status(), 404);
}

#[tokio::test]
async fn retryable_failure_asks_the_sender_to_retry_and_the_retry_sends_once() {
    let ok = Receiver::start().await;
    let flaky = Receiver::scripted(vec![
        Scripted::status(500),
        Scripted::status(502),
        Scripted::status(503),
    ])
    .await;
    let config = format!(
        r#"
[delivery]
attempts = 3
backoff = "5ms"
budget = "5s"

[[targets]]
name = "ok"
type = "webhook"
url = "{}"

[[targets]]
name = "flaky"
type = "webhook"
url = "{}"

[[rules]]
name = "all"
notifications = ["*:*"]
targets = ["ok", "flaky"]
"#,
        ok.url("/ok"),
        flaky.url("/flaky")
    );
    let app = App::start(&config).await;
    let payload = fixture("seeds/event_grid.image_pushed.fr.json");
    let (status, body) = post(&app, "application/json", payload.clone()).await;
    assert_eq!(
        status, 503,
        "a delivery may still succeed: the sender must retry ({body})"
    );
    assert_eq!(body["failed"][0]["target"], "flaky");
    assert_eq!(
        flaky.received().len(),
        3,
        "three attempts within the invocation"
    );
    assert_eq!(ok.received().len(), 1);

    // The sender's retry: only the target that has not succeeded is called again.
    let (status, body) = post(&app, "application/json", payload).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["already_delivered"], 1);
    assert_eq!(body["delivered"], 1);
    assert_eq!(
        ok.received().len(),
        1,
        "no duplicate to the target that already had it"
    );
    assert_eq!(flaky.received().len(), 4);

    let trace = app
        .pipeline
        .store()
        .trace("831e1650-001e-001b-66ab-eeb76e069631")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        trace.receptions.len(),
        2,
        "both deliveries of the event are in its history"
    );
    assert_eq!(trace.attempts.len(), 5);
    assert!(
        trace
            .pairs
            .iter()
            .all(|p| p.state == DeliveryState::Delivered),
        "{:?}",
        trace.pairs
    );
}

#[tokio::test]
async fn permanent_failure_is_dead_lettered_and_the_sender_told_not_to_retry() {
    let gone = Receiver::scripted(vec![Scripted::status(404)]).await;
    let app = App::start(&webhook_config(&gone.url("/missing"))).await;
    let (status, body) = post(
        &app,
        "application/json",
        fixture("seeds/event_grid.image_deleted.de.json"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dead_lettered"], 1);
    assert_eq!(gone.received().len(), 1, "no retry of a permanent failure");
    let pair = app
        .pipeline
        .store()
        .pair("f06e3921-301f-42ec-b368-212f7d5354bd", "sink")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pair.state, DeliveryState::DeadLettered);
    assert_eq!(pair.reason.as_deref(), Some("target replied 404"));
}

#[tokio::test]
async fn retry_after_is_honoured_and_timeouts_are_retryable() {
    let slow = Receiver::scripted(vec![
        Scripted {
            delay: std::time::Duration::from_millis(600),
            ..Scripted::status(200)
        },
        Scripted {
            headers: vec![("retry-after", "1".into())],
            ..Scripted::status(429)
        },
    ])
    .await;
    let config =
        webhook_config(&slow.url("/slow")).replace("timeout = \"2s\"", "timeout = \"200ms\"");
    let app = App::start(&config).await;
    let started = std::time::Instant::now();
    let (status, body) = post(
        &app,
        "application/json",
        fixture("seeds/event_grid.chart_pushed.de.json"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited for Retry-After"
    );
    let trace = app
        .pipeline
        .store()
        .trace("ea3a9c28-5b17-40f6-a500-3f02b6829277")
        .await
        .unwrap()
        .unwrap();
    let errors: Vec<_> = trace
        .attempts
        .iter()
        .map(|a| (a.status, a.error.clone()))
        .collect();
    assert_eq!(errors[0], (None, Some("timed out".into())));
    assert_eq!(errors[1].0, Some(429));
    assert_eq!(errors[2], (Some(200), None));
}

#[tokio::test]
async fn duplicate_ids_in_one_batch_are_delivered_once_and_rules_pick_targets() {
    let sink = Receiver::start().await;
    let other = Receiver::start().await;
    let config = format!(
        r#"
[[targets]]
name = "sink"
type = "webhook"
url = "{}"

[[targets]]
name = "edge"
type = "webhook"
url = "{}"

[[rules]]
name = "team-pushes"
notifications = ["team/*:push"]
targets = ["sink"]

[[rules]]
name = "hello"
notifications = ["hello-world:*"]
targets = ["edge", "sink"]
"#,
        sink.url("/a"),
        other.url("/b")
    );
    let app = App::start(&config).await;
    let (status, body) = post(&app, "application/json", fixture("event_grid/quirks.json")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["events"], 3,
        "q1 twice counts once; the blob event is ignored"
    );
    let to_sink: Vec<_> = sink
        .wait_for(2)
        .await
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(to_sink.len(), 2, "{to_sink:?}");
    assert!(to_sink.contains(&"q1-short-lowercase-type".to_owned()));
    assert!(to_sink.contains(&"q2-camel-connected-registry".to_owned()));
    let to_edge = other.wait_for(1).await;
    assert_eq!(to_edge.len(), 1);
    assert_eq!(to_edge[0].json()["connected_registry"], "edge1");
}
