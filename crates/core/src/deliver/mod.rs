//! Stage 4, deliver: every (event, target) pair of one request, concurrently, through the ledger.
//!
//! Each routed event is written to history first (with its decisions), so a crash mid-delivery
//! still leaves a trace. Before calling a target the pair is claimed in the ledger: a pair
//! already delivered is not sent again (the sender is retrying after a partial failure), a
//! dead-lettered pair waits for an explicit redrive, and a pair another instance holds is left to
//! it. Retryable failures are retried on the [`RetryPolicy`] while the request's budget allows;
//! every attempt is recorded, fenced by the claim's token so a late write of an expired claim
//! cannot overwrite a newer result. What is left is reported to the sender.

pub mod coalesce;
pub mod config;
mod enrichment;
pub mod health;
mod inline;
mod pause;
pub mod poll;
mod schedule;
pub mod work;
#[cfg(feature = "local-queue")]
pub mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{Attempt, AttemptClass};
use crate::deliver::config::{DeliveryPolicy, Schedule};
use crate::dispatch::retry::RetryPolicy;
use crate::dispatch::{Delivery, Dispatcher, Target};
use crate::event::RegistryEvent;
use crate::queue::WorkQueue;
use crate::route::Routed;
use crate::store::{Claim, DeliveryState, EventRecord, Lease, Reception, Store};

/// How one pair ended in this request.
#[derive(Debug, Clone)]
pub struct PairOutcome {
    /// The event.
    pub event_id: String,
    /// The target's name.
    pub target: String,
    /// Where the pair stands.
    pub state: DeliveryState,
    /// Why, when it did not go through.
    pub reason: Option<String>,
}

impl PairOutcome {
    /// Delivered in this request.
    pub fn is_delivered(&self) -> bool {
        self.state == DeliveryState::Delivered
    }
    /// Delivered before: not sent again.
    pub fn is_duplicate(&self) -> bool {
        self.state == DeliveryState::SkippedDuplicate
    }
    /// Refused permanently: dead-lettered.
    pub fn is_dead(&self) -> bool {
        self.state == DeliveryState::DeadLettered
    }
    /// Held for its push's index (coalescing): delivered or folded when the window ends.
    pub fn is_held(&self) -> bool {
        self.state == DeliveryState::Pending
    }
    /// May still succeed when the sender retries.
    pub fn is_retrying(&self) -> bool {
        self.state == DeliveryState::FailedRetrying
    }
}

/// The delivery stage of a pipeline: targets, dispatcher, ledger and limits.
#[derive(Debug)]
pub struct Deliverer {
    targets: Vec<Target>,
    policy: DeliveryPolicy,
    /// The attempts, backoff and budget of `policy`, as the schedule object.
    retry: RetryPolicy,
    dispatcher: Dispatcher,
    store: Arc<Store>,
    /// Per target name, the deliveries it may receive at once (`delivery.target_concurrency`).
    target_slots: HashMap<String, tokio::sync::Semaphore>,
    /// Queued mode: the queue and the retry schedule of its items.
    queue: Option<Arc<WorkQueue>>,
    schedule: Schedule,
    /// Woken when work is enqueued locally, so the worker does not wait for its next poll.
    pub(crate) wake: tokio::sync::Notify,
    /// Which targets are paused, and the announcements of changes.
    health: health::Health,
    /// One event per push.
    coalesce: coalesce::CoalescePolicy,
    /// Registries asked about their events.
    enricher: crate::enrich::Enricher,
}

impl Deliverer {
    /// A deliverer for `targets` under `policy`, keeping its ledger in `store`; with a `queue`,
    /// queued work follows `schedule`.
    pub fn new(
        targets: Vec<Target>,
        policy: DeliveryPolicy,
        store: Arc<Store>,
        queue: Option<Arc<WorkQueue>>,
        schedule: Schedule,
        pause: health::PausePolicy,
        coalesce: coalesce::CoalescePolicy,
    ) -> Self {
        let target_slots = targets
            .iter()
            .map(|t| {
                let slots = tokio::sync::Semaphore::new(policy.target_concurrency);
                (t.name.clone(), slots)
            })
            .collect();
        let retry = RetryPolicy {
            attempts: policy.attempts,
            backoff: policy.backoff,
            budget: policy.budget,
        };
        Deliverer {
            targets,
            policy,
            retry,
            dispatcher: Dispatcher::with_store(Arc::clone(&store)),
            store,
            target_slots,
            queue,
            schedule,
            wake: tokio::sync::Notify::new(),
            health: health::Health::new(pause),
            coalesce,
            enricher: crate::enrich::Enricher::default(),
        }
    }

