//! The Lambda handler fed `lambda_http`'s own request decoding of function URL (API Gateway v2)
//! and REST API (v1) events, plus a direct EventBridge-style invocation through pass-through.

use lambda_http::Body;
use lambda_http::request::from_str;
use regrelay_core::Pipeline;
use regrelay_core::{Config, ProcessEnv};
use regrelay_tests::{Receiver, fixture, webhook_config};
use serde_json::Value;

fn pipeline(sink_url: &str) -> Pipeline {
    let toml = format!(
        "[inbound]\nsecret = \"lambda-secret\"\n{}",
        webhook_config(sink_url)
    );
    Pipeline::new(Config::from_toml(&toml, &ProcessEnv).unwrap()).unwrap()
}

fn body_json(body: &Body) -> Value {
    match body {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap(),
        _ => Value::Null,
    }
}

#[tokio::test]
async fn function_url_push_is_delivered() {
    let sink = Receiver::start().await;
    let text = String::from_utf8(fixture("lambda/function_url.image_pushed.json")).unwrap();
    let request = from_str(&text).expect("lambda_http decodes a function URL event");
    let response = regrelay_lambda::handler(pipeline(&sink.url("/hook")), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].json()["tag"], "v1");
}

#[tokio::test]
async fn rest_api_validation_handshake() {
    let text = String::from_utf8(fixture("lambda/apigw_rest.validation.json")).unwrap();
    let request = from_str(&text).expect("lambda_http decodes a REST API event");
    let response = regrelay_lambda::handler(pipeline("http://127.0.0.1:9/unused"), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_json(response.body())["validationResponse"],
        "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    );
}

#[tokio::test]
async fn missing_secret_is_refused() {
    let text = String::from_utf8(fixture("lambda/function_url.image_pushed.json"))
        .unwrap()
        .replace("access_token=lambda-secret", "");
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["queryStringParameters"] = Value::Null;
    let request = from_str(&event.to_string()).unwrap();
    let response = regrelay_lambda::handler(pipeline("http://127.0.0.1:9/unused"), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn pass_through_invocation_fails_on_transient_errors() {
    // A direct invocation whose body is not an HTTP event: lambda_http hands it over as POST /events.
    let payload = String::from_utf8(fixture("seeds/event_grid.image_pushed.fr.json")).unwrap();
    let request = from_str(&payload).expect("pass-through");
    let result = regrelay_lambda::handler(pipeline("http://127.0.0.1:9/closed"), request).await;
    assert!(
        result.is_err(),
        "a retryable failure must fail the invocation so Lambda retries"
    );
}

/// The Lambda's metrics: after an invocation, CloudWatch EMF lines count the event, the rule's
/// match and the delivery (names unique to this test: other tests share the process's counts).
#[tokio::test]
async fn invocation_metrics_come_out_as_emf_lines() {
    regrelay_core::emf::enable();
    let sink = Receiver::start().await;
    let toml = format!(
        "[inbound]\nsecret = \"lambda-secret\"\n{}",
        webhook_config(&sink.url("/hook"))
    )
    .replace("name = \"sink\"", "name = \"emf-sink\"")
    .replace("targets = [\"sink\"]", "targets = [\"emf-sink\"]")
    .replace("name = \"everything\"", "name = \"emf-rule\"");
    let pipeline = Pipeline::new(Config::from_toml(&toml, &ProcessEnv).unwrap()).unwrap();
    let text = String::from_utf8(fixture("lambda/function_url.image_pushed.json")).unwrap();
    let response = regrelay_lambda::handler(pipeline, from_str(&text).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let docs: Vec<Value> = regrelay_core::emf::take_lines(1_700_000_000_000)
        .iter()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    let find = |name: &str, key: &str, value: &str| {
        docs.iter()
            .find(|d| d.get(name).is_some() && d[key] == value)
            .unwrap_or_else(|| panic!("no {name} for {value}: {docs:#?}"))
            .clone()
    };
    let delivered = docs
        .iter()
        .find(|d| d["target"] == "emf-sink" && d["outcome"] == "delivered")
        .expect("a deliveries document");
    assert_eq!(delivered["deliveries"], 1);
    let directive = &delivered["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "regrelay");
    assert_eq!(
        directive["Dimensions"][0],
        serde_json::json!(["target", "outcome"])
    );
    assert_eq!(find("rule_matches", "rule", "emf-rule")["rule_matches"], 1);
    let latency = find("delivery_ms", "target", "emf-sink");
    assert_eq!(latency["delivery_ms"].as_array().unwrap().len(), 1);
}

/// The console is served through a function URL like every other path.
#[tokio::test]
async fn console_page_through_a_function_url() {
    let text = String::from_utf8(fixture("lambda/function_url.image_pushed.json")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["rawPath"] = "/ui/".into();
    event["requestContext"]["http"]["path"] = "/ui/".into();
    event["requestContext"]["http"]["method"] = "GET".into();
    event["body"] = Value::Null;
    let request = from_str(&event.to_string()).unwrap();
    let response = regrelay_lambda::handler(pipeline("http://127.0.0.1:9/unused"), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let Body::Text(html) = response.body() else {
        panic!("text body");
    };
    assert!(html.contains("<script src=\"app.js\""), "{html}");
}
