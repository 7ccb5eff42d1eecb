//! Configuration: the TOML file operators write ([`RawConfig`]) and the validated, compiled form
//! the pipeline runs on ([`Config`]), built once at start.
//!
//! Errors name the key at fault (`rules[1].notifications[0]: …`). Secrets are written as
//! `${env:NAME}` and substituted at load; they are [`Secret`]s from then on.

pub mod duration;
pub mod raw;
pub mod rules;
pub mod secret;
pub mod store;
pub mod targets;

use std::collections::HashMap;
use std::time::Duration;

pub use raw::RawConfig;
pub use secret::{Env, ProcessEnv, Secret};
pub use store::{AwsCredentials, StoreConfig};

use crate::dispatch::Target;
use crate::filter::Rule;

/// Default cap on request bodies: Event Grid's own 1 MB limit on a batch, with room for headers.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default per-attempt timeout for targets.
pub const DEFAULT_TARGET_TIMEOUT: Duration = Duration::from_secs(10);
/// Default history retention: three days, as the Alibaba console keeps events.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3 * 86_400);
/// Longest history retention accepted.
pub const MAX_RETENTION: Duration = Duration::from_secs(3650 * 86_400);
/// Longest delivery budget, backoff or SNS message age accepted: a day.
pub const MAX_CONFIG_WAIT: Duration = Duration::from_secs(86_400);
/// Default origin allowed in the CloudEvents webhook handshake.
pub const DEFAULT_ALLOWED_ORIGIN: &str = "eventgrid.azure.net";
/// Default host patterns SNS certificates and subscription URLs may come from (`{region}` is one
/// AWS region id, e.g. `us-east-1`, `cn-north-1`, `us-gov-west-1`).
pub const DEFAULT_SNS_HOSTS: [&str; 2] = [
    "sns.{region}.amazonaws.com",
    "sns.{region}.amazonaws.com.cn",
];
/// Default oldest SNS message accepted.
pub const DEFAULT_SNS_MAX_AGE: Duration = Duration::from_secs(3600);
/// Default cap on registry events in one request.
pub const DEFAULT_MAX_EVENTS: usize = 1000;

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not parse or does not fit the schema.
    #[error("config is not valid: {0}")]
    Toml(String),
    /// A value is invalid.
    #[error("{key}: {message}")]
    Invalid {
        /// The key, e.g. `targets[0].url`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl ConfigError {
    /// An invalid-value error.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Inbound settings.
    pub inbound: Inbound,
    /// Targets, in file order.
    pub targets: Vec<Target>,
    /// Rules, in file order.
    pub rules: Vec<Rule>,
    /// Store settings.
    pub store: StoreConfig,
    /// How long history is kept.
    pub retention: Duration,
    /// Whether reception records keep the request body (`store.keep_payloads`).
    pub keep_payloads: bool,
    /// Retry policy inside one invocation.
    pub delivery: DeliveryPolicy,
    /// Limits of the long-running HTTP servers.
    pub server: ServerLimits,
}

/// Limits of the long-running HTTP servers (`regrelay serve`, the Azure handler), against
/// clients that hold connections open by sending slowly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time to send the request line and headers.
    pub header_timeout: Duration,
    /// Time to send the whole body.
    pub body_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

impl raw::RawServer {
    fn build(&self) -> Result<ServerLimits, ConfigError> {
        let default = ServerLimits::default();
        let parse = |text: &Option<String>, key: &str, fallback: Duration| match text {
            Some(t) => match duration::parse(t) {
                Ok(d) if d.is_zero() || d > Duration::from_secs(600) => {
                    Err(ConfigError::invalid(key, "must be between 1ms and 10m"))
                }
                Ok(d) => Ok(d),
                Err(m) => Err(ConfigError::invalid(key, m)),
            },
            None => Ok(fallback),
        };
        Ok(ServerLimits {
            header_timeout: parse(
                &self.header_timeout,
                "server.header_timeout",
                default.header_timeout,
            )?,
            body_timeout: parse(
                &self.body_timeout,
                "server.body_timeout",
                default.body_timeout,
            )?,
        })
    }
}

