//! Azure Functions custom handler: an axum app that translates the Functions host's requests into
//! core [`InboundRequest`]s and core [`Reply`]s back. No product behaviour lives here.
//!
//! The host reaches the handler two ways (see `host.json` and `app/*/function.json`):
//! - forwarded HTTP (`enableForwardingHttpRequest`): the original request at its original path,
//!   e.g. `POST /api/events`, answered as is;
//! - invocation payloads (`POST /{function}` with `{"Data": …, "Metadata": …}`): the
//!   `eventGridTrigger` function, and HTTP functions when forwarding is off; see [`invocation`].
//!
//! `regrelay serve` runs the same translation locally through [`app`], which has no invocation
//! route: only the Functions host sends invocation payloads, so only [`functions_app`] (what
//! `regrelay-azure` runs behind the host) reads them.
//!
//! A panic while answering one request is caught and answered 500; every other request goes on.

pub mod invocation;
pub mod server;

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

/// Which requests the app takes.
#[derive(Debug, Clone)]
struct Shell {
    pipeline: Pipeline,
    /// Whether `POST /{function}` invocation payloads from the Functions host are read.
    invocations: bool,
}

/// The local app (`regrelay serve`): HTTP requests only, every one through [`Pipeline::handle`].
pub fn app(pipeline: Pipeline) -> Router {
    router(Shell {
        pipeline,
        invocations: false,
    })
}

/// The custom handler's app behind the Functions host (`regrelay-azure`): HTTP requests, and
/// the host's invocation payloads on the function paths.
pub fn functions_app(pipeline: Pipeline) -> Router {
    router(Shell {
        pipeline,
        invocations: true,
    })
}

fn router(shell: Shell) -> Router {
    Router::new().fallback(handle).with_state(shell)
}

/// Translates one HTTP request, runs the pipeline (a panic becomes a 500), translates the reply.
async fn handle(State(shell): State<Shell>, request: Request) -> Response {
    let limit = shell.pipeline.config().inbound.max_body_bytes;
    let wait = shell.pipeline.config().server.body_timeout;
    let inbound = match tokio::time::timeout(wait, read_request(request, limit)).await {
        Ok(Ok(inbound)) => inbound,
        Ok(Err(reply)) => return to_response(reply),
        Err(_) => {
            let message =
                format!("request body not received within {wait:?} (server.body_timeout)");
            return to_response(Reply::error(StatusCode::REQUEST_TIMEOUT, &message));
        }
    };
    let invocation = shell.invocations
        && inbound.headers.contains_key(INVOCATION_ID)
        && invocation::is_function_path(&inbound.path);
    let pipeline = shell.pipeline;
    let answered = tokio::spawn(async move {
        if invocation {
            invocation::handle(&pipeline, inbound).await
        } else {
            pipeline.handle(inbound).await
        }
    })
    .await;
    to_response(answered.unwrap_or_else(|error| {
        tracing::error!(%error, "A request failed unexpectedly; answered 500.");
        Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error while handling this request; the sender may retry",
        )
    }))
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
    let mut inbound = InboundRequest::new(parts.method, parts.uri.path());
    inbound.query = parts.uri.query().map(str::to_owned);
    inbound.headers = parts.headers;
    inbound.body = body;
    Ok(inbound)
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
