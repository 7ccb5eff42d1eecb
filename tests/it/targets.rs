//! Each target kind against a loopback receiver that verifies what the real service verifies:
//! DingTalk's sign and message schema, Standard Webhooks signatures over the raw bytes,
//! CloudEvents structured and binary headers, Teams and Slack body shapes, and their failure
//! replies. Then every target's rendered request for the fixtures against its golden file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use regrelay_core::config::Config;
use regrelay_core::dispatch::mac::hmac_sha256;
use regrelay_core::dispatch::{Delivery, Target};
use regrelay_core::normalize::{Classified, classify};
use regrelay_core::schema;
use regrelay_core::store::DeliveryState;
use regrelay_tests::{App, Received, client, fixture, golden};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const PUSHED: &str = "seeds/event_grid.image_pushed.de.json";
const PUSHED_ID: &str = "831e1650-001e-001b-66ab-eeb76e069631";
const ROBOT_SECRET: &str = "SECloopback-robot-secret";
/// 24 raw key bytes, and the same as a Standard Webhooks secret.
const WH_KEY: &[u8] = b"0123456789abcdef01234567";
const WHSEC: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3";

// ---------------------------------------------------------------------------------------------
// A receiver that judges each request: what to answer, and what was wrong with it.

/// What a judge says about one request.
struct Verdict {
    status: u16,
    body: String,
    problem: Option<String>,
}

type Judge = Arc<dyn Fn(&Received) -> Verdict + Send + Sync>;
/// Every request a checker saw, with its complaint about it (None when it was valid).
type Seen = Arc<Mutex<Vec<(Received, Option<String>)>>>;

#[derive(Clone)]
struct Judged {
    judge: Judge,
    seen: Seen,
}

struct Checker {
    addr: std::net::SocketAddr,
    state: Judged,
    task: JoinHandle<()>,
}

