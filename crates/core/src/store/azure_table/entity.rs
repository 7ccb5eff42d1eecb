//! How records map to Table Storage entities.
//!
//! PartitionKey is the event id, so one partition holds everything about one event. RowKey names
//! the record: `event`, `reception|<id>`, `pair|<target>`, `attempt|<target>|<seq, 10 digits>`.
//! Keys may not contain `/ \ # ?` or control characters; those, and `%`, `'` and `~` (which URLs,
//! OData literals and our own escape would trip on), are written as `~XX` (hex). Records are JSON
//! in the `json` property beside the few properties queries filter on.

use serde_json::{Map, Value, json};

use crate::store::remote::{fit_reception, fit_record, from_json, to_json};
use crate::store::{DeliveryState, EventRecord, PairState, Reception, StoreError};

/// Largest string property: 64 KiB of UTF-16, with room to spare.
const MAX_JSON_UTF16: usize = 32_000;

/// RowKey of the event record.
pub(super) const EVENT_ROW: &str = "event";

/// A key safe for PartitionKey/RowKey, URLs and OData string literals.
pub(super) fn key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '/' | '\\' | '#' | '?' | '%' | '\'' | '~') || c.is_control() {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("~{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// PartitionKey of a reception that carried no event (a handshake, a rejected request). `~` never
/// starts an escaped event id's partition except as `~XX`, so these cannot collide.
pub(super) fn orphan_partition(reception_id: &str) -> String {
    format!("~reception|{}", key(reception_id))
}

/// RowKey of a pair.
pub(super) fn pair_row(target: &str) -> String {
    format!("pair|{}", key(target))
}

/// RowKey of an attempt.
pub(super) fn attempt_row(target: &str, seq: u32) -> String {
    format!("attempt|{}|{seq:010}", key(target))
}

/// RowKey of a reception.
pub(super) fn reception_row(id: &str) -> String {
    format!("reception|{}", key(id))
}

/// An entity: keys plus properties (nulls left out: an absent property is a null).
pub(super) fn entity(partition: &str, row: &str, properties: Value) -> Value {
    let mut map = match properties {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    map.retain(|_, v| !v.is_null());
    map.insert("PartitionKey".into(), partition.into());
    map.insert("RowKey".into(), row.into());
    Value::Object(map)
}

/// The event entity's properties; `raw` is cut (and says so) when the record would exceed the
/// 64 KiB property limit.
pub(super) fn event_properties(record: &EventRecord) -> Result<(Value, bool), StoreError> {
    let (json, cut) = fit_record(record, MAX_JSON_UTF16, |s| s.encode_utf16().count())?;
    Ok((
        json!({
            "json": json,
            "received_at": record.received_at,
            "repository": record.event.repository,
        }),
        cut,
    ))
}

/// A reception's properties; a kept payload is cut (and says so) to fit the property limit.
pub(super) fn reception_properties(reception: &Reception) -> Result<Value, StoreError> {
    let json = fit_reception(reception, MAX_JSON_UTF16, |s| s.encode_utf16().count())?;
    Ok(json!({ "json": json, "received_at": reception.received_at }))
}

/// An attempt's properties.
pub(super) fn json_properties(
    value: &impl serde::Serialize,
    received_at: &str,
) -> Result<Value, StoreError> {
    Ok(json!({ "json": to_json(value)?, "received_at": received_at }))
}

/// The `json` property, parsed.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(entity: &Value) -> Result<T, StoreError> {
    let text = entity.get("json").and_then(Value::as_str).unwrap_or("null");
    from_json(text)
}

/// A pair row as stored: the ledger entry and its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PairRow {
    pub pair: PairState,
    pub lease_until: Option<i64>,
}

impl PairRow {
    /// A fresh pending pair.
    pub fn pending(target: &str) -> Self {
        PairRow {
            pair: PairState {
                target: target.to_owned(),
                state: DeliveryState::Pending,
                attempts: 0,
                reason: None,
            },
            lease_until: None,
        }
    }

    /// Reads a pair entity.
    pub fn parse(target: &str, entity: &Value) -> Self {
        let state = entity.get("state").and_then(Value::as_str);
        PairRow {
            pair: PairState {
                target: target.to_owned(),
                state: state
                    .and_then(DeliveryState::parse)
                    .unwrap_or(DeliveryState::Pending),
                attempts: entity
                    .get("attempts")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
                reason: entity
                    .get("reason")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
            lease_until: entity.get("lease_until").and_then(int64).filter(|&v| v > 0),
        }
    }

    /// The entity's properties (no lease is stored as 0: Replace drops absent properties anyway).
    pub fn properties(&self) -> Value {
        json!({
            "target": self.pair.target,
            "state": self.pair.state.as_str(),
            "attempts": self.pair.attempts,
            "reason": self.pair.reason,
            "lease_until": self.lease_until.unwrap_or(0).to_string(),
            "lease_until@odata.type": "Edm.Int64",
        })
    }
}

/// An Edm.Int64, which JSON carries as a string (or a number, from some emulators).
pub(super) fn int64(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.parse().ok(),
        other => other.as_i64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_escape_what_table_storage_forbids() {
        assert_eq!(
            key("a/b\\c#d?e%f'g~h\ti"),
            "a~2Fb~5Cc~23d~3Fe~25f~27g~7Eh~09i"
        );
        assert_eq!(key("plain-id_1.2"), "plain-id_1.2");
        assert_eq!(attempt_row("t/1", 7), "attempt|t~2F1|0000000007");
        let row = PairRow {
            lease_until: Some(5),
            ..PairRow::pending("t")
        };
        assert_eq!(PairRow::parse("t", &row.properties()), row);
    }
}
