//! How records map to DynamoDB items.
//!
//! `pk` is the event id; `sk` names the record: `event`, `reception|<id>`, `pair|<target>`,
//! `attempt|<target>|<seq, 10 digits>`. Records are JSON in `json`. Every item carries
//! `expires_at` (epoch seconds) for the table's TTL. Listing uses a small index item per event in
//! a per-day partition `~events|<YYYY-MM-DD>` with `sk` = `<received_at>|<event id>`, so neither
//! listing nor purging scans the table.

use std::time::Duration;

use serde_json::{Value, json};

use crate::store::remote::{fit_reception, fit_record};
use crate::store::{DeliveryState, EventRecord, PairState, Reception, StoreError};

/// Items are at most 400 KB; the record's JSON gets most of it.
const MAX_RECORD_BYTES: usize = 350_000;

/// `sk` of the event record.
pub(super) const EVENT_SK: &str = "event";

/// A string attribute.
pub(super) fn s(value: &str) -> Value {
    json!({ "S": value })
}

/// A number attribute.
pub(super) fn n(value: i64) -> Value {
    json!({ "N": value.to_string() })
}

/// A string attribute of an item.
pub(super) fn get_s<'i>(item: &'i Value, name: &str) -> Option<&'i str> {
    item.get(name)?.get("S")?.as_str()
}

/// A number attribute of an item.
pub(super) fn get_n(item: &Value, name: &str) -> Option<i64> {
    item.get(name)?.get("N")?.as_str()?.parse().ok()
}

/// The primary key of an item.
pub(super) fn key(pk: &str, sk: &str) -> Value {
    json!({ "pk": s(pk), "sk": s(sk) })
}

/// `sk` of a pair.
pub(super) fn pair_sk(target: &str) -> String {
    format!("pair|{target}")
}

/// `sk` of an attempt.
pub(super) fn attempt_sk(target: &str, seq: i64) -> String {
    format!("attempt|{target}|{seq:010}")
}

/// `sk` of a reception.
pub(super) fn reception_sk(id: &str) -> String {
    format!("reception|{id}")
}

/// `pk` of a reception that carried no event (a handshake, a rejected request).
pub(super) fn orphan_pk(reception_id: &str) -> String {
    format!("~reception|{reception_id}")
}

/// `pk` of the listing index for the day of an RFC 3339 time.
pub(super) fn day_pk(time: &str) -> String {
    format!("~events|{}", time.get(..10).unwrap_or(time))
}

/// `sk` of an event's listing index item.
pub(super) fn index_sk(received_at: &str, event_id: &str) -> String {
    format!("{received_at}|{event_id}")
}

/// When an item written now for something received at `received_at` expires (epoch seconds).
pub(super) fn expires_at(received_at: &str, retention: Duration) -> i64 {
    let start = chrono::DateTime::parse_from_rfc3339(received_at)
        .map(|t| t.timestamp())
        .unwrap_or_else(|_| chrono::Utc::now().timestamp());
    start.saturating_add(i64::try_from(retention.as_secs()).unwrap_or(i64::MAX))
}

/// The event record's JSON, `raw` cut (and marked) when the item would pass DynamoDB's limit.
pub(super) fn record_json(record: &EventRecord) -> Result<(String, bool), StoreError> {
    fit_record(record, MAX_RECORD_BYTES, str::len)
}

/// The reception's JSON, a kept payload cut (and marked) when the item would pass the limit.
pub(super) fn reception_json(reception: &Reception) -> Result<String, StoreError> {
    fit_reception(reception, MAX_RECORD_BYTES, str::len)
}

/// A pair item's ledger entry and claim expiry.
pub(super) fn pair_of(item: &Value) -> (PairState, Option<i64>) {
    let sk = get_s(item, "sk").unwrap_or("");
    let pair = PairState {
        target: sk.strip_prefix("pair|").unwrap_or(sk).to_owned(),
        state: get_s(item, "state")
            .and_then(DeliveryState::parse)
            .unwrap_or(DeliveryState::Pending),
        attempts: get_n(item, "attempts")
            .and_then(|a| u32::try_from(a).ok())
            .unwrap_or(0),
        reason: get_s(item, "reason").map(str::to_owned),
    };
    (pair, get_n(item, "lease_until"))
}

/// Attribute names used in expressions (`state` is a reserved word; the rest for uniformity).
const NAMES: [(&str, &str); 5] = [
    ("#st", "state"),
    ("#at", "attempts"),
    ("#rs", "reason"),
    ("#ls", "lease_until"),
    ("#ex", "expires_at"),
];

/// An `UpdateItem` body (a condition follows ` IF `), with only the names and values its expressions use.
pub(super) fn update(
    table: &str,
    pk: &str,
    sk: &str,
    expression: &str,
    values: Vec<(&str, Value)>,
) -> Value {
    let used = |placeholder: &str| expression.contains(placeholder);
    let names: serde_json::Map<String, Value> = NAMES
        .iter()
        .filter(|(p, _)| used(p))
        .map(|(p, name)| ((*p).to_owned(), Value::from(*name)))
        .collect();
    let values: serde_json::Map<String, Value> = values
        .into_iter()
        .filter(|(p, _)| used(p))
        .map(|(p, v)| (p.to_owned(), v))
        .collect();
    let (update, condition) = match expression.split_once(" IF ") {
        Some((update, condition)) => (update, Some(condition)),
        None => (expression, None),
    };
    let mut body = json!({
        "TableName": table,
        "Key": key(pk, sk),
        "UpdateExpression": update,
        "ExpressionAttributeNames": names,
        "ReturnValues": "ALL_NEW",
    });
    if !values.is_empty() {
        body["ExpressionAttributeValues"] = Value::Object(values);
    }
    if let Some(condition) = condition {
        body["ConditionExpression"] = condition.into();
        body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD".into();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_and_expire_after_retention() {
        let item = json!({
            "pk": s("e"), "sk": s(&pair_sk("t|x")), "state": s("dead_lettered"),
            "attempts": n(3), "reason": s("404"), "lease_until": n(9)
        });
        let (pair, lease) = pair_of(&item);
        assert_eq!(
            (pair.target.as_str(), pair.attempts, lease),
            ("t|x", 3, Some(9))
        );
        assert_eq!(pair.state, DeliveryState::DeadLettered);
        assert_eq!(
            expires_at("2024-05-01T00:00:00Z", Duration::from_secs(86_400)),
            1_714_608_000
        );
        assert_eq!(day_pk("2024-05-01T08:00:00.000Z"), "~events|2024-05-01");
        assert_eq!(attempt_sk("t", 12), "attempt|t|0000000012");
    }
}
