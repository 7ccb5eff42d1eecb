//! The announcement of a pause or a recovery: a regrelay notice (action `notice`, type
//! `io.regrelay.TargetPaused` / `io.regrelay.TargetResumed`, subject the sentence), rendered by
//! the announce target like any event, sent once and logged.

use super::Change;
use crate::event::{Action, RegistryEvent, Schema};
use crate::store::TargetHealth;

/// The notice of `change`, and its JSON (the "as received" body of a raw webhook).
pub(crate) fn notice(change: &Change) -> (RegistryEvent, String) {
    let (kind, health, sentence) = match change {
        Change::Paused(h) => (
            "TargetPaused",
            h,
            format!(
                "{}: paused after {} failures in a row{}; deliveries wait in the queue, next probe at {}",
                h.target,
                h.failures,
                h.last_error
                    .as_deref()
                    .map(|e| format!(" (last: {e})"))
                    .unwrap_or_default(),
                crate::common::rfc3339_millis(h.next_probe_ms)
            ),
        ),
        Change::Resumed(h) => (
            "TargetResumed",
            h,
            format!("{}: delivering again", h.target),
        ),
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut event = RegistryEvent::new(
        id(health, kind),
        format!("io.regrelay.{kind}"),
        Action::Notice,
        Schema::Cloudevents,
    );
    event.subject = Some(sentence);
    event.source = Some("regrelay".to_owned());
    event.time = Some(now);
    let raw = serde_json::to_string(&event).unwrap_or_default();
    (event, raw)
}

/// One id per transition: the target and the record's version.
fn id(health: &TargetHealth, kind: &str) -> String {
    format!("regrelay-{kind}-{}-{}", health.target, health.version)
}
