//! One event per image push, through `regrelay serve`: ACR (Event Grid), ECR (EventBridge) and
//! Harbor sequences of a multi-platform push, in order and out of order, with duplicates, a
//! restart in the middle of the window, a manifest whose index never comes, a rule that opts
//! out, and inline mode. (Distribution from a real registry: `registry.rs`.)

use std::time::Duration;

use regrelay_tests::process::ServeProcess;
use regrelay_tests::{Receiver, client};
use serde_json::{Value, json};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn config(
    dir: &std::path::Path,
    hook: &str,
    raw: &str,
    window: &str,
    mode: &str,
) -> std::path::PathBuf {
    let path = dir.join("coalesce.toml");
    let store = if mode == "inline" {
        "kind = \"memory\"".to_owned()
    } else {
        format!(
            "kind = \"sqlite\"\npath = \"{}\"",
            dir.join("h.db").display()
        )
    };
    std::fs::write(
        &path,
        format!(
            r#"
targets = [
  {{ name = "hook", type = "webhook", url = "{hook}" }},
  {{ name = "raw", type = "webhook", url = "{raw}" }},
]
rules = [
  {{ name = "pushes", notifications = ["*:push"], targets = ["hook"] }},
  {{ name = "every-manifest", notifications = ["*:push"], targets = ["raw"], coalesce = false }},
]

[coalesce]
window = "{window}"

[delivery]
mode = "{mode}"

[store]
{store}
"#
        ),
    )
    .unwrap();
    path
}

/// An ACR ImagePushed event in the Event Grid schema.
fn acr(id: &str, media: &str, tag: Option<&str>, repository: &str) -> Value {
    let mut target = json!({ "mediaType": media, "size": 500, "digest": format!("sha256:{id}"), "repository": repository });
    if let Some(tag) = tag {
        target["tag"] = tag.into();
    }
    json!({
        "id": id, "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo",
        "subject": repository, "eventType": "Microsoft.ContainerRegistry.ImagePushed",
        "eventTime": "2026-12-05T08:00:00Z", "dataVersion": "1.0", "metadataVersion": "1",
        "data": { "id": id, "timestamp": "2026-12-05T08:00:00Z", "action": "push", "target": target,
                  "request": { "id": "r", "host": "demo.azurecr.io", "method": "PUT" } }
    })
}

