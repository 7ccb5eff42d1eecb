use std::time::Duration;

use super::{Change, Gate, Health, PausePolicy};
use crate::common::{Attempt, AttemptClass};
use crate::store::memory::MemoryStore;
use crate::store::{HealthState, Store};

fn attempt(class: AttemptClass) -> Attempt {
    Attempt {
        target: "hook".into(),
        class,
        error: Some("503".into()),
        ..Attempt::retryable_blank()
    }
}

fn health(after: u32) -> Health {
    Health::new(PausePolicy {
        after,
        probe_every: Duration::from_secs(30),
        probe_max: Duration::from_secs(100),
        announce_to: None,
    })
}

#[tokio::test]
async fn pauses_after_a_run_of_failures_probes_once_and_resumes() {
    let store = Store::Memory(MemoryStore::default());
    let h = health(3);
    let fail = attempt(AttemptClass::Retryable);
    assert_eq!(h.observe(&store, "hook", &fail, 0).await, None);
    assert_eq!(h.observe(&store, "hook", &fail, 0).await, None);
    assert_eq!(h.gate(&store, "hook", 0).await, Gate::Open);
    let Some(Change::Paused(paused)) = h.observe(&store, "hook", &fail, 1_000).await else {
        panic!("the third failure pauses");
    };
    assert_eq!((paused.failures, paused.next_probe_ms), (3, 31_000));
    assert!(matches!(
        h.gate(&store, "hook", 2_000).await,
        Gate::Wait {
            until_ms: 31_000,
            ..
        }
    ));

    // At the probe time exactly one delivery (across "instances": a second Health) probes.
    let other = health(3);
    assert_eq!(h.gate(&store, "hook", 31_000).await, Gate::Probe);
    assert!(matches!(
        other.gate(&store, "hook", 31_000).await,
        Gate::Wait {
            until_ms: 61_000,
            ..
        }
    ));
    // The probe fails: still paused, the wait doubles (30 s → 60 s, capped at 100 s).
    assert_eq!(h.observe(&store, "hook", &fail, 31_100).await, None);
    assert_eq!(h.gate(&store, "hook", 61_000).await, Gate::Probe);
    let record = store.health("hook").await.unwrap();
    assert_eq!(
        (record.next_probe_ms, record.probe_wait_ms),
        (121_000, 100_000)
    );

    // A refusal says nothing of the target's health; a success resumes it, announced once.
    let refused = attempt(AttemptClass::Permanent);
    assert_eq!(h.observe(&store, "hook", &refused, 61_100).await, None);
    let ok = attempt(AttemptClass::Delivered);
    let Some(Change::Resumed(resumed)) = h.observe(&store, "hook", &ok, 61_200).await else {
        panic!("a success resumes");
    };
    assert_eq!((resumed.state, resumed.failures), (HealthState::Active, 0));
    assert_eq!(other.observe(&store, "hook", &ok, 61_300).await, None);
    assert_eq!(other.gate(&store, "hook", 61_300).await, Gate::Open);
}

#[tokio::test]
async fn zero_never_pauses_and_a_success_resets_the_run() {
    let store = Store::Memory(MemoryStore::default());
    let off = health(0);
    for _ in 0..50 {
        assert_eq!(
            off.observe(&store, "hook", &attempt(AttemptClass::Retryable), 0)
                .await,
            None
        );
    }
    assert_eq!(store.healths().await.unwrap(), vec![], "off writes nothing");
    let h = health(2);
    h.observe(&store, "hook", &attempt(AttemptClass::Retryable), 0)
        .await;
    h.observe(&store, "hook", &attempt(AttemptClass::Delivered), 0)
        .await;
    assert_eq!(
        h.observe(&store, "hook", &attempt(AttemptClass::Retryable), 0)
            .await,
        None
    );
    assert_eq!(store.health("hook").await.unwrap().failures, 1);
}
