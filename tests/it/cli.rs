//! The `regrelay` binary as a user runs it: `normalize`, `simulate`, and `serve` with `send` and
//! `events show` on its SQLite history.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use regrelay_tests::{Receiver, binary, client, fixture_path, free_port};

mod simulate;

fn regrelay(args: &[&str]) -> Output {
    regrelay_in(std::path::Path::new("."), args)
}

/// The binary run in `dir` (where a config without `[store]` keeps `regrelay.db`).
fn regrelay_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(binary("regrelay"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn normalize_prints_one_line_per_registry_event() {
    let path = fixture_path("event_grid/quirks.json");
    let out = regrelay(&["normalize", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<_> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "the blob event is skipped");
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["type"], "Microsoft.ContainerRegistry.ImagePushed");

    let handshake = fixture_path("event_grid/subscription_validation.json");
    let out = regrelay(&["normalize", handshake.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "handshakes print nothing");
}

#[test]
fn normalize_unwraps_sns_over_http_and_into_lambda() {
    let http = fixture_path("sns/notification.ecr_push.sha1.json");
    let message: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&http).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lambda = dir.path().join("lambda-sns.json");
    let records = serde_json::json!({"Records": [
        {"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": message},
        {"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": message},
    ]});
    std::fs::write(&lambda, records.to_string()).unwrap();
    for (path, events) in [(http, 1), (lambda, 2)] {
        let out = regrelay(&["normalize", "-v", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("unwrapped"),
            "{}",
            text(&out.stderr)
        );
        let lines: Vec<_> = text(&out.stdout).lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), events, "{}", text(&out.stdout));
        assert!(lines.iter().all(|l| l.contains("\"action\":\"push\"")));
    }
}

#[test]
fn normalize_treats_sns_confirmations_as_handshakes_and_explains_unknown_shapes() {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["SubscriptionConfirmation", "UnsubscribeConfirmation"] {
        let path = dir.path().join(format!("{kind}.json"));
        let message = serde_json::json!({
            "Type": kind, "MessageId": "165545c9", "Token": "2336412f37",
            "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
            "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.",
            "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
            "Timestamp": "2012-04-26T20:45:04.751Z", "SignatureVersion": "1",
            "Signature": "EXAMPLE", "SigningCertURL": "https://sns.us-west-2.amazonaws.com/c.pem"
        });
        std::fs::write(&path, message.to_string()).unwrap();
        let out = regrelay(&["normalize", "-v", path.to_str().unwrap()]);
        assert!(out.status.success(), "{kind}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{kind}: nothing to print");
        assert!(text(&out.stderr).contains(kind), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("handshake"),
            "{}",
            text(&out.stderr)
        );
    }
    let odd = dir.path().join("odd.json");
    std::fs::write(&odd, r#"{"detail-type": "x", "push_data": {}}"#).unwrap();
    let out = regrelay(&["normalize", odd.to_str().unwrap()]);
    assert!(!out.status.success());
    let error = text(&out.stderr);
    for why in [
        "Amazon EventBridge (has 'detail-type' but no 'detail')",
        "Docker Hub or Alibaba ACR webhooks (has 'push_data' but no 'repository')",
        "Harbor (no 'event_data')",
        "Amazon SNS (no 'TopicArn')",
    ] {
        assert!(error.contains(why), "{why} in {error}");
    }
}

#[test]
fn normalize_fails_clearly_on_garbage_and_accepts_doc_samples_when_lenient() {
    let sample = fixture_path("seeds/connected_registry.image_pushed.en.json");
    let out = regrelay(&["normalize", sample.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not valid JSON"),
        "{}",
        text(&out.stderr)
    );
    let out = regrelay(&["normalize", "--lenient", sample.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"connected_registry\":\"<connected-registry-name>\""));
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_send_and_show_the_trace() {
    serve_send_and_show(true).await;
}

/// A config that names no store: `serve` keeps history in `regrelay.db` in its working directory,
/// and `events` run there sees it (issue 5's embedded default).
#[tokio::test]
async fn without_a_store_serve_keeps_history_in_regrelay_db() {
    serve_send_and_show(false).await;
}

async fn serve_send_and_show(named_store: bool) {
    let sink = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let config = dir.path().join("regrelay.toml");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    // The named-store run is told where to listen with --listen, the other by `server.listen`.
    let store = if named_store {
        format!("[store]\nkind = \"sqlite\"\npath = \"{}\"\n", db.display())
    } else {
        format!("[server]\nlisten = \"{listen}\"\n")
    };
    std::fs::write(
        &config,
        format!(
            "{store}\n[[targets]]\nname = \"sink\"\ntype = \"webhook\"\nurl = \"{}\"\n\n[[rules]]\nname = \"everything\"\nnotifications = [\"*:*\"]\ntargets = [\"sink\"]\n",
            sink.url("/hook")
        ),
    )
    .unwrap();
    let mut args = vec!["serve", "--config", config.to_str().unwrap()];
    if named_store {
        args.extend(["--listen", &listen]);
    }
    let server = Serve(
        Command::new(binary("regrelay"))
            .args(&args)
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let health = format!("http://{listen}/api/health");
    let mut ready = false;
    for _ in 0..400 {
        if client()
            .get(&health)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ready, "serve did not come up");

    let payload = fixture_path("seeds/event_grid.image_pushed.fr.json");
    let to = format!("http://{listen}/api/events");
    let sent = tokio::task::spawn_blocking(move || {
        regrelay(&["send", "--to", &to, payload.to_str().unwrap()])
    })
    .await
    .unwrap();
    assert!(
        sent.status.success(),
        "{} {}",
        text(&sent.stdout),
        text(&sent.stderr)
    );
    assert!(
        text(&sent.stdout).starts_with("200 "),
        "{}",
        text(&sent.stdout)
    );
    assert_eq!(sink.wait_for(1).await.len(), 1);
    drop(server);
    let kept = if named_store {
        db
    } else {
        dir.path().join("regrelay.db")
    };
    assert!(kept.exists(), "history in {}", kept.display());

    let out = regrelay_in(
        dir.path(),
        &[
            "events",
            "show",
            "831e1650-001e-001b-66ab-eeb76e069631",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let trace = text(&out.stdout);
    for needle in [
        "reception",
        "events event_grid -> 200",
        "rule 'everything' matched",
        "sink: delivered after 1 attempt(s)",
        "sink #1  Delivered  status 200",
    ] {
        assert!(trace.contains(needle), "{needle:?} missing in:\n{trace}");
    }
    let out = regrelay_in(
        dir.path(),
        &[
            "events",
            "list",
            "--config",
            config.to_str().unwrap(),
            "--state",
            "delivered",
        ],
    );
    assert!(
        text(&out.stdout).contains("aci-helloworld:v1"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn send_says_in_plain_words_when_nothing_listens_or_tls_fails() {
    let fixture = fixture_path("seeds/event_grid.image_pushed.de.json");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/api/events");
    let out = regrelay(&["send", fixture.to_str().unwrap(), "--to", &url]);
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains(&format!(
            "nothing is listening on {url}; start `regrelay serve` first"
        )),
        "{error}"
    );
    assert!(
        !error.contains("tcp connect error"),
        "details only under -v: {error}"
    );
    let out = regrelay(&["send", "-v", fixture.to_str().unwrap(), "--to", &url]);
    assert!(
        text(&out.stderr).contains("Connection refused"),
        "{}",
        text(&out.stderr)
    );

    // https to a server that speaks plain http.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plain = runtime.block_on(Receiver::start());
    let url = format!("https://{}/api/events", plain.addr);
    let out = regrelay(&["send", fixture.to_str().unwrap(), "--to", &url]);
    assert!(
        text(&out.stderr).contains("could not set up TLS"),
        "{}",
        text(&out.stderr)
    );
}
