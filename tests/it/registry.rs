//! A real CNCF Distribution registry notifying `regrelay serve` (signed in with the inbound
//! secret in the notification headers), images pushed with skopeo from OCI layouts the test
//! writes: what a webhook behind regrelay receives for a single-platform push, a two-platform
//! push with a provenance attestation, and a tag delete.

use std::time::Duration;

use regrelay_tests::Receiver;
use regrelay_tests::process::ServeProcess;
use regrelay_tests::registry::{Layout, Registry};
use serde_json::Value;

fn config(dir: &std::path::Path, hook: &str) -> std::path::PathBuf {
    let path = dir.join("registry.toml");
    std::fs::write(
        &path,
        format!(
            r#"
targets = [{{ name = "hook", type = "webhook", url = "{hook}" }}]
rules = [{{ name = "all", notifications = ["*:*"], targets = ["hook"] }}]

[inbound]
secret = "from-registry"

[store]
kind = "sqlite"
path = "{db}"
"#,
            db = dir.join("h.db").display(),
        ),
    )
    .unwrap();
    path
}

/// What the hook got once it has `count` requests and nothing more came for half a second
/// (at most 15 s).
async fn settled(hook: &Receiver, count: usize) -> Vec<Value> {
    for _ in 0..150 {
        if hook.received().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    hook.received().iter().map(|r| r.json()).collect()
}

/// The registry's own answer for `repository:reference`: the manifest's digest and body.
async fn manifest(registry: &Registry, repository: &str, reference: &str) -> (String, Value) {
    let url = format!(
        "http://{}/v2/{repository}/manifests/{reference}",
        registry.host
    );
    let reply = regrelay_tests::client()
        .get(url)
        .header(
            "accept",
            "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
        )
        .send()
        .await
        .unwrap();
    let digest = reply.headers()["docker-content-digest"]
        .to_str()
        .unwrap()
        .to_owned();
    (digest, reply.json().await.unwrap())
}

type Summary = (String, Option<String>, Option<String>);

fn sorted(mut list: Vec<Summary>) -> Vec<Summary> {
    list.sort();
    list
}

fn summary(event: &Value) -> Summary {
    let text = |key: &str| event[key].as_str().map(str::to_owned);
    (
        text("action").unwrap_or_default(),
        text("tag"),
        text("digest"),
    )
}

/// A single-platform push is one event, at once; a two-platform push with an attestation is one
/// event too (the registry reports three tagless manifests and then the tagged index; the
/// manifests are folded into the index); a tag delete is two deletes (the registry's `pull` of
/// the tag is left out by the `*:*` rule).
#[tokio::test]
async fn pushes_and_deletes_from_a_real_registry() {
    let hook = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(config(dir.path(), &hook.url("/hook"))).await;
    let Some(registry) = Registry::start(&server.url(), "from-registry").await else {
        return;
    };
    let mut layout = Layout::new(registry.scratch("layout"));
    layout.single("v1", "single");
    layout.multi("v2", "multi");
    let layout = layout.finish().to_owned();

    registry.push(&layout, "v1", "team/app");
    let single = settled(&hook, 1).await;
    let (v1, _) = manifest(&registry, "team/app", "v1").await;
    assert_eq!(
        single.iter().map(summary).collect::<Vec<_>>(),
        [("push".to_owned(), Some("v1".to_owned()), Some(v1))]
    );
    assert_eq!(single[0]["registry_kind"], "distribution");
    assert_eq!(single[0]["repository"], "team/app");

    registry.push(&layout, "v2", "team/app");
    let all = settled(&hook, 2).await;
    let (v2, index) = manifest(&registry, "team/app", "v2").await;
    assert_eq!(
        all[1..].iter().map(summary).collect::<Vec<_>>(),
        [("push".to_owned(), Some("v2".to_owned()), Some(v2.clone()))],
        "one event for the push: the index, its three manifests folded into it"
    );
    let pushed = &all[1];
    assert_eq!(
        pushed["media_type"],
        "application/vnd.oci.image.index.v1+json"
    );
    let mut folded: Vec<&str> = pushed["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["digest"].as_str().unwrap())
        .collect();
    folded.sort_unstable();
    let mut referenced: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap())
        .collect();
    referenced.sort_unstable();
    assert_eq!(folded, referenced);

    registry.delete("team/app", "v2");
    let all = settled(&hook, 4).await;
    assert_eq!(
        sorted(all[2..].iter().map(summary).collect()),
        sorted(vec![
            ("delete".to_owned(), None, Some(v2)),
            ("delete".to_owned(), Some("v2".to_owned()), None),
        ])
    );
}
