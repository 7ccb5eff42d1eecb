//! History and the delivery ledger: what arrived, what the rules decided, every attempt, and the
//! state of every (event, target) pair.
//!
//! The ledger is what makes redelivery safe: before a target is called, the store says whether it
//! already succeeded for this event id, so a sender's retry reaches only the targets that have not.
//! Backends are a closed set behind [`Store`]: in memory and SQLite (embedded, synchronous), and
//! Azure Table Storage and DynamoDB (remote, over HTTP, for the serverless shells).
//!
//! The store also holds rate budgets every instance shares ([`Store::reserve_slot`], see
//! [`slots`]): the DingTalk target keeps each robot's 20-a-minute limit there.

#[cfg(feature = "azure")]
pub mod azure_table;
pub mod config;
pub mod dynamodb;
mod health;
pub mod memory;
pub mod model;
pub(crate) mod remote;
pub mod slots;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use model::{
    Coalescing, DeliveryState, EventRecord, EventSummary, FoldedManifest, HealthState, ListFilter,
    Listed, PairState, Reception, ReceptionKind, TargetHealth, Trace,
};

use crate::common::Attempt;

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's settings or credentials do not allow opening it.
    #[error("cannot open the store: {0}")]
    Open(String),
    /// SQLite failed.
    #[cfg(feature = "sqlite")]
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A request to a remote store did not complete (the URL, which may carry a SAS token, is
    /// left out of the source).
    #[error("{what}: {kind}")]
    Transport {
        /// Which call.
        what: String,
        /// Timed out, could not connect, or failed otherwise.
        kind: &'static str,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// A remote store answered with an error.
    #[error("{what}: {status} {code}")]
    Refused {
        /// Which call.
        what: String,
        /// HTTP status.
        status: u16,
        /// The service's error code and message.
        code: String,
    },
    /// Stored or outgoing data is not the JSON it should be.
    #[error("store data: {0}")]
    Data(#[from] serde_json::Error),
    /// A record too large for the backend even with its unbounded part cut away.
    #[error("{0} does not fit the store")]
    TooLarge(String),
    /// A lock was poisoned by a panic in another request.
    #[error("{0} lock poisoned")]
    Poisoned(&'static str),
    /// Any other backend failure, in words.
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
    /// An Azure Table Storage table (the Azure Functions shell).
    #[cfg(feature = "azure")]
    AzureTable(azure_table::AzureTableStore),
    /// A DynamoDB table (the Lambda shell).
    DynamoDb(dynamodb::DynamoDbStore),
}

/// Calls a backend method: the embedded backends answer synchronously (microseconds), the remote
/// ones over HTTP.
/// Writes of one request a remote store receives at once.
const REMOTE_WRITES_AT_ONCE: usize = 16;

macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Store::Memory($s) => $call,
            #[cfg(feature = "sqlite")]
            Store::Sqlite($s) => $call.await,
            #[cfg(feature = "azure")]
            Store::AzureTable($s) => $call.await,
            Store::DynamoDb($s) => $call.await,
        }
    };
}

/// What [`Store::claim`] found for an (event, target) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This caller may deliver; `attempts` were made before.
    Acquired {
        /// Attempts already recorded for the pair.
        attempts: u32,
        /// The claim's fencing token (its lease end, ms): [`Store::record_attempt`] with it
        /// changes the pair only while this claim is the pair's current one.
        token: i64,
    },
    /// The target already has the event: do not send again.
    Delivered,
    /// The pair was dead-lettered; only an explicit redrive sends it again.
    DeadLettered {
        /// Why.
        reason: Option<String>,
    },
    /// Another instance is delivering this pair right now.
    Busy,
}

/// Whether [`Store::record_attempt`] ends this caller's claim on the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// More attempts follow within this invocation: keep the claim.
    Keep,
    /// This was the last attempt of this invocation: release the claim.
    Release,
}

impl Store {
    /// Opens the store a config names.
    pub fn open(config: &crate::store::config::StoreConfig) -> Result<Store, StoreError> {
        match config {
            crate::store::config::StoreConfig::Memory { max_events, .. } => {
                Ok(Store::Memory(memory::MemoryStore::bounded(*max_events)))
            }
            #[cfg(feature = "sqlite")]
            crate::store::config::StoreConfig::Sqlite { path } => {
                sqlite::SqliteStore::open(path).map(Store::Sqlite)
            }
            #[cfg(not(feature = "sqlite"))]
            crate::store::config::StoreConfig::Sqlite { .. } => Err(StoreError::Open(
                "this build has no SQLite support (feature `sqlite`)".into(),
            )),
            #[cfg(feature = "azure")]
            crate::store::config::StoreConfig::AzureTable {
                connection_string,
                table,
            } => {
                azure_table::AzureTableStore::open(connection_string, table).map(Store::AzureTable)
            }
            #[cfg(not(feature = "azure"))]
            crate::store::config::StoreConfig::AzureTable { .. } => Err(StoreError::Open(
                "this build has no Azure Table Storage support (feature `azure`)".into(),
            )),
            crate::store::config::StoreConfig::DynamoDb { .. } => {
                dynamodb::DynamoDbStore::open(config).map(Store::DynamoDb)
            }
        }
    }

    /// Records a request as received.
    pub async fn record_reception(&self, reception: &Reception) -> Result<(), StoreError> {
        each!(self, s => s.record_reception(reception))
    }

