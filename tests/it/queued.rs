//! Queued mode: the sender is answered once the deliveries are durably queued, and regrelay's
//! own worker delivers them on its own schedule — `regrelay serve`'s worker over SQLite, the
//! 24-hour schedule on tokio's paused clock, the Azure handler's `deliver` function over
//! Azurite's queue service, and the Lambda handler fed SQS batches from moto.

use std::time::Duration;

use regrelay_tests::process::ServeProcess;
use regrelay_tests::{Receiver, Scripted, client, fixture};
use serde_json::Value;

mod cloud;
mod pause;
mod scale;
mod schedule;

/// The trace of `id` from a server, once `done` holds for it (at most `secs` seconds).
pub(crate) async fn trace_when(
    base: &str,
    id: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let url = format!("{base}/{}", id.replace('/', "%2F"));
    let mut last = Value::Null;
    for _ in 0..secs * 10 {
        if let Ok(reply) = client().get(&url).send().await
            && reply.status() == 200
        {
            last = reply.json().await.unwrap();
            if done(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} never reached the expected state: {last:#}");
}

/// The state of the one pair of a trace.
pub(crate) fn pair_state(trace: &Value) -> &str {
    trace["pairs"][0]["state"].as_str().unwrap_or("")
}

fn serve_config(dir: &std::path::Path, url: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("regrelay.toml");
    std::fs::write(
        &path,
        format!(
            "[store]\nkind = \"sqlite\"\npath = \"{}\"\n\n[delivery]\nbudget = \"1s\"\n{extra}\n\n[[targets]]\nname = \"sink\"\ntype = \"webhook\"\nurl = \"{url}\"\ntimeout = \"5s\"\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"sink\"]\n",
            dir.join("regrelay.db").display()
        ),
    )
    .unwrap();
    path
}

fn event_grid_push() -> (Vec<u8>, String) {
    let body = fixture("seeds/event_grid.image_pushed.fr.json");
    let events: Value = serde_json::from_slice(&body).unwrap();
    (body, events[0]["id"].as_str().unwrap().to_owned())
}

/// POSTs an Event Grid body as Event Grid does.
async fn send(url: &str, body: Vec<u8>) -> reqwest::Response {
    client()
        .post(url)
        .header("content-type", "application/json")
        .header("aeg-event-type", "Notification")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn post(url: &str, body: Vec<u8>) -> (u16, Value) {
    let reply = send(url, body).await;
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or(Value::Null),
    )
}

/// The default with a SQLite store: 200 as soon as the pair is queued, while the target is still
/// thinking; the worker then delivers and the trace shows pending, then delivered.
#[tokio::test]
async fn serve_answers_before_a_slow_target_and_delivers_from_the_queue() {
    let slow = Receiver::scripted(vec![Scripted {
        delay: Duration::from_secs(3),
        ..Scripted::status(200)
    }])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(serve_config(dir.path(), &slow.url("/hook"), "")).await;
    let (body, id) = event_grid_push();
    let (status, reply) = post(&server.url(), body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["queued"], 1, "{reply}");
    assert!(
        reply.get("delivered").is_none(),
        "queued, not delivered inline: {reply}"
    );
    // The target has not answered yet: the pair is pending with no attempt recorded.
    let pending = trace_when(&server.url(), &id, 5, |t| {
        !t["pairs"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(pair_state(&pending), "pending", "{pending:#}");
    let delivered = trace_when(&server.url(), &id, 15, |t| pair_state(t) == "delivered").await;
    assert_eq!(delivered["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(slow.received().len(), 1);
}

/// A failed attempt is scheduled (the trace says when); the process is killed; after a restart
/// the worker picks the item up from the SQLite file and delivers it — once.
#[tokio::test]
async fn serve_resumes_queued_work_after_a_restart() {
    let flaky = Receiver::scripted(vec![Scripted::status(503)]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = serve_config(
        dir.path(),
        &flaky.url("/hook"),
        "mode = \"queued\"\nschedule = [\"2s\"]",
    );
    let mut server = ServeProcess::start(config).await;
    let (body, id) = event_grid_push();
    let (status, reply) = post(&server.url(), body).await;
    assert_eq!(status, 200, "{reply}");
    let scheduled = trace_when(&server.url(), &id, 10, |t| {
        pair_state(t) == "failed_retrying"
    })
    .await;
    let next = scheduled["attempts"][0]["next_attempt_at"]
        .as_str()
        .unwrap();
    assert!(next.ends_with('Z'), "{scheduled:#}");
    server.kill();
    // `regrelay events show` on the same file says when the next attempt is due.
    let shown = std::process::Command::new(regrelay_tests::binary("regrelay"))
        .args(["events", "show", &id, "--config"])
        .arg(dir.path().join("regrelay.toml"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains(&format!(
            "sink: scheduled, next attempt at {next} after 1 attempt(s)"
        )),
        "{shown}"
    );
    server.restart().await;
    let delivered = trace_when(&server.url(), &id, 20, |t| pair_state(t) == "delivered").await;
    let attempts = delivered["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{delivered:#}");
    assert_eq!(
        flaky.received().len(),
        2,
        "one failure, one delivery, nothing twice"
    );
}

/// A target that refuses permanently is dead-lettered by the worker at once, and the reply to
/// the sender had already been 200.
#[tokio::test]
async fn serve_dead_letters_a_permanent_refusal_from_the_queue() {
    let refusing = Receiver::scripted(vec![Scripted::status(400)]).await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(serve_config(dir.path(), &refusing.url("/hook"), "")).await;
    let (body, id) = event_grid_push();
    assert_eq!(post(&server.url(), body).await.0, 200);
    let dead = trace_when(&server.url(), &id, 10, |t| pair_state(t) == "dead_lettered").await;
    assert_eq!(dead["attempts"][0]["status"], 400, "{dead:#}");
    assert_eq!(refusing.received().len(), 1);
}

/// Queued mode never answers 200 for an event it could not queue: the queue is unreachable, so
/// the sender gets 503 with Retry-After and retries.
#[tokio::test]
async fn an_unreachable_queue_is_a_503_never_a_200() {
    let toml = "[store]\nkind = \"memory\"\n\n[queue]\nkind = \"azure_queue\"\nconnection_string = \"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;\"\n\n[[targets]]\nname = \"log\"\ntype = \"log\"\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"log\"]\n";
    let app = regrelay_tests::App::start(toml).await;
    let (body, _) = event_grid_push();
    let reply = send(&app.url("/api/events"), body).await;
    assert_eq!(reply.status(), 503);
    assert_eq!(reply.headers()["retry-after"], "10");
    let body: Value = reply.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("queue"), "{body}");
}
