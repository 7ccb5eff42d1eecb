//! The DingTalk budget shared through the store: two apps (two instances) on one SQLite file and
//! one loopback robot that checks the token and the sign, as DingTalk does.
//!
//! The test stays within the first 61-second window: it checks that both apps together send at
//! most 20 messages, that every event of the first two bursts is in one of them (the second app
//! folds what the store refuses into a digest, which takes the slot kept for digests), and that a
//! third burst waits, folded and pending, instead of going over the limit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use base64::Engine;
use regrelay_core::Config;
use regrelay_core::DeliveryState;
use regrelay_core::testing::hmac_sha256;
use regrelay_tests::{App, client, fixture};
use serde_json::{Value, json};

const PUSHED: &str = "seeds/event_grid.image_pushed.de.json";
const SECRET: &str = "SECshared-budget-robot";

type Messages = Arc<Mutex<Vec<String>>>;

/// A robot that accepts signed markdown messages for token `tok` and records their text.
async fn robot() -> (String, Messages) {
    async fn send(
        State(messages): State<Messages>,
        RawQuery(query): RawQuery,
        body: axum::body::Bytes,
    ) -> String {
        let query = query.unwrap_or_default();
        let get = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(|v| {
                    v.replace("%2B", "+")
                        .replace("%2F", "/")
                        .replace("%3D", "=")
                })
        };
        let timestamp = get("timestamp").unwrap_or_default();
        let expected = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
            SECRET.as_bytes(),
            format!("{timestamp}\n{SECRET}").as_bytes(),
        ));
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if get("access_token").as_deref() != Some("tok") || get("sign") != Some(expected) {
            return json!({"errcode": 310000, "errmsg": "sign not match"}).to_string();
        }
        let text = body["markdown"]["text"].as_str().unwrap_or_default();
        messages.lock().unwrap().push(text.to_owned());
        json!({"errcode": 0, "errmsg": "ok"}).to_string()
    }
    let messages = Messages::default();
    let app = axum::Router::new()
        .route("/robot/send", axum::routing::post(send))
        .with_state(messages.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/robot/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, messages)
}

fn config(db: &str, robot: &str, store_extra: &str) -> Config {
    let text = format!(
        r#"
[store]
kind = "sqlite"
path = "{db}"
{store_extra}

[delivery]
mode = "inline"
attempts = 1
budget = "10s"

[[targets]]
name = "ops"
type = "dingtalk"
url = "{robot}?access_token=tok"
secret = "{SECRET}"

[[rules]]
name = "all"
notifications = ["*:*"]
targets = ["ops"]
"#
    );
    Config::from_toml(&text, &std::collections::HashMap::<String, String>::new()).unwrap()
}

/// An Event Grid batch of events `burst-<i>` with tags `b<i>`.
fn batch(ids: std::ops::Range<usize>) -> Vec<u8> {
    let template: Value = serde_json::from_slice(&fixture(PUSHED)).unwrap();
    let events: Vec<Value> = ids
        .map(|i| {
            let mut event = template[0].clone();
            event["id"] = json!(format!("burst-{i}"));
            event["data"]["target"]["tag"] = json!(format!("b{i}"));
            event
        })
        .collect();
    serde_json::to_vec(&events).unwrap()
}

async fn post(app: &App, body: Vec<u8>) -> (u16, Value) {
    let reply = client()
        .post(app.url("/api/events"))
        .header("content-type", "application/json")
        .header("aeg-event-type", "Notification")
        .body(body)
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

#[tokio::test]
async fn two_apps_on_one_store_send_at_most_20_messages_a_minute_to_one_robot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let (url, messages) = robot().await;
    let a = App::with_config(config(db.to_str().unwrap(), &url, "")).await;
    let b = App::with_config(config(db.to_str().unwrap(), &url, "")).await;

    // A sends 15 on their own; B's own window would let 15 more go, the store lets 4 (19 single
    // slots in all) and B folds the other 11 into one digest, in the slot kept for digests.
    let (status, body) = post(&a, batch(0..15)).await;
    assert_eq!((status, &body["delivered"]), (200, &json!(15)), "{body}");
    let (status, body) = post(&b, batch(15..30)).await;
    assert_eq!((status, &body["delivered"]), (200, &json!(15)), "{body}");
    let sent = messages.lock().unwrap().clone();
    assert_eq!(sent.len(), 20, "19 single messages and one digest");
    for i in 0..30 {
        let reference = format!("aci-helloworld:b{i}");
        let carriers = sent
            .iter()
            .filter(|t| regrelay_tests::mentions(t, &reference))
            .count();
        assert_eq!(carriers, 1, "b{i} is in exactly one message");
    }

    // The window is spent for both apps: A's own window has room, the store has none, so a
    // third burst waits folded (its request is still open) and nothing more is sent.
    let waiting = tokio::spawn(async move { post(&a, batch(30..35)).await });
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(messages.lock().unwrap().len(), 20, "still 20 in the window");
    assert!(!waiting.is_finished(), "the folded events wait for a slot");
    let pair = b.pipeline.store().pair("burst-30", "ops").await.unwrap();
    assert_eq!(pair.map(|p| p.state), Some(DeliveryState::Pending));
    waiting.abort();
}

#[tokio::test]
async fn kept_payloads_are_in_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("payloads.db");
    let (url, _) = robot().await;
    let app = App::with_config(config(db.to_str().unwrap(), &url, "keep_payloads = true")).await;
    let body = batch(0..1);
    assert_eq!(post(&app, body.clone()).await.0, 200);
    let trace = app
        .pipeline
        .store()
        .trace("burst-0")
        .await
        .unwrap()
        .unwrap();
    let kept = trace.receptions[0].payload.as_deref();
    assert_eq!(kept, Some(String::from_utf8(body).unwrap().as_str()));
}