/// Retries inside one inbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts per (event, target).
    pub attempts: u32,
    /// First retry delay.
    pub backoff: Duration,
    /// Time budget for the whole request's deliveries.
    pub budget: Duration,
    /// Deliveries one request runs at once.
    pub concurrency: usize,
    /// Deliveries one target receives at once, across the process.
    pub target_concurrency: usize,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(500),
            budget: Duration::from_secs(20),
            concurrency: 32,
            target_concurrency: 16,
        }
    }
}

/// How requests are accepted.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Shared secrets, any of which authorizes a request (several during rotation). Empty: no check.
    pub secrets: Vec<Secret>,
    /// Secrets for reading history. Empty: history is readable only when `secrets` is empty too.
    pub read_secrets: Vec<Secret>,
    /// Most registry events accepted in one request.
    pub max_events: usize,
    /// Origins allowed in the CloudEvents webhook handshake (`*` allows any).
    pub allowed_origins: Vec<String>,
    /// `WebHook-Allowed-Rate` to grant (`*` or requests per minute).
    pub allowed_rate: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Amazon SNS: signature checks and where certificates and confirmations may be fetched.
    pub sns: SnsInbound,
    /// Alibaba Cloud EventBridge signature checks.
    pub alibaba: AlibabaInbound,
}

/// Alibaba Cloud EventBridge signature settings.
#[derive(Debug, Clone, Default)]
pub struct AlibabaInbound {
    /// Whether signatures are verified (and required on Alibaba EventBridge events).
    pub verify: bool,
    /// Hosts the signing certificate may come from (`*` = one DNS label).
    pub cert_hosts: Vec<String>,
    /// The token set on the EventBridge target, when one is.
    pub token: Option<Secret>,
    /// Whether `X-Forwarded-*` may name the URL the signature covers.
    pub trust_forwarded: bool,
}

impl AlibabaInbound {
    /// The certificate hosts of a region's EventBridge: its OSS bucket
    /// `<region>-eventbridge`, through the accelerated and the regional endpoint.
    pub fn region_hosts(region: &str) -> [String; 2] {
        [
            format!("{region}-eventbridge.oss-accelerate.aliyuncs.com"),
            format!("{region}-eventbridge.oss-{region}.aliyuncs.com"),
        ]
    }
}

/// Amazon SNS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsInbound {
    /// Host patterns (`*` = one DNS label, `{region}` = one AWS region id) for `SigningCertURL`
    /// and `SubscribeURL`.
    pub allowed_hosts: Vec<String>,
    /// Whether signatures are verified.
    pub verify_signatures: bool,
    /// Topic ARN patterns whose messages are accepted. Empty: no SNS message is.
    pub topics: Vec<String>,
    /// Oldest message accepted, by its `Timestamp`.
    pub max_age: Duration,
}

impl Default for SnsInbound {
    fn default() -> Self {
        SnsInbound {
            allowed_hosts: DEFAULT_SNS_HOSTS.map(str::to_owned).to_vec(),
            verify_signatures: true,
            topics: Vec::new(),
            max_age: DEFAULT_SNS_MAX_AGE,
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &str, env: &dyn Env) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, env)
    }

    /// For the cloud shells, whose instances share nothing but the store: a config that names no
    /// store is refused (a memory store per instance would lose history and the ledger's
    /// protection against duplicates); `kind = "memory"` written out is accepted.
    pub fn require_named_store(&self) -> Result<(), ConfigError> {
        match self.store {
            StoreConfig::Memory {
                explicit: false, ..
            } => Err(ConfigError::invalid(
                "store.kind",
                "is not set: function instances share nothing but the store, so name one (\"azure_table\" or \"dynamodb\"), or write kind = \"memory\" to accept history and the delivery ledger per instance",
            )),
            _ => Ok(()),
        }
    }

    /// Parses and validates config text.
    pub fn from_toml(text: &str, env: &dyn Env) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        raw.build(env)
    }
}

