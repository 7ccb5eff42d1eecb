//! The trace console in a real browser (headless Chromium over WebDriver): events posted through
//! the API are listed, filtered, opened with their attempts, and a dead letter is redriven with
//! the write secret and seen delivered. A hostile repository name stays text.
//!
//! `REGRELAY_SCREENSHOTS=docs` also writes the list and detail screenshots the README shows.

use std::path::PathBuf;
use std::time::Duration;

use regrelay_tests::process::ServeProcess;
use regrelay_tests::webdriver::Browser;
use regrelay_tests::{Receiver, Scripted, client};

const HOSTILE: &str = "team/<img src=x onerror=document.title='owned'>";

fn config(dir: &std::path::Path, hook: &str) -> PathBuf {
    regrelay_tests::write_config(
        dir,
        "console.toml",
        &format!(
            r#"
targets = [
  {{ name = "hook", type = "webhook", url = "{hook}" }},
  {{ name = "audit", type = "log" }},
]
rules = [{{ name = "pushes", notifications = ["*:push"], targets = ["hook", "audit"] }}]

[store]
kind = "sqlite"
path = "{db}"

[delivery]
mode = "inline"

[inbound]
secret = "sender"
read_secret = "reader"
write_secret = "writer"
"#,
            db = dir.join("h.db").display(),
        ),
    )
}

async fn post(server: &ServeProcess, id: &str, repository: &str, tag: &str) {
    let body = serde_json::json!({
        "specversion": "1.0", "id": id,
        "source": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo",
        "type": "Microsoft.ContainerRegistry.ImagePushed",
        "data": { "action": "push",
            "target": { "repository": repository, "tag": tag, "digest": "sha256:abc" },
            "request": { "host": "demo.azurecr.io" } }
    });
    let status = client()
        .post(server.url())
        .bearer_auth("sender")
        .header("content-type", "application/cloudevents+json")
        .body(body.to_string())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200, "{id}");
}

fn save(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    if let Ok(dir) = std::env::var("REGRELAY_SCREENSHOTS") {
        std::fs::write(regrelay_tests::root().join(dir).join(name), png).unwrap();
    }
}

/// The hook refuses the first event (400: dead-lettered at once) and accepts everything after.
#[tokio::test]
async fn console_lists_opens_and_redrives_in_a_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let hook = Receiver::scripted(vec![Scripted::status(400)]).await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(config(dir.path(), &hook.url("/hook"))).await;
    post(&server, "evt-refused", "team/api", "v1").await;
    post(&server, "evt-ok", "team/web", "v2").await;
    post(&server, "evt-hostile", HOSTILE, "v3").await;
    let ui = format!("http://127.0.0.1:{}/ui", server.port);

    // Without the read secret the page says what is missing.
    browser.goto(&ui).await;
    browser.wait_text("#status", "read secret").await;
    browser
        .type_into(&browser.find("#read-secret").await, "reader")
        .await;
    browser.click(&browser.find("#auth button").await).await;
    let rows = browser
        .wait_for("#events tbody tr", |rows| rows.len() == 3)
        .await;
    let first = browser.text(&rows[0]).await;
    assert!(
        first.contains("evt-hostile") && first.contains(HOSTILE),
        "{first}"
    );
    let injected = browser.find_all("#events img").await;
    assert!(injected.is_empty(), "event fields are text, never markup");
    let title = browser
        .execute("return document.title", serde_json::json!([]))
        .await;
    assert_eq!(title, "regrelay console");
    let refused = browser.text(&rows[2]).await;
    assert!(
        refused.contains("evt-refused") && refused.contains("dead lettered"),
        "{refused}"
    );
    browser.wait_text("#targets", "hook").await;
    save("console-list.png", &browser.screenshot().await);

    // Filtered by state: only the dead letter.
    browser
        .execute(
            "document.querySelector('#filters select[name=state]').value = 'dead_lettered'",
            serde_json::json!([]),
        )
        .await;
    browser.click(&browser.find("#apply").await).await;
    let rows = browser
        .wait_for("#events tbody tr", |rows| rows.len() == 1)
        .await;
    assert!(browser.text(&rows[0]).await.contains("evt-refused"));

    // One event: its attempt, with the target's status and reply.
    browser.click(&rows[0]).await;
    browser.wait_text("#detail-title", "evt-refused").await;
    let timeline = browser
        .wait_text(".timeline[data-target=hook]", "HTTP 400")
        .await;
    assert!(
        timeline.contains("dead lettered") && timeline.contains("1 attempt"),
        "{timeline}"
    );
    let rules = browser.text(&browser.find("#decisions").await).await;
    assert!(
        rules.contains("pushes") && rules.contains("matched"),
        "{rules}"
    );
    save("console-event.png", &browser.screenshot().await);

    // Redrive: asks for confirmation and the write secret; a wrong secret is refused.
    let redrive = browser
        .find(".timeline[data-target=hook] button.redrive")
        .await;
    browser.click(&redrive).await;
    browser.wait_text("#redrive-question", "evt-refused").await;
    browser
        .type_into(&browser.find("#write-secret").await, "reader")
        .await;
    browser.click(&browser.find("#redrive-confirm").await).await;
    browser
        .wait_text("#redrive-result", "Redrive refused: 401")
        .await;
    assert_eq!(hook.received().len(), 3, "a refused redrive sends nothing");

    browser.click(&redrive).await;
    let secret = browser.find("#write-secret").await;
    browser.clear(&secret).await;
    browser.type_into(&secret, "writer").await;
    browser.click(&browser.find("#redrive-confirm").await).await;
    browser
        .wait_text("#redrive-result", "Redriven: hook accepted it (HTTP 200)")
        .await;
    let timeline = browser
        .wait_text(".timeline[data-target=hook]", "2 attempts")
        .await;
    assert!(timeline.contains("delivered"), "{timeline}");
    let got = hook.wait_for(4).await;
    assert_eq!(got.len(), 4, "the redrive reached the hook once");
    assert_eq!(got[3].json()["id"], "evt-refused");
}

