//! The in-process worker of `regrelay serve`: polls the local queue (SQLite or memory), leases
//! due items and runs each through [`Deliverer::work`], at most `delivery.workers` at once and
//! at most `delivery.target_concurrency` per target, so one slow target cannot take every
//! worker. It sleeps until the next item is due or new work is enqueued; items leased by a
//! process that died are taken again when their lease ends, so work resumes after a restart.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tracing::Instrument;

use super::Deliverer;
use super::work::Origin;
use crate::queue::LocalQueue;

/// Longest sleep between polls when nothing is due (other processes may enqueue too).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Pause after the queue itself failed.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Runs the worker until `shutdown` completes; in-flight deliveries finish first.
pub async fn run(deliverer: Arc<Deliverer>, shutdown: impl Future<Output = ()>) {
    let Some(queue) = deliverer.queue().cloned() else {
        return;
    };
    if queue.local().is_none() {
        return;
    }
    let workers = Arc::new(Semaphore::new(deliverer.policy().workers));
    let in_flight: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let done = Arc::new(Notify::new());
    tokio::pin!(shutdown);
    let mut round = 0usize;
    let mut orphans_checked = false;
    loop {
        let Some(local) = queue.local() else { return };
        round = round.wrapping_add(1);
        let mut taken = take(&deliverer, local, &workers, &in_flight, round);
        if !orphans_checked {
            // Once per start: items for targets no longer configured are settled (dead-lettered).
            orphans_checked = true;
            let known: Vec<String> = deliverer
                .target_names()
                .iter()
                .map(|n| (*n).to_owned())
                .collect();
            match local.take_orphans(deliverer.now_millis(), row_lease(&deliverer), &known, 1_000) {
                Ok(orphans) => taken.extend(orphans),
                Err(error) => {
                    tracing::error!(%error, "The local delivery queue could not be read.")
                }
            }
        }
        let count = taken.len();
        for taken in taken {
            let Ok(permit) = Arc::clone(&workers).acquire_owned().await else {
                return;
            };
            count_in(&in_flight, &taken.item.target, 1);
            let deliverer = Arc::clone(&deliverer);
            let in_flight = Arc::clone(&in_flight);
            let done = Arc::clone(&done);
            let span = tracing::info_span!("work", event_id = %taken.item.event, target = %taken.item.target);
            tokio::spawn(
                async move {
                    if let Err(error) = deliverer.work(&taken.item, Origin::Local(taken.id)).await {
                        tracing::error!(%error, "A queued delivery could not run; it is retried when its lease ends.");
                    }
                    count_in(&in_flight, &taken.item.target, -1);
                    drop(permit);
                    done.notify_one();
                }
                .instrument(span),
            );
        }
        if count > 0 {
            continue;
        }
        let wait = idle_wait(&deliverer, local);
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(wait) => {}
            () = deliverer.wake.notified() => {}
            () = done.notified() => {}
        }
    }
    // Let running deliveries end; a row still leased at exit is retaken after a restart.
    let all = u32::try_from(deliverer.policy().workers).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(30), workers.acquire_many(all)).await;
}

/// Leases as many due items as there are free workers: each target gets at most its free
/// `delivery.target_concurrency` slots, starting from a different target each round.
fn take(
    deliverer: &Deliverer,
    local: &LocalQueue,
    workers: &Semaphore,
    in_flight: &Mutex<HashMap<String, usize>>,
    round: usize,
) -> Vec<crate::queue::Taken> {
    let mut free = workers.available_permits();
    if free == 0 {
        return Vec::new();
    }
    let per_target = deliverer.policy().target_concurrency;
    let counts = in_flight.lock().map(|m| m.clone()).unwrap_or_default();
    let names = deliverer.target_names();
    let mut wants = Vec::new();
    for i in 0..names.len() {
        let name = names[(round + i) % names.len()];
        let room = per_target.saturating_sub(counts.get(name).copied().unwrap_or(0));
        let n = room.min(free);
        if n > 0 {
            wants.push((name.to_owned(), n));
            free -= n;
        }
    }
    let lease = row_lease(deliverer);
    match local.take(deliverer.now_millis(), lease, &wants) {
        Ok(taken) => taken,
        Err(error) => {
            tracing::error!(%error, "The local delivery queue could not be read.");
            Vec::new()
        }
    }
}

/// How long a taken row stays leased: twice a claim's lease.
fn row_lease(deliverer: &Deliverer) -> i64 {
    i64::try_from(deliverer.lease().saturating_mul(2).as_millis()).unwrap_or(i64::MAX)
}

/// How long to sleep: until the next item is due, at most [`IDLE_POLL`]. When items are due but
/// none was taken, every worker or every due target is busy: a finished delivery (or new work)
/// wakes the loop, so it does not spin on the queue meanwhile.
fn idle_wait(deliverer: &Deliverer, local: &LocalQueue) -> Duration {
    match local.next_due() {
        Ok(Some(due)) => {
            let ms = due.saturating_sub(deliverer.now_millis());
            if ms <= 0 {
                return IDLE_POLL;
            }
            Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(IDLE_POLL)
        }
        Ok(None) => IDLE_POLL,
        Err(_) => ERROR_PAUSE,
    }
}

fn count_in(in_flight: &Mutex<HashMap<String, usize>>, target: &str, delta: isize) {
    if let Ok(mut map) = in_flight.lock() {
        let entry = map.entry(target.to_owned()).or_default();
        *entry = entry.saturating_add_signed(delta);
    }
}
