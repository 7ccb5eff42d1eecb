//! The Functions host's invocation protocol for custom handlers: `POST /{function}` with
//! `{"Data": {binding: value}, "Metadata": {…}}`, answered with `{"Outputs", "Logs", "ReturnValue"}`.
//!
//! - `eventgrid` (`eventGridTrigger`, binding `eventGridEvent`): one event per invocation (the host
//!   answers Event Grid's handshake itself). The event runs through the pipeline as a one-event
//!   delivery; a transient failure fails the invocation (non-2xx) so Event Grid retries, while a
//!   permanently bad event is recorded as rejected and acknowledged.
//! - `deliver` (`queueTrigger` on the delivery queue, binding `workItem`): one queued delivery
//!   per invocation, `Metadata.DequeueCount` telling how often the host handed it out. Success
//!   acknowledges the message; a failure (the store is down) is a non-2xx, so the host makes the
//!   message visible again and, after `maxDequeueCount`, moves it to `<queue>-poison`.
//! - `deadletter` (`queueTrigger` on the poison queue): marks the pair dead-lettered in history.
//! - HTTP functions without forwarding (binding `req`): `{Url, Method, Query, Headers, Body}` in,
//!   `Outputs.res = {statusCode, headers, body}` out. Bodies are returned as JSON objects, never as
//!   bare strings, which the host may mistake for base64.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use regrelay_core::{InboundRequest, Pipeline, Reply};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Function folders the host may invoke by name.
const FUNCTIONS: [&str; 6] = [
    "/eventgrid",
    "/events",
    "/event",
    "/health",
    "/deliver",
    "/deadletter",
];

/// Whether `path` is a function name the host invokes with an invocation payload.
pub fn is_function_path(path: &str) -> bool {
    FUNCTIONS.contains(&path)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Invocation {
    #[serde(default)]
    data: Map<String, Value>,
    #[serde(default)]
    metadata: Map<String, Value>,
}

/// Answers one invocation payload.
pub async fn handle(pipeline: &Pipeline, request: InboundRequest) -> Reply {
    let invocation: Invocation = match serde_json::from_slice(&request.body) {
        Ok(invocation) => invocation,
        Err(error) => {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                &format!("invocation payload is not valid JSON: {error}"),
            );
        }
    };
    match request.path.as_str() {
        "/eventgrid" => return event_grid_trigger(pipeline, &invocation).await,
        "/deliver" | "/deadletter" => {
            return queue_trigger(pipeline, &request.path, &invocation).await;
        }
        _ => {}
    }
    http_trigger(pipeline, &request.path, &invocation).await
}

async fn event_grid_trigger(pipeline: &Pipeline, invocation: &Invocation) -> Reply {
    let Some(event) = invocation.data.get("eventGridEvent").map(decoded) else {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "invocation has no Data.eventGridEvent",
        );
    };
    let cloud_event = event.get("specversion").is_some();
    let (content_type, body) = if cloud_event {
        ("application/cloudevents+json", event.to_string())
    } else {
        ("application/json", Value::Array(vec![event]).to_string())
    };
    let mut request = InboundRequest::new(Method::POST, "/api/events");
    request.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    request
        .headers
        .insert("aeg-event-type", HeaderValue::from_static("Notification"));
    request.body = Bytes::from(body);
    // The host authenticated the trigger (Event Grid's subscription to this function).
    request.platform_authenticated = true;
    let reply = pipeline.handle(request).await;
    let log = String::from_utf8_lossy(&reply.body).into_owned();
    let status = if reply.status.is_server_error() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    Reply::json(
        status,
        &json!({ "Outputs": {}, "Logs": [log], "ReturnValue": null }),
    )
}

/// A delivery queue message (`deliver`) or a poison one (`deadletter`).
async fn queue_trigger(pipeline: &Pipeline, function: &str, invocation: &Invocation) -> Reply {
    let text = match invocation.data.get("workItem") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => {
            return Reply::error(StatusCode::BAD_REQUEST, "invocation has no Data.workItem");
        }
    };
    let receives = match invocation.metadata.get("DequeueCount") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .and_then(|n| u32::try_from(n).ok())
    .unwrap_or(1);
    let result = if function == "/deliver" {
        pipeline
            .work_message(&text, receives)
            .await
            .map(|w| format!("{w:?}"))
    } else {
        pipeline
            .dead_letter_message(&text)
            .await
            .map(|()| "dead-lettered".to_owned())
    };
    match result {
        Ok(log) => Reply::json(
            StatusCode::OK,
            &json!({ "Outputs": {}, "Logs": [log], "ReturnValue": null }),
        ),
        Err(error) => Reply::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "Outputs": {}, "Logs": [error.to_string()], "ReturnValue": null }),
        ),
    }
}

async fn http_trigger(pipeline: &Pipeline, function: &str, invocation: &Invocation) -> Reply {
    let Some(req) = invocation.data.get("req").map(decoded) else {
        return Reply::error(StatusCode::BAD_REQUEST, "invocation has no Data.req");
    };
    let request = match http_request(function, &req) {
        Ok(request) => request,
        Err(message) => return Reply::error(StatusCode::BAD_REQUEST, &message),
    };
    let reply = pipeline.handle(request).await;
    let headers: Map<String, Value> = reply
        .headers
        .iter()
        .filter_map(|(n, v)| {
            Some((
                n.as_str().to_owned(),
                Value::String(v.to_str().ok()?.to_owned()),
            ))
        })
        .collect();
    let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    let res = json!({ "statusCode": reply.status.as_u16(), "headers": headers, "body": body });
    Reply::json(
        StatusCode::OK,
        &json!({ "Outputs": { "res": res }, "Logs": [], "ReturnValue": null }),
    )
}

/// The original HTTP request from the host's `{Url, Method, Query, Headers, Body}` form.
fn http_request(function: &str, req: &Value) -> Result<InboundRequest, String> {
    let method = req.get("Method").and_then(Value::as_str).unwrap_or("POST");
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|_| format!("bad method '{method}'"))?;
    let url = req.get("Url").and_then(Value::as_str).unwrap_or_default();
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    let path = if path.is_empty() || path == "/" {
        format!("/api{function}")
    } else {
        path.to_owned()
    };
    let mut request = InboundRequest::new(method, &path);
    for (name, values) in req
        .get("Headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        let values = match values {
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Value::String(text) => vec![text.clone()],
            _ => Vec::new(),
        };
        for value in values {
            if let Ok(value) = HeaderValue::from_str(&value) {
                request.headers.append(name.clone(), value);
            }
        }
    }
    request.body = match req.get("Body") {
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(Value::Null) | None => Bytes::new(),
        Some(other) => Bytes::from(other.to_string()),
    };
    Ok(request)
}

/// A binding value that the host may have serialized to a JSON string.
fn decoded(value: &Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}
