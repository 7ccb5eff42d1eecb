//! Targets that pause instead of failing, through `regrelay serve` in queued mode: a target that
//! fails for a while is paused after a run of failures (announced to the operator's target,
//! shown by `/api/targets`), probed with backoff, resumed on the first success (announced), and
//! every event reaches it exactly once.

use std::collections::BTreeSet;
use std::time::Duration;

use regrelay_tests::process::ServeProcess;
use regrelay_tests::{Receiver, Scripted, client};
use serde_json::Value;

const EVENTS: usize = 20;
/// More than the first wave of attempts: the rest are used up by probes.
const FAILURES: usize = EVENTS + 4;

fn config(dir: &std::path::Path, hook: &str, ops: &str) -> std::path::PathBuf {
    regrelay_tests::write_config(
        dir,
        "pause.toml",
        &format!(
            r#"
targets = [
  {{ name = "hook", type = "webhook", url = "{hook}" }},
  {{ name = "ops", type = "webhook", url = "{ops}" }},
]
rules = [{{ name = "all", notifications = ["*:*"], targets = ["hook"] }}]

[store]
kind = "sqlite"
path = "{db}"

[delivery]
mode = "queued"
schedule = ["100ms"]
pause_after = 3
probe_every = "200ms"
probe_max = "300ms"
announce_to = "ops"
"#,
            db = dir.join("h.db").display(),
        ),
    )
}

async fn targets(port: u16) -> Value {
    let url = format!("http://127.0.0.1:{port}/api/targets");
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failing_target_pauses_recovers_and_loses_nothing() {
    let hook = Receiver::scripted(vec![Scripted::status(503); FAILURES]).await;
    let ops = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server =
        ServeProcess::start(config(dir.path(), &hook.url("/hook"), &ops.url("/ops"))).await;
    for n in 0..EVENTS {
        let body = serde_json::json!({
            "specversion": "1.0", "id": format!("p{n}"), "source": "/registries/demo",
            "type": "Microsoft.ContainerRegistry.ImagePushed",
            "data": { "action": "push", "target": { "repository": "team/app", "tag": format!("v{n}") } }
        });
        let reply = client()
            .post(server.url())
            .header("content-type", "application/cloudevents+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "queued");
    }

    // The pause is announced once, and the console's API shows it.
    let notices = ops.wait_for(1).await;
    assert_eq!(
        notices[0].json()["type"],
        "io.regrelay.TargetPaused",
        "{:?}",
        notices[0].json()
    );
    let listed = targets(server.port).await;
    let health = &listed["targets"][0]["health"];
    assert_eq!(listed["targets"][0]["name"], "hook");
    assert_eq!(health["state"], "paused", "{listed}");
    assert!(health["failures"].as_u64().unwrap() >= 3, "{listed}");

    // Probes use up the failures; then every event arrives, each once.
    let mut delivered = BTreeSet::new();
    for _ in 0..300 {
        delivered = hook.received()[FAILURES.min(hook.received().len())..]
            .iter()
            .map(|r| r.json()["id"].as_str().unwrap_or("").to_owned())
            .collect();
        if delivered.len() == EVENTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        delivered.len(),
        EVENTS,
        "every event delivered after the recovery"
    );
    let after = hook.received().len() - FAILURES;
    assert_eq!(after, EVENTS, "and none twice");
    let notices = ops.wait_for(2).await;
    assert_eq!(notices[1].json()["type"], "io.regrelay.TargetResumed");
    assert_eq!(notices.len(), 2, "each change announced once");
    let listed = targets(server.port).await;
    assert_eq!(
        listed["targets"][0]["health"]["state"], "active",
        "{listed}"
    );
}
