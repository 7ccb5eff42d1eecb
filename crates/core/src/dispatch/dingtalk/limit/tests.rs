//! The limiter on a paused clock: bursts stay within the budget and lose nothing, also when two
//! limiters (two instances) share the budget through a store whose clock follows tokio's.

use std::sync::Mutex;

use super::*;
use crate::common::AttemptClass;
use crate::event::{Action, Schema};

/// Every message "sent": when, and which event ids it carried.
type Sent = Arc<Mutex<Vec<(Instant, Vec<String>)>>>;

struct Fake {
    sent: Sent,
    class: AttemptClass,
}

impl Courier for Fake {
    async fn send(&self, events: Vec<RegistryEvent>) -> Attempt {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let ids = events.into_iter().map(|e| e.id).collect();
        self.sent.lock().unwrap().push((Instant::now(), ids));
        Attempt {
            class: self.class,
            ..crate::dispatch::blank()
        }
    }
}

fn event(id: usize) -> RegistryEvent {
    RegistryEvent {
        registry: Some("demo.azurecr.io".into()),
        repository: Some("app".into()),
        tag: Some(format!("v{id}")),
        ..RegistryEvent::new(
            format!("e{id:03}"),
            "Microsoft.ContainerRegistry.ImagePushed",
            Action::Push,
            Schema::EventGrid,
        )
    }
}

/// One attempt as the dispatcher makes it: direct sends are recorded like the courier's.
async fn attempt(limiter: Arc<Limiter>, sent: Sent, id: usize, class: AttemptClass) -> Attempt {
    let event = event(id);
    let fake = || Fake {
        sent: sent.clone(),
        class,
    };
    let robot = BudgetKey {
        local: "robot".into(),
        shared: "dingtalk|robot".into(),
    };
    let admission = limiter
        .admit(&robot, format!("{}\nops", event.id), &event, fake)
        .await;
    match admission {
        Admission::Send => fake().send(vec![event]).await,
        Admission::Folded(reply) => reply.await.unwrap(),
        Admission::Delivered => Attempt {
            class: AttemptClass::Delivered,
            ..crate::dispatch::blank()
        },
        Admission::Full => Attempt {
            class: AttemptClass::Retryable,
            ..crate::dispatch::blank()
        },
    }
}

