//! Rate budgets shared by every instance on one store: [`Store::reserve_slot`](super::Store).
//!
//! A budget of `limit` messages per window is `limit` slot records under the budget's key
//! (`rate|<key>|<n>` in spirit; each backend spells the keys its own way). A slot holds `until`
//! (epoch ms): the end of the window of the message that took it. Reserving means taking, with a
//! conditional write, any slot numbered below `limit` whose `until` is absent or past, and setting
//! it to `now + window`. Two instances can never both take one slot: memory holds a mutex, SQLite
//! an `IMMEDIATE` transaction, Azure Table Storage writes with `If-Match` (or inserts, which fail
//! when the row exists) and DynamoDB writes with a `ConditionExpression`. The remote backends read
//! the key's slots in one query first, so a spent budget costs one request to learn.
//!
//! Keys are chosen by the caller and must not carry secrets (the DingTalk target hashes its
//! robot's URL without the query, where the access token lives).

use std::collections::HashMap;
use std::sync::Arc;

use rand::Rng;

/// The slot numbers below `limit` that are free at `now`, given the `until` of the slots that
/// exist, starting at a random one (instances racing for a budget try different slots first).
pub(crate) fn free_slots(taken: &HashMap<u32, i64>, limit: u32, now: i64) -> Vec<u32> {
    let mut free: Vec<u32> = (0..limit)
        .filter(|n| taken.get(n).is_none_or(|&until| until <= now))
        .collect();
    if !free.is_empty() {
        let start = rand::rng().random_range(0..free.len());
        free.rotate_left(start);
    }
    free
}

/// Where the memory store reads the time: the wall clock, or a test's own clock.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<dyn Fn() -> i64 + Send + Sync>>);

impl Clock {
    /// A clock answering `now` (epoch ms), e.g. one driven by tokio's paused test clock.
    pub fn new(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(Some(Arc::new(now)))
    }

    /// Milliseconds since the Unix epoch by this clock.
    pub fn now_millis(&self) -> i64 {
        match &self.0 {
            Some(now) => now(),
            None => super::now_millis(),
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Clock(custom)"
        } else {
            "Clock(wall)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::memory::MemoryStore;
    use std::time::Duration;

    #[test]
    fn free_slots_skips_the_ones_still_running() {
        let taken = HashMap::from([(0, 50), (1, 150), (3, 100)]);
        let mut free = free_slots(&taken, 4, 100);
        free.sort_unstable();
        assert_eq!(free, vec![0, 2, 3]);
        assert!(free_slots(&taken, 0, 100).is_empty());
    }

    /// Two stores standing for two instances: 20 reservations in total, then none until the
    /// window ends.
    async fn twenty_then_none_until_the_window_ends(a: &Store, b: &Store, window: Duration) {
        let mut granted = 0;
        for i in 0..30 {
            let store = if i % 2 == 0 { a } else { b };
            if store.reserve_slot("rate-test", 20, window).await.unwrap() {
                granted += 1;
            }
        }
        assert_eq!(granted, 20, "20 slots between the two instances");
        assert!(!b.reserve_slot("rate-test", 20, window).await.unwrap());
        assert!(
            a.reserve_slot("another-key", 20, window).await.unwrap(),
            "budgets are per key"
        );
        tokio::time::sleep(window + Duration::from_millis(50)).await;
        let mut again = 0;
        while again < 25 && a.reserve_slot("rate-test", 20, window).await.unwrap() {
            again += 1;
        }
        assert_eq!(again, 20, "the whole budget again after the window");
        assert!(!b.reserve_slot("rate-test", 19, window).await.unwrap());
    }

    #[tokio::test]
    async fn memory_budget_is_shared_within_one_store() {
        let store = Store::Memory(MemoryStore::default());
        twenty_then_none_until_the_window_ends(&store, &store, Duration::from_millis(300)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn memory_budget_follows_an_injected_clock() {
        let base = tokio::time::Instant::now();
        let clock = Clock::new(move || {
            1_700_000_000_000 + i64::try_from(base.elapsed().as_millis()).unwrap()
        });
        let store = Store::Memory(MemoryStore::with_clock(clock));
        twenty_then_none_until_the_window_ends(&store, &store, Duration::from_secs(61)).await;
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_budget_is_shared_by_two_stores_on_one_file() {
        let dir = std::env::temp_dir().join(format!(
            "regrelay-slots-{}-{}",
            std::process::id(),
            crate::store::now_millis()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("budget.db");
        let path = path.to_str().unwrap();
        let open = || Store::Sqlite(crate::store::sqlite::SqliteStore::open(path).unwrap());
        let (a, b) = (open(), open());
        twenty_then_none_until_the_window_ends(&a, &b, Duration::from_millis(300)).await;
        // Racing on two threads, two connections: still 20 in total.
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let store = open();
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap();
                    (0..30)
                        .filter(|_| {
                            rt.block_on(store.reserve_slot("race", 20, Duration::from_secs(60)))
                                .unwrap()
                        })
                        .count()
                })
            })
            .collect();
        let granted: usize = racers.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(granted, 20);
        std::fs::remove_dir_all(&dir).ok();
    }
}
