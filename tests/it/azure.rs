//! The `regrelay-azure` binary, started as the Functions host starts it (port and config from the
//! environment) and spoken to as the host speaks: forwarded HTTP requests at their original path,
//! and invocation payloads at `/{function}`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use regrelay_tests::{Receiver, binary, client, fixture, free_port, webhook_config};
use serde_json::{Value, json};

/// The handler process; killed when dropped.
pub(crate) struct Handler {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Handler {
    /// Starts the handler with `config` and a memory store (each test is one instance).
    async fn start(config: &str) -> Handler {
        Self::with_config(&format!("[store]\nkind = \"memory\"\n{config}")).await
    }

    /// Starts the handler with the whole config file `text`.
    pub(crate) async fn with_config(text: &str) -> Handler {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regrelay.toml");
        std::fs::write(&path, text).unwrap();
        let port = free_port();
        let child = Command::new(binary("regrelay-azure"))
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("REGRELAY_CONFIG", &path)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let handler = Handler {
            child,
            port,
            _dir: dir,
        };
        handler.wait_ready().await;
        handler
    }

    /// Polls like the host does (every 25 ms), for at most 10 s.
    async fn wait_ready(&self) {
        for _ in 0..400 {
            if let Ok(reply) = client().get(self.url("/api/health")).send().await
                && reply.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("regrelay-azure did not answer on port {}", self.port);
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn forwarded_requests_get_the_same_answers_as_serve() {
    let sink = Receiver::start().await;
    let handler = Handler::start(&webhook_config(&sink.url("/hook"))).await;
    let http = client();

    let validation = http
        .post(handler.url("/api/events"))
        .header("content-type", "application/json")
        .header("aeg-event-type", "SubscriptionValidation")
        .body(fixture("event_grid/subscription_validation.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(validation.status(), 200);
    assert_eq!(
        validation.json::<Value>().await.unwrap()["validationResponse"],
        "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    );

    let options = http
        .request(reqwest::Method::OPTIONS, handler.url("/api/events"))
        .header("WebHook-Request-Origin", "eventgrid.azure.net")
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 200);
    assert_eq!(
        options.headers()["webhook-allowed-origin"],
        "eventgrid.azure.net"
    );

    for (content_type, name) in [
        ("application/json", "seeds/event_grid.image_pushed.fr.json"),
        (
            "application/cloudevents+json",
            "cloudevents/structured.connected_registry_push.json",
        ),
    ] {
        let reply = http
            .post(handler.url("/api/events"))
            .header("content-type", content_type)
            .body(fixture(name))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{name}");
    }
    let garbage = http
        .post(handler.url("/api/events"))
        .header("content-type", "application/json")
        .body("[{,]")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    assert!(garbage.json::<Value>().await.unwrap()["error"].is_string());

    let got = sink.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["connected_registry"], "edge1");

    // The handler's metrics count what it just did (a process of its own: exact counts).
    let metrics = http.get(handler.url("/api/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for line in [
        r#"regrelay_events_received_total{schema="event_grid"} 1"#,
        r#"regrelay_events_received_total{schema="cloudevents"} 1"#,
        r#"regrelay_deliveries_total{target="sink",outcome="delivered"} 2"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }

    // The console under the host's /api prefix (the `console` function's route `ui/{*asset}`),
    // and its API.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bare = no_redirects
        .get(handler.url("/api/ui"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 302);
    assert_eq!(bare.headers()["location"], "ui/");
    for (asset, kind) in [
        ("", "text/html"),
        ("app.js", "text/javascript"),
        ("app.css", "text/css"),
    ] {
        let reply = http
            .get(handler.url(&format!("/api/ui/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{asset}");
        let content_type = reply.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with(kind), "{asset}: {content_type}");
    }
    let listed = regrelay_tests::get_json(&handler.url("/api/events?limit=10"), None).await;
    assert_eq!(listed["events"].as_array().unwrap().len(), 2, "{listed}");
    let targets = regrelay_tests::get_json(&handler.url("/api/targets"), None).await;
    assert_eq!(targets["targets"][0]["name"], "sink");
    assert_eq!(targets["targets"][0]["health"]["state"], "active");
    let routes: Value = serde_json::from_slice(
        &std::fs::read(regrelay_tests::root().join("functions/azure/app/console/function.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(routes["bindings"][0]["route"], "ui/{*asset}");
}

#[tokio::test]
async fn event_grid_trigger_invocations_deliver_and_reply_in_the_host_format() {
    let sink = Receiver::start().await;
    let handler = Handler::start(&webhook_config(&sink.url("/hook"))).await;
    let events: Value =
        serde_json::from_slice(&fixture("seeds/event_grid.image_deleted.de.json")).unwrap();
    let invocation = json!({
        "Data": { "eventGridEvent": events[0] },
        "Metadata": { "sys": { "MethodName": "eventgrid", "UtcNow": "2024-05-01T08:00:00Z", "RandGuid": "1" } }
    });
    let reply = client()
        .post(handler.url("/eventgrid"))
        .header("content-type", "application/json")
        .header("x-azure-functions-invocationid", "inv-1")
        .json(&invocation)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert!(
        body["Outputs"].is_object() && body["Logs"].is_array(),
        "{body}"
    );
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].json()["action"], "delete");

    // The host may hand the event over as a JSON string.
    let as_string = json!({ "Data": { "eventGridEvent": events[0].to_string() }, "Metadata": {} });
    let reply = client()
        .post(handler.url("/eventgrid"))
        .header("x-azure-functions-invocationid", "inv-2")
        .json(&as_string)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("already_delivered"),
        "{body}"
    );
    assert_eq!(
        sink.received().len(),
        1,
        "a redelivered event is not sent twice"
    );
}

#[tokio::test]
async fn failing_target_fails_the_invocation_so_event_grid_retries() {
    let handler = Handler::start(
        &webhook_config("http://127.0.0.1:9/closed").replace("attempts = 3", "attempts = 1"),
    )
    .await;
    let events: Value =
        serde_json::from_slice(&fixture("seeds/event_grid.chart_pushed.fr.json")).unwrap();
    let reply = client()
        .post(handler.url("/eventgrid"))
        .header("x-azure-functions-invocationid", "inv-3")
        .json(&json!({ "Data": { "eventGridEvent": events[0] }, "Metadata": {} }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status(),
        500,
        "non-2xx makes the host report failure to Event Grid"
    );
}

#[tokio::test]
async fn http_trigger_invocation_payloads_are_translated() {
    let sink = Receiver::start().await;
    let handler = Handler::start(&webhook_config(&sink.url("/hook"))).await;
    let body = String::from_utf8(fixture("event_grid/subscription_validation.json")).unwrap();
    let invocation = json!({
        "Data": { "req": {
            "Url": format!("http://localhost:7071/api/events"),
            "Method": "POST",
            "Query": "{}",
            "Headers": { "Content-Type": ["application/json"], "aeg-event-type": ["SubscriptionValidation"] },
            "Params": {},
            "Body": body
        } },
        "Metadata": {}
    });
    let reply = client()
        .post(handler.url("/events"))
        .header("x-azure-functions-invocationid", "inv-4")
        .json(&invocation)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["Outputs"]["res"]["statusCode"], 200);
    assert_eq!(
        body["Outputs"]["res"]["body"]["validationResponse"],
        "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    );
}

/// Function instances share nothing but the store: a config that names none does not start.
#[test]
fn the_handler_refuses_to_start_without_a_named_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regrelay.toml");
    std::fs::write(&path, webhook_config("http://127.0.0.1:9/hook")).unwrap();
    let out = Command::new(binary("regrelay-azure"))
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", free_port().to_string())
        .env("REGRELAY_CONFIG", &path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(error.contains("store.kind"), "{error}");
}
