//! The delivery queue: one durable work item per (event, target) pair still to be attempted, so
//! delivery no longer depends on the sender's request (`[delivery] mode = "queued"`).
//!
//! Backends are a closed set behind [`WorkQueue`]:
//! - `local`: a table in the SQLite store's file (or, for tests, memory) with a due-time index,
//!   polled by the in-process worker of `regrelay serve` ([`LocalQueue`]);
//! - `azure_queue`: an Azure Storage queue, drained by the Functions host's `queueTrigger`;
//! - `sqs`: an Amazon SQS queue, drained by Lambda's event source mapping.
//!
//! The cloud queues cap how long a message can be hidden (SQS 15 minutes, Storage Queue 7 days):
//! an item carries its own due time, and a worker that receives one early puts it back for the
//! rest of the wait ([`WorkItem::early`]).

#[cfg(feature = "azure")]
pub(crate) mod azure;
pub mod config;
#[cfg(feature = "local-queue")]
pub(crate) mod local;
pub(crate) mod sqs;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use config::QueueConfig;
#[cfg(feature = "local-queue")]
pub use local::{LocalQueue, Taken};

use crate::store::StoreError;

/// What the queue holds for one (event, target) pair: which attempt comes next and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    /// Format version of the item (1).
    pub v: u8,
    /// The event id (its record and raw text are in the store).
    pub event: String,
    /// The target's name.
    pub target: String,
    /// Attempts the ledger held when this item was made: an item behind the ledger is stale
    /// (another copy already moved the pair on) and is dropped.
    pub attempts: u32,
    /// When the attempt is due (epoch ms).
    pub due_ms: i64,
    /// When the pair was first queued (epoch ms): the retry horizon counts from here.
    pub since_ms: i64,
}

impl WorkItem {
    /// A first attempt of `event` to `target`, due `now`.
    pub fn first(event: &str, target: &str, now: i64) -> Self {
        WorkItem {
            v: 1,
            event: event.to_owned(),
            target: target.to_owned(),
            attempts: 0,
            due_ms: now,
            since_ms: now,
        }
    }

    /// The item as queue message text (JSON).
    pub fn to_text(&self) -> String {
        // A struct of strings and integers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses queue message text; tolerates the JSON string encoding the Functions host may add.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        match serde_json::from_str::<WorkItem>(text) {
            Ok(item) => Ok(item),
            Err(error) => match serde_json::from_str::<String>(text) {
                Ok(inner) => serde_json::from_str(&inner),
                Err(_) => Err(error),
            },
        }
    }

    /// How long until it is due, when it is not due at `now` (a small early arrival counts as
    /// due: queues round delays to seconds).
    pub fn early(&self, now: i64) -> Option<Duration> {
        let wait = self.due_ms.saturating_sub(now);
        (wait > 1_000).then(|| Duration::from_millis(u64::try_from(wait).unwrap_or(0)))
    }
}

/// Storage queue messages one enqueue puts at once.
#[cfg(feature = "azure")]
const AZURE_PUTS_AT_ONCE: usize = 16;

/// The configured delivery queue.
#[derive(Debug)]
pub enum WorkQueue {
    /// In the store's SQLite file, or in memory.
    #[cfg(feature = "local-queue")]
    Local(LocalQueue),
    /// An Azure Storage queue.
    #[cfg(feature = "azure")]
    Azure(azure::StorageQueue),
    /// An Amazon SQS queue (boxed: its signing client is the largest variant).
    Sqs(Box<sqs::SqsQueue>),
}

impl WorkQueue {
    /// Opens the queue a config names (a remote queue is created on first use if missing).
    pub fn open(config: &QueueConfig) -> Result<WorkQueue, StoreError> {
        match config {
            #[cfg(feature = "local-queue")]
            QueueConfig::Memory => Ok(WorkQueue::Local(LocalQueue::memory())),
            #[cfg(feature = "local-queue")]
            QueueConfig::Sqlite { path } => LocalQueue::sqlite(path).map(WorkQueue::Local),
            #[cfg(not(feature = "local-queue"))]
            QueueConfig::Memory | QueueConfig::Sqlite { .. } => Err(StoreError::Open(
                "this build has no local delivery queue (feature `local-queue`); name a [queue]"
                    .into(),
            )),
            #[cfg(feature = "azure")]
            QueueConfig::AzureQueue {
                connection_string,
                name,
                ..
            } => azure::StorageQueue::open(connection_string, name).map(WorkQueue::Azure),
            #[cfg(not(feature = "azure"))]
            QueueConfig::AzureQueue { .. } => Err(StoreError::Open(
                "this build has no Azure Storage queue support (feature `azure`)".into(),
            )),
            QueueConfig::Sqs {
                url,
                region,
                endpoint,
                credentials,
                ..
            } => sqs::SqsQueue::open(url, region, endpoint.as_deref(), credentials.clone())
                .map(|q| WorkQueue::Sqs(Box::new(q))),
        }
    }

    /// Puts `items` on the queue, each hidden until its due time (as far as the queue allows).
    pub async fn enqueue(&self, items: &[WorkItem], now: i64) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "local-queue")]
            WorkQueue::Local(queue) => queue.enqueue(items).await,
            #[cfg(feature = "azure")]
            WorkQueue::Azure(queue) => {
                // The Queue service has no batch put: the messages go out concurrently.
                use futures_util::{StreamExt, TryStreamExt};
                let puts: Vec<_> = items
                    .iter()
                    .map(|item| queue.put_owned(item.to_text(), delay(item, now)))
                    .collect();
                futures_util::stream::iter(puts)
                    .buffer_unordered(AZURE_PUTS_AT_ONCE)
                    .try_collect::<()>()
                    .await
            }
            WorkQueue::Sqs(queue) => {
                let delayed: Vec<(String, Duration)> = items
                    .iter()
                    .map(|item| (item.to_text(), delay(item, now)))
                    .collect();
                queue.send_batch(&delayed).await
            }
        }
    }

    /// Whether this is the local queue (polled by `serve`'s worker), not a platform's.
    pub fn is_local(&self) -> bool {
        #[cfg(feature = "local-queue")]
        if let WorkQueue::Local(_) = self {
            return true;
        }
        false
    }

    /// The local queue, which `regrelay serve`'s worker polls.
    #[cfg(feature = "local-queue")]
    pub fn local(&self) -> Option<&LocalQueue> {
        match self {
            WorkQueue::Local(queue) => Some(queue),
            _ => None,
        }
    }
}

/// How long `item` should stay hidden from `now`.
fn delay(item: &WorkItem, now: i64) -> Duration {
    Duration::from_millis(u64::try_from(item.due_ms.saturating_sub(now)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_and_survive_double_encoding() {
        let item = WorkItem::first("e1", "hook", 1_000);
        let text = item.to_text();
        assert_eq!(WorkItem::parse(&text).unwrap(), item);
        let wrapped = serde_json::to_string(&text).unwrap();
        assert_eq!(WorkItem::parse(&wrapped).unwrap(), item);
        assert!(WorkItem::parse("{\"event\":1}").is_err());
    }

    #[test]
    fn early_items_say_how_long_is_left() {
        let mut item = WorkItem::first("e1", "hook", 0);
        item.due_ms = 60_000;
        assert_eq!(item.early(0), Some(Duration::from_secs(60)));
        assert_eq!(item.early(59_500), None);
        assert_eq!(item.early(90_000), None);
    }
}
