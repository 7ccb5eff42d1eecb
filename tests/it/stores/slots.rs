//! Rate budgets and kept payloads on a remote store: what `crates/core/src/store/slots.rs` checks
//! on memory and SQLite, here with two `Store` values on one table standing for two instances.

use std::time::{Duration, Instant};

use std::sync::Arc;

use regrelay_core::Store;
use regrelay_core::StoreConfig;

use super::scenarios::{at, reception, record, two_instances};

/// Long enough for 30 round trips to an emulator, short enough to wait out once.
const WINDOW: Duration = Duration::from_secs(4);

/// 30 reservations alternating between the instances: 20 granted.
async fn reserve_30(a: &Store, b: &Store, key: &str) -> usize {
    let mut granted = 0;
    for i in 0..30 {
        let store = if i % 2 == 0 { a } else { b };
        if store.reserve_slot(key, 20, WINDOW).await.unwrap() {
            granted += 1;
        }
    }
    granted
}

/// 20 reservations in a window between two instances, the 21st refused, all 20 again after it.
async fn budgets_hold_across_instances(a: &Store, b: &Store) {
    let started = Instant::now();
    assert_eq!(reserve_30(a, b, "budget-1").await, 20);
    assert!(!b.reserve_slot("budget-1", 20, WINDOW).await.unwrap());
    assert!(
        started.elapsed() < WINDOW,
        "the emulator was too slow for the window"
    );
    tokio::time::sleep(WINDOW + Duration::from_millis(200)).await;
    assert_eq!(reserve_30(a, b, "budget-1").await, 20, "a new window");
}

/// 30 reservations at once on two instances: exactly 20 win.
async fn racing_reservations_take_each_slot_once(a: Arc<Store>, b: Arc<Store>) {
    let mut tries = tokio::task::JoinSet::new();
    for i in 0..30 {
        let store = Arc::clone(if i % 2 == 0 { &a } else { &b });
        tries.spawn(async move {
            store
                .reserve_slot("budget-race", 20, Duration::from_secs(60))
                .await
                .unwrap()
        });
    }
    let granted = tries.join_all().await.into_iter().filter(|&g| g).count();
    assert_eq!(granted, 20);
}

/// A kept payload larger than a remote item may hold comes back cut, with the mark.
async fn payloads_are_cut_to_fit(store: &Store) {
    let now = at(0);
    store
        .record_event(&record("p1", "team/app", &now, "rp"))
        .await
        .unwrap();
    let mut kept = reception("rp", &now, &["p1"]);
    kept.payload = Some("ü".repeat(200_000));
    store.record_reception(&kept).await.unwrap();
    let trace = store.trace("p1").await.unwrap().unwrap();
    let payload = trace.receptions[0].payload.clone().unwrap();
    if !matches!(store, Store::AzureTable(_) | Store::DynamoDb(_)) {
        assert_eq!(
            payload,
            "ü".repeat(200_000),
            "the embedded stores keep it whole"
        );
        return;
    }
    assert!(
        payload.ends_with("[regrelay: payload truncated to fit the store]"),
        "{} chars",
        payload.len()
    );
}

/// Every scenario on a fresh table; `races` as in [`super::scenarios::run`].
pub(super) async fn run(config: &StoreConfig, races: bool) {
    let (a, b) = two_instances(config).await;
    budgets_hold_across_instances(&a, &b).await;
    payloads_are_cut_to_fit(&a).await;
    if races {
        racing_reservations_take_each_slot_once(a, b).await;
    }
}
