//! The Azure Table Storage store: history and the ledger in a table of the Function App's own
//! storage account, over the REST API (no SDK: the workspace's reqwest client and our own Shared
//! Key Lite signing).
//!
//! One partition per event id (see [`entity`] for the keys). Claims use optimistic concurrency:
//! read the pair with its ETag, decide with [`decide_claim`], then insert (409: another instance
//! won) or replace with `If-Match` (412: it changed meanwhile), re-reading after a lost race.
//! Listing and purging filter on the `received_at` property (a scan; the table only holds the
//! retention window).

mod client;
mod entity;
mod health;
mod read;
pub(crate) mod sign;
mod slots;

use client::{TableClient, Write};
use entity::{EVENT_ROW, PairRow, key};

use super::remote::MAX_RACES;
use super::{Claim, DeliveryState, EventRecord, PairState, Reception, StoreError, decide_claim};
use crate::common::Attempt;
use crate::common::Secret;

/// A store in one Azure table.
#[derive(Debug)]
pub struct AzureTableStore {
    client: TableClient,
    /// Set once the table is known to exist (created on first use: opening is synchronous).
    ready: tokio::sync::OnceCell<()>,
}

impl AzureTableStore {
    /// Parses the connection string; the table is created on first use if missing.
    pub fn open(connection_string: &Secret, table: &str) -> Result<Self, StoreError> {
        let account = sign::Account::from_connection_string(connection_string)?;
        Ok(AzureTableStore {
            client: TableClient::new(account, table)?,
            ready: tokio::sync::OnceCell::new(),
        })
    }

    async fn table(&self) -> Result<&TableClient, StoreError> {
        self.ready
            .get_or_try_init(|| self.client.create_table())
            .await?;
        Ok(&self.client)
    }

    pub(crate) async fn record_reception(&self, reception: &Reception) -> Result<(), StoreError> {
        let table = self.table().await?;
        let properties = entity::reception_properties(reception)?;
        let row = entity::reception_row(&reception.id);
        let partitions: Vec<String> = if reception.event_ids.is_empty() {
            vec![entity::orphan_partition(&reception.id)]
        } else {
            reception.event_ids.iter().map(|id| key(id)).collect()
        };
        for pk in partitions {
            let item = entity::entity(&pk, &row, properties.clone());
            table.replace(&item, None).await?;
        }
        Ok(())
    }

    pub(crate) async fn record_event(&self, record: &EventRecord) -> Result<(), StoreError> {
        let table = self.table().await?;
        let pk = key(&record.event.id);
        let (properties, cut) = entity::event_properties(record)?;
        if cut {
            tracing::warn!(event_id = %record.event.id, "Stored the event with its raw body truncated to fit Table Storage's 64 KiB property limit.");
        }
        // The first record of an event wins; a redelivery only adds its reception.
        table
            .insert(&entity::entity(&pk, EVENT_ROW, properties))
            .await?;
        for target in &record.targets {
            let row = PairRow::pending(target);
            let item = entity::entity(&pk, &entity::pair_row(target), row.properties());
            table.insert(&item).await?;
        }
        Ok(())
    }

    pub(crate) async fn pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<PairState>, StoreError> {
        let table = self.table().await?;
        let found = table.get(&key(event_id), &entity::pair_row(target)).await?;
        Ok(found.map(|(e, _)| PairRow::parse(target, &e).pair))
    }

    pub(crate) async fn claim(
        &self,
        event_id: &str,
        target: &str,
        now: i64,
        until: i64,
    ) -> Result<Claim, StoreError> {
        self.update_pair(event_id, target, |row| {
            let existing = row.as_ref().map(|r| &r.pair);
            if let Some(claim) =
                decide_claim(existing, row.as_ref().and_then(|r| r.lease_until), now)
            {
                return Err(claim);
            }
            let mut next = row.unwrap_or_else(|| PairRow::pending(target));
            next.lease_until = Some(until);
            Ok(next)
        })
        .await
        .map(|outcome| match outcome {
            Ok(row) => Claim::Acquired {
                attempts: row.pair.attempts,
                token: until,
            },
            Err(claim) => claim,
        })
    }

    pub(crate) async fn record_attempt(
        &self,
        event_id: &str,
        attempt: &Attempt,
        state: DeliveryState,
        release: bool,
        fence: Option<i64>,
    ) -> Result<bool, StoreError> {
        let written = self
            .update_pair(event_id, &attempt.target, |row| {
                if fence
                    .is_some_and(|token| row.as_ref().and_then(|r| r.lease_until) != Some(token))
                {
                    // A newer claim owns the pair; this late attempt is only logged.
                    return Err(());
                }
                let mut next = row.unwrap_or_else(|| PairRow::pending(&attempt.target));
                next.pair.attempts += 1;
                next.pair.state = state;
                next.pair.reason.clone_from(&attempt.error);
                if release {
                    next.lease_until = None;
                }
                Ok::<_, ()>(next)
            })
            .await?;
        let Ok(row) = written else {
            tracing::warn!(target = %attempt.target, "A late attempt from an expired claim was not recorded.");
            return Ok(false);
        };
        let item = entity::entity(
            &key(event_id),
            &entity::attempt_row(&attempt.target, row.pair.attempts),
            entity::json_properties(attempt, &attempt.started_at)?,
        );
        self.table().await?.replace(&item, None).await.map(|_| true)
    }

    pub(crate) async fn set_state(
        &self,
        event_id: &str,
        target: &str,
        state: DeliveryState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.update_pair(event_id, target, |row| {
            let mut next = row.unwrap_or_else(|| PairRow::pending(target));
            next.pair.state = state;
            next.pair.reason = reason.map(str::to_owned);
            next.lease_until = None;
            Ok::<_, ()>(next)
        })
        .await
        .map(|_| ())
    }

    /// Read, decide, write-if-unchanged; again after a lost race. `decide` returns the new row,
    /// or `Err` to stop without writing.
    async fn update_pair<E>(
        &self,
        event_id: &str,
        target: &str,
        mut decide: impl FnMut(Option<PairRow>) -> Result<PairRow, E>,
    ) -> Result<Result<PairRow, E>, StoreError> {
        let table = self.table().await?;
        let (pk, rk) = (key(event_id), entity::pair_row(target));
        for _ in 0..MAX_RACES {
            let found = table.get(&pk, &rk).await?;
            let current = found.as_ref().map(|(e, _)| PairRow::parse(target, e));
            let next = match decide(current) {
                Ok(next) => next,
                Err(stop) => return Ok(Err(stop)),
            };
            let item = entity::entity(&pk, &rk, next.properties());
            let write = match &found {
                Some((_, etag)) => table.replace(&item, Some(etag)).await?,
                None => table.insert(&item).await?,
            };
            if write == Write::Done {
                return Ok(Ok(next));
            }
        }
        Err(StoreError::Backend(format!(
            "pair ({event_id}, {target}) kept changing: gave up after {MAX_RACES} tries"
        )))
    }
}

/// A value inside an OData string literal.
fn odata(text: &str) -> String {
    text.replace('\'', "''")
}