impl Drop for Checker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Checker {
    async fn start(judge: impl Fn(&Received) -> Verdict + Send + Sync + 'static) -> Checker {
        let state = Judged {
            judge: Arc::new(judge),
            seen: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(judged)
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Checker { addr, state, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<(Received, Option<String>)> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Every request so far, asserting the judge found nothing wrong with any.
    fn clean(&self) -> Vec<Received> {
        self.seen()
            .into_iter()
            .map(|(received, problem)| {
                assert_eq!(problem, None, "receiver refused {}", received.uri);
                received
            })
            .collect()
    }
}

async fn judged(State(state): State<Judged>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 24)
        .await
        .unwrap_or_default();
    let received = Received {
        uri: parts.uri.to_string(),
        headers: parts.headers,
        body,
    };
    let verdict = (state.judge)(&received);
    state.seen.lock().unwrap().push((received, verdict.problem));
    (StatusCode::from_u16(verdict.status).unwrap(), verdict.body).into_response()
}

fn ok(status: u16, body: &str) -> Verdict {
    Verdict {
        status,
        body: body.into(),
        problem: None,
    }
}

// ---------------------------------------------------------------------------------------------
// What the real services check.

/// DingTalk: token, sign within an hour, JSON of the right msgtype, keyword in the content.
fn dingtalk(
    secret: &'static str,
    msgtype: &'static str,
    keyword: &'static str,
) -> impl Fn(&Received) -> Verdict {
    move |got| match check_dingtalk(got, secret, msgtype, keyword) {
        Ok(()) => ok(200, r#"{"errcode":0,"errmsg":"ok"}"#),
        Err((code, problem)) => Verdict {
            status: 200,
            body: json!({"errcode": code, "errmsg": problem}).to_string(),
            problem: Some(problem),
        },
    }
}

fn check_dingtalk(
    got: &Received,
    secret: &str,
    msgtype: &str,
    keyword: &str,
) -> Result<(), (i64, String)> {
    let query = query_pairs(&got.uri);
    if query.get("access_token").map(String::as_str) != Some("tok") {
        return Err((300_005, "token is not exist".into()));
    }
    let timestamp = query
        .get("timestamp")
        .ok_or((310_000, "missing timestamp".to_owned()))?;
    let ms: i64 = timestamp
        .parse()
        .map_err(|_| (310_000, "invalid timestamp".to_owned()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    if (now - ms).abs() > 3_600_000 {
        return Err((310_000, "invalid timestamp".into()));
    }
    let expected = base64(&hmac_sha256(
        secret.as_bytes(),
        format!("{ms}\n{secret}").as_bytes(),
    ));
    if query.get("sign") != Some(&expected) {
        return Err((310_000, "sign not match".into()));
    }
    let content_type = got
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    if !content_type.is_some_and(|c| c.starts_with("application/json")) {
        return Err((40_000, "bad content type".into()));
    }
    let body = got.json();
    if body["msgtype"] != msgtype {
        return Err((
            40_000,
            format!("msgtype {} is not {msgtype}", body["msgtype"]),
        ));
    }
    let content = match msgtype {
        "text" => body["text"]["content"].as_str(),
        "markdown" => body["markdown"]["title"]
            .as_str()
            .and(body["markdown"]["text"].as_str()),
        "actionCard" => {
            let card = &body["actionCard"];
            card["title"]
                .as_str()
                .and(card["singleURL"].as_str())
                .and(card["text"].as_str())
        }
        _ => None,
    };
    let content = content.ok_or((40_000, format!("{msgtype} message is malformed")))?;
    if !content.contains(keyword) {
        return Err((310_000, "keywords not in content".into()));
    }
    Ok(())
}

/// Standard Webhooks: headers present, timestamp fresh, one `v1` signature over the raw bytes.
fn standard_webhooks(got: &Received) -> Result<(), String> {
    let header = |name: &str| {
        got.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(format!("missing {name}"))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let seconds: i64 = timestamp.parse().map_err(|_| "bad timestamp")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - seconds).abs() > 300 {
        return Err("timestamp outside tolerance".into());
    }
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&got.body);
    let expected = format!("v1,{}", base64(&hmac_sha256(WH_KEY, &signed)));
    let signatures = header("webhook-signature")?;
    if !signatures.split(' ').any(|s| s == expected) {
        return Err("no matching signature".into());
    }
    Ok(())
}

fn query_pairs(uri: &str) -> HashMap<String, String> {
    let query = uri.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The app, configured with a map of secrets (never the process environment).

fn secrets() -> HashMap<String, String> {
    [
        ("ROBOT_TOKEN", "tok"),
        ("ROBOT_SECRET", ROBOT_SECRET),
        ("HOOK_WHSEC", WHSEC),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The app with one target (TOML lines after `name`), every event routed to it.
async fn app_with(target: &str) -> App {
    let text = format!(
        r#"
[delivery]
attempts = 2
backoff = "10ms"
budget = "10s"

[[targets]]
name = "t"
{target}

[[rules]]
name = "all"
notifications = ["*:*"]
targets = ["t"]
"#
    );
    App::with_config(Config::from_toml(&text, &secrets()).expect("test config")).await
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
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

async fn pair_state(app: &App, event_id: &str) -> (DeliveryState, Option<String>) {
    let pair = app
        .pipeline
        .store()
        .pair(event_id, "t")
        .await
        .unwrap()
        .unwrap();
    (pair.state, pair.reason)
}

// ---------------------------------------------------------------------------------------------
// DingTalk.

fn robot(url: &str, extra: &str) -> String {
    format!(
        "type = \"dingtalk\"\nurl = \"{url}?access_token=${{env:ROBOT_TOKEN}}\"\nsecret = \"${{env:ROBOT_SECRET}}\"\nkeyword = \"registry\"\n{extra}"
    )
}

#[tokio::test]
async fn dingtalk_signed_messages_of_each_type_are_accepted() {
    for (message, msgtype) in [
        ("markdown", "markdown"),
        ("text", "text"),
        ("action_card", "actionCard"),
    ] {
        let robot_rx = Checker::start(dingtalk(ROBOT_SECRET, msgtype, "registry")).await;
        let config = robot(
            &robot_rx.url("/robot/send"),
            &format!("message = \"{message}\"\nat_mobiles = [\"13800000000\"]"),
        );
        let app = app_with(&config).await;
        let (status, body) = post(&app, fixture(PUSHED)).await;
        assert_eq!(status, 200, "{message}: {body}");
        let got = robot_rx.clean();
        assert_eq!(got.len(), 1, "{message}");
        assert_eq!(
            pair_state(&app, PUSHED_ID).await.0,
            DeliveryState::Delivered
        );
        let sent = got[0].json();
        if msgtype != "actionCard" {
            assert_eq!(sent["at"]["atMobiles"][0], "13800000000", "{sent}");
        }
    }
}

#[tokio::test]
async fn dingtalk_refusals_are_classified_by_errcode() {
    // A wrong secret: the robot says "sign not match" with HTTP 200 — permanent.
    let robot_rx = Checker::start(dingtalk("SECsomething-else", "markdown", "registry")).await;
    let app = app_with(&robot(&robot_rx.url("/robot/send"), "")).await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dead_lettered"], 1, "{body}");
    assert_eq!(robot_rx.seen().len(), 1, "no retry of a permanent refusal");
    let (state, reason) = pair_state(&app, PUSHED_ID).await;
    assert_eq!(state, DeliveryState::DeadLettered);
    assert!(reason.unwrap().contains("310000"));

    // "Send too fast": retryable, after at least a minute — the sender is asked to retry.
    let busy = Checker::start(|_| ok(200, r#"{"errcode":130101,"errmsg":"send too fast"}"#)).await;
    let app = app_with(&robot(&busy.url("/robot/send"), "")).await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert!(status >= 500, "{status} {body}");
    assert_eq!(
        busy.seen().len(),
        1,
        "a minute's wait does not fit the request budget"
    );
    assert_eq!(
        pair_state(&app, PUSHED_ID).await.0,
        DeliveryState::FailedRetrying
    );
    let trace = app
        .pipeline
        .store()
        .trace(PUSHED_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(trace.attempts[0].retry_after_secs, Some(60));
}

/// 25 events at once: 19 go alone, the rest arrive folded into one digest; none is lost.
#[tokio::test]
async fn dingtalk_burst_is_folded_into_a_digest() {
    let robot_rx = Checker::start(dingtalk(ROBOT_SECRET, "markdown", "registry")).await;
    let app = app_with(&robot(&robot_rx.url("/robot/send"), "")).await;
    let template: Value = serde_json::from_slice(&fixture(PUSHED)).unwrap();
    let batch: Vec<Value> = (0..25)
        .map(|i| {
            let mut event = template[0].clone();
            event["id"] = json!(format!("burst-{i}"));
            event["data"]["target"]["tag"] = json!(format!("b{i}"));
            event
        })
        .collect();
    let (status, body) = post(&app, serde_json::to_vec(&batch).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let got = robot_rx.clean();
    assert_eq!(got.len(), 20, "19 single messages and one digest");
    let texts: Vec<String> = got
        .iter()
        .map(|r| r.json()["markdown"]["text"].as_str().unwrap().to_owned())
        .collect();
    for i in 0..25 {
        let reference = format!("aci-helloworld:b{i}`");
        let carriers = texts.iter().filter(|t| t.contains(&reference)).count();
        assert_eq!(carriers, 1, "b{i} is in exactly one message");
        assert_eq!(
            pair_state(&app, &format!("burst-{i}")).await.0,
            DeliveryState::Delivered
        );
    }
    assert!(
        texts.iter().any(|t| t.contains("6 registry events")),
        "{texts:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Webhooks: Standard Webhooks signing, CloudEvents, original bodies, auth.

#[tokio::test]
async fn signed_webhook_verifies_and_keeps_its_id_across_retries() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let hook = Checker::start(move |got| {
        let problem = standard_webhooks(got).err();
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        Verdict {
            status: if problem.is_some() {
                401
            } else if first {
                503
            } else {
                204
            },
            body: String::new(),
            problem,
        }
    })
    .await;
    let config = format!(
        "type = \"webhook\"\nurl = \"{}\"\nsigning = {{ scheme = \"standard-webhooks\", secret = \"${{env:HOOK_WHSEC}}\" }}\nauth = {{ bearer = \"t0k\" }}",
        hook.url("/hooks/registry")
    );
    let app = app_with(&config).await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert_eq!(status, 200, "{body}");
    let got = hook.clean();
    assert_eq!(got.len(), 2, "one 503, then accepted");
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
    assert_eq!(got[0].headers["authorization"], "Bearer t0k");
    assert_eq!(got[0].json()["id"], PUSHED_ID, "normalized body by default");
}

#[tokio::test]
async fn cloudevents_structured_and_binary_carry_the_attributes() {
    let structured = Checker::start(|got| {
        let body = got.json();
        let problem = [
            (
                got.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/cloudevents+json"),
                "content-type",
            ),
            (body["specversion"] == "1.0", "specversion"),
            (body["id"] == PUSHED_ID, "id"),
            (
                body["type"] == "Microsoft.ContainerRegistry.ImagePushed",
                "type",
            ),
            (
                body["source"]
                    .as_str()
                    .is_some_and(|s| s.contains("/registries/")),
                "source",
            ),
            (body["data"]["repository"] == "aci-helloworld", "data"),
        ]
        .into_iter()
        .find(|(fine, _)| !fine)
        .map(|(_, what)| format!("bad {what}"));
        Verdict {
            status: if problem.is_some() { 400 } else { 200 },
            body: String::new(),
            problem,
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"webhook\"\nurl = \"{}\"\nformat = \"cloudevents\"",
        structured.url("/ce")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(structured.clean().len(), 1);

    let binary = Checker::start(|got| {
        let header = |name: &str| {
            got.headers
                .get(name)
                .map(|v| percent_decode(v.to_str().unwrap()))
        };
        let problem = [
            (
                header("content-type").as_deref() == Some("application/json"),
                "content-type",
            ),
            (
                header("ce-specversion").as_deref() == Some("1.0"),
                "ce-specversion",
            ),
            (header("ce-id").as_deref() == Some(PUSHED_ID), "ce-id"),
            (
                header("ce-type").as_deref() == Some("Microsoft.ContainerRegistry.ImagePushed"),
                "ce-type",
            ),
            (
                header("ce-source").is_some_and(|s| s.ends_with("/registries/<name>")),
                "ce-source",
            ),
            (
                header("ce-subject").as_deref() == Some("aci-helloworld:v1"),
                "ce-subject",
            ),
            (
                header("ce-datacontenttype").is_none(),
                "no ce-datacontenttype",
            ),
            (got.json()["id"] == PUSHED_ID, "body"),
        ]
        .into_iter()
        .find(|(fine, _)| !fine)
        .map(|(_, what)| format!("bad {what}"));
        Verdict {
            status: if problem.is_some() { 400 } else { 200 },
            body: String::new(),
            problem,
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"webhook\"\nurl = \"{}\"\nformat = \"cloudevents-binary\"",
        binary.url("/ce")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(binary.clean().len(), 1);
}

#[tokio::test]
async fn original_format_sends_the_event_as_received_with_basic_auth() {
    let hook = Checker::start(|_| ok(200, "")).await;
    let config = format!(
        "type = \"webhook\"\nurl = \"{}\"\nformat = \"original\"\nauth = {{ basic = {{ username = \"relay\", password = \"pw\" }} }}",
        hook.url("/orig")
    );
    let app = app_with(&config).await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    let got = hook.clean();
    let sent: Value = serde_json::from_slice(&got[0].body).unwrap();
    let original: Value = serde_json::from_slice(&fixture(PUSHED)).unwrap();
    assert_eq!(sent, original[0], "the Event Grid event, unchanged");
    assert_eq!(
        got[0].headers["authorization"],
        format!("Basic {}", base64(b"relay:pw"))
    );
    assert!(
        got[0].headers.contains_key("webhook-id"),
        "sent even unsigned"
    );
}

// ---------------------------------------------------------------------------------------------
// Teams and Slack.

#[tokio::test]
async fn teams_gets_an_adaptive_card() {
    let teams = Checker::start(|got| {
        let body = got.json();
        let card = &body["attachments"][0];
        let fine = body["type"] == "message"
            && card["contentType"] == "application/vnd.microsoft.card.adaptive"
            && card["contentUrl"].is_null()
            && card["content"]["type"] == "AdaptiveCard"
            && card["content"]["body"]
                .as_array()
                .is_some_and(|b| !b.is_empty());
        Verdict {
            status: if fine { 202 } else { 400 },
            body: String::new(),
            problem: (!fine).then(|| format!("not an adaptive card message: {body}")),
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"teams\"\nurl = \"{}\"",
        teams.url("/workflows/x")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(teams.clean().len(), 1);
}

#[tokio::test]
async fn slack_needs_ok_and_its_4xx_are_permanent() {
    let slack = Checker::start(|got| {
        let body = got.json();
        let fine = body["text"].as_str().is_some_and(|t| !t.is_empty())
            && body["blocks"][0]["text"]["type"] == "mrkdwn";
        if fine {
            ok(200, "ok")
        } else {
            Verdict {
                status: 400,
                body: "invalid_payload".into(),
                problem: Some(body.to_string()),
            }
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"slack\"\nurl = \"{}\"",
        slack.url("/services/T/B/C")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(slack.clean().len(), 1);
    assert_eq!(
        pair_state(&app, PUSHED_ID).await.0,
        DeliveryState::Delivered
    );

    let archived = Checker::start(|_| ok(410, "channel_is_archived")).await;
    let app = app_with(&format!(
        "type = \"slack\"\nurl = \"{}\"",
        archived.url("/services/T/B/C")
    ))
    .await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        pair_state(&app, PUSHED_ID).await.0,
        DeliveryState::DeadLettered
    );
    assert_eq!(archived.seen().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Golden: every target's rendered request for every fixture, at a fixed time.

const GOLDEN_FIXTURES: [&str; 5] = [
    "seeds/event_grid.image_pushed.de.json",
    "seeds/event_grid.image_deleted.de.json",
    "seeds/event_grid.chart_pushed.de.json",
    "seeds/event_grid.chart_deleted.de.json",
    "cloudevents/structured.connected_registry_push.json",
];

const GOLDEN_TARGETS: &str = r#"
[[targets]]
name = "dingtalk-markdown"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=golden-token"
secret = "SECgolden"
keyword = "registry"
at_mobiles = ["13800000000"]

[[targets]]
name = "dingtalk-text"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=golden-token"
message = "text"

[[targets]]
name = "dingtalk-action_card"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=golden-token"
message = "action_card"

[[targets]]
name = "teams"
type = "teams"
url = "https://example.webhook.office.com/workflows/golden"

[[targets]]
name = "slack"
type = "slack"
url = "https://hooks.slack.com/services/T0/B0/golden"

[[targets]]
name = "webhook-normalized"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
signing = { scheme = "standard-webhooks", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }

[[targets]]
name = "webhook-cloudevents"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
format = "cloudevents"

[[targets]]
name = "webhook-cloudevents-binary"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
format = "cloudevents-binary"

[[targets]]
name = "webhook-original"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
format = "original"
"#;

/// A rendered request as a reviewable document: query, headers (secrets redacted), body.
fn describe(target: &Target, delivery: Delivery<'_>) -> Value {
    let now = chrono_fixed();
    let rendered = target.render(delivery, now).expect("renders");
    let headers: serde_json::Map<String, Value> = rendered
        .headers
        .iter()
        .map(|(name, value)| {
            let text = if value.is_sensitive() {
                "[redacted]"
            } else {
                value.to_str().unwrap()
            };
            (name.as_str().to_owned(), json!(text))
        })
        .collect();
    let body = serde_json::from_slice(&rendered.body)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(&rendered.body)));
    json!({"query": rendered.url.query(), "headers": headers, "body": body})
}

/// 2024-05-01T08:00:00Z.
fn chrono_fixed() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_714_550_400)
}

#[test]
fn every_target_renders_every_fixture_as_its_golden() {
    let config = Config::from_toml(GOLDEN_TARGETS, &HashMap::<String, String>::new()).unwrap();
    for name in GOLDEN_FIXTURES {
        let raw = fixture(name);
        let inbound = schema::parse(&HeaderMap::new(), &raw).expect("fixture parses");
        let events: Vec<_> = inbound
            .events
            .iter()
            .filter_map(|p| match classify(p) {
                Classified::Registry(event) => Some((*event, p.raw.get().to_owned())),
                _ => None,
            })
            .collect();
        assert!(!events.is_empty(), "{name}");
        for target in &config.targets {
            let rendered: Vec<Value> = events
                .iter()
                .map(|(event, raw)| {
                    describe(
                        target,
                        Delivery {
                            event,
                            raw,
                            number: 1,
                        },
                    )
                })
                .collect();
            let stem = name.rsplit('/').next().unwrap().trim_end_matches(".json");
            let text = serde_json::to_string_pretty(&rendered).unwrap() + "\n";
            golden(&format!("targets/{stem}.{}.json", target.name), &text);
        }
    }
}
