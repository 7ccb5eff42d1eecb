//! Target health in Table Storage: partition `~health`, one row per target (escaped name) with
//! the record as JSON. Version 1 is an insert (409 when another instance wrote first); later
//! versions replace with `If-Match` on the ETag of the version read.

use serde_json::json;

use super::AzureTableStore;
use super::client::Write;
use super::entity::{self, key, parse_json};
use crate::store::StoreError;
use crate::store::model::TargetHealth;

/// PartitionKey of the health rows (`~h` never starts an escaped event id).
const PARTITION: &str = "~health";

impl AzureTableStore {
    pub(crate) async fn healths(&self) -> Result<Vec<TargetHealth>, StoreError> {
        let table = self.table().await?;
        table
            .query(&format!("PartitionKey eq '{PARTITION}'"), Some("json"))
            .await?
            .iter()
            .map(parse_json)
            .collect()
    }

    pub(crate) async fn health(&self, target: &str) -> Result<Option<TargetHealth>, StoreError> {
        let table = self.table().await?;
        match table.get(PARTITION, &key(target)).await? {
            Some((entity, _)) => parse_json(&entity).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) async fn swap_health(&self, next: &TargetHealth) -> Result<bool, StoreError> {
        let table = self.table().await?;
        let text = serde_json::to_string(next)?;
        let item = entity::entity(PARTITION, &key(&next.target), json!({ "json": text }));
        let write = if next.version == 1 {
            table.insert(&item).await?
        } else {
            match table.get(PARTITION, &key(&next.target)).await? {
                Some((current, etag)) => {
                    let stored: TargetHealth = parse_json(&current)?;
                    if stored.version + 1 == next.version {
                        table.replace(&item, Some(&etag)).await?
                    } else {
                        Write::Lost
                    }
                }
                None => Write::Lost,
            }
        };
        Ok(write == Write::Done)
    }
}
