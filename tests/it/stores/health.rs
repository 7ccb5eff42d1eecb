//! Target health records on each backend: written only at the next version, so of two instances
//! racing to pause (or resume) a target exactly one wins.

use std::sync::Arc;

use regrelay_core::{HealthState, Store, StoreConfig, TargetHealth};

use super::scenarios::two_instances;

async fn versions_are_conditional(a: &Store, b: &Store) {
    let fresh = a.health("hook").await.unwrap();
    assert_eq!((fresh.version, fresh.state), (0, HealthState::Active));
    let failing = TargetHealth {
        failures: 1,
        last_error: Some("503".into()),
        version: 1,
        ..fresh.clone()
    };
    assert!(a.swap_health(&failing).await.unwrap(), "first write");
    assert!(!b.swap_health(&failing).await.unwrap(), "version 1 exists");
    let seen = b.health("hook").await.unwrap();
    assert_eq!(seen, failing, "the other instance reads it");
    let paused = TargetHealth {
        state: HealthState::Paused,
        failures: 2,
        next_probe_ms: 42,
        version: 2,
        ..seen
    };
    assert!(b.swap_health(&paused).await.unwrap());
    let stale = TargetHealth {
        failures: 2,
        version: 2,
        ..failing
    };
    assert!(
        !a.swap_health(&stale).await.unwrap(),
        "written from an old read"
    );
    assert_eq!(a.health("hook").await.unwrap().state, HealthState::Paused);
    assert!(
        a.swap_health(&TargetHealth {
            target: "chat".into(),
            version: 1,
            ..TargetHealth::default()
        })
        .await
        .unwrap()
    );
    let all: Vec<_> = a
        .healths()
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.target, h.version))
        .collect();
    assert_eq!(all, [("chat".to_owned(), 1), ("hook".to_owned(), 2)]);
}

async fn racing_writes_have_one_winner(a: Arc<Store>, b: Arc<Store>) {
    let next = TargetHealth {
        target: "race".into(),
        state: HealthState::Paused,
        version: 1,
        ..TargetHealth::default()
    };
    let (x, y) = tokio::join!(a.swap_health(&next), b.swap_health(&next));
    assert_eq!(
        [x.unwrap(), y.unwrap()].iter().filter(|won| **won).count(),
        1
    );
}

/// Every scenario on a fresh table; `races` as in [`super::scenarios::run`].
pub(super) async fn run(config: &StoreConfig, races: bool) {
    let (a, b) = two_instances(config).await;
    versions_are_conditional(&a, &b).await;
    if races {
        racing_writes_have_one_winner(a, b).await;
    }
}
