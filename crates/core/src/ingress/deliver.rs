//! Delivery of every (event, target) pair of one request, concurrently, with the ledger and the
//! in-invocation retry schedule.
//!
//! Before calling a target the ledger is read: a pair already delivered is not sent again (the
//! sender is retrying after a partial failure), and a dead-lettered pair waits for an explicit
//! redrive. Retryable failures are retried with exponential backoff and jitter (or the target's
//! `Retry-After`) while the request's time budget allows; what is left is reported to the sender.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use rand::Rng;

use super::Pipeline;
use super::events::Routed;
use crate::dispatch::{Attempt, AttemptClass, Delivery, Target};
use crate::store::{Claim, DeliveryState, Lease};

/// How one pair ended in this request.
#[derive(Debug, Clone)]
pub(super) struct PairOutcome {
    pub event_id: String,
    pub target: String,
    pub state: DeliveryState,
    pub reason: Option<String>,
}

impl PairOutcome {
    pub fn is_delivered(&self) -> bool {
        self.state == DeliveryState::Delivered
    }
    pub fn is_duplicate(&self) -> bool {
        self.state == DeliveryState::SkippedDuplicate
    }
    pub fn is_dead(&self) -> bool {
        self.state == DeliveryState::DeadLettered
    }
    pub fn is_retrying(&self) -> bool {
        self.state == DeliveryState::FailedRetrying
    }
}

impl Pipeline {
    /// Delivers every pair concurrently; returns one outcome per pair.
    /// At most `delivery.concurrency` pairs are in flight at once.
    pub(super) async fn deliver_all(&self, routed: &[Routed]) -> Vec<PairOutcome> {
        let deadline = deadline_after(self.inner.config.delivery.budget);
        let mut pending = Vec::new();
        for r in routed {
            for &t in &r.targets {
                let target = &self.inner.config.targets[t];
                pending.push(self.deliver_pair(r, target, deadline));
            }
        }
        stream::iter(pending)
            .buffer_unordered(self.inner.config.delivery.concurrency)
            .collect()
            .await
    }

    /// How long a claim lasts: the delivery budget plus the longest target timeout, so the last
    /// attempt of a budget still holds it. A crashed instance's claims expire after this.
    fn lease(&self) -> Duration {
        let config = &self.inner.config;
        let longest = config
            .targets
            .iter()
            .map(|t| t.kind.timeout())
            .max()
            .unwrap_or_default();
        config.delivery.budget.saturating_add(longest)
    }

    /// Delivers one event to one target now, whatever the ledger says (redrive).
    pub async fn redeliver(
        &self,
        event: &crate::event::RegistryEvent,
        raw: &str,
        target: &Target,
    ) -> Attempt {
        let deadline = deadline_after(self.inner.config.delivery.budget);
        let previous = match self.inner.store.pair(&event.id, &target.name).await {
            Ok(pair) => pair.map_or(0, |p| p.attempts),
            Err(_) => 0,
        };
        let routed = Routed {
            event: event.clone(),
            raw: raw.to_owned(),
            targets: Vec::new(),
        };
        self.attempt_until_settled(&routed, target, previous, deadline, None)
            .await
            .1
    }

