//! Rate budgets in Table Storage: partition `~rate|<key>`, one row `slot|<n>` per slot with its
//! `until` (Edm.Int64, epoch ms). One query reads the slots; a free one is taken by an insert
//! (409 when another instance created it first) or a replace with `If-Match` (412 when another
//! instance took it since we read it). A lost race moves on to the next free slot.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::AzureTableStore;
use super::client::Write;
use super::entity::{self, int64, key};
use crate::store::StoreError;
use crate::store::slots::free_slots;

/// PartitionKey of a budget (`~r` never starts an escaped event id, whose `~` is `~XX` in hex).
fn partition(budget: &str) -> String {
    format!("~rate|{}", key(budget))
}

/// RowKey of a slot.
fn row(slot: u32) -> String {
    format!("slot|{slot:04}")
}

fn until_of(entity: &Value) -> i64 {
    entity.get("until").and_then(int64).unwrap_or(0)
}

impl AzureTableStore {
    pub(crate) async fn reserve_slot(
        &self,
        budget: &str,
        limit: u32,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let table = self.table().await?;
        let pk = partition(budget);
        let found = table
            .query(&format!("PartitionKey eq '{pk}'"), Some("RowKey,until"))
            .await?;
        let taken: HashMap<u32, i64> = found
            .iter()
            .filter_map(|e| {
                let slot = e.get("RowKey")?.as_str()?.strip_prefix("slot|")?;
                Some((slot.parse().ok()?, until_of(e)))
            })
            .collect();
        let properties = json!({ "until": until.to_string(), "until@odata.type": "Edm.Int64" });
        for slot in free_slots(&taken, limit, now) {
            let item = entity::entity(&pk, &row(slot), properties.clone());
            let write = if taken.contains_key(&slot) {
                match table.get(&pk, &row(slot)).await? {
                    Some((current, etag)) if until_of(&current) <= now => {
                        table.replace(&item, Some(&etag)).await?
                    }
                    Some(_) => Write::Lost,
                    None => table.insert(&item).await?,
                }
            } else {
                table.insert(&item).await?
            };
            if write == Write::Done {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
