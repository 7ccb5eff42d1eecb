//! An Amazon SQS queue over its JSON protocol (`X-Amz-Target: AmazonSQS.<Op>`, SigV4 service
//! `sqs`): send in batches of ten, each message delayed up to SQS's 15-minute limit, and — for
//! tests and draining — receive and delete.

use std::time::Duration;

use serde_json::{Value, json};

use crate::store::StoreError;
use crate::store::config::AwsCredentials;
use crate::store::dynamodb::client::Client;
use crate::store::remote::backend;

/// The longest SQS delays a message (15 minutes).
pub const MAX_DELAY: Duration = Duration::from_secs(900);
/// Entries per `SendMessageBatch`.
const BATCH: usize = 10;

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Message id.
    pub id: String,
    /// Receipt handle, for delete.
    pub receipt: String,
    /// The body.
    pub body: String,
    /// `ApproximateReceiveCount`.
    pub receive_count: u32,
}

/// One queue.
#[derive(Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    /// The queue at `url`; `endpoint` overrides the region's (local testing).
    pub fn open(
        url: &str,
        region: &str,
        endpoint: Option<&str>,
        credentials: Option<AwsCredentials>,
    ) -> Result<Self, StoreError> {
        let credentials = credentials.ok_or_else(|| {
            StoreError::Open(
                "sqs queue: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into(),
            )
        })?;
        let endpoint = endpoint
            .map(str::to_owned)
            .unwrap_or_else(|| format!("https://sqs.{region}.amazonaws.com"));
        Ok(SqsQueue {
            client: Client::for_service(&endpoint, region, credentials, "sqs", "AmazonSQS")?,
            url: url.to_owned(),
        })
    }

    /// Sends every message, each delayed (at most 15 minutes), ten per request.
    pub async fn send_batch(&self, messages: &[(String, Duration)]) -> Result<(), StoreError> {
        for chunk in messages.chunks(BATCH) {
            let entries: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, (body, delay))| {
                    json!({
                        "Id": i.to_string(),
                        "MessageBody": body,
                        "DelaySeconds": delay.min(&MAX_DELAY).as_secs(),
                    })
                })
                .collect();
            let body = json!({ "QueueUrl": self.url, "Entries": entries });
            let reply = self.client.call("SendMessageBatch", &body).await?;
            if let Some(Value::Array(failed)) = reply.get("Failed")
                && let Some(first) = failed.first()
            {
                let code = first.get("Code").and_then(Value::as_str).unwrap_or("");
                return Err(backend(format!(
                    "sqs SendMessageBatch: {} of {} failed ({code})",
                    failed.len(),
                    chunk.len()
                )));
            }
        }
        Ok(())
    }

    /// Receives up to `count` (1–10) messages, hidden for `hide`.
    pub async fn receive(&self, count: u8, hide: Duration) -> Result<Vec<Received>, StoreError> {
        let body = json!({
            "QueueUrl": self.url,
            "MaxNumberOfMessages": count.clamp(1, 10),
            "VisibilityTimeout": hide.as_secs(),
            "AttributeNames": ["ApproximateReceiveCount"],
        });
        let reply = self.client.call("ReceiveMessage", &body).await?;
        let Some(Value::Array(messages)) = reply.get("Messages") else {
            return Ok(Vec::new());
        };
        let text =
            |m: &Value, key: &str| m.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        Ok(messages
            .iter()
            .map(|m| Received {
                id: text(m, "MessageId"),
                receipt: text(m, "ReceiptHandle"),
                body: text(m, "Body"),
                receive_count: m
                    .pointer("/Attributes/ApproximateReceiveCount")
                    .and_then(Value::as_str)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
            })
            .collect())
    }

    /// Deletes a received message.
    pub async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        let body = json!({ "QueueUrl": self.url, "ReceiptHandle": receipt });
        self.client.call("DeleteMessage", &body).await?;
        Ok(())
    }

    /// `ApproximateNumberOfMessages` plus the delayed and in-flight ones.
    pub async fn approximate_count(&self) -> Result<u64, StoreError> {
        let body = json!({ "QueueUrl": self.url, "AttributeNames": ["All"] });
        let reply = self.client.call("GetQueueAttributes", &body).await?;
        let count = |key: &str| {
            reply
                .pointer(&format!("/Attributes/{key}"))
                .and_then(Value::as_str)
                .and_then(|c| c.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(count("ApproximateNumberOfMessages")
            + count("ApproximateNumberOfMessagesDelayed")
            + count("ApproximateNumberOfMessagesNotVisible"))
    }
}

/// One record of the event Lambda's SQS event source mapping invokes the function with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsRecord {
    /// `messageId`: what `batchItemFailures` names.
    pub message_id: String,
    /// The message body (a work item).
    pub body: String,
    /// `attributes.ApproximateReceiveCount`.
    pub receives: u32,
}

/// The records of an SQS event (`{"Records": [{"eventSource": "aws:sqs", …}]}`), or `None` when
/// `body` is not one.
pub fn parse_event(body: &[u8]) -> Option<Vec<SqsRecord>> {
    #[derive(serde::Deserialize)]
    struct Event {
        #[serde(rename = "Records")]
        records: Vec<Record>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Record {
        event_source: String,
        message_id: String,
        #[serde(default)]
        body: String,
        #[serde(default)]
        attributes: std::collections::HashMap<String, Value>,
    }
    let event: Event = serde_json::from_slice(body).ok()?;
    if event.records.is_empty() || event.records.iter().any(|r| r.event_source != "aws:sqs") {
        return None;
    }
    Some(
        event
            .records
            .into_iter()
            .map(|r| SqsRecord {
                receives: r
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(Value::as_str)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
                message_id: r.message_id,
                body: r.body,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_events_are_recognised_and_others_are_not() {
        let event = br#"{"Records":[{"messageId":"m1","receiptHandle":"r","body":"{}","attributes":{"ApproximateReceiveCount":"3"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:q","awsRegion":"us-east-1"}]}"#;
        let records = parse_event(event).unwrap();
        assert_eq!(records[0].message_id, "m1");
        assert_eq!(records[0].receives, 3);
        assert!(parse_event(br#"{"Records":[{"EventSource":"aws:sns","Sns":{}}]}"#).is_none());
        assert!(parse_event(br#"{"Records":[]}"#).is_none());
        assert!(parse_event(b"[1,2]").is_none());
    }
}