    /// [`Store::record_reception`] of a reception the caller is done with (the memory store
    /// keeps it without a copy).
    pub async fn keep_reception(&self, reception: Reception) -> Result<(), StoreError> {
        match self {
            Store::Memory(s) => s.keep_reception(reception),
            _ => self.record_reception(&reception).await,
        }
    }

    /// Records a normalized event and its rule decisions; a redelivered event keeps its first record
    /// and gains a link to the new reception.
    pub async fn record_event(&self, record: &EventRecord) -> Result<(), StoreError> {
        each!(self, s => s.record_event(record))
    }

    /// Records the events of one request: in SQLite one transaction; in the remote stores their
    /// writes go out concurrently. Stops at the first failure.
    pub async fn record_events(&self, records: Vec<EventRecord>) -> Result<(), StoreError> {
        match self {
            Store::Memory(s) => records.into_iter().try_for_each(|r| s.keep_event(r)),
            #[cfg(feature = "sqlite")]
            Store::Sqlite(s) => s.record_events(&records).await,
            _ => {
                for chunk in records.chunks(REMOTE_WRITES_AT_ONCE) {
                    let mut writes = Vec::with_capacity(chunk.len());
                    for record in chunk {
                        writes.push(self.record_event(record));
                    }
                    for written in futures_util::future::join_all(writes).await {
                        written?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Atomically claims an (event, target) pair for delivery for `lease`, unless it was delivered,
    /// dead-lettered, or is claimed by another instance whose lease has not run out. This is what
    /// keeps concurrent retries of one event on several instances from sending twice.
    pub async fn claim(
        &self,
        event_id: &str,
        target: &str,
        lease: std::time::Duration,
    ) -> Result<Claim, StoreError> {
        let now = now_millis();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        each!(self, s => s.claim(event_id, target, now, until))
    }

    /// The ledger entry of one pair, if any.
    pub async fn pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<PairState>, StoreError> {
        each!(self, s => s.pair(event_id, target))
    }

    /// Records an attempt and the pair's resulting state; [`Lease::Release`] ends the claim.
    /// With a `fence` (the claim's token), the pair changes only if that claim is still the
    /// pair's current one: a late write from a claim that expired and was taken over cannot
    /// overwrite what the newer claim recorded. Returns whether the pair changed. Without a fence
    /// (an explicit redrive) the write is unconditional.
    pub async fn record_attempt(
        &self,
        event_id: &str,
        attempt: &Attempt,
        state: DeliveryState,
        lease: Lease,
        fence: Option<i64>,
    ) -> Result<bool, StoreError> {
        let release = lease == Lease::Release;
        each!(self, s => s.record_attempt(event_id, attempt, state, release, fence))
    }

    /// Sets a pair's state without an attempt (and releases any claim).
    pub async fn set_state(
        &self,
        event_id: &str,
        target: &str,
        state: DeliveryState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        each!(self, s => s.set_state(event_id, target, state, reason))
    }

    /// What a queued delivery needs of one event: its record and one pair's ledger entry, without
    /// the receptions and attempts of a whole [`Store::trace`]. The remote backends read one
    /// partition either way, so they answer from the trace.
    pub async fn record_and_pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<(EventRecord, Option<PairState>)>, StoreError> {
        match self {
            Store::Memory(s) => s.record_and_pair(event_id, target),
            #[cfg(feature = "sqlite")]
            Store::Sqlite(s) => s.record_and_pair(event_id, target).await,
            _ => Ok(self.trace(event_id).await?.map(|trace| {
                let pair = trace.pairs.into_iter().find(|p| p.target == target);
                (trace.record, pair)
            })),
        }
    }

    /// Everything known about one event.
    pub async fn trace(&self, event_id: &str) -> Result<Option<Trace>, StoreError> {
        each!(self, s => s.trace(event_id))
    }

    /// Recent events, newest first.
    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<EventSummary>, StoreError> {
        let rows = self.list_records(filter).await?;
        Ok(rows.iter().map(|(r, p)| memory::summary(r, p)).collect())
    }

    /// As [`Store::list`], each event's whole record and pairs.
    pub(crate) async fn list_records(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<Listed>, StoreError> {
        each!(self, s => s.list_records(filter))
    }

    /// Reserves one of `limit` slots of the budget `key` for `window`, atomically across every
    /// instance on this store: `true` means one message may go now. `key` must carry no secret.
    pub async fn reserve_slot(
        &self,
        key: &str,
        limit: u32,
        window: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let now = match self {
            Store::Memory(s) => s.now_millis(),
            _ => now_millis(),
        };
        let until = now.saturating_add(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
        each!(self, s => s.reserve_slot(key, limit, now, until))
    }

    /// Deletes records received before `cutoff` (RFC 3339); returns how many events went.
    pub async fn purge_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        each!(self, s => s.purge_before(cutoff))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The claim decision every backend applies to a pair's current row.
pub(crate) fn decide_claim(
    existing: Option<&PairState>,
    lease_until: Option<i64>,
    now: i64,
) -> Option<Claim> {
    match existing {
        Some(p)
            if matches!(
                p.state,
                DeliveryState::Delivered | DeliveryState::SkippedDuplicate | DeliveryState::Folded
            ) =>
        {
            Some(Claim::Delivered)
        }
        Some(p) if p.state == DeliveryState::DeadLettered => Some(Claim::DeadLettered {
            reason: p.reason.clone(),
        }),
        _ if lease_until.is_some_and(|until| until > now) => Some(Claim::Busy),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
