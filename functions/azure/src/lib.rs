//! Azure Functions custom handler: an axum app that translates the Functions host's requests into
//! core [`InboundRequest`]s and core [`Reply`]s back. No product behaviour lives here.
//!
//! The host reaches the handler two ways (see `host.json` and `app/*/function.json`):
//! - forwarded HTTP (`enableForwardingHttpRequest`): the original request at its original path,
//!   e.g. `POST /api/events`, answered as is;
//! - invocation payloads (`POST /{function}` with `{"Data": …, "Metadata": …}`): the
//!   `eventGridTrigger` function, and HTTP functions when forwarding is off; see [`invocation`].
//!
//! `regrelay serve` runs this same app locally.

pub mod invocation;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Limited};
use regrelay_core::{InboundRequest, Pipeline, Reply};

/// Header the Functions host puts on every invocation it sends to the handler.
pub const INVOCATION_ID: &str = "x-azure-functions-invocationid";

/// The handler's routes: every request goes through [`handle`].
pub fn app(pipeline: Pipeline) -> Router {
    Router::new().fallback(handle).with_state(pipeline)
}

/// Translates one HTTP request, runs the pipeline, translates the reply.
pub async fn handle(State(pipeline): State<Pipeline>, request: Request) -> Response {
    let limit = pipeline.config().inbound.max_body_bytes;
    let inbound = match read_request(request, limit).await {
        Ok(inbound) => inbound,
        Err(reply) => return to_response(reply),
    };
    let reply = if inbound.headers.contains_key(INVOCATION_ID)
        && invocation::is_function_path(&inbound.path)
    {
        invocation::handle(&pipeline, inbound).await
    } else {
        pipeline.handle(inbound).await
    };
    to_response(reply)
}

/// Reads the request, refusing bodies over `limit` with 413 before buffering past it.
pub async fn read_request(request: Request, limit: usize) -> Result<InboundRequest, Reply> {
    let (parts, body) = request.into_parts();
    let body: Bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            let message = format!("body exceeds the limit of {limit} bytes");
            return Err(Reply::error(StatusCode::PAYLOAD_TOO_LARGE, &message));
        }
        Err(_) => {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "could not read the request body",
            ));
        }
    };
    Ok(InboundRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    })
}

/// Turns a core reply into an axum response (with `Content-Length`, never chunked: Event Grid's
/// validation once failed on chunked replies).
pub fn to_response(reply: Reply) -> Response {
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    response
}
