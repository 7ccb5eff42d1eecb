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
/// Default origin allowed in the CloudEvents webhook handshake.
pub const DEFAULT_ALLOWED_ORIGIN: &str = "eventgrid.azure.net";
/// Default host pattern SNS certificates and subscription URLs may come from.
pub const DEFAULT_SNS_HOST: &str = "sns.*.amazonaws.com";

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
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(500),
            budget: Duration::from_secs(20),
        }
    }
}

/// How requests are accepted.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Shared secrets, any of which authorizes a request (several during rotation). Empty: no check.
    pub secrets: Vec<Secret>,
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
    /// Host patterns (`*` = one DNS label) for `SigningCertURL` and `SubscribeURL`.
    pub allowed_hosts: Vec<String>,
    /// Whether signatures are verified.
    pub verify_signatures: bool,
}

impl Default for SnsInbound {
    fn default() -> Self {
        SnsInbound {
            allowed_hosts: vec![DEFAULT_SNS_HOST.to_owned()],
            verify_signatures: true,
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
        let store = self.store.build(env, retention)?;
        let delivery = self.delivery.build()?;
        Ok(Config {
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
        let secrets = match &self.secret {
            Some(text) => secret::expand(text, "inbound.secret", env)?
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Secret::new)
                .collect(),
            None => Vec::new(),
        };
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
        let sns = SnsInbound {
            allowed_hosts: self
                .sns_allowed_hosts
                .clone()
                .unwrap_or_else(|| vec![DEFAULT_SNS_HOST.to_owned()]),
            verify_signatures: self.sns_verify_signatures.unwrap_or(true),
        };
        if sns.allowed_hosts.iter().any(|h| h.trim().is_empty()) {
            return Err(ConfigError::invalid(
                "inbound.sns_allowed_hosts",
                "host patterns must not be empty",
            ));
        }
        let alibaba = self.alibaba(env)?;
        Ok(Inbound {
            secrets,
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
        })
    }
}

impl raw::RawDelivery {
    fn build(&self) -> Result<DeliveryPolicy, ConfigError> {
        let default = DeliveryPolicy::default();
        let parse = |text: &Option<String>, key: &str, fallback: Duration| match text {
            Some(t) => duration::parse(t).map_err(|m| ConfigError::invalid(key, m)),
            None => Ok(fallback),
        };
        let attempts = self.attempts.unwrap_or(default.attempts);
        if attempts == 0 || attempts > 20 {
            return Err(ConfigError::invalid(
                "delivery.attempts",
                "must be between 1 and 20",
            ));
        }
        Ok(DeliveryPolicy {
            attempts,
            backoff: parse(&self.backoff, "delivery.backoff", default.backoff)?,
            budget: parse(&self.budget, "delivery.budget", default.budget)?,
        })
    }
}

#[cfg(test)]
mod tests;
