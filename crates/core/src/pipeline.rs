//! THE entry point: every front door (local server, Azure custom handler, Lambda) hands an
//! [`InboundRequest`] to [`Pipeline::handle`] and sends back the [`Reply`].
//!
//! `handle` routes by path and method (health, history, the CloudEvents `OPTIONS` handshake,
//! events) after the shared-secret check; a POST of events then goes through the five stages in
//! order, each one call: [`admit`](crate::admit) → [`decode`](crate::decode) →
//! [`route`](crate::route) → [`deliver`](crate::deliver) → [`record`](crate::record).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use http::{Method, StatusCode};
use tracing::Instrument;

use crate::admit::{self, Admitted, Verified};
use crate::config::{Config, ConfigError, DeliveryMode};
use crate::deliver::Deliverer;
use crate::dispatch::{Dispatcher, Target};
use crate::event::RegistryEvent;
use crate::queue::WorkQueue;
use crate::record::{self, Accepted};
use crate::reply::{InboundRequest, Reply};
use crate::store::{Reception, Store, StoreError};
use crate::{decode, route};

/// Why a pipeline could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store or the queue could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The delivery mode and the queue do not fit together.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

mod console;
mod queued;
mod redrive;
mod routes;
mod ui;

pub use console::parse_console_inputs;
pub use redrive::{RedriveError, RedriveReport};

/// The configured pipeline, shared by every request of a process.
#[derive(Debug, Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    deliverer: Arc<Deliverer>,
    /// Inline or queued, as resolved at start.
    mode: DeliveryMode,
    /// Shared with the deliverer, which keeps the ledger and the DingTalk budgets in it.
    store: Arc<Store>,
    /// When history was last purged (epoch ms).
    last_purge: AtomicI64,
}

/// How often expired history is purged.
const PURGE_EVERY_MS: i64 = 3_600_000;

impl Pipeline {
    /// Builds the pipeline: HTTP client and store. Expired history is purged by the first request
    /// and then at most hourly, whichever shell runs the pipeline.
    pub fn new(config: Config) -> Result<Self, PipelineError> {
        let store = Arc::new(Store::open(&config.store)?);
        let (_, queue) = config.delivery_plan()?;
        let queue = match (&queue, &*store) {
            // The queue beside a SQLite store shares its connection.
            #[cfg(feature = "sqlite")]
            (Some(crate::queue::QueueConfig::Sqlite { .. }), Store::Sqlite(sqlite)) => Some(
                WorkQueue::Local(crate::queue::LocalQueue::sqlite_on(sqlite.db())?),
            ),
            _ => queue.as_ref().map(WorkQueue::open).transpose()?,
        };
        Self::with_parts(config, store, queue)
    }

    /// A pipeline on a given store and queue (tests drive both on their own clock).
    pub fn with_parts(
        config: Config,
        store: Arc<Store>,
        queue: Option<WorkQueue>,
    ) -> Result<Self, PipelineError> {
        let (mode, _) = config.delivery_plan()?;
        let deliverer = Deliverer::new(
            config.targets.clone(),
            config.delivery,
            Arc::clone(&store),
            queue.map(Arc::new),
            config.schedule.clone(),
            config.pause.clone(),
            config.coalesce,
        )
        .with_registries(config.registries.clone());
        let inner = Inner {
            config,
            deliverer: Arc::new(deliverer),
            mode,
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

    /// Inline or queued.
    pub fn mode(&self) -> DeliveryMode {
        self.inner.mode
    }

    /// The dispatcher (its pooled client).
    pub fn dispatcher(&self) -> &Dispatcher {
        self.inner.deliverer.dispatcher()
    }

    /// Delivers one event to one target now, whatever the ledger says (redrive).
    pub async fn redeliver(
        &self,
        event: &RegistryEvent,
        raw: &str,
        target: &Target,
    ) -> crate::common::Attempt {
        self.inner.deliverer.redeliver(event, raw, target).await
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

    /// A POST of events: admitted, then each request it carries through the other stages.
    async fn receive(&self, request: InboundRequest) -> Reply {
        let reception = self.begin(&request);
        match admit::admit(request, &self.inner.config.inbound).await {
            Ok(Admitted::One(verified)) => self.events(reception, verified).await,
            Ok(Admitted::Each(messages)) => self.each(messages).await,
            Ok(Admitted::Answered(answered)) => {
                record::record(
                    &self.inner.store,
                    reception,
                    Ok(Accepted::Answered(answered)),
                )
                .await
            }
            Err(rejection) => record::record(&self.inner.store, reception, Err(rejection)).await,
        }
    }

    /// The stages after admission, for one admitted request.
    async fn events(&self, reception: Reception, verified: Verified) -> Reply {
        let config = &self.inner.config;
        let outcome = match decode::decode(&verified, &config.inbound) {
            Ok(decoded) => {
                let tally = decoded.tally();
                let routed = route::route(&config.rules, decoded);
                match self.inner.mode {
                    DeliveryMode::Inline => {
                        let (event_ids, outcomes) =
                            self.inner.deliverer.deliver(routed, &reception).await;
                        Ok(Accepted::Events {
                            tally,
                            event_ids,
                            outcomes,
                        })
                    }
                    DeliveryMode::Queued => {
                        match self.inner.deliverer.enqueue(routed, &reception).await {
                            Ok((event_ids, queued)) => Ok(Accepted::Queued {
                                tally,
                                event_ids,
                                queued,
                            }),
                            Err(error) => {
                                tracing::error!(%error, "Could not queue the deliveries; the sender retries.");
                                Err(crate::reply::Rejection::new(
                                    StatusCode::SERVICE_UNAVAILABLE,
                                    "the delivery queue is unavailable; retry later",
                                ))
                            }
                        }
                    }
                }
            }
            Err(rejection) => Err(rejection),
        };
        record::record(&self.inner.store, reception, outcome).await
    }

    /// The messages of one envelope one by one, each recorded as a request of its own; the reply
    /// is the one the sender must act on: any retryable failure, else any refusal, else the last
    /// success.
    async fn each(&self, messages: Vec<Verified>) -> Reply {
        let mut worst: Option<Reply> = None;
        for message in messages {
            let reception = self.begin(message.request());
            let reply = self.events(reception, message).await;
            let rank = |r: &Reply| match r.status {
                s if s.is_server_error() => 2,
                s if s.is_client_error() => 1,
                _ => 0,
            };
            if worst.as_ref().is_none_or(|w| rank(&reply) >= rank(w)) {
                worst = Some(reply);
            }
        }
        worst.unwrap_or_else(|| Reply::json(StatusCode::OK, &serde_json::json!({ "accepted": 0 })))
    }

    /// The reception record of a request (keeping its body if configured and within limits).
    fn begin(&self, request: &InboundRequest) -> Reception {
        let config = &self.inner.config;
        let keep = config.keep_payloads && request.body.len() <= config.inbound.max_body_bytes;
        record::begin(request, keep)
    }
}
