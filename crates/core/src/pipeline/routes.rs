//! Which handler answers a request, and which secret it needs: senders' secret for events,
//! the read secret for history, metrics and the targets' health, the write secret for redrive;
//! the console's static page needs none (it holds no data and asks for the secrets itself).

use http::{Method, StatusCode};

use super::{Pipeline, ui};
use crate::admit;
use crate::reply::{InboundRequest, Reply};

/// Paths that receive events. `/` serves Lambda function URLs and API destinations.
const EVENT_PATHS: [&str; 3] = ["/api/events", "/events", "/"];
/// Paths that serve the Prometheus metrics.
const METRICS_PATHS: [&str; 2] = ["/api/metrics", "/metrics"];
/// Paths that answer health checks.
const HEALTH_PATHS: [&str; 2] = ["/api/health", "/health"];
/// Paths that list the targets and their health.
const TARGETS_PATHS: [&str; 2] = ["/api/targets", "/targets"];

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Health,
    Metrics,
    Targets,
    /// The console page or one of its assets (the part after `ui/`).
    Ui(&'a str),
    /// `/api/events` (or `/`): POST events, OPTIONS handshake, GET the list (not at `/`).
    Events {
        root: bool,
    },
    /// `/api/events/{id}`: one event's trace.
    Trace(&'a str),
    /// `/api/events/{id}/redrive`.
    Redrive(&'a str),
}

fn classify(path: &str) -> Option<Route<'_>> {
    if HEALTH_PATHS.contains(&path) {
        return Some(Route::Health);
    }
    if METRICS_PATHS.contains(&path) {
        return Some(Route::Metrics);
    }
    if TARGETS_PATHS.contains(&path) {
        return Some(Route::Targets);
    }
    if EVENT_PATHS.contains(&path) {
        return Some(Route::Events { root: path == "/" });
    }
    if let Some(asset) = ui::asset_of(path) {
        return Some(Route::Ui(asset));
    }
    let rest = path
        .strip_prefix("/api/events/")
        .or_else(|| path.strip_prefix("/events/"))?;
    match rest.strip_suffix("/redrive") {
        Some(id) if !id.is_empty() && !id.contains('/') => Some(Route::Redrive(id)),
        _ if !rest.contains('/') => Some(Route::Trace(rest)),
        _ => None,
    }
}

impl Pipeline {
    pub(super) async fn route(&self, request: InboundRequest) -> Reply {
        let path = normalize_path(&request.path);
        let Some(route) = classify(path) else {
            return Reply::error(
                StatusCode::NOT_FOUND,
                &format!("no route for {path}: events go to /api/events, the console is at /ui/"),
            );
        };
        let inbound = &self.inner.config.inbound;
        let method = request.method.clone();
        let reading = matches!(method, Method::GET | Method::HEAD);
        let authorized = match route {
            Route::Health | Route::Ui(_) => Ok(()),
            Route::Metrics | Route::Targets | Route::Trace(_) => {
                admit::authorize_read(&request, inbound)
            }
            Route::Events { root: false } if reading => admit::authorize_read(&request, inbound),
            Route::Events { .. } => admit::authorize(&request, inbound),
            Route::Redrive(_) => admit::authorize_write(&request, inbound),
        };
        if let Err(reply) = authorized {
            return reply;
        }
        match (route, method) {
            (Route::Health | Route::Metrics | Route::Targets | Route::Ui(_), _) if !reading => {
                method_not_allowed("GET, HEAD")
            }
            (Route::Health, _) => {
                Reply::json(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
            }
            (Route::Metrics, _) => {
                crate::metrics::reply(self.inner.deliverer.queue().map(|q| &**q))
            }
            (Route::Targets, _) => self.targets_reply().await,
            (Route::Ui(asset), _) => ui::serve(asset, &request.path),
            (Route::Events { .. }, Method::POST) => self.receive(request).await,
            (Route::Events { .. }, Method::OPTIONS) => crate::handshake::cloud_events_options(
                &request.headers,
                &inbound.allowed_origins,
                &inbound.allowed_rate,
            ),
            (Route::Events { root: false }, Method::GET) => {
                self.list_reply(request.query.as_deref()).await
            }
            (Route::Events { root: true }, _) => method_not_allowed("POST, OPTIONS"),
            (Route::Events { root: false }, _) => method_not_allowed("GET, POST, OPTIONS"),
            (Route::Trace(id), Method::GET) => self.trace_reply(&decode(id)).await,
            (Route::Trace(_), _) => method_not_allowed("GET"),
            (Route::Redrive(id), Method::POST) => {
                self.redrive_reply(&decode(id), &request.body).await
            }
            (Route::Redrive(_), _) => method_not_allowed("POST"),
        }
    }
}

fn decode(id: &str) -> String {
    percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .into_owned()
}

pub(super) fn method_not_allowed(allow: &'static str) -> Reply {
    Reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("method not allowed here; use {allow}"),
    )
    .with_header("allow", allow)
}

/// `/api/events/` → `/api/events`; the root stays `/`.
fn normalize_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

#[cfg(test)]
mod tests {
    use super::{Route, classify};

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(classify("/api/events"), Some(Route::Events { root: false }));
        assert_eq!(classify("/"), Some(Route::Events { root: true }));
        assert_eq!(classify("/api/events/a%2Fb"), Some(Route::Trace("a%2Fb")));
        assert_eq!(classify("/events/x/redrive"), Some(Route::Redrive("x")));
        assert_eq!(classify("/api/events/x/y"), None);
        assert_eq!(classify("/api/events//redrive"), None);
        assert_eq!(classify("/api/targets"), Some(Route::Targets));
        assert_eq!(classify("/nope"), None);
    }
}
