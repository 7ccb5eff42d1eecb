//! The Prometheus endpoint of `regrelay serve`, scraped after known traffic: events by schema,
//! matches by rule, deliveries by target and outcome with their latency, the local queue's depth;
//! behind the read secret.

use std::time::Duration;

use regrelay_tests::process::ServeProcess;
use regrelay_tests::{Receiver, Scripted, client};

/// Two targets, one answering 200 and one refusing with 400 (dead-lettered at once); one rule
/// for `team/app` pushes. Three CloudEvents: two match, one (another repository) does not.
#[tokio::test]
async fn metrics_count_what_serve_received_matched_and_delivered() {
    let ok = Receiver::start().await;
    let refusing = Receiver::scripted(vec![Scripted::status(400); 4]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!(
            r#"
targets = [
  {{ name = "ok", type = "webhook", url = "{ok}" }},
  {{ name = "refusing", type = "webhook", url = "{refusing}" }},
]
rules = [{{ name = "team-app", notifications = ["team/app:push"], targets = ["ok", "refusing"] }}]

[store]
kind = "sqlite"
path = "{db}"

[delivery]
mode = "inline"

[inbound]
read_secret = "reader"
"#,
            db = dir.path().join("h.db").display(),
            ok = ok.url("/hook"),
            refusing = refusing.url("/hook"),
        ),
    )
    .unwrap();
    let server = ServeProcess::start(config).await;
    for (id, repository) in [("m1", "team/app"), ("m2", "team/app"), ("m3", "other/app")] {
        let body = format!(
            r#"{{"specversion":"1.0","id":"{id}","source":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo","type":"Microsoft.ContainerRegistry.ImagePushed","data":{{"action":"push","target":{{"repository":"{repository}","tag":"v1","digest":"sha256:abc"}},"request":{{"host":"demo.azurecr.io"}}}}}}"#
        );
        let status = client()
            .post(server.url())
            .header("content-type", "application/cloudevents+json")
            .body(body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{id}");
    }
    let metrics = format!("http://127.0.0.1:{}/api/metrics", server.port);
    let refused = client().get(&metrics).send().await.unwrap();
    assert_eq!(refused.status(), 401, "the read secret guards the metrics");
    let scraped = client()
        .get(&metrics)
        .bearer_auth("reader")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let content_type = scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = scraped.text().await.unwrap();
    for line in [
        r#"regrelay_events_received_total{schema="cloudevents"} 3"#,
        r#"regrelay_rule_matches_total{rule="team-app"} 2"#,
        r#"regrelay_deliveries_total{target="ok",outcome="delivered"} 2"#,
        r#"regrelay_deliveries_total{target="refusing",outcome="permanent"} 2"#,
        r#"regrelay_delivery_seconds_count{target="ok"} 2"#,
        "regrelay_queue_depth 0",
        "# EOF",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
}
