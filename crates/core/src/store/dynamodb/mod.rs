//! The DynamoDB store: history and the ledger in the table Terraform creates (`pk`/`sk` strings,
//! TTL on `expires_at`), over DynamoDB's JSON API.
//!
//! Why not `aws-sdk-dynamodb`: it brings its own HTTP and TLS stack (hyper, aws-smithy runtime,
//! a second rustls configuration) and several MB of code into a Lambda zip whose budget is 2 MB.
//! The six operations used here are plain JSON POSTs; SigV4 ([`sigv4`]) is eighty lines and is
//! tested against AWS's published test suite.
//!
//! Claims are one conditional `UpdateItem`: it sets the lease only if the pair is absent, or not
//! finished and not leased by someone else. When the condition fails, the old item (returned with
//! the failure, or read) tells Delivered, DeadLettered and Busy apart. See [`item`] for the keys.

pub(crate) mod client;
mod health;
mod item;
mod ledger;
mod read;
mod sigv4;
mod slots;

use std::time::Duration;

use client::{CallError, Client};
use item::{EVENT_SK, get_s, key, n, s};
use serde_json::{Value, json};

use super::remote::from_json;
use super::{EventRecord, PairState, Reception, StoreError};
use crate::store::config::StoreConfig;

/// A store in one DynamoDB table.
#[derive(Debug)]
pub struct DynamoDbStore {
    client: Client,
    table: String,
    retention: Duration,
}

impl DynamoDbStore {
    /// Prepares the client for a `kind = "dynamodb"` config; needs AWS credentials.
    pub fn open(config: &StoreConfig) -> Result<Self, StoreError> {
        let StoreConfig::DynamoDb {
            table,
            region,
            endpoint,
            credentials,
            retention,
        } = config
        else {
            return Err(StoreError::Open("not a dynamodb store config".into()));
        };
        let credentials = credentials.clone().ok_or_else(|| {
            StoreError::Open(
                "dynamodb store: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into(),
            )
        })?;
        let endpoint = endpoint
            .clone()
            .unwrap_or_else(|| format!("https://dynamodb.{region}.amazonaws.com"));
        Ok(DynamoDbStore {
            client: Client::new(&endpoint, region, credentials)?,
            table: table.clone(),
            retention: *retention,
        })
    }

    /// Creates the table (on-demand, `pk`/`sk`) unless it exists: for local runs and tests; in
    /// AWS, Terraform creates it (with TTL and point-in-time recovery).
    pub async fn create_table(&self) -> Result<(), StoreError> {
        self.client.create_table(&self.table).await
    }

    fn expiry(&self, received_at: &str) -> i64 {
        item::expires_at(received_at, self.retention)
    }

    fn expiry_from_now(&self) -> i64 {
        let now = chrono::Utc::now().to_rfc3339();
        self.expiry(&now)
    }

    async fn put(&self, item: Value) -> Result<(), StoreError> {
        let body = json!({ "TableName": self.table, "Item": item });
        self.client.call("PutItem", &body).await.map(|_| ())?;
        Ok(())
    }

    pub(crate) async fn record_reception(&self, reception: &Reception) -> Result<(), StoreError> {
        let json = item::reception_json(reception)?;
        let expires = self.expiry(&reception.received_at);
        let pks: Vec<String> = if reception.event_ids.is_empty() {
            vec![item::orphan_pk(&reception.id)]
        } else {
            reception.event_ids.clone()
        };
        for pk in pks {
            self.put(json!({
                "pk": s(&pk), "sk": s(&item::reception_sk(&reception.id)), "json": s(&json),
                "received_at": s(&reception.received_at), "expires_at": n(expires)
            }))
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn record_event(&self, record: &EventRecord) -> Result<(), StoreError> {
        let id = &record.event.id;
        let (json, cut) = item::record_json(record)?;
        if cut {
            tracing::warn!(event_id = %id, "Stored the event with its raw body truncated to fit DynamoDB's 400 KB item limit.");
        }
        let expires = self.expiry(&record.received_at);
        let mut event = json!({
            "pk": s(id), "sk": s(EVENT_SK), "json": s(&json),
            "received_at": s(&record.received_at), "expires_at": n(expires)
        });
        if let Some(repository) = &record.event.repository {
            event["repository"] = s(repository);
        }
        // The first record of an event wins; a redelivery only adds its reception.
        let body = json!({
            "TableName": self.table, "Item": event,
            "ConditionExpression": "attribute_not_exists(pk)"
        });
        match self.client.call("PutItem", &body).await {
            Ok(_) => {
                let mut index = json!({
                    "pk": s(&item::day_pk(&record.received_at)),
                    "sk": s(&item::index_sk(&record.received_at, id)),
                    "event_id": s(id), "expires_at": n(expires)
                });
                if let Some(repository) = &record.event.repository {
                    index["repository"] = s(repository);
                }
                self.put(index).await?;
            }
            Err(CallError::ConditionFailed(_)) => {}
            Err(CallError::Store(e)) => return Err(e),
        }
        for target in &record.targets {
            let body = item::update(
                &self.table,
                id,
                &item::pair_sk(target),
                "SET #st = if_not_exists(#st, :pending), #at = if_not_exists(#at, :zero), #ex = if_not_exists(#ex, :exp)",
                vec![
                    (":pending", s("pending")),
                    (":zero", n(0)),
                    (":exp", n(expires)),
                ],
            );
            self.client.call("UpdateItem", &body).await?;
        }
        Ok(())
    }

    pub(crate) async fn pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<PairState>, StoreError> {
        Ok(self
            .get(event_id, &item::pair_sk(target))
            .await?
            .map(|i| item::pair_of(&i).0))
    }

    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Value>, StoreError> {
        let body = json!({ "TableName": self.table, "Key": key(pk, sk), "ConsistentRead": true });
        let reply = self.client.call("GetItem", &body).await?;
        Ok(reply.get("Item").filter(|i| !i.is_null()).cloned())
    }
}

/// The `json` attribute of an item, parsed.
fn parse_json<T: serde::de::DeserializeOwned>(item: &Value) -> Result<T, StoreError> {
    from_json(get_s(item, "json").unwrap_or("null"))
}
