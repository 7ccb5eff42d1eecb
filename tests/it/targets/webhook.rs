//! Webhooks, against receivers that check what the real service checks.

use super::*;
// ---------------------------------------------------------------------------------------------
// Webhooks: Standard Webhooks signing, CloudEvents, original bodies, auth.

#[tokio::test]
async fn signed_webhook_verifies_and_keeps_its_id_across_retries() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let hook = Checker::start(move |got| {
        let problem = standard_webhooks(got).err();
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        Verdict {
            status: if problem.is_some() {
                401
            } else if first {
                503
            } else {
                204
            },
            body: String::new(),
            problem,
        }
    })
    .await;
    let config = format!(
        "type = \"webhook\"\nurl = \"{}\"\nsigning = {{ scheme = \"standard-webhooks\", secret = \"${{env:HOOK_WHSEC}}\" }}\nauth = {{ bearer = \"t0k\" }}",
        hook.url("/hooks/registry")
    );
    let app = app_with(&config).await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert_eq!(status, 200, "{body}");
    let got = hook.clean();
    assert_eq!(got.len(), 2, "one 503, then accepted");
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
    assert_eq!(got[0].headers["authorization"], "Bearer t0k");
    assert_eq!(got[0].json()["id"], PUSHED_ID, "normalized body by default");
}

#[tokio::test]
async fn cloudevents_structured_and_binary_carry_the_attributes() {
    let structured = Checker::start(|got| {
        let body = got.json();
        let problem = [
            (
                got.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/cloudevents+json"),
                "content-type",
            ),
            (body["specversion"] == "1.0", "specversion"),
            (body["id"] == PUSHED_ID, "id"),
            (
                body["type"] == "Microsoft.ContainerRegistry.ImagePushed",
                "type",
            ),
            (
                body["source"]
                    .as_str()
                    .is_some_and(|s| s.contains("/registries/")),
                "source",
            ),
            (body["data"]["repository"] == "aci-helloworld", "data"),
        ]
        .into_iter()
        .find(|(fine, _)| !fine)
        .map(|(_, what)| format!("bad {what}"));
        Verdict {
            status: if problem.is_some() { 400 } else { 200 },
            body: String::new(),
            problem,
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"webhook\"\nurl = \"{}\"\nformat = \"cloudevents\"",
        structured.url("/ce")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(structured.clean().len(), 1);

    let binary = Checker::start(|got| {
        let header = |name: &str| {
            got.headers
                .get(name)
                .map(|v| percent_decode(v.to_str().unwrap()))
        };
        let problem = [
            (
                header("content-type").as_deref() == Some("application/json"),
                "content-type",
            ),
            (
                header("ce-specversion").as_deref() == Some("1.0"),
                "ce-specversion",
            ),
            (header("ce-id").as_deref() == Some(PUSHED_ID), "ce-id"),
            (
                header("ce-type").as_deref() == Some("Microsoft.ContainerRegistry.ImagePushed"),
                "ce-type",
            ),
            (
                header("ce-source").is_some_and(|s| s.ends_with("/registries/<name>")),
                "ce-source",
            ),
            (
                header("ce-subject").as_deref() == Some("aci-helloworld:v1"),
                "ce-subject",
            ),
            (
                header("ce-datacontenttype").is_none(),
                "no ce-datacontenttype",
            ),
            (got.json()["id"] == PUSHED_ID, "body"),
        ]
        .into_iter()
        .find(|(fine, _)| !fine)
        .map(|(_, what)| format!("bad {what}"));
        Verdict {
            status: if problem.is_some() { 400 } else { 200 },
            body: String::new(),
            problem,
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"webhook\"\nurl = \"{}\"\nformat = \"cloudevents-binary\"",
        binary.url("/ce")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(binary.clean().len(), 1);
}

#[tokio::test]
async fn original_format_sends_the_event_as_received_with_basic_auth() {
    let hook = Checker::start(|_| ok(200, "")).await;
    let config = format!(
        "type = \"webhook\"\nurl = \"{}\"\nformat = \"original\"\nauth = {{ basic = {{ username = \"relay\", password = \"pw\" }} }}",
        hook.url("/orig")
    );
    let app = app_with(&config).await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    let got = hook.clean();
    let sent: Value = serde_json::from_slice(&got[0].body).unwrap();
    let original: Value = serde_json::from_slice(&fixture(PUSHED)).unwrap();
    assert_eq!(sent, original[0], "the Event Grid event, unchanged");
    assert_eq!(
        got[0].headers["authorization"],
        format!("Basic {}", base64(b"relay:pw"))
    );
    assert!(
        got[0].headers.contains_key("webhook-id"),
        "sent even unsigned"
    );
}
