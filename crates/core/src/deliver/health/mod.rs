//! Targets that pause instead of failing: after `delivery.pause_after` retryable failures in a
//! row a target is paused. Its deliveries then wait — queued items are put back until the next
//! probe, inline pairs are left for the sender's retry — and nothing is dropped. One probe at a
//! time is let through, first after `probe_every`, then at doubling waits up to `probe_max`;
//! the first success (a probe, a redrive) resumes the target. Pausing and resuming are decided
//! by conditional writes of the target's [`TargetHealth`] in the store, so instances sharing a
//! store agree, and each change is announced once (see [`notice`]).
//!
//! The record is cached for a second per process: a healthy target costs no store traffic on
//! success, and a failing one two small writes per failure.

pub mod config;
pub(crate) mod notice;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::duration::millis;

pub use config::PausePolicy;

use crate::common::{Attempt, AttemptClass};
use crate::store::{HealthState, Store, StoreError, TargetHealth};

/// How long a cached health record is trusted.
const FRESH: Duration = Duration::from_secs(1);
/// Conditional writes tried before giving up on one observation (others won each race).
const RACES: usize = 5;

/// Whether a delivery to a target may go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Active: deliver.
    Open,
    /// Paused, and this delivery is the probe: deliver and report how it went.
    Probe,
    /// Paused: wait until then (epoch ms) and ask again.
    Wait {
        /// When the next probe may go.
        until_ms: i64,
        /// Why, for the pair's reason.
        reason: String,
    },
}

/// A change of a target's state, to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// It was active and is now paused.
    Paused(TargetHealth),
    /// It was paused and is now active.
    Resumed(TargetHealth),
}

/// The pause policy and a short-lived cache of the records.
#[derive(Debug, Default)]
pub(crate) struct Health {
    policy: PausePolicy,
    cache: Mutex<HashMap<String, (TargetHealth, Instant)>>,
}

impl Health {
    pub(crate) fn new(policy: PausePolicy) -> Self {
        Health {
            policy,
            cache: Mutex::default(),
        }
    }

    pub(crate) fn policy(&self) -> &PausePolicy {
        &self.policy
    }

    /// Whether a delivery to `target` may go at `now`. A store that cannot answer opens the
    /// gate: delivering is better than holding every event on a guess.
    pub(crate) async fn gate(&self, store: &Store, target: &str, now: i64) -> Gate {
        if self.policy.after == 0 {
            return Gate::Open;
        }
        if self.cached_healthy(target) {
            return Gate::Open;
        }
        let Ok(record) = self.current(store, target).await else {
            return Gate::Open;
        };
        if record.state == HealthState::Active {
            return Gate::Open;
        }
        if now < record.next_probe_ms {
            return wait(&record);
        }
        let mut next = record.clone();
        next.version += 1;
        next.next_probe_ms = now.saturating_add(record.probe_wait_ms);
        next.probe_wait_ms = record
            .probe_wait_ms
            .saturating_mul(2)
            .min(millis(self.policy.probe_max));
        match store.swap_health(&next).await {
            Ok(true) => {
                tracing::info!(target_name = target, "Probing a paused target.");
                self.remember(next);
                Gate::Probe
            }
            // Another delivery took this probe: wait for the next one.
            _ => match self.refresh(store, target).await {
                Ok(fresh) if fresh.state == HealthState::Paused => wait(&fresh),
                _ => Gate::Open,
            },
        }
    }

    /// Counts an attempt's result into `target`'s record; returns the change to announce.
    pub(crate) async fn observe(
        &self,
        store: &Store,
        target: &str,
        attempt: &Attempt,
        now: i64,
    ) -> Option<Change> {
        if self.policy.after == 0 {
            return None;
        }
        let outcome = match attempt.class {
            AttemptClass::Delivered => self.succeeded(store, target).await,
            AttemptClass::Retryable => self.failed(store, target, attempt, now).await,
            // A refusal is about the event, not the target's health.
            AttemptClass::Permanent => Ok(None),
        };
        outcome.unwrap_or_else(|error| {
            tracing::warn!(%error, target_name = target, "Could not update the target's health.");
            None
        })
    }

    async fn succeeded(&self, store: &Store, target: &str) -> Result<Option<Change>, StoreError> {
        let healthy = |h: &TargetHealth| h.state == HealthState::Active && h.failures == 0;
        if self.cached_healthy(target) || healthy(&self.current(store, target).await?) {
            return Ok(None);
        }
        for _ in 0..RACES {
            let fresh = self.refresh(store, target).await?;
            if healthy(&fresh) {
                return Ok(None);
            }
            let next = TargetHealth {
                target: target.to_owned(),
                version: fresh.version + 1,
                ..TargetHealth::default()
            };
            if store.swap_health(&next).await? {
                self.remember(next.clone());
                return Ok((fresh.state == HealthState::Paused).then_some(Change::Resumed(next)));
            }
        }
        Ok(None)
    }

    async fn failed(
        &self,
        store: &Store,
        target: &str,
        attempt: &Attempt,
        now: i64,
    ) -> Result<Option<Change>, StoreError> {
        // The cached record first: one write per failure unless another writer moved it on.
        let mut fresh = self.current(store, target).await?;
        for _ in 0..RACES {
            let mut next = fresh.clone();
            next.version += 1;
            next.failures = fresh.failures.saturating_add(1);
            next.last_error = attempt.error.clone();
            let pausing = fresh.state == HealthState::Active && next.failures >= self.policy.after;
            if pausing {
                next.state = HealthState::Paused;
                next.paused_at = Some(crate::common::rfc3339_millis(now));
                next.probe_wait_ms = millis(self.policy.probe_every);
                next.next_probe_ms = now.saturating_add(next.probe_wait_ms);
            }
            if store.swap_health(&next).await? {
                self.remember(next.clone());
                return Ok(pausing.then_some(Change::Paused(next)));
            }
            fresh = self.refresh(store, target).await?;
        }
        Ok(None)
    }

    /// Whether a fresh cached record says the target is active with no failures (the common
    /// case, answered without copying the record).
    fn cached_healthy(&self, target: &str) -> bool {
        self.cache.lock().is_ok_and(|cache| {
            cache.get(target).is_some_and(|(h, at)| {
                at.elapsed() < FRESH && h.state == HealthState::Active && h.failures == 0
            })
        })
    }

    /// The cached record, or the store's when the cache is older than [`FRESH`].
    async fn current(&self, store: &Store, target: &str) -> Result<TargetHealth, StoreError> {
        let cached = self.cache.lock().ok().and_then(|cache| {
            cache
                .get(target)
                .filter(|(_, at)| at.elapsed() < FRESH)
                .map(|(record, _)| record.clone())
        });
        match cached {
            Some(record) => Ok(record),
            None => self.refresh(store, target).await,
        }
    }

    async fn refresh(&self, store: &Store, target: &str) -> Result<TargetHealth, StoreError> {
        let record = store.health(target).await?;
        self.remember(record.clone());
        Ok(record)
    }

    fn remember(&self, record: TargetHealth) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(record.target.clone(), (record, Instant::now()));
        }
    }
}

fn wait(record: &TargetHealth) -> Gate {
    Gate::Wait {
        until_ms: record.next_probe_ms,
        reason: format!(
            "target paused after {} failures in a row; next probe at {}",
            record.failures,
            crate::common::rfc3339_millis(record.next_probe_ms)
        ),
    }
}

#[cfg(test)]
mod tests;
