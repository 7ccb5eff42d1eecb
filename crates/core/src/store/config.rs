//! `[store]`: which backend keeps history and the delivery ledger, and how to reach it.
//!
//! Remote backends read their credentials here, once, through [`Env`]: the Azure connection string
//! as written (usually `${env:AzureWebJobsStorage}`) and the AWS keys Lambda puts in the
//! environment. All of them are [`Secret`]s from then on.

use std::time::Duration;

use serde::Deserialize;

use crate::common::ConfigError;
use crate::common::secret::{self, Env, Secret};

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
    /// Memory store: most events kept, the oldest evicted (default 2000).
    pub max_events: Option<usize>,
}

/// Default Azure table (the `REGRELAY_TABLE` app setting's default in the Bicep).
pub const DEFAULT_AZURE_TABLE: &str = "regrelay";

/// Where history and the delivery ledger live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// In memory: lost on restart, at most `max_events` events kept (oldest evicted).
    Memory {
        /// Events (and receptions) kept.
        max_events: usize,
        /// Whether the config asked for it (`kind = "memory"`), rather than naming no store:
        /// `regrelay serve` then uses SQLite, and the cloud shells refuse to start.
        explicit: bool,
    },
    /// A SQLite file.
    Sqlite {
        /// File path.
        path: String,
    },
    /// An Azure Table Storage table (the Function App's own storage account).
    AzureTable {
        /// The storage connection string (holds the account key).
        connection_string: Secret,
        /// Table name.
        table: String,
    },
    /// An AWS DynamoDB table with partition key `pk` (S), sort key `sk` (S), TTL on `expires_at`.
    DynamoDb {
        /// Table name.
        table: String,
        /// AWS region.
        region: String,
        /// Endpoint override (local testing); default `https://dynamodb.<region>.amazonaws.com`.
        endpoint: Option<String>,
        /// Credentials from the environment, when set.
        credentials: Option<AwsCredentials>,
        /// How long items live before DynamoDB's TTL removes them (the history retention).
        retention: Duration,
    },
}

/// AWS credentials as Lambda provides them (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// Access key id (not secret on its own, but kept out of logs all the same).
    pub access_key_id: Secret,
    /// Secret access key.
    pub secret_access_key: Secret,
    /// Session token of temporary credentials.
    pub session_token: Option<Secret>,
}

impl AwsCredentials {
    /// Reads the standard variables; `None` unless both keys are set.
    pub fn from_env(env: &dyn Env) -> Option<Self> {
        let access_key_id = env.var("AWS_ACCESS_KEY_ID").filter(|v| !v.is_empty())?;
        let secret_access_key = env.var("AWS_SECRET_ACCESS_KEY").filter(|v| !v.is_empty())?;
        Some(AwsCredentials {
            access_key_id: Secret::new(access_key_id),
            secret_access_key: Secret::new(secret_access_key),
            session_token: env
                .var("AWS_SESSION_TOKEN")
                .filter(|v| !v.is_empty())
                .map(Secret::new),
        })
    }
}

impl RawStore {
    /// Validates `[store]`; `retention` is the already parsed `store.retention`.
    pub(crate) fn build(
        &self,
        env: &dyn Env,
        retention: Duration,
    ) -> Result<StoreConfig, ConfigError> {
        let kind = self.kind.as_deref().unwrap_or("memory");
        if self.max_events.is_some() && kind != "memory" {
            return Err(ConfigError::invalid(
                "store.max_events",
                format!("does not apply to kind = \"{kind}\""),
            ));
        }
        let expand = |value: &Option<String>, key: &str| {
            value
                .as_deref()
                .map(|v| secret::expand(v, key, env))
                .transpose()
        };
        let only = |allowed: &[&str]| self.reject_other_keys(kind, allowed);
        match kind {
            "memory" => {
                only(&[])?;
                let max_events = self
                    .max_events
                    .unwrap_or(crate::store::memory::DEFAULT_MAX_EVENTS);
                if max_events == 0 {
                    return Err(ConfigError::invalid("store.max_events", "must be positive"));
                }
                Ok(StoreConfig::Memory {
                    max_events,
                    explicit: self.kind.is_some(),
                })
            }
            "sqlite" => {
                only(&["path"])?;
                Ok(StoreConfig::Sqlite {
                    path: expand(&self.path, "store.path")?.unwrap_or_else(|| "regrelay.db".into()),
                })
            }
            "azure_table" => {
                only(&["connection_string", "table"])?;
                let connection_string = expand(&self.connection_string, "store.connection_string")?
                    .ok_or_else(|| {
                        ConfigError::invalid(
                            "store.connection_string",
                            "is required for kind = \"azure_table\" (e.g. \"${env:AzureWebJobsStorage}\")",
                        )
                    })?;
                let table = expand(&self.table, "store.table")?
                    .unwrap_or_else(|| DEFAULT_AZURE_TABLE.into());
                if !valid_azure_table(&table) {
                    return Err(ConfigError::invalid(
                        "store.table",
                        format!(
                            "'{table}' is not a table name (3-63 letters and digits, starting with a letter)"
                        ),
                    ));
                }
                Ok(StoreConfig::AzureTable {
                    connection_string: Secret::new(connection_string),
                    table,
                })
            }
            "dynamodb" => {
                only(&["table", "region", "endpoint"])?;
                let table = expand(&self.table, "store.table")?
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        ConfigError::invalid(
                            "store.table",
                            "is required for kind = \"dynamodb\" (e.g. \"${env:REGRELAY_DYNAMODB_TABLE}\")",
                        )
                    })?;
                let region = match expand(&self.region, "store.region")? {
                    Some(region) => region,
                    None => env
                        .var("AWS_REGION")
                        .filter(|r| !r.is_empty())
                        .ok_or_else(|| {
                            ConfigError::invalid(
                                "store.region",
                                "is not set and neither is AWS_REGION",
                            )
                        })?,
                };
                Ok(StoreConfig::DynamoDb {
                    table,
                    region,
                    endpoint: expand(&self.endpoint, "store.endpoint")?,
                    credentials: AwsCredentials::from_env(env),
                    retention,
                })
            }
            other => Err(ConfigError::invalid(
                "store.kind",
                format!("'{other}' is not memory, sqlite, azure_table or dynamodb"),
            )),
        }
    }

    /// Keys that belong to another kind are mistakes, like unknown keys.
    fn reject_other_keys(&self, kind: &str, allowed: &[&str]) -> Result<(), ConfigError> {
        let set = [
            ("path", self.path.is_some()),
            ("connection_string", self.connection_string.is_some()),
            ("table", self.table.is_some()),
            ("region", self.region.is_some()),
            ("endpoint", self.endpoint.is_some()),
        ];
        match set.iter().find(|(key, on)| *on && !allowed.contains(key)) {
            Some((key, _)) => Err(ConfigError::invalid(
                format!("store.{key}"),
                format!("does not apply to kind = \"{kind}\""),
            )),
            None => Ok(()),
        }
    }
}

/// Table names: 3–63 alphanumerics, starting with a letter.
fn valid_azure_table(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}