    async fn deliver_pair(
        &self,
        routed: &Routed,
        target: &Target,
        deadline: Instant,
    ) -> PairOutcome {
        let event_id = routed.event.id.clone();
        let lease = self.lease();
        let (previous, token) = match self.inner.store.claim(&event_id, &target.name, lease).await {
            Ok(Claim::Acquired { attempts, token }) => (attempts, token),
            Ok(Claim::Delivered) => {
                tracing::info!(event_id = %event_id, target = %target.name, "Already delivered; not sending again.");
                return outcome(&event_id, target, DeliveryState::SkippedDuplicate, None);
            }
            Ok(Claim::DeadLettered { reason }) => {
                return outcome(&event_id, target, DeliveryState::DeadLettered, reason);
            }
            Ok(Claim::Busy) => {
                tracing::info!(event_id = %event_id, target = %target.name, "Another instance is delivering this pair; deferring.");
                let reason = Some("being delivered by another instance".to_owned());
                return outcome(&event_id, target, DeliveryState::FailedRetrying, reason);
            }
            Err(error) => {
                // Without the ledger a send could duplicate; let the sender retry instead.
                tracing::error!(%error, event_id = %event_id, target = %target.name, "Ledger unavailable; deferring delivery.");
                return outcome(
                    &event_id,
                    target,
                    DeliveryState::FailedRetrying,
                    Some("ledger unavailable".into()),
                );
            }
        };
        let (state, last) = self
            .attempt_until_settled(routed, target, previous, deadline, Some(token))
            .await;
        outcome(&event_id, target, state, last.error)
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
        let policy = self.inner.config.delivery;
        let mut tries = 0;
        loop {
            tries += 1;
            let delivery = Delivery {
                event: &routed.event,
                raw: &routed.raw,
                number: previous + tries,
            };
            let attempt = {
                // Per-target bound across the process: one busy target cannot take every socket.
                let _permit = self.target_permit(&target.name).await;
                self.inner.dispatcher.attempt(target, delivery).await
            };
            let wait = backoff(policy.backoff, tries, attempt.retry_after_secs);
            let state = match attempt.class {
                AttemptClass::Delivered => DeliveryState::Delivered,
                AttemptClass::Permanent => DeliveryState::DeadLettered,
                AttemptClass::Retryable => DeliveryState::FailedRetrying,
            };
            let again = state == DeliveryState::FailedRetrying
                && tries < policy.attempts
                && Instant::now()
                    .checked_add(wait)
                    .is_some_and(|t| t < deadline);
            let lease = if again { Lease::Keep } else { Lease::Release };
            let recorded = self
                .inner
                .store
                .record_attempt(&routed.event.id, &attempt, state, lease, fence)
                .await;
            match recorded {
                Ok(true) => {}
                Ok(false) => {
                    // Our claim expired and another caller took the pair over: stop here.
                    tracing::warn!(event_id = %routed.event.id, target = %target.name, "The claim expired; the pair belongs to a newer delivery.");
                    return (state, attempt);
                }
                Err(error) => {
                    tracing::error!(%error, event_id = %routed.event.id, target = %target.name, "Could not record a delivery attempt.");
                }
            }
            if state == DeliveryState::DeadLettered {
                tracing::error!(event_id = %routed.event.id, target = %target.name, reason = attempt.error.as_deref().unwrap_or(""), "Dead-lettered: the target refused the event permanently.");
            }
            if !again {
                return (state, attempt);
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// The wait before retry number `tries + 1`: the target's `Retry-After` (clamped), else
/// `base × 2^(tries-1)` with ±25 % jitter.
fn backoff(base: Duration, tries: u32, retry_after_secs: Option<u64>) -> Duration {
    if let Some(secs) = retry_after_secs {
        return Duration::from_secs(secs).min(crate::dispatch::outcome::MAX_RETRY_AFTER);
    }
    let exp = base.saturating_mul(1 << tries.saturating_sub(1).min(10));
    let jitter = rand::rng().random_range(0.75..=1.25);
    exp.mul_f64(jitter)
}

impl Pipeline {
    /// A slot of `delivery.target_concurrency` for `target` (none to wait for if it is unknown).
    async fn target_permit(&self, target: &str) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let semaphore = self.inner.target_slots.get(target)?;
        semaphore.acquire().await.ok()
    }
}

/// `now + budget`, or an hour from now if the budget is absurdly large.
fn deadline_after(budget: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(budget)
        .unwrap_or_else(|| now + Duration::from_secs(3600))
}

fn outcome(
    event_id: &str,
    target: &Target,
    state: DeliveryState,
    reason: Option<String>,
) -> PairOutcome {
    PairOutcome {
        event_id: event_id.to_owned(),
        target: target.name.clone(),
        state,
        reason,
    }
}
