//! AWS Lambda shell: translates `lambda_http` requests (function URLs, API Gateway REST and HTTP
//! APIs, ALB) to core [`InboundRequest`]s and core [`Reply`]s back. No product behaviour here.
//!
//! Direct invocations that are not HTTP-shaped (EventBridge rules or SNS subscriptions invoking
//! the function) arrive
//! through `lambda_http`'s pass-through as `POST /events`; AWS IAM already authorized them, so the
//! shell marks them authenticated by the platform, and a transient failure fails the invocation
//! so Lambda's own retry (and the rule's dead-letter queue) takes over.
//!
//! The SQS event source mapping of queued mode also arrives through pass-through: its records
//! are work items, run one by one, and the reply lists the failed ones as `batchItemFailures`
//! (`ReportBatchItemFailures`), so only those come back.

use bytes::Bytes;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use regrelay_core::{InboundRequest, Pipeline, Reply};

/// Why an invocation failed (only for pass-through invocations, which have no HTTP status).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Some delivery may succeed later: let Lambda retry the invocation.
    #[error("transient failure, retry: {0}")]
    Transient(String),
}

/// Handles one Lambda HTTP request.
pub async fn handler(pipeline: Pipeline, request: Request) -> Result<Response<Body>, HandlerError> {
    let pass_through = matches!(
        request.request_context_ref(),
        Some(RequestContext::PassThrough)
    );
    let mut inbound = to_inbound(request);
    inbound.platform_authenticated = pass_through;
    if pass_through && let Some(records) = regrelay_core::parse_sqs_event(&inbound.body) {
        return Ok(batch_reply(&pipeline, records).await);
    }
    let reply = pipeline.handle(inbound).await;
    if pass_through && reply.status.is_server_error() {
        return Err(HandlerError::Transient(
            String::from_utf8_lossy(&reply.body).into_owned(),
        ));
    }
    Ok(to_response(reply))
}

/// Prints the metrics of the invocation that just ended as CloudWatch Embedded Metric Format
/// lines on standard output (one JSON object per line), where CloudWatch Logs extracts them.
pub fn print_metrics() {
    use std::io::Write;
    let lines = regrelay_core::emf::take_lines(chrono_now_ms());
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs the work items of an SQS batch; the reply names the messages to hand out again.
async fn batch_reply(
    pipeline: &Pipeline,
    records: Vec<regrelay_core::SqsRecord>,
) -> Response<Body> {
    let failures: Vec<serde_json::Value> = pipeline
        .work_batch(records)
        .await
        .into_iter()
        .map(|id| serde_json::json!({ "itemIdentifier": id }))
        .collect();
    let body = serde_json::json!({ "batchItemFailures": failures }).to_string();
    let mut response = Response::new(Body::Text(body));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The core request for a Lambda HTTP request.
pub fn to_inbound(request: Request) -> InboundRequest {
    let (parts, body) = request.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    let mut inbound = InboundRequest::new(parts.method, parts.uri.path());
    inbound.query = parts.uri.query().map(str::to_owned);
    inbound.headers = parts.headers;
    inbound.body = body;
    inbound
}

/// The Lambda response for a core reply (text bodies stay text, so API Gateway does not need
/// binary media types configured).
pub fn to_response(reply: Reply) -> Response<Body> {
    let body = match String::from_utf8(reply.body.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(bytes) => Body::Binary(bytes.into_bytes()),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    for (name, value) in reply.headers {
        response.headers_mut().append(name, value);
    }
    response
}

impl From<HandlerError> for lambda_http::lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        lambda_http::lambda_runtime::Diagnostic {
            error_type: "TransientDeliveryFailure".into(),
            error_message: error.to_string(),
        }
    }
}
