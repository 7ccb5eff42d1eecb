//! A real CNCF Distribution registry notifying `regrelay serve` (signed in with the inbound
//! secret in the notification headers), images pushed with skopeo from OCI layouts the test
//! writes: what a webhook behind regrelay receives for a single-platform push, a two-platform
//! push with a provenance attestation, and a tag delete.

use std::time::Duration;

use regrelay_tests::Receiver;
use regrelay_tests::process::ServeProcess;
use regrelay_tests::registry::{Layout, Registry};
use serde_json::Value;

fn config(dir: &std::path::Path, hook: &str, registry: &str) -> std::path::PathBuf {
    regrelay_tests::write_config(
        dir,
        "registry.toml",
        &format!(
            r#"
targets = [{{ name = "hook", type = "webhook", url = "{hook}" }}]
rules = [{{ name = "all", notifications = ["*:*"], targets = ["hook"] }}]

[inbound]
secret = "from-registry"
read_secret = "reader"

[[registries]]
host = "{registry}"
url = "http://{registry}"

[store]
kind = "sqlite"
path = "{db}"
"#,
            db = dir.join("h.db").display(),
        ),
    )
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
    let host = format!("127.0.0.1:{}", regrelay_tests::free_port());
    let server = ServeProcess::start(config(dir.path(), &hook.url("/hook"), &host)).await;
    let Some(registry) = Registry::start_at(host, &server.url(), "from-registry").await else {
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
    // Enriched from the registry: the platforms with their os and architecture, and the
    // provenance attestation apart.
    let manifests = index["manifests"].as_array().unwrap();
    let mut platforms: Vec<(String, String)> = pushed["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["architecture"].as_str().unwrap().to_owned(),
                p["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    platforms.sort();
    let expected: Vec<(String, String)> = manifests[..2]
        .iter()
        .map(|m| {
            (
                m["platform"]["architecture"].as_str().unwrap().to_owned(),
                m["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(platforms, expected, "{pushed:#}");
    assert_eq!(
        pushed["attestations"],
        serde_json::json!([manifests[2]["digest"]])
    );
    let url = format!("{}/{}", server.url(), pushed["id"].as_str().unwrap());
    let trace = regrelay_tests::get_json(&url, Some("reader")).await;
    assert_eq!(
        trace["record"]["coalescing"]["folded"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{trace:#}"
    );

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

/// A registry behind a token service (the Distribution token flow, as Docker Hub, ACR and Harbor
/// run it): the index is read with a token fetched once with the configured credentials (or
/// with basic credentials where the registry asks for those), a
/// Docker Hub push's missing digest is resolved from its tag; a registry that cannot be reached
/// leaves a note in the event's trace and the event goes on.
#[tokio::test]
async fn enrichment_through_a_token_service_and_when_the_registry_is_down() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let tokens = Arc::new(AtomicUsize::new(0));
    let index = serde_json::json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            { "digest": "sha256:amd", "platform": { "os": "linux", "architecture": "amd64" } },
            { "digest": "sha256:arm", "platform": { "os": "linux", "architecture": "arm", "variant": "v7" } } ] });
    let realm = format!("http://{host}/token");
    let issued = Arc::clone(&tokens);
    let app = axum::Router::new()
        .route(
            "/token",
            axum::routing::get(move |headers: HeaderMap, query: axum::extract::RawQuery| {
                let issued = Arc::clone(&issued);
                async move {
                    // Basic ci:s3cret, for a pull scope.
                    let basic = headers.get("authorization").and_then(|v| v.to_str().ok());
                    let scope = query.0.unwrap_or_default();
                    if basic != Some("Basic Y2k6czNjcmV0") || !scope.contains("%3Apull") {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    issued.fetch_add(1, Ordering::SeqCst);
                    (
                        [("content-type", "application/json")],
                        serde_json::json!({ "token": "tok-1", "expires_in": 300 }).to_string(),
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/v2/{*path}",
            axum::routing::get(move |headers: HeaderMap, path: axum::extract::Path<String>| {
                let (index, realm) = (index.clone(), realm.clone());
                async move {
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
                    // `basic/…` repositories want basic credentials on the request itself.
                    if path.0.starts_with("basic/") {
                        if auth != Some("Basic Y2k6czNjcmV0") {
                            return (StatusCode::UNAUTHORIZED, [("www-authenticate", r#"Basic realm="fake""#)]).into_response();
                        }
                        return ([("content-type", "application/json")], index.to_string()).into_response();
                    }
                    if auth != Some("Bearer tok-1") {
                        let challenge = format!(r#"Bearer realm="{realm}",service="fake",scope="repository:team/app:pull""#);
                        return (StatusCode::UNAUTHORIZED, [("www-authenticate", challenge)]).into_response();
                    }
                    // A digest reads the index; the tag list has two tags; `scanned` is at
                    // sha256:scanned, any other tag (Docker Hub's `latest`) at sha256:resolved.
                    if path.0.contains("/manifests/sha256:") {
                        ([("content-type", "application/json")], index.to_string()).into_response()
                    } else if path.0.ends_with("/tags/list") {
                        ([("content-type", "application/json")], r#"{"tags":["v0","scanned"]}"#.to_owned()).into_response()
                    } else if path.0.ends_with("/manifests/scanned") {
                        ([("docker-content-digest", "sha256:scanned")], String::new()).into_response()
                    } else {
                        ([("docker-content-digest", "sha256:resolved")], String::new()).into_response()
                    }
                }
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let hook = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = regrelay_tests::write_config(
        dir.path(),
        "token.toml",
        &format!(
            r#"
targets = [{{ name = "hook", type = "webhook", url = "{hook}" }}]
rules = [{{ name = "all", notifications = ["*:*"], targets = ["hook"] }}]

[store]
kind = "memory"

[[registries]]
host = "{host}"
url = "http://{host}"
username = "ci"
password = "${{env:REGISTRY_PASSWORD}}"

[[registries]]
host = "docker.io"
url = "http://{host}"
username = "ci"
password = "${{env:REGISTRY_PASSWORD}}"

[[registries]]
host = "127.0.0.1:9"
url = "http://127.0.0.1:9"
timeout = "500ms"
"#,
            hook = hook.url("/hook"),
        ),
    );
    let server =
        ServeProcess::start_with_env(path, vec![("REGISTRY_PASSWORD".into(), "s3cret".into())])
            .await;
    let index_push = |id: &str, registry: &str, repository: &str| {
        serde_json::json!([{ "id": id, "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo",
            "subject": format!("{repository}:v1"), "eventType": "Microsoft.ContainerRegistry.ImagePushed", "eventTime": "2026-12-05T08:00:00Z",
            "dataVersion": "1.0", "metadataVersion": "1",
            "data": { "id": id, "action": "push", "target": { "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": format!("sha256:{id}"), "repository": repository, "tag": "v1" },
                "request": { "host": registry } } }])
    };
    for (id, registry, repository) in [
        ("t1", host.as_str(), "team/app"),
        ("t2", host.as_str(), "team/app"),
        ("t3", "127.0.0.1:9", "team/app"),
        ("t4", host.as_str(), "basic/app"),
    ] {
        let reply = regrelay_tests::client()
            .post(server.url())
            .header("content-type", "application/json")
            .header("aeg-event-type", "Notification")
            .body(index_push(id, registry, repository).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{id}");
    }
    // Docker Hub sends no digest: it is resolved from the tag.
    let hub = regrelay_tests::client()
        .post(server.url())
        .header("content-type", "application/json")
        .body(regrelay_tests::fixture("docker_hub/push.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(hub.status(), 200);
    // A Harbor scan names the digest only: its tag is found among the repository's tags.
    let scan = serde_json::json!({ "type": "SCANNING_COMPLETED", "occur_at": 1_764_921_600, "operator": "auto",
        "event_data": { "resources": [{ "digest": "sha256:scanned",
            "resource_url": format!("{host}/team/app@sha256:scanned"),
            "scan_overview": {} }],
            "repository": { "name": "app", "namespace": "team", "repo_full_name": "team/app", "repo_type": "private" } } });
    let reply = regrelay_tests::client()
        .post(server.url())
        .header("content-type", "application/json")
        .body(scan.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let got: Vec<Value> = hook.wait_for(6).await.iter().map(|r| r.json()).collect();
    let scanned = got
        .iter()
        .find(|e| e["action"] == "scan")
        .expect("the scan");
    assert_eq!(scanned["tag"], "scanned", "{scanned:#}");
    let hub = got
        .iter()
        .find(|e| e["registry_kind"] == "docker_hub")
        .unwrap();
    assert_eq!(hub["digest"], "sha256:resolved", "{hub:#}");
    for id in ["t1", "t2", "t4"] {
        let event = got.iter().find(|e| e["id"] == id).unwrap();
        assert_eq!(event["platforms"][1]["variant"], "v7", "{event:#}");
        assert_eq!(event["platforms"][0]["os"], "linux");
    }
    assert_eq!(
        tokens.load(Ordering::SeqCst),
        2,
        "one token per registry and repository, reused by the second index lookup"
    );
    let down = got.iter().find(|e| e["id"] == "t3").unwrap();
    assert!(down.get("platforms").is_none(), "{down:#}");
    let trace = regrelay_tests::get_json(&format!("{}/t3", server.url()), None).await;
    let notes = trace["record"]["notes"].to_string();
    assert!(
        notes.contains("could not connect to the registry"),
        "{trace:#}"
    );
}
