//! Target health in DynamoDB: partition `~health`, one item per target (`sk` = its name) with
//! the record as JSON and its `version`; a write is a `PutItem` conditional on the version
//! before (or on no item, for version 1).

use serde_json::{Value, json};

use super::DynamoDbStore;
use super::client::CallError;
use super::item::{get_s, n, s};
use crate::store::StoreError;
use crate::store::model::TargetHealth;

/// Partition of the health items.
const PARTITION: &str = "~health";

fn parse(item: &Value) -> Result<TargetHealth, StoreError> {
    Ok(serde_json::from_str(get_s(item, "json").unwrap_or("null"))?)
}

impl DynamoDbStore {
    pub(crate) async fn healths(&self) -> Result<Vec<TargetHealth>, StoreError> {
        let items = self
            .client
            .query_all(json!({
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": { ":pk": s(PARTITION) },
                "ConsistentRead": true
            }))
            .await?;
        items.iter().map(parse).collect()
    }

    pub(crate) async fn health(&self, target: &str) -> Result<Option<TargetHealth>, StoreError> {
        let body = json!({
            "TableName": self.table,
            "Key": { "pk": s(PARTITION), "sk": s(target) },
            "ConsistentRead": true
        });
        let reply = self
            .client
            .call("GetItem", &body)
            .await
            .map_err(StoreError::from)?;
        reply.get("Item").map(parse).transpose()
    }

    pub(crate) async fn swap_health(&self, next: &TargetHealth) -> Result<bool, StoreError> {
        let version = i64::try_from(next.version).unwrap_or(i64::MAX);
        let mut body = json!({
            "TableName": self.table,
            "Item": {
                "pk": s(PARTITION), "sk": s(&next.target), "version": n(version),
                "json": s(&serde_json::to_string(next)?)
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        });
        if version > 1 {
            body["ConditionExpression"] = "version = :before".into();
            body["ExpressionAttributeValues"] = json!({ ":before": n(version - 1) });
        }
        match self.client.call("PutItem", &body).await {
            Ok(_) => Ok(true),
            Err(CallError::ConditionFailed(_)) => Ok(false),
            Err(CallError::Store(error)) => Err(error),
        }
    }
}
