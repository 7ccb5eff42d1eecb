//! The in-memory store: the same behaviour as SQLite, gone when the process ends, and bounded:
//! at most `max_events` events and as many receptions are kept, the oldest evicted first, so no
//! sender can grow the process without limit.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use super::model::{EventSummary, Listed, overall_state};
use super::slots::{Clock, free_slots};
use super::{
    Claim, DeliveryState, EventRecord, ListFilter, PairState, Reception, StoreError, Trace,
    decide_claim,
};
use crate::common::Attempt;

mod health;

/// Events (and receptions) an in-memory store keeps by default: about 8 KB of memory each under
/// steady churn (allocator overhead included), so the bound holds the process near 20 MB.
pub const DEFAULT_MAX_EVENTS: usize = 2_000;
/// Receptions remembered per event (a sender re-sending one id forever stays cheap).
const RECEPTIONS_PER_EVENT: usize = 64;

/// An in-memory store.
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    clock: Clock,
    max_events: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::bounded(DEFAULT_MAX_EVENTS)
    }
}

#[derive(Debug, Default)]
struct Inner {
    receptions: HashMap<String, Reception>,
    events: HashMap<String, Entry>,
    /// Event ids, oldest first (eviction order).
    event_order: VecDeque<String>,
    /// Reception ids, oldest first.
    reception_order: VecDeque<String>,
    /// Rate budgets: slot number → until (epoch ms), per key.
    slots: HashMap<String, HashMap<u32, i64>>,
    /// Target health, per target name.
    health: HashMap<String, super::model::TargetHealth>,
}

#[derive(Debug)]
struct Entry {
    record: EventRecord,
    receptions: Vec<String>,
    pairs: Vec<PairState>,
    attempts: Vec<Attempt>,
    /// Claim expiry (epoch ms) per target.
    leases: HashMap<String, i64>,
}

impl MemoryStore {
    /// A store keeping at most `max_events` events and as many receptions (at least one).
    pub fn bounded(max_events: usize) -> Self {
        MemoryStore {
            inner: Mutex::default(),
            clock: Clock::default(),
            max_events: max_events.max(1),
        }
    }

    /// A store whose rate budgets follow `clock` instead of the wall clock (tests on tokio's
    /// paused clock).
    pub fn with_clock(clock: Clock) -> Self {
        MemoryStore {
            clock,
            ..MemoryStore::default()
        }
    }

    /// Milliseconds since the Unix epoch by this store's clock.
    pub(crate) fn now_millis(&self) -> i64 {
        self.clock.now_millis()
    }

