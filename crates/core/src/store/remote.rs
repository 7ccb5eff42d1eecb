//! What the remote backends (Azure Table Storage, DynamoDB) share: the HTTP client, record
//! serialization within an item size limit, and error helpers.

use std::time::Duration;

use super::{EventRecord, PairState, Reception, StoreError, Trace};
use crate::common::Attempt;

/// Every store request gives up after this long: a ledger that hangs would hold the sender's
/// request past its own timeout.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How often an optimistic write is retried after losing a race before giving up.
pub(crate) const MAX_RACES: usize = 8;

/// Appended to a `raw` that had to be shortened to fit the backend's size limit.
pub(crate) const TRUNCATION_MARK: &str = "\n[regrelay: raw event truncated to fit the store]";

/// The process's shared client (store requests set [`REQUEST_TIMEOUT`] each).
pub(crate) fn http_client() -> Result<&'static reqwest::Client, StoreError> {
    crate::http::client().map_err(StoreError::Open)
}

/// A backend error from anything printable.
pub(crate) fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// A transport error, without the URL (which may carry a SAS token or account name we do not
/// want in logs twice).
pub(crate) fn transport(what: &str, error: reqwest::Error) -> StoreError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    StoreError::Transport {
        what: what.to_owned(),
        kind,
        source: error.without_url(),
    }
}

/// Serializes `value` as JSON.
pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value)?)
}

/// Parses JSON stored by [`to_json`].
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(text)?)
}

/// Appended to a reception's `payload` that had to be shortened to fit the backend's size limit.
pub(crate) const PAYLOAD_TRUNCATION_MARK: &str = "\n[regrelay: payload truncated to fit the store]";

/// The record as JSON whose `size` is at most `max`; when it is larger, `raw` (the event as
/// received, the only unbounded part) is cut at a character boundary and ends with
/// [`TRUNCATION_MARK`]. Returns the JSON and whether `raw` was cut.
pub(crate) fn fit_record(
    record: &EventRecord,
    max: usize,
    size: impl Fn(&str) -> usize,
) -> Result<(String, bool), StoreError> {
    let set = |r: &mut EventRecord, t: String| r.raw = t;
    fit(record, &record.raw, set, TRUNCATION_MARK, max, size).map_err(|_| {
        StoreError::TooLarge(format!(
            "event {} (even without its raw body)",
            record.event.id
        ))
    })
}

/// The reception as JSON whose `size` is at most `max`, its `payload` (the request body, when
/// kept) cut and marked with [`PAYLOAD_TRUNCATION_MARK`] when needed.
pub(crate) fn fit_reception(
    reception: &Reception,
    max: usize,
    size: impl Fn(&str) -> usize,
) -> Result<String, StoreError> {
    let text = reception.payload.as_deref().unwrap_or("");
    let set = |r: &mut Reception, t: String| r.payload = Some(t);
    let fitted = fit(reception, text, set, PAYLOAD_TRUNCATION_MARK, max, size);
    fitted.map(|(json, _)| json).map_err(|_| {
        StoreError::TooLarge(format!(
            "reception {} (even without its payload)",
            reception.id
        ))
    })
}

/// `value` as JSON of at most `max` by `size`; when larger, its one unbounded `text` is cut at a
/// character boundary, ends with `mark` and is put back with `set`. Returns the JSON and whether
/// the text was cut; `Err` when even an empty text does not fit.
fn fit<T: serde::Serialize + Clone>(
    value: &T,
    text: &str,
    set: impl Fn(&mut T, String),
    mark: &str,
    max: usize,
    size: impl Fn(&str) -> usize,
) -> Result<(String, bool), Option<StoreError>> {
    let json = to_json(value).map_err(Some)?;
    if size(&json) <= max {
        return Ok((json, false));
    }
    let mut keep = text.len();
    let mut current = size(&json);
    let mut shorter = value.clone();
    while keep > 0 {
        // Escaping can make the text longer in JSON: cut the excess, and at least a tenth, per round.
        let over = current.saturating_sub(max) + mark.len();
        keep = keep.saturating_sub(over.max(keep / 10).max(1));
        while keep > 0 && !text.is_char_boundary(keep) {
            keep -= 1;
        }
        set(&mut shorter, format!("{}{mark}", &text[..keep]));
        let json = to_json(&shorter).map_err(Some)?;
        current = size(&json);
        if current <= max {
            return Ok((json, true));
        }
    }
    Err(None)
}

/// A trace from the rows of one event's partition, in the order every backend reports: receptions
/// by time, pairs by target, attempts by start time (ties by their row key).
pub(crate) fn assemble_trace(
    record: EventRecord,
    mut receptions: Vec<Reception>,
    mut pairs: Vec<PairState>,
    mut attempts: Vec<(String, Attempt)>,
) -> Trace {
    receptions.sort_by(|a, b| a.received_at.cmp(&b.received_at));
    pairs.sort_by(|a, b| a.target.cmp(&b.target));
    attempts.sort_by(|(ka, a), (kb, b)| a.started_at.cmp(&b.started_at).then(ka.cmp(kb)));
    let attempts = attempts.into_iter().map(|(_, a)| a).collect();
    Trace {
        record,
        receptions,
        pairs,
        attempts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_raw_bodies_are_cut_with_a_mark() {
        let event = serde_json::from_value(serde_json::json!({
            "id": "e", "type": "t", "action": "push", "schema": "event_grid"
        }))
        .unwrap();
        let record = EventRecord {
            event,
            raw: "é\"".repeat(10_000),
            received_at: "2024-05-01T08:00:00.000Z".into(),
            decisions: vec![],
            targets: vec![],
            reception_id: "r".into(),
            coalescing: None,
            notes: Vec::new(),
        };
        let (json, cut) = fit_record(&record, 4_000, str::len).unwrap();
        assert!(cut && json.len() <= 4_000, "{}", json.len());
        let back: EventRecord = from_json(&json).unwrap();
        assert!(back.raw.ends_with(TRUNCATION_MARK));
        let (json, cut) = fit_record(&record, 1_000_000, str::len).unwrap();
        assert!(!cut && from_json::<EventRecord>(&json).unwrap() == record);
    }

    #[test]
    fn long_payloads_are_cut_with_a_mark() {
        let reception: Reception = serde_json::from_value(serde_json::json!({
            "id": "r", "received_at": "2024-05-01T08:00:00.000Z", "kind": "events",
            "format": null, "payload_sha256": "00", "status": 200, "event_ids": [], "error": null,
            "payload": "ü".repeat(50_000)
        }))
        .unwrap();
        let json = fit_reception(&reception, 4_000, str::len).unwrap();
        assert!(json.len() <= 4_000, "{}", json.len());
        let back: Reception = from_json(&json).unwrap();
        assert!(back.payload.unwrap().ends_with(PAYLOAD_TRUNCATION_MARK));
        let old: Reception = from_json(r#"{"id":"r","received_at":"t","kind":"events","format":null,"payload_sha256":"00","status":200,"event_ids":[],"error":null}"#).unwrap();
        assert_eq!(
            old.payload, None,
            "records written before payloads still read"
        );
    }
}
