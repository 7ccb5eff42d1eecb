//! Inline mode's entry: every pair of one request delivered inside it, except the pairs of
//! manifests held for their push's index (coalescing), which a timer of the process releases
//! when the window ends unless an index folded them.

use std::sync::Arc;

use futures_util::{StreamExt, stream};

use super::{Deliverer, PairOutcome, work};
use crate::route::Routed;
use crate::store::{DeliveryState, EventRecord, Reception};

impl Deliverer {
    /// Records each routed event of `reception` in history, then delivers every pair
    /// concurrently (at most `delivery.concurrency` at once). Returns the events' ids, in order,
    /// and one outcome per pair.
    pub async fn deliver(
        self: &Arc<Self>,
        routed: Vec<Routed>,
        reception: &Reception,
    ) -> (Vec<String>, Vec<PairOutcome>) {
        let now = self.now_millis();
        let event_ids = routed.iter().map(|r| r.event.id.clone()).collect();
        let (records, deliverable) = self.prepare(routed, reception, now).await;
        let held = work::held_records(&records);
        if let Err(error) = self.store.record_events(records).await {
            tracing::error!(%error, "Could not record the events in history.");
        }
        let deadline = self.retry.deadline();
        let mut pending = Vec::new();
        let mut outcomes = Vec::new();
        for r in &deliverable {
            let member = held.iter().find(|h| h.event.id == r.event.id);
            for &t in &r.targets {
                let target = &self.targets[t];
                match member {
                    Some(m) if work::held_for(m, &target.name) => outcomes.push(PairOutcome {
                        event_id: r.event.id.clone(),
                        target: target.name.clone(),
                        state: DeliveryState::Pending,
                        reason: Some("held for its push's index".into()),
                    }),
                    _ => pending.push(self.deliver_pair(r, target, deadline)),
                }
            }
        }
        outcomes.extend(
            stream::iter(pending)
                .buffer_unordered(self.policy.concurrency)
                .collect::<Vec<_>>()
                .await,
        );
        if !held.is_empty() {
            self.fold_late_members(&held, now).await;
            self.release_later(held, deliverable);
        }
        (event_ids, outcomes)
    }

    /// Inline mode: when the window ends, delivers the held members' pairs that no index
    /// folded (a process timer: a restart in between leaves them pending, listed by
    /// `regrelay events list --state pending` and sent by a redrive).
    fn release_later(self: &Arc<Self>, held: Vec<EventRecord>, routed: Vec<Routed>) {
        let me = Arc::clone(self);
        let wait = self.coalesce.window;
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let deadline = me.retry.deadline();
            for member in &held {
                let Some(r) = routed.iter().find(|r| r.event.id == member.event.id) else {
                    continue;
                };
                for &t in &r.targets {
                    let target = &me.targets[t];
                    if work::held_for(member, &target.name) {
                        me.deliver_pair(r, target, deadline).await;
                    }
                }
            }
        });
    }
}
