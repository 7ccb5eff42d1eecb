//! The 24-hour schedule, run on tokio's paused clock: a target that never recovers is tried on
//! the configured steps (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, then hourly), each wait
//! within its jitter, and dead-lettered when the next attempt would fall after 24 hours.

use std::sync::Arc;
use std::time::Duration;

use regrelay_core::testing::{Clock, LocalQueue, MemoryStore};
use regrelay_core::{Config, InboundRequest, Pipeline, ProcessEnv, Store, WorkQueue};
use regrelay_tests::fixture;

const STEPS_MS: [i64; 7] = [
    10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000,
];

#[tokio::test(start_paused = true)]
async fn a_target_that_never_recovers_is_retried_for_24_hours_then_dead_lettered() {
    let start = tokio::time::Instant::now();
    let base = 1_700_000_000_000_i64;
    let clock =
        Clock::new(move || base + i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX));
    // Nothing listens on port 9: every attempt fails with a retryable connection error.
    let toml = "[delivery]\nmode = \"queued\"\n\n[[targets]]\nname = \"down\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\ntimeout = \"2s\"\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"down\"]\n";
    let config = Config::from_toml(toml, &ProcessEnv).unwrap();
    let store = Arc::new(Store::Memory(MemoryStore::with_clock(clock.clone())));
    let queue = WorkQueue::Local(LocalQueue::memory_with_clock(clock));
    let pipeline = Pipeline::with_parts(config, store, Some(queue)).unwrap();

    let mut request = InboundRequest::new(http::Method::POST, "/api/events");
    request
        .headers
        .insert("content-type", "application/json".parse().unwrap());
    request.body = fixture("seeds/event_grid.image_pushed.fr.json").into();
    let reply = pipeline.handle(request).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let events: serde_json::Value =
        serde_json::from_slice(&fixture("seeds/event_grid.image_pushed.fr.json")).unwrap();
    let id = events[0]["id"].as_str().unwrap().to_owned();

    let worker = {
        let pipeline = pipeline.clone();
        tokio::spawn(async move { pipeline.run_worker(std::future::pending()).await })
    };
    tokio::time::sleep(Duration::from_secs(25 * 3600)).await;
    worker.abort();

    let trace = pipeline.store().trace(&id).await.unwrap().unwrap();
    let pair = &trace.pairs[0];
    assert_eq!(
        pair.state,
        regrelay_core::DeliveryState::DeadLettered,
        "{pair:?}"
    );
    let attempts = &trace.attempts;
    // 7 steps take about 1.8 h; then hourly until 24 h: about 29 attempts in all.
    assert!(
        (24..=33).contains(&attempts.len()),
        "{} attempts",
        attempts.len()
    );
    let last = attempts.last().unwrap();
    assert!(
        last.error
            .as_deref()
            .unwrap_or("")
            .starts_with("gave up after"),
        "{last:?}"
    );
    assert!(last.next_attempt_at.is_none());
    // Each scheduled time follows the previous one by its step, within ±20 % (plus the worker's
    // one-second polling).
    let due: Vec<i64> = attempts
        .iter()
        .filter_map(|a| a.next_attempt_at.as_deref())
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .timestamp_millis()
        })
        .collect();
    for (i, pair) in due.windows(2).enumerate() {
        let step = STEPS_MS[(i + 1).min(STEPS_MS.len() - 1)];
        let gap = pair[1] - pair[0];
        assert!(
            gap >= step * 8 / 10 && gap <= step * 12 / 10 + 1_500,
            "wait {} is {gap} ms, step {step} ms",
            i + 2
        );
    }
    let first_due = due[0] - base;
    assert!(
        (8_000..=13_500).contains(&first_due),
        "first retry after {first_due} ms"
    );
    let span = due.last().unwrap() - base;
    assert!(
        span <= 24 * 3_600_000,
        "nothing scheduled past 24 h: {span}"
    );
}

/// A platform queue hands an item out before it is due (SQS delays at most 15 minutes): the
/// worker puts it back for the rest of the wait, untouched, and sends nothing.
#[tokio::test]
async fn an_item_handed_out_early_is_put_back_for_the_rest_of_its_wait() {
    let toml = "[store]\nkind = \"memory\"\n\n[delivery]\nmode = \"queued\"\n\n[[targets]]\nname = \"down\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"down\"]\n";
    let pipeline = Pipeline::new(Config::from_toml(toml, &ProcessEnv).unwrap()).unwrap();
    let now = regrelay_core::now_millis();
    let mut item = regrelay_core::WorkItem::first("e-early", "down", now);
    item.due_ms = now + 3_600_000;
    let worked = pipeline.work_message(&item.to_text(), 1).await.unwrap();
    assert_eq!(worked, regrelay_core::Worked::NotDue);
    let local = pipeline.queue().unwrap().local().unwrap();
    let taken = local
        .take(now + 3_600_000, 1_000, &[("down".to_owned(), 10)])
        .unwrap();
    assert_eq!(taken.len(), 1, "put back, due when it was due");
    assert_eq!(taken[0].item, item);
    assert!(
        local
            .take(now + 1_000, 1_000, &[("down".to_owned(), 10)])
            .unwrap()
            .is_empty()
    );
}
