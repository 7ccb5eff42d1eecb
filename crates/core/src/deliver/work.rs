//! Queued mode: the request path writes work items ([`Deliverer::enqueue`]); a worker runs each
//! one ([`Deliverer::work`]) — one attempt per item, on regrelay's own schedule.
//!
//! An item carries the ledger's attempt count when it was made. A copy behind the ledger (a
//! sender's retry queued the pair again, or a crash left an old message) is stale and dropped,
//! so a pair never grows two retry chains. For a retryable failure the next item is written
//! *before* the attempt is recorded: a crash in between costs one extra attempt, never a pair
//! that nobody will try again.

use std::time::Duration;

use crate::common::duration::millis;

use tracing::Instrument;

use super::Deliverer;
use crate::common::AttemptClass;
use crate::dispatch::{Delivery, Target};
use crate::queue::WorkItem;
use crate::route::Routed;
use crate::store::{Claim, Coalescing, DeliveryState, EventRecord, Lease, Reception, StoreError};

/// How long a DingTalk event folded into a digest holds its worker: about one digest's linger.
/// Past it the pair is rescheduled, and its next attempt finds the digest's result, so the
/// robot's 20-a-minute budget turns into due times rather than held workers.
const QUEUED_DIGEST_WAIT: Duration = Duration::from_secs(3);

/// Longest wait before looking again at a pair another worker holds (else its claim's lease).
const BUSY_RETRY: Duration = Duration::from_secs(30);

/// Where a work item came from, so it can be finished or put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A row of the local queue.
    #[cfg(feature = "local-queue")]
    Local(i64),
    /// A message of a platform queue: acknowledged by the caller when `work` returns `Ok`.
    Remote,
}

/// What became of one work item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Worked {
    /// The target accepted the event.
    Delivered,
    /// Refused permanently, or out of schedule: dead-lettered.
    DeadLettered,
    /// Failed; the next attempt is due then (epoch ms).
    Scheduled(i64),
    /// Delivered or dead-lettered before, or superseded by a newer item: nothing done.
    Settled,
    /// Not due yet (the queue's delay limit): put back for the rest of the wait.
    NotDue,
    /// Another worker holds the pair: put back for later.
    Busy,
    /// The target is paused: put back until its next probe.
    Paused,
    /// The event is no longer in history (purged): nothing to send.
    Missing,
}

impl Deliverer {
    /// Queued mode, on the request path: records each routed event and writes one work item per
    /// (event, target) pair. Any failure is returned, so the sender gets 503 and retries; what
    /// was written is harmless to write again.
    pub async fn enqueue(
        &self,
        routed: Vec<Routed>,
        reception: &Reception,
    ) -> Result<(Vec<String>, usize), StoreError> {
        let Some(queue) = &self.queue else {
            return Err(StoreError::Open("queued mode without a queue".into()));
        };
        let now = self.now_millis();
        let event_ids = routed.iter().map(|r| r.event.id.clone()).collect();
        let (records, _) = self.prepare(routed, reception, now).await;
        let mut items = Vec::new();
        for record in &records {
            for target in &record.targets {
                let mut item = WorkItem::first(&record.event.id, target, now);
                if held_for(record, target) {
                    item.due_ms = self.window_end(now);
                }
                items.push(item);
            }
        }
        let held = held_records(&records);
        self.store.record_events(records).await?;
        if items.is_empty() {
            return Ok((event_ids, 0));
        }
        queue.enqueue(&items, now).await?;
        if queue.is_local() {
            self.wake.notify_one();
        }
        self.fold_late_members(&held, now).await;
        Ok((event_ids, items.len()))
    }

    /// Held members (`records`) whose index already went out (it arrived first) are folded now.
    pub(crate) async fn fold_late_members(&self, records: &[EventRecord], now: i64) {
        for record in records {
            if let Err(error) = self.fold_late(record, now).await {
                tracing::warn!(%error, event_id = %record.event.id, "Could not look for the push's index; the manifest is delivered alone after the window.");
            }
        }
    }

