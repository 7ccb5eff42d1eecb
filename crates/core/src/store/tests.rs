//! Ledger semantics every backend must share: claims, leases, redelivery.

use super::*;
use crate::common::{Attempt, AttemptClass};
use crate::event::RegistryEvent;

fn record(id: &str) -> EventRecord {
    let event: RegistryEvent = serde_json::from_value(serde_json::json!({
        "id": id, "type": "Microsoft.ContainerRegistry.ImagePushed", "action": "push",
        "schema": "event_grid", "repository": "team/app", "tag": "v1"
    }))
    .unwrap();
    EventRecord {
        event,
        raw: "{}".into(),
        received_at: "2024-05-01T08:00:00.000Z".into(),
        decisions: vec![],
        targets: vec!["t".into()],
        reception_id: "rcv-1".into(),
    }
}

fn attempt(class: AttemptClass) -> Attempt {
    Attempt {
        target: "t".into(),
        number: 1,
        started_at: "2024-05-01T08:00:01.000Z".into(),
        status: Some(200),
        latency_ms: 3,
        class,
        error: None,
        response_excerpt: None,
        retry_after_secs: None,
    }
}

/// One instance claims; a second sees Busy until the first releases; then Delivered.
fn claims_are_exclusive_until_released(a: &Store, b: &Store) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        a.record_event(&record("e1")).await.unwrap();
        let lease = std::time::Duration::from_secs(30);
        assert_eq!(acquired(a.claim("e1", "t", lease).await.unwrap()), Some(0));
        assert_eq!(b.claim("e1", "t", lease).await.unwrap(), Claim::Busy);
        a.record_attempt(
            "e1",
            &attempt(AttemptClass::Retryable),
            DeliveryState::FailedRetrying,
            Lease::Release,
            None,
        )
        .await
        .unwrap();
        assert_eq!(acquired(b.claim("e1", "t", lease).await.unwrap()), Some(1));
        b.record_attempt(
            "e1",
            &attempt(AttemptClass::Delivered),
            DeliveryState::Delivered,
            Lease::Release,
            None,
        )
        .await
        .unwrap();
        assert_eq!(a.claim("e1", "t", lease).await.unwrap(), Claim::Delivered);
        let trace = a.trace("e1").await.unwrap().unwrap();
        assert_eq!(trace.attempts.len(), 2);
        assert_eq!(trace.pairs[0].state, DeliveryState::Delivered);
    });
}

/// A claim whose holder died (lease ran out) can be taken over.
fn expired_leases_are_taken_over(store: &Store) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        store.record_event(&record("e2")).await.unwrap();
        let gone = std::time::Duration::ZERO;
        assert_eq!(
            acquired(store.claim("e2", "t", gone).await.unwrap()),
            Some(0)
        );
        assert_eq!(
            acquired(
                store
                    .claim("e2", "t", std::time::Duration::from_secs(30))
                    .await
                    .unwrap()
            ),
            Some(0)
        );
        store
            .set_state(
                "e2",
                "t",
                DeliveryState::DeadLettered,
                Some("target replied 404"),
            )
            .await
            .unwrap();
        let dead = store
            .claim("e2", "t", std::time::Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(
            dead,
            Claim::DeadLettered {
                reason: Some("target replied 404".into())
            }
        );
    });
}

#[test]
fn memory_store_ledger() {
    let store = Store::Memory(memory::MemoryStore::default());
    // One process: both "instances" share the store.
    let shared = std::sync::Arc::new(store);
    claims_are_exclusive_until_released(&shared, &shared);
    expired_leases_are_taken_over(&shared);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_store_ledger_across_two_connections() {
    let dir = std::env::temp_dir().join(format!("regrelay-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ledger.db");
    let path = path.to_str().unwrap();
    let a = Store::Sqlite(sqlite::SqliteStore::open(path).unwrap());
    let b = Store::Sqlite(sqlite::SqliteStore::open(path).unwrap());
    claims_are_exclusive_until_released(&a, &b);
    expired_leases_are_taken_over(&a);
    let _ = std::fs::remove_dir_all(dir);
}

/// The attempts count of an acquired claim (its token is a time, not worth comparing).
fn acquired(claim: Claim) -> Option<u32> {
    match claim {
        Claim::Acquired { attempts, .. } => Some(attempts),
        _ => None,
    }
}

/// The memory store keeps at most its bound, evicting the oldest events and receptions; one id
/// re-sent many times keeps a bounded list of receptions.
#[test]
fn the_memory_store_is_bounded() {
    let store = memory::MemoryStore::bounded(3);
    for i in 0..5 {
        store.record_event(&record(&format!("e{i}"))).unwrap();
        let mut reception = super::Reception {
            id: format!("r{i}"),
            received_at: "2024-05-01T08:00:00.000Z".into(),
            kind: crate::store::ReceptionKind::Events,
            format: None,
            payload_sha256: "00".into(),
            status: 200,
            event_ids: vec![format!("e{i}")],
            error: None,
            payload: None,
        };
        store.record_reception(&reception).unwrap();
        reception.id = format!("again-{i}");
        store.record_reception(&reception).unwrap();
    }
    let gone = |id: &str| store.trace(id).unwrap().is_none();
    assert!(gone("e0") && gone("e1"), "the oldest are evicted");
    assert!(!gone("e2") && !gone("e4"));
    for n in 0..500 {
        let mut again = record("e4");
        again.reception_id = format!("resend-{n}");
        store.record_event(&again).unwrap();
    }
    let trace = store.trace("e4").unwrap().unwrap();
    assert!(trace.receptions.len() <= 3, "receptions are bounded too");
}

#[test]
fn errors_keep_their_cause() {
    let error = super::remote::from_json::<crate::store::Reception>("{").unwrap_err();
    assert!(matches!(error, super::StoreError::Data(_)), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    #[cfg(feature = "sqlite")]
    {
        // A directory is not a database file.
        let dir = std::env::temp_dir();
        let store = super::sqlite::SqliteStore::open(dir.to_str().unwrap());
        let error = store.unwrap_err();
        assert!(matches!(error, super::StoreError::Open(_)), "{error}");
    }
}
