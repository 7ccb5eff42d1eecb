//! Queued mode's entry points on the pipeline: the queue, the local worker and the platform-queue
//! poller of `regrelay serve`, and the messages the cloud shells' queue triggers hand over
//! (Azure `deliver`/`deadletter`, Lambda SQS batches).

use std::sync::Arc;

use super::Pipeline;
use crate::deliver::work::Worked;
use crate::queue::{WorkItem, WorkQueue};
use crate::store::StoreError;

impl Pipeline {
    /// The delivery queue, when there is one.
    pub fn queue(&self) -> Option<&WorkQueue> {
        self.inner.deliverer.queue().map(|q| &**q)
    }

    /// Runs the in-process worker over the local queue until `shutdown` completes (returns at
    /// once when the queue is a platform's, whose trigger calls [`Pipeline::work_message`]).
    #[cfg(feature = "local-queue")]
    pub async fn run_worker(&self, shutdown: impl std::future::Future<Output = ()>) {
        crate::deliver::worker::run(Arc::clone(&self.inner.deliverer), shutdown).await;
    }

    /// Runs a poller over a platform queue (Azure Storage, SQS) until `shutdown` completes: for
    /// `regrelay serve` instances sharing a remote store and queue (containers, VMs). Returns at
    /// once with a local queue. The cloud shells do not call it: their platform's trigger does
    /// the polling.
    pub async fn run_poller(&self, shutdown: impl std::future::Future<Output = ()>) {
        let max = self.queue_max_receives();
        crate::deliver::poll::run(Arc::clone(&self.inner.deliverer), max, shutdown).await;
    }

    /// Runs one message of a platform queue (`receives`: how often the platform handed it out,
    /// this time included). `Ok` means acknowledge it; an error means leave it to the queue,
    /// which hands it out again and, after its limit, moves it to the dead-letter queue — at
    /// that last receive the pair is also dead-lettered in history.
    pub async fn work_message(&self, text: &str, receives: u32) -> Result<Worked, StoreError> {
        let max = self.queue_max_receives();
        self.inner.deliverer.work_text(text, receives, max).await
    }

    /// Runs the records of one SQS batch concurrently (at most `delivery.workers` at once, so a
    /// batch of slow targets fits the function's timeout); returns the message ids that failed,
    /// for `batchItemFailures`.
    pub async fn work_batch(&self, records: Vec<crate::queue::sqs::SqsRecord>) -> Vec<String> {
        use futures_util::StreamExt;
        let workers = self.inner.config.delivery.workers;
        futures_util::stream::iter(records)
            .map(|record| async move {
                let failed = self
                    .work_message(&record.body, record.receives)
                    .await
                    .is_err();
                failed.then_some(record.message_id)
            })
            .buffer_unordered(workers)
            .filter_map(|failed| async move { failed })
            .collect()
            .await
    }

    /// A message the platform moved to its dead-letter (poison) queue: the pair is marked
    /// dead-lettered in history, so it is listed and can be redriven.
    pub async fn dead_letter_message(&self, text: &str) -> Result<(), StoreError> {
        let Ok(item) = WorkItem::parse(text) else {
            tracing::error!("A poison message is not a work item; dropping it.");
            return Ok(());
        };
        self.inner
            .deliverer
            .abandon(&item, "moved to the poison queue after its last receive")
            .await
    }

    fn queue_max_receives(&self) -> Option<u32> {
        match &self.inner.config.queue {
            crate::config::QueueChoice::Remote(queue) => queue.max_receives(),
            crate::config::QueueChoice::Local => None,
        }
    }
}
