//! The one ledger and history suite every store passes, written against `Store` only: the memory
//! and SQLite stores here, the Azure Table and DynamoDB stores against Azurite and moto.

use std::sync::Arc;
use std::time::Duration;

use regrelay_core::StoreConfig;
use regrelay_core::testing::{Claim, Lease};
use regrelay_core::{Attempt, AttemptClass};
use regrelay_core::{DeliveryState, EventRecord, Reception, Store, now_millis};

const LEASE: Duration = Duration::from_secs(30);

/// Two stores on one table (or file): two function instances. The memory store lives in one
/// process, so its two "instances" are the same store.
pub(super) async fn two_instances(config: &StoreConfig) -> (Arc<Store>, Arc<Store>) {
    let a = Arc::new(Store::open(config).unwrap());
    if let Store::DynamoDb(dynamo) = &*a {
        dynamo.create_table().await.unwrap();
    }
    if matches!(config, StoreConfig::Memory { .. }) {
        return (Arc::clone(&a), a);
    }
    (a, Arc::new(Store::open(config).unwrap()))
}

/// RFC 3339 for now plus `seconds` (always with `.500`, so the strings sort as the times do).
pub(super) fn at(seconds: i64) -> String {
    let millis = (now_millis() / 1000 + seconds) * 1000 + 500;
    regrelay_core::testing::normalize_time(&millis.to_string()).unwrap()
}

pub(super) fn record(
    id: &str,
    repository: &str,
    received_at: &str,
    reception: &str,
) -> EventRecord {
    let event = serde_json::from_value(serde_json::json!({
        "id": id, "type": "Microsoft.ContainerRegistry.ImagePushed", "action": "push",
        "schema": "event_grid", "repository": repository, "tag": "v1"
    }))
    .unwrap();
    EventRecord {
        event,
        raw: "{}".into(),
        received_at: received_at.into(),
        decisions: vec![],
        targets: vec!["t".into()],
        reception_id: reception.into(),
        coalescing: None,
        notes: Vec::new(),
    }
}

pub(super) fn reception(id: &str, received_at: &str, event_ids: &[&str]) -> Reception {
    Reception {
        id: id.into(),
        received_at: received_at.into(),
        kind: regrelay_core::ReceptionKind::Events,
        format: Some("event_grid".into()),
        payload_sha256: "00".into(),
        status: 200,
        event_ids: event_ids.iter().map(|s| (*s).to_owned()).collect(),
        error: None,
        payload: None,
    }
}

fn attempt(target: &str, class: AttemptClass, started_at: &str) -> Attempt {
    Attempt {
        target: target.into(),
        number: 1,
        started_at: started_at.into(),
        status: Some(200),
        latency_ms: 3,
        class,
        error: (class != AttemptClass::Delivered).then(|| "target replied 503".into()),
        response_excerpt: None,
        retry_after_secs: None,
        next_attempt_at: None,
    }
}

/// One instance claims; the other sees Busy until the first releases; then Delivered.
async fn claims_are_exclusive_until_released(a: &Store, b: &Store) {
    a.record_event(&record("e/1#x", "team/app", &at(0), "r1"))
        .await
        .unwrap();
    let id = "e/1#x";
    assert_eq!(acquired(a.claim(id, "t", LEASE).await.unwrap()), Some(0));
    assert_eq!(b.claim(id, "t", LEASE).await.unwrap(), Claim::Busy);
    let failed = attempt("t", AttemptClass::Retryable, &at(1));
    a.record_attempt(
        id,
        &failed,
        DeliveryState::FailedRetrying,
        Lease::Keep,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        b.claim(id, "t", LEASE).await.unwrap(),
        Claim::Busy,
        "Keep holds the claim"
    );
    a.record_attempt(
        id,
        &failed,
        DeliveryState::FailedRetrying,
        Lease::Release,
        None,
    )
    .await
    .unwrap();
    assert_eq!(acquired(b.claim(id, "t", LEASE).await.unwrap()), Some(2));
    let ok = attempt("t", AttemptClass::Delivered, &at(2));
    b.record_attempt(id, &ok, DeliveryState::Delivered, Lease::Release, None)
        .await
        .unwrap();
    assert_eq!(a.claim(id, "t", LEASE).await.unwrap(), Claim::Delivered);
    let pair = a.pair(id, "t").await.unwrap().unwrap();
    assert_eq!(
        (pair.state, pair.attempts, pair.reason),
        (DeliveryState::Delivered, 3, None)
    );
}

/// Two instances claiming the same fresh pair at the same moment: exactly one wins, in every
/// round (the pair is created by the race itself: no pending row exists beforehand; the event is
/// recorded first, as the pipeline always does).
async fn racing_claims_have_one_winner(a: &Store, b: &Store) {
    for round in 0..5 {
        let id = format!("race-{round}");
        a.record_event(&record(&id, "team/app", &at(0), "r1"))
            .await
            .unwrap();
        let (x, y) = tokio::join!(a.claim(&id, "t", LEASE), b.claim(&id, "t", LEASE));
        let mut outcomes = [x.unwrap(), y.unwrap()];
        outcomes.sort_by_key(|c| c == &Claim::Busy);
        assert_eq!(outcomes[1], Claim::Busy, "round {round}");
        assert_eq!(outcomes.map(acquired), [Some(0), None], "round {round}");
    }
}

