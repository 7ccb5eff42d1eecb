//! `[queue]`: where queued deliveries wait. Without the section, the SQLite store's own file
//! holds them (`regrelay serve`'s default) and a memory store keeps them in memory; the cloud
//! shells name their platform's queue (`azure_queue` for the Function App's storage account,
//! `sqs` for Lambda).

use serde::Deserialize;

use crate::common::ConfigError;
use crate::common::secret::{self, Env, Secret};
use crate::store::config::{AwsCredentials, StoreConfig};

/// Default Storage queue name (the Bicep's `REGRELAY_QUEUE` default).
pub const DEFAULT_AZURE_QUEUE: &str = "regrelay-deliveries";
/// Default number of receives after which the platform moves a message to its dead-letter
/// queue (host.json `maxDequeueCount`, the SQS redrive policy's `maxReceiveCount`).
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

/// `[queue]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// `local`, `azure_queue` or `sqs`.
    pub kind: Option<String>,
    /// Azure: the storage connection string, e.g. `${env:AzureWebJobsStorage}`.
    pub connection_string: Option<String>,
    /// Azure: queue name (default `regrelay-deliveries`).
    pub name: Option<String>,
    /// SQS: the queue URL, e.g. `${env:REGRELAY_QUEUE_URL}`.
    pub url: Option<String>,
    /// SQS: region (default `AWS_REGION`).
    pub region: Option<String>,
    /// SQS: endpoint override, for local testing.
    pub endpoint: Option<String>,
    /// Receives after which the platform dead-letters a message (default 5); must match
    /// host.json's `maxDequeueCount` or the redrive policy's `maxReceiveCount`.
    pub max_receives: Option<u32>,
}

/// Where queued deliveries wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueConfig {
    /// In memory, beside a memory store (lost on restart).
    Memory,
    /// A `work` table in the SQLite store's file.
    Sqlite {
        /// The file.
        path: String,
    },
    /// An Azure Storage queue.
    AzureQueue {
        /// The storage connection string.
        connection_string: Secret,
        /// Queue name.
        name: String,
        /// The host's `maxDequeueCount`.
        max_receives: u32,
    },
    /// An Amazon SQS queue.
    Sqs {
        /// Queue URL.
        url: String,
        /// Region.
        region: String,
        /// Endpoint override.
        endpoint: Option<String>,
        /// Credentials from the environment.
        credentials: Option<AwsCredentials>,
        /// The redrive policy's `maxReceiveCount`.
        max_receives: u32,
    },
}

impl QueueConfig {
    /// The local queue beside `store`, when it has one (SQLite file or memory).
    pub fn beside(store: &StoreConfig) -> Option<QueueConfig> {
        match store {
            StoreConfig::Memory { .. } => Some(QueueConfig::Memory),
            StoreConfig::Sqlite { path } => Some(QueueConfig::Sqlite { path: path.clone() }),
            _ => None,
        }
    }

    /// Whether a worker in this process polls it (`regrelay serve`), rather than the platform
    /// pushing its messages to a function.
    pub fn is_local(&self) -> bool {
        matches!(self, QueueConfig::Memory | QueueConfig::Sqlite { .. })
    }

    /// Receives after which the platform dead-letters a message (local queues: never).
    pub fn max_receives(&self) -> Option<u32> {
        match self {
            QueueConfig::AzureQueue { max_receives, .. }
            | QueueConfig::Sqs { max_receives, .. } => Some(*max_receives),
            _ => None,
        }
    }
}

/// The `[queue]` section as written: `None` when absent (the store's own queue, if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueChoice {
    /// No `[queue]`, or `kind = "local"`: the queue beside the store.
    Local,
    /// A platform queue.
    Remote(QueueConfig),
}

impl RawQueue {
    /// Validates `[queue]`.
    pub(crate) fn build(&self, env: &dyn Env) -> Result<QueueChoice, ConfigError> {
        let expand = |value: &Option<String>, key: &str| {
            value
                .as_deref()
                .map(|v| secret::expand(v, key, env))
                .transpose()
        };
        let max_receives = match self.max_receives {
            Some(0) => {
                return Err(ConfigError::invalid(
                    "queue.max_receives",
                    "must be positive",
                ));
            }
            Some(n) => n,
            None => DEFAULT_MAX_RECEIVES,
        };
        let required = |value: Option<String>, key: &str, example: &str| {
            value.filter(|v| !v.is_empty()).ok_or_else(|| {
                ConfigError::invalid(
                    key,
                    format!("is required for this kind (e.g. \"{example}\")"),
                )
            })
        };
        match self.kind.as_deref().unwrap_or("local") {
            "local" => Ok(QueueChoice::Local),
            "azure_queue" => {
                let connection_string = required(
                    expand(&self.connection_string, "queue.connection_string")?,
                    "queue.connection_string",
                    "${env:AzureWebJobsStorage}",
                )?;
                let name = expand(&self.name, "queue.name")?
                    .unwrap_or_else(|| DEFAULT_AZURE_QUEUE.to_owned());
                if !valid_queue_name(&name) {
                    return Err(ConfigError::invalid(
                        "queue.name",
                        format!(
                            "'{name}' is not a queue name (3-63 lowercase letters, digits and single hyphens)"
                        ),
                    ));
                }
                Ok(QueueChoice::Remote(QueueConfig::AzureQueue {
                    connection_string: Secret::new(connection_string),
                    name,
                    max_receives,
                }))
            }
            "sqs" => {
                let url = required(
                    expand(&self.url, "queue.url")?,
                    "queue.url",
                    "${env:REGRELAY_QUEUE_URL}",
                )?;
                if !url.starts_with("https://") && !url.starts_with("http://") {
                    return Err(ConfigError::invalid("queue.url", "is not an http(s) URL"));
                }
                let region = match expand(&self.region, "queue.region")? {
                    Some(region) => region,
                    None => required(env.var("AWS_REGION"), "queue.region", "us-east-1")?,
                };
                Ok(QueueChoice::Remote(QueueConfig::Sqs {
                    url,
                    region,
                    endpoint: expand(&self.endpoint, "queue.endpoint")?,
                    credentials: AwsCredentials::from_env(env),
                    max_receives,
                }))
            }
            other => Err(ConfigError::invalid(
                "queue.kind",
                format!("'{other}' is not local, azure_queue or sqs"),
            )),
        }
    }
}

/// Storage queue names: 3–63 lowercase letters, digits and hyphens, no leading, trailing or
/// double hyphen.
fn valid_queue_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_follow_the_service_rules() {
        assert!(valid_queue_name("regrelay-deliveries"));
        for bad in ["ab", "Upper", "-a-b", "a--b", "a-", "a_b"] {
            assert!(!valid_queue_name(bad), "{bad}");
        }
    }
}