    /// The same deliverer, asking `registries` about their events (enrichment).
    #[must_use]
    pub fn with_registries(mut self, registries: Vec<crate::enrich::RegistryAccess>) -> Self {
        self.enricher = crate::enrich::Enricher::new(registries);
        self
    }

    /// The queue, in queued mode.
    pub fn queue(&self) -> Option<&Arc<WorkQueue>> {
        self.queue.as_ref()
    }

    /// The targets' names, in config order.
    #[cfg(feature = "local-queue")]
    pub fn target_names(&self) -> Vec<&str> {
        self.targets.iter().map(|t| t.name.as_str()).collect()
    }

    /// The delivery policy.
    pub fn policy(&self) -> &DeliveryPolicy {
        &self.policy
    }

    /// The dispatcher (its pooled client).
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// The history records of `routed`, and the routed events that have targets: an event
    /// without targets moves into its record whole; one with targets is copied, as delivery
    /// still needs it.
    pub(crate) fn split_records(
        &self,
        routed: Vec<Routed>,
        reception: &Reception,
    ) -> (Vec<EventRecord>, Vec<Routed>) {
        let mut records = Vec::with_capacity(routed.len());
        let mut deliverable = Vec::new();
        for r in routed {
            if r.targets.is_empty() {
                records.push(EventRecord {
                    event: r.event,
                    raw: r.raw,
                    received_at: reception.received_at.clone(),
                    decisions: r.decisions,
                    targets: Vec::new(),
                    reception_id: reception.id.clone(),
                    coalescing: None,
                    notes: Vec::new(),
                });
            } else {
                records.push(self.event_record(&r, reception));
                deliverable.push(r);
            }
        }
        (records, deliverable)
    }

    /// The history record of one routed event of `reception`.
    fn event_record(&self, routed: &Routed, reception: &Reception) -> EventRecord {
        EventRecord {
            event: routed.event.clone(),
            raw: routed.raw.clone(),
            received_at: reception.received_at.clone(),
            decisions: routed.decisions.clone(),
            targets: routed
                .target_names(&self.targets)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            reception_id: reception.id.clone(),
            coalescing: None,
            notes: Vec::new(),
        }
    }

    /// How long a claim lasts: the delivery budget plus the longest target timeout, so the last
    /// attempt of a budget still holds it. A crashed instance's claims expire after this.
    pub(crate) fn lease(&self) -> Duration {
        let longest = self
            .targets
            .iter()
            .map(|t| t.kind.timeout())
            .max()
            .unwrap_or_default();
        self.policy.budget.saturating_add(longest)
    }

    /// Delivers one event to one target now, whatever the ledger says (redrive) — unless a
    /// worker is delivering the pair this moment, which this waits out rather than send twice.
    pub async fn redeliver(&self, event: &RegistryEvent, raw: &str, target: &Target) -> Attempt {
        let deadline = self.retry.deadline();
        let (previous, fence) = match self
            .store
            .claim(&event.id, &target.name, self.lease())
            .await
        {
            Ok(Claim::Acquired { attempts, token }) => (attempts, Some(token)),
            Ok(Claim::Busy) => {
                return Attempt {
                    target: target.name.clone(),
                    error: Some(
                        "a worker is delivering this pair right now; not sent twice".into(),
                    ),
                    ..Attempt::retryable_blank()
                };
            }
            _ => match self.store.pair(&event.id, &target.name).await {
                Ok(pair) => (pair.map_or(0, |p| p.attempts), None),
                Err(_) => (0, None),
            },
        };
        let routed = Routed {
            event: event.clone(),
            raw: raw.to_owned(),
            decisions: Vec::new(),
            targets: Vec::new(),
            prompt: Vec::new(),
        };
        self.attempt_until_settled(&routed, target, previous, deadline, fence)
            .await
            .1
    }

