//! Listing history with every filter the console and `regrelay events list` offer, on each
//! backend, then purging by age.

use regrelay_core::{DeliveryState, ListFilter, Store};

use super::scenarios::{at, record};

/// Listing newest first with filters, then purging everything before a cutoff.
pub(super) async fn list_filters_and_purge(store: &Store) {
    for (id, repository, offset) in [
        ("l1", "team/app", -30),
        ("l2", "other/x", -20),
        ("l3", "team/app", -10),
    ] {
        let mut rec = record(id, repository, &at(offset), "r");
        if id == "l2" {
            rec.event.tag = Some("v2".into());
            rec.event.registry_kind = regrelay_core::RegistryKind::Harbor;
            rec.targets = vec!["t".into(), "chat".into()];
        }
        store.record_event(&rec).await.unwrap();
    }
    store
        .set_state("l2", "t", DeliveryState::DeadLettered, Some("404"))
        .await
        .unwrap();
    let list = |filter: ListFilter| async move {
        let rows = store.list(&filter).await.unwrap();
        rows.into_iter()
            .map(|r| (r.id, r.state))
            .collect::<Vec<_>>()
    };
    let all = ListFilter {
        limit: 10,
        ..ListFilter::default()
    };
    let ids = |rows: Vec<(String, String)>| rows.into_iter().map(|r| r.0).collect::<Vec<_>>();
    assert_eq!(ids(list(all.clone()).await), ["l3", "l2", "l1"]);
    assert_eq!(
        ids(list(ListFilter {
            limit: 1,
            ..all.clone()
        })
        .await),
        ["l3"]
    );
    let team = ListFilter {
        repository: Some("team/app".into()),
        ..all.clone()
    };
    assert_eq!(ids(list(team).await), ["l3", "l1"]);
    let dead = ListFilter {
        state: Some(DeliveryState::DeadLettered),
        ..all.clone()
    };
    assert_eq!(
        list(dead).await,
        [("l2".to_owned(), "pending".to_owned())],
        "t's pair is dead-lettered; chat's, still pending, is the least finished"
    );
    let recent = ListFilter {
        since: Some(at(-15)),
        ..all.clone()
    };
    assert_eq!(ids(list(recent).await), ["l3"]);
    let window = ListFilter {
        since: Some(at(-25)),
        until: Some(at(-15)),
        ..all.clone()
    };
    assert_eq!(
        ids(list(window).await),
        ["l2"],
        "since is inclusive, until not"
    );
    let by_tag = ListFilter {
        tag: Some("v2".into()),
        ..all.clone()
    };
    assert_eq!(ids(list(by_tag).await), ["l2"]);
    let by_kind = ListFilter {
        registry_kind: Some("harbor".into()),
        ..all.clone()
    };
    assert_eq!(ids(list(by_kind).await), ["l2"]);
    let by_target = ListFilter {
        target: Some("chat".into()),
        ..all.clone()
    };
    assert_eq!(ids(list(by_target).await), ["l2"]);
    let dead_on_chat = ListFilter {
        target: Some("chat".into()),
        state: Some(DeliveryState::DeadLettered),
        ..all.clone()
    };
    assert!(
        list(dead_on_chat).await.is_empty(),
        "the dead letter is t's, not chat's"
    );
    let limited = ListFilter {
        repository: Some("team/app".into()),
        limit: 1,
        ..all.clone()
    };
    assert_eq!(ids(list(limited).await), ["l3"]);
    assert_eq!(store.purge_before(&at(-15)).await.unwrap(), 2);
    assert!(store.trace("l1").await.unwrap().is_none());
    assert_eq!(ids(list(all).await), ["l3"]);
}
