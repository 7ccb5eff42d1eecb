//! `regrelay serve` on a platform queue (Azure Storage, SQS) instead of its local one: several
//! instances share one remote store and one queue, each polling it, so any of them can be killed
//! and the others carry on — the scale-out the cloud shells get from their platforms.
//!
//! A message is hidden while it runs (twice a claim's lease); success deletes it, a failure
//! leaves it to reappear. After `queue.max_receives` failed receives the pair is dead-lettered in
//! history (as the cloud shells do) and the message leaves the queue: an Azure message goes to
//! `<queue>-poison`, as the Functions host would move it; an SQS message is deleted unless the
//! queue's redrive policy moved it to its dead-letter queue first.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::Deliverer;
use crate::queue::WorkQueue;
use crate::store::StoreError;

/// Pause when the queue had nothing (or failed).
const EMPTY_PAUSE: Duration = Duration::from_millis(500);

/// One received message of either platform.
enum Message {
    #[cfg(feature = "azure")]
    Azure(crate::queue::azure::Received),
    Sqs(crate::queue::sqs::Received),
}

impl Message {
    fn text(&self) -> &str {
        match self {
            #[cfg(feature = "azure")]
            Message::Azure(m) => &m.text,
            Message::Sqs(m) => &m.body,
        }
    }

    fn receives(&self) -> u32 {
        match self {
            #[cfg(feature = "azure")]
            Message::Azure(m) => m.dequeue_count,
            Message::Sqs(m) => m.receive_count,
        }
    }
}

/// Polls the platform queue until `shutdown` completes; in-flight messages finish first.
pub async fn run(
    deliverer: Arc<Deliverer>,
    max_receives: Option<u32>,
    shutdown: impl Future<Output = ()>,
) {
    let Some(queue) = deliverer.queue().cloned() else {
        return;
    };
    if queue.is_local() {
        return;
    }
    let workers = Arc::new(Semaphore::new(deliverer.policy().workers));
    let hide = deliverer.lease().saturating_mul(2);
    tokio::pin!(shutdown);
    loop {
        let free = workers.available_permits();
        let received = if free == 0 {
            Ok(Vec::new())
        } else {
            tokio::select! {
                () = &mut shutdown => break,
                got = receive(&queue, free, hide) => got,
            }
        };
        let messages = match received {
            Ok(messages) => messages,
            Err(error) => {
                tracing::error!(%error, "The delivery queue could not be read.");
                Vec::new()
            }
        };
        let idle = messages.is_empty();
        for message in messages {
            let Ok(permit) = Arc::clone(&workers).acquire_owned().await else {
                return;
            };
            let deliverer = Arc::clone(&deliverer);
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                settle(&deliverer, &queue, message, max_receives).await;
                drop(permit);
            });
        }
        if idle {
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(EMPTY_PAUSE) => {}
            }
        }
    }
    let all = u32::try_from(deliverer.policy().workers).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(30), workers.acquire_many(all)).await;
}

async fn receive(
    queue: &WorkQueue,
    free: usize,
    hide: Duration,
) -> Result<Vec<Message>, StoreError> {
    match queue {
        #[cfg(feature = "azure")]
        WorkQueue::Azure(q) => {
            let count = u8::try_from(free.min(32)).unwrap_or(32);
            Ok(q.get(count, hide)
                .await?
                .into_iter()
                .map(Message::Azure)
                .collect())
        }
        WorkQueue::Sqs(q) => {
            let count = u8::try_from(free.min(10)).unwrap_or(10);
            Ok(q.receive(count, hide)
                .await?
                .into_iter()
                .map(Message::Sqs)
                .collect())
        }
        #[cfg(feature = "local-queue")]
        WorkQueue::Local(_) => Ok(Vec::new()),
    }
}

/// Runs one message and acknowledges it, or leaves it to the queue, or retires it.
async fn settle(deliverer: &Deliverer, queue: &WorkQueue, message: Message, max: Option<u32>) {
    let receives = message.receives();
    let worked = deliverer.work_text(message.text(), receives, max).await;
    let retire = worked.is_err() && max.is_some_and(|m| receives >= m);
    if worked.is_err() && !retire {
        return;
    }
    let acked = match (queue, &message) {
        #[cfg(feature = "azure")]
        (WorkQueue::Azure(q), Message::Azure(m)) => {
            if retire && let Err(error) = q.poison().put(&m.text, Duration::ZERO).await {
                tracing::error!(%error, "Could not move a message to the poison queue.");
                return;
            }
            q.delete(m).await
        }
        (WorkQueue::Sqs(q), Message::Sqs(m)) => q.delete(&m.receipt).await,
        #[allow(unreachable_patterns)]
        _ => Ok(()),
    };
    if let Err(error) = acked {
        tracing::warn!(%error, "Could not delete a finished message; it comes back and is dropped as settled.");
    }
}
