//! Reading history back: one event's trace (one `Query` on its partition), listing through the
//! per-day index partitions, and purging what is older than a cutoff.

use serde_json::{Value, json};

use super::item::{self, get_s, key, s};
use super::{DynamoDbStore, parse_json};
use crate::common::Attempt;
use crate::store::remote::assemble_trace;
use crate::store::{EventRecord, ListFilter, Listed, PairState, Reception, StoreError, Trace};

/// How many days before the cutoff's day a purge looks at: anything older was purged before or
/// has been removed by the table's TTL (which runs within about two days of expiry).
const PURGE_LOOKBACK_DAYS: i64 = 7;

impl DynamoDbStore {
    /// Every item of one partition (consistent).
    async fn partition(&self, pk: &str, sk_prefix: Option<&str>) -> Result<Vec<Value>, StoreError> {
        let mut body = json!({
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": { ":pk": s(pk) },
            "ConsistentRead": true,
        });
        if let Some(prefix) = sk_prefix {
            body["KeyConditionExpression"] = "pk = :pk AND begins_with(sk, :prefix)".into();
            body["ExpressionAttributeValues"][":prefix"] = s(prefix);
        }
        self.client.query_all(body).await
    }

    pub(crate) async fn trace(&self, event_id: &str) -> Result<Option<Trace>, StoreError> {
        let items = self.partition(event_id, None).await?;
        let sk_of = |i: &Value| get_s(i, "sk").unwrap_or("").to_owned();
        let Some(event) = items.iter().find(|i| sk_of(i) == item::EVENT_SK) else {
            return Ok(None);
        };
        let record: EventRecord = parse_json(event)?;
        let mut receptions: Vec<Reception> = Vec::new();
        let mut pairs = Vec::new();
        let mut attempts: Vec<(String, Attempt)> = Vec::new();
        for i in &items {
            let sk = sk_of(i);
            if sk.starts_with("reception|") {
                receptions.push(parse_json(i)?);
            } else if sk.starts_with("pair|") {
                pairs.push(item::pair_of(i).0);
            } else if sk.starts_with("attempt|") {
                attempts.push((sk, parse_json(i)?));
            }
        }
        Ok(Some(assemble_trace(record, receptions, pairs, attempts)))
    }

    pub(crate) async fn list_records(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<Listed>, StoreError> {
        let today = chrono::Utc::now().date_naive();
        let retention_days = self.retention.as_secs() / 86_400;
        let oldest = filter
            .since
            .as_deref()
            .and_then(|since| since.get(..10))
            .and_then(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
            .or_else(|| today.checked_sub_days(chrono::Days::new(retention_days.saturating_add(2))))
            .unwrap_or(chrono::NaiveDate::MIN);
        let limit = filter.limit.max(1);
        let mut rows = Vec::new();
        let mut day = today;
        while day >= oldest && rows.len() < limit {
            let mut body = json!({
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": { ":pk": s(&item::day_pk(&day.to_string())) },
                "ScanIndexForward": false,
            });
            if let Some(since) = &filter.since {
                body["KeyConditionExpression"] = "pk = :pk AND sk >= :since".into();
                body["ExpressionAttributeValues"][":since"] = s(since);
            }
            let mut index = self.client.query_all(body).await?;
            if let Some(repository) = &filter.repository {
                index.retain(|i| get_s(i, "repository") == Some(repository.as_str()));
            }
            for entry in index {
                if rows.len() >= limit {
                    break;
                }
                let id = get_s(&entry, "event_id").unwrap_or("");
                let Some(event) = self.partition(id, Some(item::EVENT_SK)).await?.pop() else {
                    continue;
                };
                let record: EventRecord = parse_json(&event)?;
                let pairs: Vec<PairState> = self
                    .partition(id, Some("pair|"))
                    .await?
                    .iter()
                    .map(|i| item::pair_of(i).0)
                    .collect();
                if filter.admits(&record, &pairs) {
                    rows.push((record, pairs));
                }
            }
            let Some(previous) = day.pred_opt() else {
                break;
            };
            day = previous;
        }
        // Within one received_at, ids ascending, as the other backends order them.
        crate::store::memory::newest_first(&mut rows);
        Ok(rows)
    }

    pub(crate) async fn purge_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        let Some(cutoff_day) = cutoff
            .get(..10)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            return Err(StoreError::Backend(format!(
                "purge cutoff {cutoff} is not RFC 3339"
            )));
        };
        let mut gone = 0;
        for back in 0..=PURGE_LOOKBACK_DAYS {
            let Some(day) = cutoff_day.checked_sub_days(chrono::Days::new(back as u64)) else {
                break;
            };
            let day_pk = item::day_pk(&day.to_string());
            let body = json!({
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk AND sk < :cutoff",
                "ExpressionAttributeValues": { ":pk": s(&day_pk), ":cutoff": s(cutoff) },
            });
            for entry in self.client.query_all(body).await? {
                let id = get_s(&entry, "event_id").unwrap_or("");
                for member in self.partition(id, None).await? {
                    self.delete(id, get_s(&member, "sk").unwrap_or("")).await?;
                }
                self.delete(&day_pk, get_s(&entry, "sk").unwrap_or(""))
                    .await?;
                gone += 1;
            }
        }
        Ok(gone)
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        let body = json!({ "TableName": self.table, "Key": key(pk, sk) });
        self.client.call("DeleteItem", &body).await?;
        Ok(())
    }
}