impl RawConfig {
    /// Validates and compiles the config.
    pub fn build(self, env: &dyn Env) -> Result<Config, ConfigError> {
        let inbound = self.inbound.build(&self.server, env)?;
        let targets = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| t.build(&format!("targets[{i}]"), env))
            .collect::<Result<Vec<_>, _>>()?;
        let index = target_index(&targets)?;
        let rules = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| r.build(&format!("rules[{i}]"), &index))
            .collect::<Result<Vec<_>, _>>()?;
        unique_names(rules.iter().map(|r| r.name.as_str()), "rules")?;
        let retention = match &self.store.retention {
            Some(text) => {
                duration::parse(text).map_err(|m| ConfigError::invalid("store.retention", m))?
            }
            None => DEFAULT_RETENTION,
        };
        if retention > MAX_RETENTION {
            return Err(ConfigError::invalid(
                "store.retention",
                "must be at most 3650d (ten years)",
            ));
        }
        let store = self.store.build(env, retention)?;
        let delivery = self.delivery.build()?;
        let server = self.server.build()?;
        Ok(Config {
            server,
            inbound,
            targets,
            rules,
            store,
            retention,
            keep_payloads: self.store.keep_payloads.unwrap_or(false),
            delivery,
        })
    }
}

fn target_index(targets: &[Target]) -> Result<HashMap<String, usize>, ConfigError> {
    unique_names(targets.iter().map(|t| t.name.as_str()), "targets")?;
    Ok(targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect())
}

fn unique_names<'n>(names: impl Iterator<Item = &'n str>, what: &str) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for (i, name) in names.enumerate() {
        if name.trim().is_empty() {
            return Err(ConfigError::invalid(
                format!("{what}[{i}].name"),
                "must not be empty",
            ));
        }
        if !seen.insert(name) {
            return Err(ConfigError::invalid(
                format!("{what}[{i}].name"),
                format!("'{name}' is used twice"),
            ));
        }
    }
    Ok(())
}

