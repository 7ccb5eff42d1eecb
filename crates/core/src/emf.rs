//! The metrics as CloudWatch Embedded Metric Format lines, for the Lambda (which has no scrape
//! endpoint): switched on by the shell at start ([`enable`]), fed by the same calls that feed
//! the Prometheus registry, and taken after each invocation ([`take_lines`]) to be printed on
//! standard output, where CloudWatch Logs extracts them. Off (the default), each call is one
//! atomic load.
//!
//! Namespace `regrelay`; one document per dimension set and value:
//!
//! | metric | unit | dimensions |
//! | --- | --- | --- |
//! | `events_received` | Count | `schema` |
//! | `rule_matches` | Count | `rule` |
//! | `deliveries` | Count | `target`, `outcome` |
//! | `delivery_ms` | Milliseconds (values, at most 100 per line) | `target` |

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

/// The CloudWatch namespace of every metric.
const NAMESPACE: &str = "regrelay";
/// Most values one EMF metric carries.
const MAX_VALUES: usize = 100;

static ENABLED: AtomicBool = AtomicBool::new(false);
static PENDING: Mutex<Pending> = Mutex::new(Pending::new());

/// Counts and latencies since the last [`take_lines`].
#[derive(Debug, Default)]
struct Pending {
    received: BTreeMap<String, u64>,
    matched: BTreeMap<String, u64>,
    deliveries: BTreeMap<(String, String), u64>,
    latency_ms: BTreeMap<String, Vec<f64>>,
}

impl Pending {
    const fn new() -> Self {
        Pending {
            received: BTreeMap::new(),
            matched: BTreeMap::new(),
            deliveries: BTreeMap::new(),
            latency_ms: BTreeMap::new(),
        }
    }
}

/// Turns EMF on for this process (the Lambda shell, at start).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

fn with(f: impl FnOnce(&mut Pending)) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    if let Ok(mut pending) = PENDING.lock() {
        f(&mut pending);
    }
}

pub(crate) fn received(schema: &str) {
    with(|p| *p.received.entry(schema.to_owned()).or_default() += 1);
}

pub(crate) fn matched(rule: &str) {
    with(|p| *p.matched.entry(rule.to_owned()).or_default() += 1);
}

pub(crate) fn attempted(target: &str, outcome: &str, seconds: f64) {
    with(|p| {
        *p.deliveries
            .entry((target.to_owned(), outcome.to_owned()))
            .or_default() += 1;
        p.latency_ms
            .entry(target.to_owned())
            .or_default()
            .push((seconds * 1000.0).round());
    });
}

/// The EMF lines of everything counted since the last call (none when nothing was), timestamped
/// `now_ms`; the counts start again from zero.
pub fn take_lines(now_ms: i64) -> Vec<String> {
    let pending = match PENDING.lock() {
        Ok(mut pending) => std::mem::take(&mut *pending),
        Err(_) => return Vec::new(),
    };
    documents(&pending, now_ms)
        .iter()
        .map(Value::to_string)
        .collect()
}

fn documents(p: &Pending, now_ms: i64) -> Vec<Value> {
    let doc = |dims: &[&str], name: &str, unit: &str, mut members: Value, value: Value| {
        members["_aws"] = json!({
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dims],
                "Metrics": [{ "Name": name, "Unit": unit }],
            }],
        });
        members[name] = value;
        members
    };
    let mut out = Vec::new();
    for (schema, n) in &p.received {
        out.push(doc(
            &["schema"],
            "events_received",
            "Count",
            json!({ "schema": schema }),
            json!(n),
        ));
    }
    for (rule, n) in &p.matched {
        out.push(doc(
            &["rule"],
            "rule_matches",
            "Count",
            json!({ "rule": rule }),
            json!(n),
        ));
    }
    for ((target, outcome), n) in &p.deliveries {
        let members = json!({ "target": target, "outcome": outcome });
        out.push(doc(
            &["target", "outcome"],
            "deliveries",
            "Count",
            members,
            json!(n),
        ));
    }
    for (target, values) in &p.latency_ms {
        for chunk in values.chunks(MAX_VALUES) {
            let members = json!({ "target": target });
            out.push(doc(
                &["target"],
                "delivery_ms",
                "Milliseconds",
                members,
                json!(chunk),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Pending, documents};

    #[test]
    fn one_document_per_dimension_value_with_its_directive() {
        let mut p = Pending::default();
        p.received.insert("event_grid".into(), 3);
        p.deliveries.insert(("hook".into(), "delivered".into()), 2);
        p.latency_ms.insert("hook".into(), vec![1.0; 150]);
        let docs = documents(&p, 1_700_000_000_000);
        assert_eq!(docs.len(), 4, "latency split at 100 values");
        assert_eq!(docs[0]["events_received"], 3);
        assert_eq!(docs[0]["schema"], "event_grid");
        let directive = &docs[1]["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "regrelay");
        assert_eq!(
            directive["Dimensions"][0],
            serde_json::json!(["target", "outcome"])
        );
        assert_eq!(directive["Metrics"][0]["Name"], "deliveries");
        assert_eq!(docs[1]["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        assert_eq!(docs[2]["delivery_ms"].as_array().unwrap().len(), 100);
        assert_eq!(docs[3]["delivery_ms"].as_array().unwrap().len(), 50);
    }
}
