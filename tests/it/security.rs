//! Trust at the edge, as an attacker would try it against the app `regrelay serve` runs: no
//! bypass of the secret, no reply or body that stops the process, no unbounded fan-out, no
//! history for senders, no compressed or slow bodies read as if they were plain and fast.

use std::time::Duration;

use regrelay_tests::{App, Receiver, Scripted, client, fixture, webhook_config};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An Event Grid batch of `n` distinct minimal ImagePushed events.
fn batch(n: usize) -> Vec<u8> {
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": format!("fan-{i}"), "eventType": "Microsoft.ContainerRegistry.ImagePushed",
                "subject": "team/app:v1", "eventTime": "2024-05-01T08:00:00Z",
                "data": {"action": "push", "target": {"repository": "team/app", "tag": "v1"}},
                "dataVersion": "1.0"
            })
        })
        .collect();
    serde_json::to_vec(&events).unwrap()
}

async fn post_json(app: &App, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = client()
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

/// Only the Functions host sends invocation payloads, and only to `regrelay-azure`: the local
/// server treats `/eventgrid` with the host's header as any other unknown path.
#[tokio::test]
async fn invocation_payloads_are_not_a_way_around_the_secret() {
    let sink = Receiver::start().await;
    let app = App::start(&format!(
        "[inbound]\nsecret = \"s3cret\"\n{}",
        webhook_config(&sink.url("/hook"))
    ))
    .await;
    let event: Value =
        serde_json::from_slice(&fixture("seeds/event_grid.image_pushed.de.json")).unwrap();
    let invocation = json!({"Data": {"eventGridEvent": event[0]}, "Metadata": {}});
    for path in ["/eventgrid", "/events", "/event"] {
        let (status, body) = post_json(
            &app,
            path,
            invocation.to_string().into_bytes(),
            &[("x-azure-functions-invocationid", "forged")],
        )
        .await;
        assert!(status == 401 || status == 404, "{path}: {status} {body}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.received().is_empty(), "nothing got through");
}

/// A target's absurd `Retry-After` is clamped: the sender gets its 503, and the server goes on.
#[tokio::test]
async fn a_huge_retry_after_does_not_stop_the_server() {
    let huge = Scripted {
        headers: vec![("retry-after", "10000000000000000000".into())],
        ..Scripted::status(503)
    };
    let sink = Receiver::scripted(vec![huge; 3]).await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let (status, body) = post_json(&app, "/api/events", batch(1), &[]).await;
    assert_eq!(status, 503, "{body}");
    let health = client().get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "still serving");
}

/// An empty secret would turn authentication off: the config does not load.
#[test]
fn an_empty_secret_does_not_load() {
    use regrelay_core::Config;
    let env = std::collections::HashMap::from([("EMPTY".to_owned(), String::new())]);
    for secret in ["", ",", " , ", "${env:EMPTY}"] {
        let error = Config::from_toml(&format!("[inbound]\nsecret = \"{secret}\"\n"), &env)
            .expect_err(secret);
        assert!(error.to_string().contains("inbound.secret"), "{error}");
    }
    let error = Config::from_toml("[inbound]\nread_secret = \"\"\n", &env).unwrap_err();
    assert!(error.to_string().contains("inbound.read_secret"), "{error}");
}

/// More events than `inbound.max_events` in one request: 413 naming the cap, nothing sent.
#[tokio::test]
async fn a_batch_over_the_cap_is_refused_and_fan_out_is_bounded() {
    let slow = Scripted {
        delay: Duration::from_millis(40),
        ..Scripted::status(200)
    };
    let sink = Receiver::scripted(vec![slow; 50]).await;
    let app = App::start(&format!(
        "[inbound]\nmax_events = 50\n{}",
        webhook_config(&sink.url("/hook")).replace(
            "budget = \"5s\"",
            "budget = \"5s\"\nconcurrency = 4\ntarget_concurrency = 2"
        )
    ))
    .await;
    let (status, body) = post_json(&app, "/api/events", batch(51), &[]).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("inbound.max_events"),
        "{body}"
    );
    assert!(body["error"].as_str().unwrap().contains("50"), "{body}");
    let (status, body) = post_json(&app, "/api/events", batch(50), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sink.wait_for(50).await.len(), 50);
    assert!(
        sink.max_concurrent() <= 2,
        "target_concurrency bounds connections to the target: {}",
        sink.max_concurrent()
    );
}

/// History is for operators: the senders' secret does not read it, the read secret does.
#[tokio::test]
async fn history_needs_the_read_secret() {
    let sink = Receiver::start().await;
    let config = |read: &str| {
        format!(
            "[inbound]\nsecret = \"sender\"\n{read}\n{}",
            webhook_config(&sink.url("/hook"))
        )
    };
    let app = App::start(&config("read_secret = \"operator\"")).await;
    let (status, _) = post_json(
        &app,
        "/api/events",
        batch(1),
        &[("authorization", "Bearer sender")],
    )
    .await;
    assert_eq!(status, 200);
    let get = |token: &'static str| {
        client()
            .get(app.url("/api/events/fan-0"))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(
        get("sender").await.unwrap().status(),
        401,
        "the senders' secret"
    );
    assert_eq!(
        get("operator").await.unwrap().status(),
        200,
        "the read secret"
    );
    let closed = App::start(&config("")).await;
    let reply = client()
        .get(closed.url("/api/events/fan-0"))
        .header("authorization", "Bearer sender")
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status(),
        403,
        "no read secret configured: history stays closed"
    );
}

