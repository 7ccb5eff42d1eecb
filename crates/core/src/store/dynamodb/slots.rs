//! Rate budgets in DynamoDB: partition `~rate|<key>`, one item `slot|<n>` per slot with its
//! `until` (epoch ms). One consistent `Query` reads the slots; a free one is taken by a
//! conditional `PutItem` (`attribute_not_exists(pk) OR until <= now`), so two instances can never
//! both take it. A lost race moves on to the next free slot. Items expire (TTL) a day after their
//! window ends.

use std::collections::HashMap;

use serde_json::json;

use super::DynamoDbStore;
use super::client::CallError;
use super::item::{get_n, get_s, n, s};
use crate::store::StoreError;
use crate::store::slots::free_slots;

/// Seconds a slot item outlives its window before TTL removes it.
const SLOT_TTL_MARGIN_SECS: i64 = 86_400;

impl DynamoDbStore {
    pub(crate) async fn reserve_slot(
        &self,
        budget: &str,
        limit: u32,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let pk = format!("~rate|{budget}");
        let found = self
            .client
            .query_all(json!({
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": { ":pk": s(&pk) },
                "ConsistentRead": true
            }))
            .await?;
        let taken: HashMap<u32, i64> = found
            .iter()
            .filter_map(|item| {
                let slot = get_s(item, "sk")?.strip_prefix("slot|")?.parse().ok()?;
                Some((slot, get_n(item, "until").unwrap_or(0)))
            })
            .collect();
        for slot in free_slots(&taken, limit, now) {
            let body = json!({
                "TableName": self.table,
                "Item": {
                    "pk": s(&pk), "sk": s(&format!("slot|{slot:04}")), "until": n(until),
                    "expires_at": n(until / 1000 + SLOT_TTL_MARGIN_SECS)
                },
                "ConditionExpression": "attribute_not_exists(pk) OR #until <= :now",
                "ExpressionAttributeNames": { "#until": "until" },
                "ExpressionAttributeValues": { ":now": n(now) }
            });
            match self.client.call("PutItem", &body).await {
                Ok(_) => return Ok(true),
                Err(CallError::ConditionFailed(_)) => {}
                Err(CallError::Store(e)) => return Err(e),
            }
        }
        Ok(false)
    }
}