fn max_in_any_window(times: &[Instant], window: Duration) -> usize {
    times
        .iter()
        .map(|&start| {
            times
                .iter()
                .filter(|&&t| t >= start && t < start + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// 100 events at once, spread over `limiters` in turn; returns every message sent.
async fn burst(limiters: &[Arc<Limiter>]) -> Vec<(Instant, Vec<String>)> {
    let sent = Sent::default();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let limiter = limiters[i % limiters.len()].clone();
            tokio::spawn(attempt(limiter, sent.clone(), i, AttemptClass::Delivered))
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().delivered());
    }
    sent.lock().unwrap().clone()
}

/// At most 20 messages in any minute, and every event in exactly one message.
fn assert_within_budget_and_complete(sent: Vec<(Instant, Vec<String>)>) {
    let times: Vec<Instant> = sent.iter().map(|(t, _)| *t).collect();
    assert!(
        max_in_any_window(&times, Duration::from_secs(60)) <= 20,
        "{times:?}"
    );
    let mut ids: Vec<String> = sent.into_iter().flat_map(|(_, ids)| ids).collect();
    ids.sort();
    let expected: Vec<String> = (0..100).map(|i| event(i).id).collect();
    assert_eq!(ids, expected, "every event exactly once");
}

/// A memory store whose clock is tokio's (paused) clock.
fn store_on_tokio_time() -> Arc<Store> {
    let base = Instant::now();
    let clock = crate::store::slots::Clock::new(move || {
        1_700_000_000_000 + i64::try_from(base.elapsed().as_millis()).unwrap()
    });
    Arc::new(Store::Memory(
        crate::store::memory::MemoryStore::with_clock(clock),
    ))
}

#[tokio::test(start_paused = true)]
async fn two_instances_sharing_a_store_send_at_most_20_a_minute_together() {
    let store = store_on_tokio_time();
    let instances = [
        Arc::new(Limiter::shared(Rate::DINGTALK, store.clone())),
        Arc::new(Limiter::shared(Rate::DINGTALK, store)),
    ];
    let sent = burst(&instances).await;
    assert!(sent.len() < 40, "folded into digests ({})", sent.len());
    assert_within_budget_and_complete(sent);
}

#[tokio::test(start_paused = true)]
async fn two_instances_without_a_shared_store_would_exceed_the_budget() {
    let instances = [Arc::new(Limiter::default()), Arc::new(Limiter::default())];
    let sent = burst(&instances).await;
    let times: Vec<Instant> = sent.iter().map(|(t, _)| *t).collect();
    assert!(max_in_any_window(&times, Duration::from_secs(60)) > 20);
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_store_falls_back_to_the_own_window() {
    let config = crate::store::config::StoreConfig::AzureTable {
        connection_string: crate::common::Secret::new(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;",
        ),
        table: "unreachable".into(),
    };
    let store = Arc::new(Store::open(&config).unwrap());
    let sent = burst(&[Arc::new(Limiter::shared(Rate::DINGTALK, store))]).await;
    assert!(sent.len() < 30, "folded into digests ({})", sent.len());
    assert_within_budget_and_complete(sent);
}

#[tokio::test(start_paused = true)]
async fn burst_of_100_sends_at_most_20_a_minute_and_loses_nothing() {
    let limiter = Arc::new(Limiter::default());
    let sent = burst(&[limiter]).await;
    assert!(
        sent.len() < 30,
        "events were folded into digests ({} messages)",
        sent.len()
    );
    assert_within_budget_and_complete(sent);
}

#[tokio::test(start_paused = true)]
async fn folded_events_learn_the_digest_failed_and_retry_without_duplicates() {
    let limiter = Arc::new(Limiter::default());
    let sent = Sent::default();
    for i in 0..19 {
        assert!(
            attempt(limiter.clone(), sent.clone(), i, AttemptClass::Delivered)
                .await
                .delivered()
        );
    }
    let failed = attempt(limiter.clone(), sent.clone(), 19, AttemptClass::Retryable).await;
    assert_eq!(failed.class, AttemptClass::Retryable, "the digest failed");
    let again = attempt(limiter.clone(), sent.clone(), 19, AttemptClass::Delivered).await;
    assert!(again.delivered(), "the retry goes out in the next digest");
    let replay = attempt(limiter.clone(), sent.clone(), 19, AttemptClass::Delivered).await;
    assert!(replay.delivered());
    let carrying_19 = sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, ids)| ids.contains(&event(19).id))
        .count();
    assert_eq!(
        carrying_19, 2,
        "one failed digest, one delivered, none for the replay"
    );
}

#[tokio::test(start_paused = true)]
async fn a_held_robot_sends_nothing_until_the_hold_ends() {
    let limiter = Arc::new(Limiter::default());
    let sent = Sent::default();
    let start = Instant::now();
    limiter.hold("robot", start + Duration::from_secs(600));
    assert!(
        attempt(limiter.clone(), sent.clone(), 1, AttemptClass::Delivered)
            .await
            .delivered()
    );
    let first = sent.lock().unwrap()[0].0;
    assert!(
        first >= start + Duration::from_secs(600),
        "{:?}",
        first - start
    );
}

#[tokio::test(start_paused = true)]
async fn the_digest_queue_is_bounded() {
    let limiter = Arc::new(Limiter::default());
    limiter.hold("robot", Instant::now() + Duration::from_secs(600));
    let robot = BudgetKey {
        local: "robot".into(),
        shared: "dingtalk|robot".into(),
    };
    let sent: Sent = Arc::default();
    let fake = || Fake {
        sent: sent.clone(),
        class: AttemptClass::Delivered,
    };
    let mut waiting = Vec::new();
    for id in 0..MAX_PENDING {
        let event = event(id);
        match limiter.admit(&robot, format!("{id}"), &event, fake).await {
            Admission::Folded(reply) => waiting.push(reply),
            other => panic!("event {id} should wait in the digest: {other:?}"),
        }
    }
    let one_more = event(MAX_PENDING);
    let full = limiter
        .admit(&robot, format!("{MAX_PENDING}"), &one_more, fake)
        .await;
    assert!(matches!(full, Admission::Full), "{full:?}");
}