async fn send(server: &ServeProcess, event: &Value) -> Value {
    let reply = client()
        .post(server.url())
        .header("content-type", "application/json")
        .header("aeg-event-type", "Notification")
        .body(json!([event]).to_string())
        .send()
        .await
        .unwrap();
    let status = reply.status();
    let body: Value = reply.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn post(server: &ServeProcess, body: Value) {
    let reply = client()
        .post(server.url())
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

fn ids(hook: &Receiver) -> Vec<String> {
    let mut ids: Vec<String> = hook
        .received()
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap_or("").to_owned())
        .collect();
    ids.sort();
    ids
}

fn platforms(event: &Value) -> Vec<String> {
    let mut digests: Vec<String> = event["platforms"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|p| p["digest"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    digests.sort();
    digests
}

async fn trace(server: &ServeProcess, id: &str) -> Value {
    regrelay_tests::get_json(&format!("{}/{id}", server.url()), None).await
}

/// A hook (coalescing rule), a raw receiver (the opted-out rule) and `serve` in front of them.
struct Setup {
    hook: Receiver,
    raw: Receiver,
    server: ServeProcess,
    _dir: tempfile::TempDir,
}

async fn setup(window: &str, mode: &str) -> Setup {
    let (hook, raw) = (Receiver::start().await, Receiver::start().await);
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &hook.url("/h"), &raw.url("/r"), window, mode);
    let server = ServeProcess::start(path).await;
    Setup {
        hook,
        raw,
        server,
        _dir: dir,
    }
}

#[tokio::test]
async fn acr_pushes_in_order_out_of_order_and_alone() {
    let Setup {
        hook,
        raw,
        server,
        _dir,
    } = setup("1500ms", "queued").await;

    // In order: two platform manifests, then the tagged index.
    send(&server, &acr("m1", MANIFEST, None, "team/app")).await;
    let reply = send(&server, &acr("m2", MANIFEST, None, "team/app")).await;
    assert_eq!(
        reply["queued"], 2,
        "each member queued for both targets: {reply}"
    );
    send(&server, &acr("i1", INDEX, Some("v1"), "team/app")).await;
    // Out of order: the index first, its manifests after it.
    send(&server, &acr("i2", INDEX, Some("v2"), "team/web")).await;
    send(&server, &acr("m3", MANIFEST, None, "team/web")).await;
    // A manifest whose index never comes.
    send(&server, &acr("m9", MANIFEST, None, "team/lonely")).await;

    let got = hook.wait_for(2).await;
    let pushed = got
        .iter()
        .map(|r| r.json())
        .find(|e| e["id"] == "i1")
        .expect("i1 delivered");
    assert_eq!(platforms(&pushed), ["sha256:m1", "sha256:m2"]);
    assert_eq!(pushed["tag"], "v1");
    // After the window: the lonely manifest alone; nothing folded ever reaches the hook.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(ids(&hook), ["i1", "i2", "m9"]);
    // The rule that opted out got every manifest as it came.
    assert_eq!(ids(&raw), ["i1", "i2", "m1", "m2", "m3", "m9"]);

    let m1 = trace(&server, "m1").await;
    let hook_pair = m1["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["target"] == "hook")
        .unwrap();
    assert_eq!(hook_pair["state"], "folded", "{m1:#}");
    assert!(
        hook_pair["reason"]
            .as_str()
            .unwrap()
            .contains("folded into i1")
    );
    let m3 = trace(&server, "m3").await;
    let late = m3["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["target"] == "hook")
        .unwrap();
    assert!(
        late["reason"].as_str().unwrap().contains("folded into i2"),
        "{m3:#}"
    );
    // `regrelay events show` says what was folded, and into what.
    let config = _dir.path().join("coalesce.toml");
    let show = |id: &str| {
        let out = std::process::Command::new(regrelay_tests::binary("regrelay"))
            .args(["events", "show", id, "--config"])
            .arg(&config)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = show("i1");
    assert!(
        shown.contains("the event of one push: folded 2 manifest(s)")
            && shown.contains("m1  sha256:m1"),
        "{shown}"
    );
    let shown = show("m2");
    assert!(
        shown.contains("folded into i1, the event of its push"),
        "{shown}"
    );
    let i1 = trace(&server, "i1").await;
    assert_eq!(i1["record"]["coalescing"]["state"], "push");
    assert_eq!(
        i1["record"]["coalescing"]["folded"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// A duplicate of a member, and a restart (SIGKILL) between the members and the index: the
/// group is in the store, so the index still folds them, and nothing is sent twice.
#[tokio::test]
async fn duplicates_and_a_restart_mid_window() {
    let Setup {
        hook,
        raw: _raw,
        mut server,
        _dir,
    } = setup("4s", "queued").await;
    send(&server, &acr("d1", MANIFEST, None, "team/app")).await;
    send(&server, &acr("d1", MANIFEST, None, "team/app")).await;
    send(&server, &acr("d2", MANIFEST, None, "team/app")).await;
    server.kill();
    server.restart().await;
    send(&server, &acr("di", INDEX, Some("v3"), "team/app")).await;
    let got = hook.wait_for(1).await;
    assert_eq!(platforms(&got[0].json()), ["sha256:d1", "sha256:d2"]);
    tokio::time::sleep(Duration::from_millis(5000)).await;
    assert_eq!(
        ids(&hook),
        ["di"],
        "the held manifests' items settle as folded after the restart"
    );
}

/// ECR (EventBridge) and Harbor sequences: ECR gives media types; Harbor gives none, and its
/// tagged push folds the tagless ones.
#[tokio::test]
async fn ecr_and_harbor_sequences() {
    let Setup {
        hook,
        raw: _raw,
        server,
        _dir,
    } = setup("1500ms", "queued").await;
    let ecr = |id: &str, media: &str, tag: Option<&str>| {
        let mut detail = json!({ "result": "SUCCESS", "repository-name": "team/app", "action-type": "PUSH",
            "image-digest": format!("sha256:{id}"), "manifest-media-type": media });
        if let Some(tag) = tag {
            detail["image-tag"] = tag.into();
        }
        json!({ "version": "0", "id": id, "detail-type": "ECR Image Action", "source": "aws.ecr",
            "account": "123456789012", "time": "2026-12-05T08:00:00Z", "region": "eu-west-1",
            "resources": [], "detail": detail })
    };
    post(&server, ecr("e1", MANIFEST, None)).await;
    post(&server, ecr("e2", MANIFEST, None)).await;
    post(&server, ecr("ei", INDEX, Some("v1"))).await;
    let harbor = |id: &str, tag: &str| {
        json!({ "type": "PUSH_ARTIFACT", "occur_at": 1_764_921_600, "operator": "robot$ci",
            "event_data": { "resources": [{ "digest": format!("sha256:{id}"), "tag": tag,
                "resource_url": format!("harbor.example/library/app:{tag}") }],
                "repository": { "name": "app", "namespace": "library", "repo_full_name": "library/app", "repo_type": "private" } } })
    };
    post(&server, harbor("h1", "sha256:h1")).await;
    post(&server, harbor("hi", "v1")).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let got: Vec<Value> = hook.received().iter().map(|r| r.json()).collect();
    assert_eq!(got.len(), 2, "{got:#?}");
    let ecr_push = got.iter().find(|e| e["registry_kind"] == "ecr").unwrap();
    assert_eq!(ecr_push["id"], "ei");
    assert_eq!(platforms(ecr_push), ["sha256:e1", "sha256:e2"]);
    let harbor_push = got.iter().find(|e| e["registry_kind"] == "harbor").unwrap();
    assert_eq!(harbor_push["tag"], "v1");
    assert_eq!(platforms(harbor_push), ["sha256:h1"]);
}

/// Inline mode (no queue): held members are released by a timer of the process; an index
/// folds what is held.
#[tokio::test]
async fn inline_mode_holds_and_releases_in_process() {
    let Setup {
        hook,
        raw: _raw,
        server,
        _dir,
    } = setup("1s", "inline").await;
    let reply = send(&server, &acr("n1", MANIFEST, None, "team/app")).await;
    assert_eq!(reply["held"], 1, "{reply}");
    assert_eq!(
        reply["delivered"], 1,
        "the opted-out rule's target at once: {reply}"
    );
    send(&server, &acr("ni", INDEX, Some("v1"), "team/app")).await;
    send(&server, &acr("n9", MANIFEST, None, "team/other")).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(ids(&hook), ["n9", "ni"]);
    let pushed = hook
        .received()
        .iter()
        .map(|r| r.json())
        .find(|e| e["id"] == "ni")
        .unwrap();
    assert_eq!(platforms(&pushed), ["sha256:n1"]);
}
