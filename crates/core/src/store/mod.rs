//! History and the delivery ledger: what arrived, what the rules decided, every attempt, and the
//! state of every (event, target) pair.
//!
//! The ledger is what makes redelivery safe: before a target is called, the store says whether it
//! already succeeded for this event id, so a sender's retry reaches only the targets that have not.
//! Backends are a closed set behind [`Store`].

pub mod memory;
pub mod model;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use model::{
    DeliveryState, EventRecord, EventSummary, ListFilter, PairState, Reception, Trace,
};

use crate::dispatch::Attempt;

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, lock, corruption).
    #[error("store backend failed: {0}")]
    Backend(String),
}

/// The configured store.
#[derive(Debug)]
pub enum Store {
    /// In memory (tests, throwaway runs).
    Memory(memory::MemoryStore),
    /// A SQLite file (the default for `regrelay serve`).
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::SqliteStore),
}

macro_rules! each {
    ($self:ident, $s:ident => $body:expr) => {
        match $self {
            Store::Memory($s) => $body,
            #[cfg(feature = "sqlite")]
            Store::Sqlite($s) => $body,
        }
    };
}

impl Store {
    /// Opens the store a config names.
    pub fn open(config: &crate::config::StoreConfig) -> Result<Store, StoreError> {
        match config {
            crate::config::StoreConfig::Memory => Ok(Store::Memory(memory::MemoryStore::default())),
            #[cfg(feature = "sqlite")]
            crate::config::StoreConfig::Sqlite { path } => {
                sqlite::SqliteStore::open(path).map(Store::Sqlite)
            }
            #[cfg(not(feature = "sqlite"))]
            crate::config::StoreConfig::Sqlite { .. } => Err(StoreError::Backend(
                "this build has no SQLite support (feature `sqlite`)".into(),
            )),
        }
    }

    /// Records a request as received.
    pub fn record_reception(&self, reception: &Reception) -> Result<(), StoreError> {
        each!(self, s => s.record_reception(reception))
    }

    /// Records a normalized event and its rule decisions; a redelivered event keeps its first record
    /// and gains a link to the new reception.
    pub fn record_event(&self, record: &EventRecord) -> Result<(), StoreError> {
        each!(self, s => s.record_event(record))
    }

    /// The state of one (event, target) pair, if any attempt or decision was recorded.
    pub fn pair(&self, event_id: &str, target: &str) -> Result<Option<PairState>, StoreError> {
        each!(self, s => s.pair(event_id, target))
    }

    /// Records an attempt and the pair's resulting state.
    pub fn record_attempt(
        &self,
        event_id: &str,
        attempt: &Attempt,
        state: DeliveryState,
    ) -> Result<(), StoreError> {
        each!(self, s => s.record_attempt(event_id, attempt, state))
    }

    /// Sets a pair's state without an attempt (skipped duplicate, dead-lettered after the last try).
    pub fn set_state(
        &self,
        event_id: &str,
        target: &str,
        state: DeliveryState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        each!(self, s => s.set_state(event_id, target, state, reason))
    }

    /// Everything known about one event.
    pub fn trace(&self, event_id: &str) -> Result<Option<Trace>, StoreError> {
        each!(self, s => s.trace(event_id))
    }

    /// Recent events, newest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<EventSummary>, StoreError> {
        each!(self, s => s.list(filter))
    }

    /// Deletes records received before `cutoff` (RFC 3339); returns how many events went.
    pub fn purge_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        each!(self, s => s.purge_before(cutoff))
    }
}
