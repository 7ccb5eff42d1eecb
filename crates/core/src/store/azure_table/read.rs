//! Reading history back: one event's trace (one partition query), listing by `received_at`,
//! repository and pair state, and purging what is older than a cutoff.

use serde_json::Value;

use super::entity::{self, EVENT_ROW, PairRow, key};
use super::{AzureTableStore, odata};
use crate::common::Attempt;
use crate::store::remote::assemble_trace;
use crate::store::{EventRecord, ListFilter, Listed, PairState, Reception, StoreError, Trace};

impl AzureTableStore {
    pub(crate) async fn trace(&self, event_id: &str) -> Result<Option<Trace>, StoreError> {
        let table = self.table().await?;
        let filter = format!("PartitionKey eq '{}'", key(event_id));
        let entities = table.query(&filter, None).await?;
        let row_of = |e: &Value| {
            e.get("RowKey")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let Some(event) = entities.iter().find(|e| row_of(e) == EVENT_ROW) else {
            return Ok(None);
        };
        let record: EventRecord = entity::parse_json(event)?;
        let mut receptions: Vec<Reception> = Vec::new();
        let mut pairs = Vec::new();
        let mut attempts: Vec<(String, Attempt)> = Vec::new();
        for e in &entities {
            let row = row_of(e);
            if row.starts_with("reception|") {
                receptions.push(entity::parse_json(e)?);
            } else if row.starts_with("pair|") {
                let target = e.get("target").and_then(Value::as_str).unwrap_or("");
                pairs.push(PairRow::parse(target, e).pair);
            } else if row.starts_with("attempt|") {
                attempts.push((row, entity::parse_json(e)?));
            }
        }
        Ok(Some(assemble_trace(record, receptions, pairs, attempts)))
    }

    pub(crate) async fn list_records(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<Listed>, StoreError> {
        let table = self.table().await?;
        let mut clauses = vec![format!("RowKey eq '{EVENT_ROW}'")];
        if let Some(since) = &filter.since {
            clauses.push(format!("received_at ge '{}'", odata(since)));
        }
        if let Some(repository) = &filter.repository {
            clauses.push(format!("repository eq '{}'", odata(repository)));
        }
        let mut records = table
            .query(&clauses.join(" and "), Some("json"))
            .await?
            .iter()
            .map(entity::parse_json::<EventRecord>)
            .collect::<Result<Vec<_>, _>>()?;
        records.sort_by(|a, b| {
            b.received_at
                .cmp(&a.received_at)
                .then_with(|| a.event.id.cmp(&b.event.id))
        });
        let mut rows = Vec::new();
        for record in records {
            if rows.len() >= filter.limit.max(1) {
                break;
            }
            let pk = key(&record.event.id);
            let pairs_filter =
                format!("PartitionKey eq '{pk}' and RowKey ge 'pair|' and RowKey lt 'pair}}'");
            let pairs: Vec<PairState> = table
                .query(&pairs_filter, None)
                .await?
                .iter()
                .map(|e| {
                    let target = e.get("target").and_then(Value::as_str).unwrap_or("");
                    PairRow::parse(target, e).pair
                })
                .collect();
            if filter.admits(&record, &pairs) {
                rows.push((record, pairs));
            }
        }
        Ok(rows)
    }

    pub(crate) async fn purge_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        let table = self.table().await?;
        let old = format!("received_at lt '{}'", odata(cutoff));
        let keys = |e: &Value| {
            let get = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (get("PartitionKey"), get("RowKey"))
        };
        let mut gone = 0;
        for found in table.query(&old, Some("PartitionKey,RowKey")).await? {
            let (pk, rk) = keys(&found);
            if rk != EVENT_ROW {
                table.delete(&pk, &rk).await?;
                continue;
            }
            let partition = format!("PartitionKey eq '{pk}'");
            for member in table.query(&partition, Some("PartitionKey,RowKey")).await? {
                let (pk, rk) = keys(&member);
                table.delete(&pk, &rk).await?;
            }
            gone += 1;
        }
        Ok(gone)
    }
}
