//! What is particular to the embedded stores: the memory store's bound, errors with their cause.
//! The ledger and history suite every backend passes is `tests/it/stores/scenarios.rs`.

use super::*;
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
        coalescing: None,
        notes: Vec::new(),
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