impl raw::RawInbound {
    fn build(&self, server: &raw::RawServer, env: &dyn Env) -> Result<Inbound, ConfigError> {
        let secrets = secret_list(self.secret.as_deref(), "inbound.secret", env)?;
        let read_secrets = secret_list(self.read_secret.as_deref(), "inbound.read_secret", env)?;
        let max_events = self.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
        if max_events == 0 {
            return Err(ConfigError::invalid(
                "inbound.max_events",
                "must be positive",
            ));
        }
        let allowed_origins = self
            .allowed_origins
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_ALLOWED_ORIGIN.to_owned()]);
        let allowed_rate = self.allowed_rate.clone().unwrap_or_else(|| "*".to_owned());
        if allowed_rate != "*" && allowed_rate.parse::<u32>().map_or(true, |n| n == 0) {
            return Err(ConfigError::invalid(
                "inbound.allowed_rate",
                "must be * or a positive number of requests per minute",
            ));
        }
        let max_body_bytes = server.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes == 0 {
            return Err(ConfigError::invalid(
                "server.max_body_bytes",
                "must be positive",
            ));
        }
        let sns = self.sns(env)?;
        let alibaba = self.alibaba(env)?;
        Ok(Inbound {
            secrets,
            read_secrets,
            max_events,
            allowed_origins,
            allowed_rate,
            max_body_bytes,
            sns,
            alibaba,
        })
    }

    fn alibaba(&self, env: &dyn Env) -> Result<AlibabaInbound, ConfigError> {
        let token = match &self.alibaba_signature_token {
            Some(text) => Some(Secret::new(secret::expand(
                text,
                "inbound.alibaba_signature_token",
                env,
            )?)),
            None => None,
        };
        let mut cert_hosts: Vec<String> = Vec::new();
        for region in self.alibaba_regions.iter().flatten() {
            let region = region.trim();
            if region.is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(ConfigError::invalid(
                    "inbound.alibaba_regions",
                    "region ids are letters, digits and '-' (e.g. cn-hangzhou)",
                ));
            }
            cert_hosts.extend(AlibabaInbound::region_hosts(region));
        }
        cert_hosts.extend(self.alibaba_cert_hosts.iter().flatten().cloned());
        let verify = self.alibaba_verify_signatures.unwrap_or(false) || token.is_some();
        if verify && cert_hosts.is_empty() {
            return Err(ConfigError::invalid(
                "inbound.alibaba_regions",
                "name the regions whose EventBridge sends here, so their certificate hosts are allowed",
            ));
        }
        Ok(AlibabaInbound {
            verify,
            cert_hosts,
            token,
            trust_forwarded: self.trust_forwarded_headers.unwrap_or(false),
        })
    }

    fn sns(&self, env: &dyn Env) -> Result<SnsInbound, ConfigError> {
        let default = SnsInbound::default();
        let allowed_hosts = self
            .sns_allowed_hosts
            .clone()
            .unwrap_or(default.allowed_hosts);
        if allowed_hosts.iter().any(|h| h.trim().is_empty()) {
            return Err(ConfigError::invalid(
                "inbound.sns_allowed_hosts",
                "host patterns must not be empty",
            ));
        }
        // Entries may be `${env:NAME}` holding a comma-separated list (Terraform sets one).
        let mut topics = Vec::new();
        for entry in self.sns_topics.iter().flatten() {
            let expanded = secret::expand(entry, "inbound.sns_topics", env)?;
            topics.extend(
                expanded
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
        if let Some(bad) = topics.iter().find(|t| !t.starts_with("arn:")) {
            return Err(ConfigError::invalid(
                "inbound.sns_topics",
                format!(
                    "'{bad}' is not a topic ARN pattern (arn:aws:sns:<region>:<account>:<topic>, * allowed)"
                ),
            ));
        }
        let max_age = match &self.sns_max_age {
            Some(text) => match duration::parse(text) {
                Ok(d) if d > MAX_CONFIG_WAIT => {
                    return Err(ConfigError::invalid(
                        "inbound.sns_max_age",
                        "must be at most 1d",
                    ));
                }
                Ok(d) => d,
                Err(m) => return Err(ConfigError::invalid("inbound.sns_max_age", m)),
            },
            None => default.max_age,
        };
        Ok(SnsInbound {
            allowed_hosts,
            verify_signatures: self.sns_verify_signatures.unwrap_or(true),
            topics,
            max_age,
        })
    }
}

/// A comma-separated secret list (rotation). Unset: empty. Set but empty after expansion (an
/// unset variable, `""`, `","`): an error, never a silently disabled check.
fn secret_list(text: Option<&str>, key: &str, env: &dyn Env) -> Result<Vec<Secret>, ConfigError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let secrets: Vec<Secret> = secret::expand(text, key, env)?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Secret::new(s.to_owned()))
        .collect();
    if secrets.is_empty() {
        return Err(ConfigError::invalid(
            key,
            "is set but empty: an empty secret would turn authentication off; remove the key or give it a value",
        ));
    }
    Ok(secrets)
}

impl raw::RawDelivery {
    fn build(&self) -> Result<DeliveryPolicy, ConfigError> {
        let default = DeliveryPolicy::default();
        let parse = |text: &Option<String>, key: &str, fallback: Duration| match text {
            Some(t) => match duration::parse(t) {
                Ok(d) if d > MAX_CONFIG_WAIT => {
                    Err(ConfigError::invalid(key, "must be at most 1d"))
                }
                Ok(d) => Ok(d),
                Err(m) => Err(ConfigError::invalid(key, m)),
            },
            None => Ok(fallback),
        };
        let attempts = self.attempts.unwrap_or(default.attempts);
        if attempts == 0 || attempts > 20 {
            return Err(ConfigError::invalid(
                "delivery.attempts",
                "must be between 1 and 20",
            ));
        }
        let positive = |value: Option<usize>, key: &str, fallback: usize| match value {
            Some(0) => Err(ConfigError::invalid(key, "must be positive")),
            Some(n) => Ok(n),
            None => Ok(fallback),
        };
        Ok(DeliveryPolicy {
            attempts,
            backoff: parse(&self.backoff, "delivery.backoff", default.backoff)?,
            budget: parse(&self.budget, "delivery.budget", default.budget)?,
            concurrency: positive(
                self.concurrency,
                "delivery.concurrency",
                default.concurrency,
            )?,
            target_concurrency: positive(
                self.target_concurrency,
                "delivery.target_concurrency",
                default.target_concurrency,
            )?,
        })
    }
}

#[cfg(test)]
mod tests;
