//! Target health records ([`TargetHealth`]): read by the delivery stage before each attempt and
//! by the console, written only conditionally, one version at a time, so instances sharing a
//! store agree on when a target paused and resumed.

use super::model::TargetHealth;
use super::{Store, StoreError};

impl Store {
    /// The health of every target that has a record.
    pub async fn healths(&self) -> Result<Vec<TargetHealth>, StoreError> {
        let mut all = match self {
            Store::Memory(s) => s.healths(),
            #[cfg(feature = "sqlite")]
            Store::Sqlite(s) => s.healths(),
            #[cfg(feature = "azure")]
            Store::AzureTable(s) => s.healths().await,
            Store::DynamoDb(s) => s.healths().await,
        }?;
        all.sort_by(|a, b| a.target.cmp(&b.target));
        Ok(all)
    }

    /// One target's health (a fresh default record when there is none).
    pub async fn health(&self, target: &str) -> Result<TargetHealth, StoreError> {
        let found = match self {
            Store::Memory(s) => s.health(target),
            #[cfg(feature = "sqlite")]
            Store::Sqlite(s) => s.health(target),
            #[cfg(feature = "azure")]
            Store::AzureTable(s) => s.health(target).await,
            Store::DynamoDb(s) => s.health(target).await,
        }?;
        Ok(found.unwrap_or_else(|| TargetHealth {
            target: target.to_owned(),
            ..TargetHealth::default()
        }))
    }

    /// Writes `next` if the stored record is still at `next.version - 1` (absent counts as 0);
    /// `false` when another writer got there first.
    pub async fn swap_health(&self, next: &TargetHealth) -> Result<bool, StoreError> {
        if next.version == 0 {
            return Err(StoreError::Backend(
                "a health write needs version 1 or more".into(),
            ));
        }
        match self {
            Store::Memory(s) => s.swap_health(next),
            #[cfg(feature = "sqlite")]
            Store::Sqlite(s) => s.swap_health(next).await,
            #[cfg(feature = "azure")]
            Store::AzureTable(s) => s.swap_health(next).await,
            Store::DynamoDb(s) => s.swap_health(next).await,
        }
    }
}
