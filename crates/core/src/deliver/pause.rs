//! The delivery stage's use of [`health`](super::health): asking the gate before an attempt,
//! counting each attempt's result, announcing a pause or a recovery to the operator's target,
//! and the targets' health for the console.

use rand::Rng;

use super::health::{Change, Gate, notice};
use super::{Deliverer, PairOutcome};
use crate::common::Attempt;
use crate::dispatch::{Delivery, Target};
use crate::store::{DeliveryState, StoreError, TargetHealth};

/// Spread of the due times of items put back behind a paused target (ms), so they do not all
/// come due in the same instant as the probe.
const PAUSED_SPREAD_MS: i64 = 1_000;

impl Deliverer {
    /// Whether a delivery to `target` may go now.
    pub(crate) async fn gate(&self, target: &str) -> Gate {
        self.health
            .gate(&self.store, target, self.now_millis())
            .await
    }

    /// Counts `attempt` into its target's health and announces a change; `true` when the
    /// target is paused by it.
    pub(crate) async fn observe(&self, attempt: &Attempt) -> bool {
        let change = self
            .health
            .observe(&self.store, &attempt.target, attempt, self.now_millis())
            .await;
        let Some(change) = change else {
            return false;
        };
        let paused = matches!(change, Change::Paused(_));
        self.announce(&change).await;
        paused
    }

    /// When a paused target's item should be looked at again: the next probe, spread a little.
    pub(crate) fn after_pause(until_ms: i64) -> i64 {
        until_ms.saturating_add(rand::rng().random_range(0..PAUSED_SPREAD_MS))
    }

    /// Inline mode, target paused: the pair is left for the sender's retry (or its settled
    /// state is reported, as a claim would).
    pub(crate) async fn paused_pair(
        &self,
        event_id: &str,
        target: &Target,
        reason: String,
    ) -> PairOutcome {
        let outcome = |state, reason| PairOutcome {
            event_id: event_id.to_owned(),
            target: target.name.clone(),
            state,
            reason,
        };
        let state = match self.store.pair(event_id, &target.name).await {
            Ok(Some(pair)) => pair.state,
            _ => DeliveryState::Pending,
        };
        match state {
            DeliveryState::Delivered | DeliveryState::SkippedDuplicate => {
                outcome(DeliveryState::SkippedDuplicate, None)
            }
            DeliveryState::DeadLettered => outcome(DeliveryState::DeadLettered, None),
            _ => {
                let written = self
                    .store
                    .set_state(
                        event_id,
                        &target.name,
                        DeliveryState::FailedRetrying,
                        Some(&reason),
                    )
                    .await;
                if let Err(error) = written {
                    tracing::warn!(%error, event_id, target = %target.name, "Could not note the pause on the pair.");
                }
                outcome(DeliveryState::FailedRetrying, Some(reason))
            }
        }
    }

    /// Tells the operator's target (`delivery.announce_to`) about `change`, once, and logs it.
    async fn announce(&self, change: &Change) {
        let (health, what) = match change {
            Change::Paused(h) => (h, "paused"),
            Change::Resumed(h) => (h, "resumed"),
        };
        tracing::warn!(target_name = %health.target, failures = health.failures, "Target {what}.");
        let Some(name) = &self.health.policy().announce_to else {
            return;
        };
        let Some(to) = self.targets.iter().find(|t| t.name == *name) else {
            return;
        };
        if to.name == health.target {
            // A paused target cannot hear that it paused; its recovery it knows.
            return;
        }
        let (event, raw) = notice::notice(change);
        let delivery = Delivery {
            event: &event,
            raw: &raw,
            number: 1,
            digest_wait: std::time::Duration::ZERO,
        };
        let attempt = self.dispatcher.attempt(to, delivery).await;
        if !attempt.delivered() {
            tracing::error!(announce_to = %to.name, error = attempt.error.as_deref().unwrap_or(""), "Could not announce that a target {what}.");
        }
    }

    /// Every configured target with its health (a fresh record for one that never failed).
    pub async fn targets_health(&self) -> Result<Vec<(&Target, TargetHealth)>, StoreError> {
        let mut known = self.store.healths().await?;
        Ok(self
            .targets
            .iter()
            .map(|t| {
                let found = known.iter().position(|h| h.target == t.name);
                let health = found.map_or_else(
                    || TargetHealth {
                        target: t.name.clone(),
                        ..TargetHealth::default()
                    },
                    |i| known.swap_remove(i),
                );
                (t, health)
            })
            .collect())
    }
}