/// A claim whose holder died (lease ran out) is taken over; a dead letter stays dead.
async fn expired_leases_are_taken_over(store: &Store) {
    store
        .record_event(&record("e2", "team/app", &at(0), "r1"))
        .await
        .unwrap();
    assert_eq!(
        acquired(store.claim("e2", "t", Duration::ZERO).await.unwrap()),
        Some(0)
    );
    assert_eq!(
        acquired(store.claim("e2", "t", LEASE).await.unwrap()),
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
    assert_eq!(
        store.claim("e2", "t", LEASE).await.unwrap(),
        Claim::DeadLettered {
            reason: Some("target replied 404".into())
        }
    );
}

/// An instance whose claim ran out while it was still sending cannot overwrite what the
/// instance that took the pair over recorded: its write carries the old claim's token.
async fn late_writes_of_an_expired_claim_are_fenced(a: &Store, b: &Store) {
    a.record_event(&record("e4", "team/app", &at(0), "r1"))
        .await
        .unwrap();
    let Claim::Acquired { token: old, .. } = a.claim("e4", "t", Duration::ZERO).await.unwrap()
    else {
        panic!("a claims the fresh pair");
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let Claim::Acquired { token: new, .. } = b.claim("e4", "t", LEASE).await.unwrap() else {
        panic!("b takes the expired claim over");
    };
    assert_ne!(old, new);
    let ok = attempt("t", AttemptClass::Delivered, &at(1));
    let applied = b
        .record_attempt(
            "e4",
            &ok,
            DeliveryState::Delivered,
            Lease::Release,
            Some(new),
        )
        .await
        .unwrap();
    assert!(applied, "the current claim writes");
    let late = attempt("t", AttemptClass::Retryable, &at(2));
    let applied = a
        .record_attempt(
            "e4",
            &late,
            DeliveryState::FailedRetrying,
            Lease::Release,
            Some(old),
        )
        .await
        .unwrap();
    assert!(!applied, "the expired claim's write is fenced off");
    let pair = a.pair("e4", "t").await.unwrap().unwrap();
    assert_eq!((pair.state, pair.attempts), (DeliveryState::Delivered, 1));
    assert_eq!(a.claim("e4", "t", LEASE).await.unwrap(), Claim::Delivered);
}

/// Two receptions of one event, its attempts, an oversized raw body, a handshake without events.
async fn trace_has_receptions_and_attempts(store: &Store) {
    let mut first = record("e3", "team/app", &at(0), "r1");
    first.targets.push("u".into());
    first.raw = format!("{{\"pad\":\"{}\"}}", "x".repeat(500_000));
    store.record_event(&first).await.unwrap();
    store
        .record_reception(&reception("r1", &at(0), &["e3"]))
        .await
        .unwrap();
    let again = record("e3", "team/app", &at(5), "r2");
    store.record_event(&again).await.unwrap();
    store
        .record_reception(&reception("r2", &at(5), &["e3"]))
        .await
        .unwrap();
    store
        .record_reception(&reception("r0", &at(0), &[]))
        .await
        .unwrap();
    store.claim("e3", "t", LEASE).await.unwrap();
    let failed = attempt("t", AttemptClass::Retryable, &at(1));
    store
        .record_attempt(
            "e3",
            &failed,
            DeliveryState::FailedRetrying,
            Lease::Keep,
            None,
        )
        .await
        .unwrap();
    let ok = attempt("t", AttemptClass::Delivered, &at(2));
    store
        .record_attempt("e3", &ok, DeliveryState::Delivered, Lease::Release, None)
        .await
        .unwrap();

    let trace = store.trace("e3").await.unwrap().unwrap();
    assert_eq!(trace.record.reception_id, "r1", "the first record is kept");
    if matches!(store, Store::AzureTable(_) | Store::DynamoDb(_)) {
        // Remote items have a size limit; the raw event is cut to fit, and says so.
        assert!(trace.record.raw.len() < first.raw.len() && trace.record.raw.contains("truncated"));
    } else {
        assert_eq!(
            trace.record.raw, first.raw,
            "the embedded stores keep it whole"
        );
    }
    let receptions: Vec<_> = trace.receptions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(receptions, ["r1", "r2"]);
    let attempts: Vec<_> = trace.attempts.iter().map(|a| a.class).collect();
    assert_eq!(attempts, [AttemptClass::Retryable, AttemptClass::Delivered]);
    let pairs: Vec<_> = trace
        .pairs
        .iter()
        .map(|p| (p.target.as_str(), p.state))
        .collect();
    assert_eq!(
        pairs,
        [
            ("t", DeliveryState::Delivered),
            ("u", DeliveryState::Pending)
        ]
    );
    assert!(store.trace("nope").await.unwrap().is_none());
}

/// Every scenario: the ledger and traces on two instances of one fresh table, listing and
/// purging on a table of its own (`config` names a new table each call). `races`: whether the
/// emulator applies conditional writes atomically under concurrent requests (Azurite does; moto
/// serves requests on threads without item locks, so it cannot show what DynamoDB guarantees).
pub(super) async fn run(config: impl Fn() -> StoreConfig, races: bool) {
    let (a, b) = two_instances(&config()).await;
    claims_are_exclusive_until_released(&a, &b).await;
    if races {
        racing_claims_have_one_winner(&a, &b).await;
    }
    expired_leases_are_taken_over(&a).await;
    late_writes_of_an_expired_claim_are_fenced(&a, &b).await;
    trace_has_receptions_and_attempts(&b).await;
    let (listing, _) = two_instances(&config()).await;
    super::listing::list_filters_and_purge(&listing).await;
    super::slots::run(&config(), races).await;
    super::health::run(&config(), races).await;
}

/// The attempts count of an acquired claim (its token is a time, not worth comparing).
fn acquired(claim: Claim) -> Option<u32> {
    match claim {
        Claim::Acquired { attempts, .. } => Some(attempts),
        _ => None,
    }
}
