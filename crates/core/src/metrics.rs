//! Prometheus metrics of the process (feature `metrics`, on for `regrelay serve` and the Azure
//! handler; the Lambda build leaves it out): counters and a latency histogram kept by the stages
//! as they run, and the local queue's depth read when scraped. Served as OpenMetrics text at
//! `GET /metrics` (and `/api/metrics`) by [`Pipeline`](crate::Pipeline), behind the read secret.
//!
//! Labels only ever carry names from the config (rules, targets) or closed sets (schemas,
//! outcomes), never a value a sender chose, so no sender can grow the series without bound.
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `regrelay_events_received_total` | counter | `schema` (event_grid, cloudevents, harbor, …) |
//! | `regrelay_rule_matches_total` | counter | `rule` |
//! | `regrelay_deliveries_total` | counter | `target`, `outcome` (delivered, retryable, permanent) |
//! | `regrelay_delivery_seconds` | histogram | `target` |
//! | `regrelay_queue_depth` | gauge | — (local queue: items waiting, leased or not) |
//! | `regrelay_queue_oldest_due_seconds` | gauge | — (how long the earliest item has been due; 0 if none is) |

use std::sync::LazyLock;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use http::StatusCode;

use crate::common::Attempt;
use crate::reply::Reply;

type Labels = Vec<(&'static str, String)>;

/// The process's metrics.
struct Metrics {
    registry: Registry,
    received: Family<Labels, Counter>,
    matched: Family<Labels, Counter>,
    deliveries: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    depth: Gauge,
    oldest_due: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("regrelay");
    let received = Family::<Labels, Counter>::default();
    let matched = Family::<Labels, Counter>::default();
    let deliveries = Family::<Labels, Counter>::default();
    // 5 ms to about 82 s.
    let latency = Family::<Labels, Histogram>::new_with_constructor(
        (|| Histogram::new(exponential_buckets(0.005, 2.0, 15))) as fn() -> Histogram,
    );
    let depth = Gauge::default();
    let oldest_due = Gauge::default();
    registry.register(
        "events_received",
        "Registry events received, by the schema they came in",
        received.clone(),
    );
    registry.register("rule_matches", "Events a rule matched", matched.clone());
    registry.register(
        "deliveries",
        "Delivery attempts, by target and outcome",
        deliveries.clone(),
    );
    registry.register(
        "delivery_seconds",
        "Time a delivery attempt took, by target",
        latency.clone(),
    );
    registry.register(
        "queue_depth",
        "Items in the local delivery queue",
        depth.clone(),
    );
    registry.register(
        "queue_oldest_due_seconds",
        "How long the earliest item of the local delivery queue has been due",
        oldest_due.clone(),
    );
    Metrics {
        registry,
        received,
        matched,
        deliveries,
        latency,
        depth,
        oldest_due,
    }
});

/// One registry event received in `schema`.
pub(crate) fn received(schema: &str) {
    crate::emf::received(schema);
    METRICS
        .received
        .get_or_create(&vec![("schema", schema.to_owned())])
        .inc();
}

/// `rule` matched an event.
pub(crate) fn matched(rule: &str) {
    crate::emf::matched(rule);
    METRICS
        .matched
        .get_or_create(&vec![("rule", rule.to_owned())])
        .inc();
}

/// One delivery attempt ended after `seconds`.
pub(crate) fn attempted(attempt: &Attempt, seconds: f64) {
    let outcome = attempt.class.as_str();
    crate::emf::attempted(&attempt.target, outcome, seconds);
    METRICS
        .deliveries
        .get_or_create(&vec![
            ("target", attempt.target.clone()),
            ("outcome", outcome.to_owned()),
        ])
        .inc();
    METRICS
        .latency
        .get_or_create(&vec![("target", attempt.target.clone())])
        .observe(seconds);
}

/// The local queue as last read: items waiting, and how long the earliest has been due.
fn queue(depth: usize, oldest_due_secs: i64) {
    METRICS.depth.set(i64::try_from(depth).unwrap_or(i64::MAX));
    METRICS.oldest_due.set(oldest_due_secs.max(0));
}

/// The scrape's reply: the local queue (if any) read now, then every metric.
pub(crate) fn reply(queue: Option<&crate::queue::WorkQueue>) -> Reply {
    #[cfg(feature = "local-queue")]
    if let Some(local) = queue.and_then(crate::queue::WorkQueue::local) {
        match local.depth() {
            Ok((depth, earliest)) => {
                let overdue_ms = earliest.map_or(0, |due| local.now_millis().saturating_sub(due));
                self::queue(depth, overdue_ms / 1000);
            }
            Err(error) => {
                tracing::warn!(%error, "The local delivery queue could not be read for metrics.")
            }
        }
    }
    let _ = queue;
    Reply::empty(StatusCode::OK)
        .with_header("content-type", CONTENT_TYPE)
        .with_body(encode())
}

/// Every metric as OpenMetrics text.
fn encode() -> String {
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &METRICS.registry).is_err() {
        text.clear();
    }
    text
}

/// The content type of [`encode`]'s text.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