    async fn deliver_pair(
        &self,
        routed: &Routed,
        target: &Target,
        deadline: Instant,
    ) -> PairOutcome {
        let event_id = routed.event.id.as_str();
        let outcome = |state, reason| PairOutcome {
            event_id: event_id.to_owned(),
            target: target.name.clone(),
            state,
            reason,
        };
        if let health::Gate::Wait { reason, .. } = self.gate(&target.name).await {
            return self.paused_pair(event_id, target, reason).await;
        }
        let (previous, token) = match self.store.claim(event_id, &target.name, self.lease()).await {
            Ok(Claim::Acquired { attempts, token }) => (attempts, token),
            Ok(Claim::Delivered) => {
                tracing::info!(event_id, target = %target.name, "Already delivered; not sending again.");
                return outcome(DeliveryState::SkippedDuplicate, None);
            }
            Ok(Claim::DeadLettered { reason }) => {
                return outcome(DeliveryState::DeadLettered, reason);
            }
            Ok(Claim::Busy) => {
                tracing::info!(event_id, target = %target.name, "Another instance is delivering this pair; deferring.");
                let reason = Some("being delivered by another instance".to_owned());
                return outcome(DeliveryState::FailedRetrying, reason);
            }
            Err(error) => {
                // Without the ledger a send could duplicate; let the sender retry instead.
                tracing::error!(%error, event_id, target = %target.name, "Ledger unavailable; deferring delivery.");
                let reason = Some("ledger unavailable".to_owned());
                return outcome(DeliveryState::FailedRetrying, reason);
            }
        };
        let (state, last) = self
            .attempt_until_settled(routed, target, previous, deadline, Some(token))
            .await;
        outcome(state, last.error)
    }

    /// Attempts until delivered, permanently failed, out of attempts or out of time.
    async fn attempt_until_settled(
        &self,
        routed: &Routed,
        target: &Target,
        previous: u32,
        deadline: Instant,
        fence: Option<i64>,
    ) -> (DeliveryState, Attempt) {
        let retry = self.retry;
        let mut tries = 0;
        loop {
            tries += 1;
            let delivery = Delivery {
                event: &routed.event,
                raw: &routed.raw,
                number: previous + tries,
                digest_wait: crate::dispatch::dingtalk::DIGEST_WAIT,
            };
            let attempt = {
                // Per-target bound across the process: one busy target cannot take every socket.
                let _permit = self.target_permit(&target.name).await;
                self.dispatcher.attempt(target, delivery).await
            };
            let wait = retry.wait(tries, attempt.retry_after_secs);
            let state = match attempt.class {
                AttemptClass::Delivered => DeliveryState::Delivered,
                AttemptClass::Permanent => DeliveryState::DeadLettered,
                AttemptClass::Retryable => DeliveryState::FailedRetrying,
            };
            let again =
                state == DeliveryState::FailedRetrying && retry.again(tries, wait, deadline);
            if !self
                .recorded(routed, target, &attempt, state, again, fence)
                .await
            {
                return (state, attempt);
            }
            // After the ledger write: health bookkeeping never holds a claim open.
            let paused = self.observe(&attempt).await;
            if !again || paused {
                return (state, attempt);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Records an attempt; `false` when the claim expired and a newer delivery owns the pair.
    async fn recorded(
        &self,
        routed: &Routed,
        target: &Target,
        attempt: &Attempt,
        state: DeliveryState,
        again: bool,
        fence: Option<i64>,
    ) -> bool {
        let event_id = routed.event.id.as_str();
        let lease = if again { Lease::Keep } else { Lease::Release };
        match self
            .store
            .record_attempt(event_id, attempt, state, lease, fence)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(event_id, target = %target.name, "The claim expired; the pair belongs to a newer delivery.");
                return false;
            }
            Err(error) => {
                tracing::error!(%error, event_id, target = %target.name, "Could not record a delivery attempt.");
            }
        }
        if state == DeliveryState::DeadLettered {
            tracing::error!(event_id, target = %target.name, reason = attempt.error.as_deref().unwrap_or(""), "Dead-lettered: the target refused the event permanently.");
        }
        true
    }

    /// A slot of `delivery.target_concurrency` for `target` (none to wait for if it is unknown).
    async fn target_permit(&self, target: &str) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let semaphore = self.target_slots.get(target)?;
        semaphore.acquire().await.ok()
    }
}