    pub(crate) fn reserve_slot(
        &self,
        key: &str,
        limit: u32,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let slots = inner.slots.entry(key.to_owned()).or_default();
        let Some(&slot) = free_slots(slots, limit, now).first() else {
            return Ok(false);
        };
        slots.insert(slot, until);
        Ok(true)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Poisoned("memory store"))
    }

    pub(crate) fn record_reception(&self, reception: &Reception) -> Result<(), StoreError> {
        self.keep_reception(reception.clone())
    }

    /// Records a reception it is given (no copy).
    pub(crate) fn keep_reception(&self, reception: Reception) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        for id in &reception.event_ids {
            if let Some(entry) = inner.events.get_mut(id) {
                remember_reception(entry, &reception.id);
            }
        }
        let id = reception.id.clone();
        let new = inner.receptions.insert(id.clone(), reception).is_none();
        if new {
            inner.reception_order.push_back(id);
            while inner.reception_order.len() > self.max_events {
                if let Some(oldest) = inner.reception_order.pop_front() {
                    inner.receptions.remove(&oldest);
                }
            }
        }
        Ok(())
    }

    pub(crate) fn record_event(&self, record: &EventRecord) -> Result<(), StoreError> {
        self.keep_event(record.clone())
    }

    /// Records an event it is given (no copy).
    pub(crate) fn keep_event(&self, record: EventRecord) -> Result<(), StoreError> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        if !inner.events.contains_key(&record.event.id) {
            inner.event_order.push_back(record.event.id.clone());
            while inner.event_order.len() > self.max_events {
                if let Some(oldest) = inner.event_order.pop_front() {
                    inner.events.remove(&oldest);
                }
            }
        }
        match inner.events.entry(record.event.id.clone()) {
            std::collections::hash_map::Entry::Occupied(mut known) => {
                let entry = known.get_mut();
                remember_reception(entry, &record.reception_id);
                for target in &record.targets {
                    pair_mut(entry, target);
                }
            }
            std::collections::hash_map::Entry::Vacant(new) => {
                let pairs = record
                    .targets
                    .iter()
                    .map(|target| PairState {
                        target: target.clone(),
                        state: DeliveryState::Pending,
                        attempts: 0,
                        reason: None,
                    })
                    .collect();
                let receptions = vec![record.reception_id.clone()];
                new.insert(Entry {
                    record,
                    receptions,
                    pairs,
                    attempts: Vec::new(),
                    leases: HashMap::new(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<PairState>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .events
            .get(event_id)
            .and_then(|e| e.pairs.iter().find(|p| p.target == target).cloned()))
    }

    pub(crate) fn record_and_pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<(EventRecord, Option<PairState>)>, StoreError> {
        let inner = self.lock()?;
        Ok(inner.events.get(event_id).map(|e| {
            let pair = e.pairs.iter().find(|p| p.target == target).cloned();
            (e.record.clone(), pair)
        }))
    }

    pub(crate) fn claim(
        &self,
        event_id: &str,
        target: &str,
        now: i64,
        until: i64,
    ) -> Result<Claim, StoreError> {
        let mut inner = self.lock()?;
        let Some(entry) = inner.events.get_mut(event_id) else {
            return Err(StoreError::Backend(format!(
                "claim for unrecorded event {event_id}"
            )));
        };
        let existing = entry.pairs.iter().find(|p| p.target == target);
        if let Some(claim) = decide_claim(existing, entry.leases.get(target).copied(), now) {
            return Ok(claim);
        }
        let attempts = existing.map_or(0, |p| p.attempts);
        pair_mut(entry, target);
        entry.leases.insert(target.to_owned(), until);
        Ok(Claim::Acquired {
            attempts,
            token: until,
        })
    }

    pub(crate) fn record_attempt(
        &self,
        event_id: &str,
        attempt: &Attempt,
        state: DeliveryState,
        release: bool,
        fence: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let Some(entry) = inner.events.get_mut(event_id) else {
            return Ok(false);
        };
        entry.attempts.push(attempt.clone());
        if fence.is_some_and(|token| entry.leases.get(&attempt.target) != Some(&token)) {
            return Ok(false);
        }
        if release {
            entry.leases.remove(&attempt.target);
        }
        let pair = pair_mut(entry, &attempt.target);
        pair.attempts += 1;
        pair.state = state;
        pair.reason.clone_from(&attempt.error);
        Ok(true)
    }

    pub(crate) fn set_state(
        &self,
        event_id: &str,
        target: &str,
        state: DeliveryState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if let Some(entry) = inner.events.get_mut(event_id) {
            entry.leases.remove(target);
            let pair = pair_mut(entry, target);
            pair.state = state;
            pair.reason = reason.map(str::to_owned);
        }
        Ok(())
    }

    pub(crate) fn trace(&self, event_id: &str) -> Result<Option<Trace>, StoreError> {
        let inner = self.lock()?;
        Ok(inner.events.get(event_id).map(|entry| Trace {
            record: entry.record.clone(),
            receptions: entry
                .receptions
                .iter()
                .filter_map(|id| inner.receptions.get(id).cloned())
                .collect(),
            pairs: entry.pairs.clone(),
            attempts: entry.attempts.clone(),
        }))
    }

    pub(crate) fn list_records(&self, filter: &ListFilter) -> Result<Vec<Listed>, StoreError> {
        let inner = self.lock()?;
        let mut rows: Vec<Listed> = inner
            .events
            .values()
            .filter(|e| filter.admits(&e.record, &e.pairs))
            .map(|e| (e.record.clone(), e.pairs.clone()))
            .collect();
        newest_first(&mut rows);
        rows.truncate(filter.limit.max(1));
        Ok(rows)
    }

    pub(crate) fn purge_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.events.len();
        inner
            .events
            .retain(|_, e| e.record.received_at.as_str() >= cutoff);
        inner
            .receptions
            .retain(|_, r| r.received_at.as_str() >= cutoff);
        let inner = &mut *inner;
        inner.event_order.retain(|id| inner.events.contains_key(id));
        inner
            .reception_order
            .retain(|id| inner.receptions.contains_key(id));
        Ok(before - inner.events.len())
    }
}

/// Links a reception to an event, keeping the last [`RECEPTIONS_PER_EVENT`] of them.
fn remember_reception(entry: &mut Entry, reception: &str) {
    if entry.receptions.iter().rev().any(|r| r == reception) {
        return;
    }
    if entry.receptions.len() >= RECEPTIONS_PER_EVENT {
        entry.receptions.remove(0);
    }
    entry.receptions.push(reception.to_owned());
}

fn pair_mut<'e>(entry: &'e mut Entry, target: &str) -> &'e mut PairState {
    let index = match entry.pairs.iter().position(|p| p.target == target) {
        Some(index) => index,
        None => {
            entry.pairs.push(PairState {
                target: target.to_owned(),
                state: DeliveryState::Pending,
                attempts: 0,
                reason: None,
            });
            entry.pairs.len() - 1
        }
    };
    &mut entry.pairs[index]
}

/// Newest first; within one `received_at`, ids ascending (every backend lists in this order).
pub(crate) fn newest_first(rows: &mut [Listed]) {
    rows.sort_by(|(a, _), (b, _)| {
        b.received_at
            .cmp(&a.received_at)
            .then_with(|| a.event.id.cmp(&b.event.id))
    });
}

/// A list line from a record and its pairs.
pub(crate) fn summary(record: &EventRecord, pairs: &[PairState]) -> EventSummary {
    EventSummary {
        id: record.event.id.clone(),
        received_at: record.received_at.clone(),
        action: record.event.action.as_str().to_owned(),
        registry_kind: record.event.registry_kind.as_str().to_owned(),
        repository: record.event.repository.clone(),
        tag: record.event.tag.clone(),
        digest: record.event.digest.clone(),
        state: overall_state(pairs),
        pairs: pairs.to_vec(),
    }
}