    /// Runs one work item: at most one attempt. `Ok` means the item is finished or put back;
    /// an error leaves it to the queue (a local lease runs out, a platform message reappears).
    pub async fn work(&self, item: &WorkItem, origin: Origin) -> Result<Worked, StoreError> {
        let now = self.now_millis();
        if item.early(now).is_some() {
            self.put_back(item, origin).await?;
            return Ok(Worked::NotDue);
        }
        let Some(target) = self.targets.iter().find(|t| t.name == item.target) else {
            let reason = format!("target '{}' is no longer configured", item.target);
            tracing::error!(event_id = %item.event, target = %item.target, "Dead-lettered: {reason}.");
            self.dead_letter(item, &reason).await?;
            self.finish(origin).await?;
            return Ok(Worked::DeadLettered);
        };
        let worked = self.attempt_item(item, target, origin).await?;
        if !matches!(
            worked,
            Worked::Scheduled(_) | Worked::NotDue | Worked::Busy | Worked::Paused
        ) {
            self.finish(origin).await?;
        }
        Ok(worked)
    }

    async fn attempt_item(
        &self,
        item: &WorkItem,
        target: &Target,
        origin: Origin,
    ) -> Result<Worked, StoreError> {
        let Some((record, pair)) = self
            .store
            .record_and_pair(&item.event, &target.name)
            .await?
        else {
            tracing::warn!(event_id = %item.event, target = %target.name, "The event is no longer in history; nothing to deliver.");
            return Ok(Worked::Missing);
        };
        if let Some(pair) = pair {
            let settled = matches!(
                pair.state,
                DeliveryState::Delivered
                    | DeliveryState::SkippedDuplicate
                    | DeliveryState::Folded
                    | DeliveryState::DeadLettered
            );
            if settled || pair.attempts > item.attempts {
                tracing::debug!(event_id = %item.event, target = %target.name, "Settled, or carried by a newer work item; dropping this one.");
                return Ok(Worked::Settled);
            }
        }
        if let super::health::Gate::Wait { until_ms, .. } = self.gate(&target.name).await {
            let mut later = item.clone();
            later.due_ms = Self::after_pause(until_ms);
            self.put_back(&later, origin).await?;
            return Ok(Worked::Paused);
        }
        let (made, token) = match self
            .store
            .claim(&item.event, &target.name, self.lease())
            .await?
        {
            Claim::Acquired { attempts, token } => (attempts, token),
            Claim::Delivered | Claim::DeadLettered { .. } => return Ok(Worked::Settled),
            Claim::Busy => {
                let mut later = item.clone();
                later.due_ms = self
                    .now_millis()
                    .saturating_add(millis(self.lease().min(BUSY_RETRY)));
                self.put_back(&later, origin).await?;
                return Ok(Worked::Busy);
            }
        };
        if made > item.attempts {
            // A newer item moved the pair on between the read and the claim; the claim lapses.
            return Ok(Worked::Settled);
        }
        let delivery = Delivery {
            event: &record.event,
            raw: &record.raw,
            number: made + 1,
            digest_wait: QUEUED_DIGEST_WAIT,
        };
        let mut attempt = {
            let _permit = self.target_permit(&target.name).await;
            self.dispatcher.attempt(target, delivery).await
        };
        let (state, worked) = match attempt.class {
            AttemptClass::Delivered => (DeliveryState::Delivered, Worked::Delivered),
            AttemptClass::Permanent => (DeliveryState::DeadLettered, Worked::DeadLettered),
            AttemptClass::Retryable => {
                let now = self.now_millis();
                let retry_after = attempt.retry_after_secs.map(Duration::from_secs);
                match self
                    .schedule
                    .next_due(made + 1, item.since_ms, now, retry_after)
                {
                    Some(due) => {
                        let next = WorkItem {
                            attempts: made + 1,
                            due_ms: due,
                            ..item.clone()
                        };
                        // Written before the attempt is recorded: see the module header.
                        self.put_back(&next, origin).await?;
                        attempt.next_attempt_at = Some(crate::common::rfc3339_millis(due));
                        (DeliveryState::FailedRetrying, Worked::Scheduled(due))
                    }
                    None => {
                        let last = attempt.error.clone().unwrap_or_default();
                        attempt.error = Some(format!(
                            "gave up after {} attempts over {}: {last}",
                            made + 1,
                            crate::common::duration::display(self.schedule.give_up_after)
                        ));
                        (DeliveryState::DeadLettered, Worked::DeadLettered)
                    }
                }
            }
        };
        match self
            .store
            .record_attempt(&item.event, &attempt, state, Lease::Release, Some(token))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(event_id = %item.event, target = %target.name, "The claim expired; the pair belongs to a newer delivery.")
            }
            Err(error) => {
                tracing::error!(%error, event_id = %item.event, target = %target.name, "Could not record a delivery attempt.")
            }
        }
        if state == DeliveryState::DeadLettered {
            tracing::error!(event_id = %item.event, target = %target.name, reason = attempt.error.as_deref().unwrap_or(""), "Dead-lettered.");
        }
        // After the ledger write: health bookkeeping never holds a claim open.
        self.observe(&attempt).await;
        Ok(worked)
    }

    /// Runs one platform queue message (`receives`: how often the queue handed it out, this time
    /// included). `Ok` means acknowledge it; an error leaves it to the queue. At the queue's last
    /// receive (`max_receives`) a failure also dead-letters the pair in history.
    pub async fn work_text(
        &self,
        text: &str,
        receives: u32,
        max_receives: Option<u32>,
    ) -> Result<Worked, StoreError> {
        let item = match WorkItem::parse(text) {
            Ok(item) => item,
            Err(error) => {
                tracing::error!(%error, "A delivery queue message is not a work item; dropping it.");
                return Ok(Worked::Settled);
            }
        };
        let span =
            tracing::info_span!("work", event_id = %item.event, target = %item.target, receives);
        async {
            let result = self.work(&item, Origin::Remote).await;
            if let Err(error) = &result {
                let last = max_receives.is_some_and(|max| receives >= max);
                tracing::error!(%error, last, "A queued delivery could not run; the queue hands it out again.");
                if last && let Err(error) = self.abandon(&item, &error.to_string()).await {
                    tracing::error!(%error, "Could not mark the abandoned pair dead-lettered.");
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Marks a pair dead-lettered because its queue gave up on a message (the platform's last
    /// receive failed): the pair is then listable and redrivable like any dead letter.
    pub async fn abandon(&self, item: &WorkItem, why: &str) -> Result<(), StoreError> {
        self.dead_letter(item, &format!("the delivery queue gave up on it: {why}"))
            .await
    }

    /// Sets the item's pair dead-lettered with `reason`, without an attempt.
    async fn dead_letter(&self, item: &WorkItem, reason: &str) -> Result<(), StoreError> {
        self.store
            .set_state(
                &item.event,
                &item.target,
                DeliveryState::DeadLettered,
                Some(reason),
            )
            .await
    }

    /// Puts `item` back on the queue (in place for a local row).
    async fn put_back(&self, item: &WorkItem, origin: Origin) -> Result<(), StoreError> {
        let Some(queue) = &self.queue else {
            return Err(StoreError::Open("queued mode without a queue".into()));
        };
        #[cfg(feature = "local-queue")]
        if let (Origin::Local(id), Some(local)) = (origin, queue.local()) {
            return local.reschedule(id, item).await;
        }
        let _ = origin;
        queue
            .enqueue(std::slice::from_ref(item), self.now_millis())
            .await
    }

    /// Removes a finished local row (a platform message is acknowledged by the caller).
    async fn finish(&self, origin: Origin) -> Result<(), StoreError> {
        #[cfg(feature = "local-queue")]
        if let (Origin::Local(id), Some(local)) =
            (origin, self.queue.as_ref().and_then(|q| q.local()))
        {
            return local.finish(id).await;
        }
        let _ = origin;
        Ok(())
    }

    /// Now, by the local queue's clock (tests drive it), else the wall clock.
    pub(crate) fn now_millis(&self) -> i64 {
        #[cfg(feature = "local-queue")]
        if let Some(local) = self.queue.as_ref().and_then(|q| q.local()) {
            return local.now_millis();
        }
        crate::store::now_millis()
    }
}

/// Copies of the records held for coalescing (rare: tagless manifests of a push).
pub(crate) fn held_records(records: &[EventRecord]) -> Vec<EventRecord> {
    records
        .iter()
        .filter(|r| matches!(r.coalescing, Some(Coalescing::Held { .. })))
        .cloned()
        .collect()
}

/// Whether `record`'s pair with `target` waits for coalescing (a held member, and a target
/// that no opted-out rule chose).
pub(crate) fn held_for(record: &crate::store::EventRecord, target: &str) -> bool {
    match &record.coalescing {
        Some(Coalescing::Held { prompt, .. }) => !prompt.iter().any(|t| t == target),
        _ => false,
    }
}
