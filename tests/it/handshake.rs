//! Handshakes over real HTTP on loopback, as Event Grid and CloudEvents senders perform them.

use regrelay_tests::{App, Receiver, client, fixture, webhook_config};
use serde_json::Value;

#[tokio::test]
async fn event_grid_validation_echoes_the_code_with_200() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let reply = client()
        .post(app.url("/api/events"))
        .header("content-type", "application/json")
        .header("aeg-event-type", "SubscriptionValidation")
        .body(fixture("event_grid/subscription_validation.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status(),
        200,
        "never 202: Event Grid does not accept it"
    );
    assert!(
        reply.headers().get("content-length").is_some(),
        "not chunked"
    );
    let body: Value = reply.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" })
    );
    assert!(sink.received().is_empty(), "a handshake is not fanned out");
}

#[tokio::test]
async fn cloud_events_subscription_validation_with_double_encoded_data() {
    let app = App::start(&webhook_config("http://127.0.0.1:9/unused")).await;
    let reply = client()
        .post(app.url("/api/events"))
        .header(
            "content-type",
            "application/cloudevents+json; charset=utf-8",
        )
        .body(fixture("cloudevents/validation.double_encoded.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["validationResponse"], "c0de-ce-1");
}

#[tokio::test]
async fn subscription_deletion_is_acknowledged_without_fan_out() {
    let sink = Receiver::start().await;
    let app = App::start(&webhook_config(&sink.url("/hook"))).await;
    let reply = client()
        .post(app.url("/api/events"))
        .header("content-type", "application/json")
        .header("aeg-event-type", "SubscriptionDeletion")
        .body(fixture("event_grid/subscription_deletion.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn cloud_events_options_grants_allowlisted_origins_only() {
    let app = App::start(&format!(
        "[inbound]\nallowed_origins = [\"eventgrid.azure.net\", \"eventgrid.azure.cn\"]\nallowed_rate = \"120\"\n{}",
        webhook_config("http://127.0.0.1:9/unused")
    ))
    .await;
    let http = client();
    let options = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, app.url("/api/events"))
            .header("WebHook-Request-Origin", origin)
            .send()
    };
    let granted = options("eventgrid.azure.cn").await.unwrap();
    assert_eq!(granted.status(), 200);
    assert_eq!(
        granted.headers()["webhook-allowed-origin"],
        "eventgrid.azure.cn"
    );
    assert_eq!(granted.headers()["webhook-allowed-rate"], "120");
    assert_eq!(granted.headers()["allow"], "POST, OPTIONS");

    let refused = options("attacker.example.com").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("webhook-allowed-origin").is_none());
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("attacker.example.com")
    );

    let bare = http
        .request(reqwest::Method::OPTIONS, app.url("/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 400);
}

#[tokio::test]
async fn inbound_secret_is_required_when_configured() {
    let sink = Receiver::start().await;
    let config = format!(
        "[inbound]\nsecret = \"old-secret, new-secret\"\n{}",
        webhook_config(&sink.url("/hook"))
    );
    let app = App::start(&config).await;
    let http = client();
    let post = |url: String| {
        http.post(url)
            .header("content-type", "application/json")
            .header("aeg-event-type", "SubscriptionValidation")
            .body(fixture("event_grid/subscription_validation.json"))
    };
    let missing = post(app.url("/api/events")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let wrong = post(app.url("/api/events?access_token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let query = post(app.url("/api/events?access_token=new-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        query.status(),
        200,
        "the query form Event Grid endpoint URLs use"
    );
    let bearer = post(app.url("/api/events"))
        .bearer_auth("old-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200, "either secret works during rotation");
    let health = http.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "health needs no secret");
}
