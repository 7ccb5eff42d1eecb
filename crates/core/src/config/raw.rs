//! The config file as operators write it (TOML), before validation. Unknown keys are errors, so a
//! typo never silently disables a setting.

use serde::Deserialize;

pub use super::rules::RawRule;
pub use super::targets::{RawTarget, RawTargetKind};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `[server]`: listener and limits.
    #[serde(default)]
    pub server: RawServer,
    /// `[inbound]`: how senders are authenticated and handshaken.
    #[serde(default)]
    pub inbound: RawInbound,
    /// `[store]`: where history and the delivery ledger live.
    #[serde(default)]
    pub store: RawStore,
    /// `[delivery]`: retries inside one invocation.
    #[serde(default)]
    pub delivery: RawDelivery,
    /// `[[targets]]`: where events can go.
    #[serde(default)]
    pub targets: Vec<RawTarget>,
    /// `[[rules]]`: which events go where.
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// Address for `regrelay serve` (overridden by `--listen`), default `127.0.0.1:8080`.
    pub listen: Option<String>,
    /// Largest accepted request body in bytes (default 1 MiB); larger bodies get 413.
    pub max_body_bytes: Option<usize>,
    /// Time a client has to send its request line and headers (default `10s`).
    pub header_timeout: Option<String>,
    /// Time a client has to send the whole body (default `30s`); slower bodies get 408.
    pub body_timeout: Option<String>,
}

/// `[inbound]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInbound {
    /// Shared secret senders must present as `Authorization: Bearer <secret>` or
    /// `?access_token=<secret>`; comma-separated values are all accepted (rotation).
    pub secret: Option<String>,
    /// Origins allowed in the CloudEvents webhook handshake; default `["eventgrid.azure.net"]`.
    pub allowed_origins: Option<Vec<String>>,
    /// Rate granted in the handshake: `*` (default) or requests per minute.
    pub allowed_rate: Option<String>,
    /// Hosts SNS certificate and `SubscribeURL` fetches may go to; `*` stands for one DNS label.
    /// `{region}` stands for one AWS region id. Default `["sns.{region}.amazonaws.com",
    /// "sns.{region}.amazonaws.com.cn"]`.
    pub sns_allowed_hosts: Option<Vec<String>>,
    /// Verify SNS message signatures (default `true`).
    pub sns_verify_signatures: Option<bool>,
    /// Verify Alibaba Cloud EventBridge HTTP target signatures (default `false`); requests with
    /// Alibaba EventBridge events and no signature are then refused.
    pub alibaba_verify_signatures: Option<bool>,
    /// Regions whose EventBridge sends here: their certificate hosts are allowed.
    pub alibaba_regions: Option<Vec<String>>,
    /// Further certificate hosts (`*` = one DNS label), e.g. a loopback test server.
    pub alibaba_cert_hosts: Option<Vec<String>>,
    /// Token set on the EventBridge target; requests must be signed with it. Implies verification.
    pub alibaba_signature_token: Option<String>,
    /// Secret for reading history (`GET /api/events/{id}`), distinct from the senders' `secret`;
    /// comma-separated values are all accepted (rotation).
    pub read_secret: Option<String>,
    /// Most registry events accepted in one request (default 1000); more get 413.
    pub max_events: Option<usize>,
    /// SNS topic ARNs (`*` = any run of characters within one ARN field) whose messages are
    /// accepted and whose subscriptions are confirmed. Required for SNS traffic: without it every
    /// SNS message gets 403. An entry may be `${env:NAME}` holding a comma-separated list.
    pub sns_topics: Option<Vec<String>>,
    /// Oldest SNS message accepted, by its `Timestamp` (default `1h`).
    pub sns_max_age: Option<String>,
    /// Trust `X-Forwarded-Proto`/`X-Forwarded-Host` (default false): only behind a proxy that
    /// sets them itself, for the URL Alibaba EventBridge signatures cover.
    pub trust_forwarded_headers: Option<bool>,
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    /// `memory`, `sqlite`, `azure_table` or `dynamodb`. Unset: `regrelay serve` uses SQLite
    /// (`regrelay.db`), the cloud shells refuse to start, the library keeps a bounded memory store.
    pub kind: Option<String>,
    /// SQLite file path (default `regrelay.db`).
    pub path: Option<String>,
    /// Azure: the storage connection string, e.g. `${env:AzureWebJobsStorage}`.
    pub connection_string: Option<String>,
    /// Azure: table name (default `regrelay`); DynamoDB: table name (required), e.g.
    /// `${env:REGRELAY_DYNAMODB_TABLE}`.
    pub table: Option<String>,
    /// DynamoDB: AWS region (default: `AWS_REGION`).
    pub region: Option<String>,
    /// DynamoDB: endpoint override, for local testing (default: the region's AWS endpoint).
    pub endpoint: Option<String>,
    /// How long history is kept, e.g. `3d` (default, as in the Alibaba console).
    pub retention: Option<String>,
    /// Whether each reception record keeps the request body as text (default false).
    pub keep_payloads: Option<bool>,
    /// Memory store: most events kept, the oldest evicted (default 10000).
    pub max_events: Option<usize>,
}

/// `[delivery]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    /// Attempts per (event, target) within one inbound request (default 3).
    pub attempts: Option<u32>,
    /// First retry delay, doubled each time with jitter (default `500ms`).
    pub backoff: Option<String>,
    /// Time budget for all attempts of one request (default `20s`; Event Grid waits 30 s).
    pub budget: Option<String>,
    /// Deliveries one request runs at once (default 32).
    pub concurrency: Option<usize>,
    /// Deliveries one target receives at once, across all requests of a process (default 16).
    pub target_concurrency: Option<usize>,
}