/// A CloudEvent of an ACR push of one manifest (`tag` absent for a platform manifest).
async fn post_manifest(server: &ServeProcess, id: &str, media: &str, tag: Option<&str>) {
    let mut target = serde_json::json!({ "repository": "team/multi", "mediaType": media, "digest": format!("sha256:{id}") });
    if let Some(tag) = tag {
        target["tag"] = tag.into();
    }
    let body = serde_json::json!({
        "specversion": "1.0", "id": id,
        "source": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo",
        "type": "Microsoft.ContainerRegistry.ImagePushed",
        "data": { "action": "push", "target": target, "request": { "host": "demo.azurecr.io" } }
    });
    let reply = client()
        .post(server.url())
        .bearer_auth("sender")
        .header("content-type", "application/cloudevents+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200, "{id}");
}

/// One push of a two-platform image: the console shows the push's event with the manifests it
/// folded and its platforms, and each manifest as folded into it.
#[tokio::test]
async fn console_shows_one_push_of_a_multi_platform_image() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let hook = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(config(dir.path(), &hook.url("/hook"))).await;
    let manifest = "application/vnd.oci.image.manifest.v1+json";
    post_manifest(&server, "amd64-manifest", manifest, None).await;
    post_manifest(&server, "arm64-manifest", manifest, None).await;
    post_manifest(
        &server,
        "v2-index",
        "application/vnd.oci.image.index.v1+json",
        Some("v2"),
    )
    .await;
    let got = hook.wait_for(1).await;
    assert_eq!(
        got[0].json()["id"],
        "v2-index",
        "the hook gets the push's one event"
    );

    browser
        .goto(&format!("http://127.0.0.1:{}/ui/", server.port))
        .await;
    browser
        .type_into(&browser.find("#read-secret").await, "reader")
        .await;
    browser.click(&browser.find("#auth button").await).await;
    browser
        .wait_for("#events tbody tr", |rows| rows.len() == 3)
        .await;
    let list = browser.text(&browser.find("#events").await).await;
    // Each manifest's row: its state and both targets' pairs folded.
    assert_eq!(list.matches("folded").count(), 6, "{list}");
    browser
        .goto(&format!(
            "http://127.0.0.1:{}/ui/#/event/v2-index",
            server.port
        ))
        .await;
    let facts = browser
        .wait_text("#facts", "One push: 2 manifest(s) folded")
        .await;
    assert!(
        facts.contains("sha256:amd64-manifest") && facts.contains("sha256:arm64-manifest"),
        "{facts}"
    );
    save("console-push.png", &browser.screenshot().await);
    browser
        .goto(&format!(
            "http://127.0.0.1:{}/ui/#/event/arm64-manifest",
            server.port
        ))
        .await;
    browser.wait_text("#facts", "folded into v2-index").await;
    let hook_pair = browser
        .wait_text(".timeline[data-target=hook]", "folded")
        .await;
    assert!(hook_pair.contains("folded into v2-index"), "{hook_pair}");
}
