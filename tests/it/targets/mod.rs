//! Each target kind against a loopback receiver that verifies what the real service verifies:
//! DingTalk's sign and message schema, Standard Webhooks signatures over the raw bytes,
//! CloudEvents structured and binary headers, Teams and Slack body shapes, and their failure
//! replies. Then every target's rendered request for the fixtures against its golden file.

mod chat; // Teams and Slack
mod dingtalk; // signed robot messages, errcode classification, the limiter's digests
mod golden; // every target's rendered request for every fixture
mod webhook; // Standard Webhooks signing, CloudEvents, original bodies, auth

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use regrelay_core::Classified;
use regrelay_core::Config;
use regrelay_core::DeliveryState;
use regrelay_core::Target;
use regrelay_core::testing;
use regrelay_core::testing::Delivery;
use regrelay_core::testing::classify;
use regrelay_core::testing::hmac_sha256;
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
