//! THE entry point: every front door (local server, Azure custom handler, Lambda) hands an
//! [`InboundRequest`] to [`Pipeline::handle`] and sends back the [`Reply`].
//!
//! Routing, inbound authentication and the body limit live here; the event path (parse →
//! normalize → filter → dispatch → store) is in `events`, delivery with the ledger in `deliver`.

mod auth;
mod deliver;
mod events;
mod sns;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use http::{Method, StatusCode};
use tracing::Instrument;

use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::reply::{InboundRequest, Reply};
use crate::store::{Store, StoreError};

/// Why a pipeline could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Paths that receive events. `/` serves Lambda function URLs and API destinations.
const EVENT_PATHS: [&str; 3] = ["/api/events", "/events", "/"];
/// Paths that answer health checks.
const HEALTH_PATHS: [&str; 2] = ["/api/health", "/health"];

/// The configured pipeline, shared by every request of a process.
#[derive(Debug, Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    dispatcher: Dispatcher,
    /// Shared with the dispatcher, which keeps the DingTalk budgets in it.
    store: Arc<Store>,
    /// When history was last purged (epoch ms).
    last_purge: AtomicI64,
    /// Per target name, the deliveries it may receive at once (`delivery.target_concurrency`).
    target_slots: HashMap<String, tokio::sync::Semaphore>,
}

/// How often expired history is purged.
const PURGE_EVERY_MS: i64 = 3_600_000;

impl Pipeline {
    /// Builds the pipeline: HTTP client and store. Expired history is purged by the first request
    /// and then at most hourly, whichever shell runs the pipeline.
    pub fn new(config: Config) -> Result<Self, PipelineError> {
        let store = Arc::new(Store::open(&config.store)?);
        let target_slots = config
            .targets
            .iter()
            .map(|t| {
                let slots = tokio::sync::Semaphore::new(config.delivery.target_concurrency);
                (t.name.clone(), slots)
            })
            .collect();
        let inner = Inner {
            target_slots,
            config,
            dispatcher: Dispatcher::with_store(Arc::clone(&store)),
            store,
            last_purge: AtomicI64::new(i64::MIN),
        };
        Ok(Pipeline {
            inner: Arc::new(inner),
        })
    }

    /// The validated config.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The history store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The dispatcher (its pooled client).
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.inner.dispatcher
    }

    /// Starts a purge of expired history in the background if the last one is more than an hour
    /// old; the request that notices does not wait for it.
    fn purge_if_due(&self) {
        let now = crate::store::now_millis();
        let last = self.inner.last_purge.load(Ordering::Relaxed);
        if now.saturating_sub(last) < PURGE_EVERY_MS {
            return;
        }
        if self
            .inner
            .last_purge
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            let pipeline = self.clone();
            tokio::spawn(async move {
                let gone = pipeline.purge_expired().await;
                if gone > 0 {
                    tracing::info!(gone, "Purged expired history.");
                }
            });
        }
    }

    /// Deletes history older than the configured retention; returns how many events went.
    pub async fn purge_expired(&self) -> usize {
        // Checked all the way: a retention of a billion days keeps everything, never panics.
        let cutoff = chrono::Duration::from_std(self.inner.config.retention)
            .ok()
            .and_then(|retention| chrono::Utc::now().checked_sub_signed(retention));
        let Some(cutoff) = cutoff else {
            return 0;
        };
        let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match self.inner.store.purge_before(&cutoff).await {
            Ok(gone) => gone,
            Err(error) => {
                tracing::warn!(%error, "Could not purge expired history.");
                0
            }
        }
    }

    /// Answers one request. Never panics on bad input; every error is a JSON reply.
    pub async fn handle(&self, request: InboundRequest) -> Reply {
        let span = tracing::info_span!("request", method = %request.method, path = %request.path, status = tracing::field::Empty);
        async {
            if request.method == Method::POST {
                self.purge_if_due();
            }
            let reply = self.route(request).await;
            tracing::Span::current().record("status", reply.status.as_u16());
            reply
        }
        .instrument(span)
        .await
    }

    async fn route(&self, request: InboundRequest) -> Reply {
        let path = normalize_path(&request.path);
        if HEALTH_PATHS.contains(&path) {
            return match request.method {
                Method::GET | Method::HEAD => {
                    Reply::json(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
                }
                _ => method_not_allowed("GET, HEAD"),
            };
        }
        let events_path = EVENT_PATHS.contains(&path);
        let trace_id = path
            .strip_prefix("/api/events/")
            .or_else(|| path.strip_prefix("/events/"));
        if !events_path && trace_id.is_none() {
            return Reply::error(
                StatusCode::NOT_FOUND,
                &format!("no route for {path}: events go to /api/events"),
            );
        }
        if trace_id.is_some() {
            if let Err(reply) = auth::check_read(&request, &self.inner.config.inbound) {
                return reply;
            }
        } else if let Err(reply) = auth::check(&request, &self.inner.config.inbound) {
            return reply;
        }
        match (request.method.clone(), trace_id) {
            (Method::GET, Some(id)) => self.trace(id).await,
            (Method::POST, None) => self.receive(request).await,
            (Method::OPTIONS, None) => {
                crate::handshake::cloud_events_options(&request.headers, &self.inner.config.inbound)
            }
            (_, None) => method_not_allowed("POST, OPTIONS"),
            (_, Some(_)) => method_not_allowed("GET"),
        }
    }

    async fn trace(&self, id: &str) -> Reply {
        let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
        match self.inner.store.trace(&id).await {
            Ok(Some(trace)) => Reply::json(StatusCode::OK, &trace),
            Ok(None) => Reply::error(
                StatusCode::NOT_FOUND,
                &format!("no event with id '{id}' in history"),
            ),
            Err(error) => {
                tracing::error!(%error, "History lookup failed.");
                Reply::error(StatusCode::SERVICE_UNAVAILABLE, "history store unavailable")
            }
        }
    }
}

fn method_not_allowed(allow: &'static str) -> Reply {
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