/// A validation event hidden in a batch: the batch's events are delivered before the answer.
#[tokio::test]
async fn a_validation_event_inside_a_batch_does_not_drop_the_others() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let mut events: Vec<Value> = serde_json::from_slice(&batch(2)).unwrap();
    events.insert(
        1,
        json!({"id": "v1", "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
               "subject": "", "eventTime": "2024-05-01T08:00:00Z", "dataVersion": "1",
               "data": {"validationCode": "code-123"}}),
    );
    let (status, body) = post_json(
        &app,
        "/api/events",
        serde_json::to_vec(&events).unwrap(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["validationResponse"], "code-123", "{body}");
    assert_eq!(
        sink.wait_for(2).await.len(),
        2,
        "both events were delivered"
    );
}

/// Compressed bodies are refused, never read as plain bytes; health answers GET and HEAD only.
#[tokio::test]
async fn encodings_and_methods() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    for encoding in ["gzip", "deflate", "br", "x-unknown"] {
        let (status, body) = post_json(
            &app,
            "/api/events",
            batch(1),
            &[("content-encoding", encoding)],
        )
        .await;
        assert_eq!(status, 415, "{encoding}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("Content-Encoding"),
            "{body}"
        );
    }
    let (status, _) = post_json(
        &app,
        "/api/events",
        batch(1),
        &[("content-encoding", "identity")],
    )
    .await;
    assert_eq!(status, 200);
    let head = client().head(app.url("/api/health")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let (status, _) = post_json(&app, "/api/health", b"{}".to_vec(), &[]).await;
    assert_eq!(status, 405);
    let delete = client()
        .delete(app.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 405);
}

/// A client that sends its headers a byte at a time is cut off after `server.header_timeout`,
/// and one that stops half-way through its body gets 408 after `server.body_timeout`.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    let sink = Receiver::start().await;
    let app = App::start(&format!(
        "[server]\nheader_timeout = \"300ms\"\nbody_timeout = \"300ms\"\n{}",
        webhook_config(&sink.url("/hook"))
    ))
    .await;
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"POST /api/events HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection is closed, not held open");

    let mut stalled = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stalled
        .write_all(b"POST /api/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[{")
        .await
        .unwrap();
    let mut reply = Vec::new();
    let answered =
        tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut reply)).await;
    assert!(answered.is_ok(), "answered within the body timeout");
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}
