//! Configuration: the TOML file operators write ([`RawConfig`]) and the validated, compiled form
//! the pipeline runs on ([`Config`]), built once at start. This module only reads the file and
//! composes: each component validates its own section beside itself (`admit/config.rs`,
//! `deliver/config.rs`, `dispatch/config.rs`, `filter/config.rs`, `store/config.rs`).
//!
//! Errors name the key at fault (`rules[1].notifications[0]: …`). Secrets are written as
//! `${env:NAME}` and substituted at load; they are [`Secret`]s from then on.

pub mod raw;

use std::collections::HashMap;
use std::time::Duration;

pub use crate::common::{ConfigError, Env};
pub use crate::store::config::StoreConfig;
pub use raw::RawConfig;

pub use crate::admit::config::Inbound;
pub use crate::deliver::config::{DeliveryMode, DeliveryPolicy, Schedule};
pub use crate::queue::config::{QueueChoice, QueueConfig};

use crate::common::duration;
use crate::dispatch::Target;
use crate::filter::Rule;

/// Default history retention: three days, as the Alibaba console keeps events.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3 * 86_400);
/// Longest history retention accepted.
pub const MAX_RETENTION: Duration = Duration::from_secs(3650 * 86_400);

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
    /// Retry policy inside one invocation, mode and worker limits.
    pub delivery: DeliveryPolicy,
    /// The queued retry schedule.
    pub schedule: Schedule,
    /// When failing targets pause, how they are probed, who is told.
    pub pause: crate::deliver::health::PausePolicy,
    /// One event per image push.
    pub coalesce: crate::deliver::coalesce::CoalescePolicy,
    /// Registries asked about their events (enrichment).
    pub registries: Vec<crate::enrich::RegistryAccess>,
    /// `[queue]` as written.
    pub queue: QueueChoice,
    /// Limits of the long-running HTTP servers.
    pub server: ServerLimits,
}

/// Limits of the long-running HTTP servers (`regrelay serve`, the Azure handler), against
/// clients that hold connections open by sending slowly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// `server.listen`: where `regrelay serve` listens unless `--listen` says otherwise.
    pub listen: Option<String>,
    /// Time to send the request line and headers.
    pub header_timeout: Duration,
    /// Time to send the whole body.
    pub body_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            listen: None,
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
        if let Some(listen) = &self.listen
            && listen.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(ConfigError::invalid(
                "server.listen",
                format!("'{listen}' is not an address like 127.0.0.1:8080"),
            ));
        }
        Ok(ServerLimits {
            listen: self.listen.clone(),
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

    /// The delivery mode and its queue, for the store as it stands (the CLI may have put SQLite
    /// in place of an unnamed store): `queued` by default when there is a durable queue — a
    /// platform `[queue]`, or the SQLite store's file — else `inline`. `queued` asked for with
    /// a remote store and no `[queue]` is an error; with a memory store it queues in memory.
    pub fn delivery_plan(&self) -> Result<(DeliveryMode, Option<QueueConfig>), ConfigError> {
        let queue = match &self.queue {
            QueueChoice::Remote(queue) => Some(queue.clone()),
            QueueChoice::Local => QueueConfig::beside(&self.store),
        };
        let durable = matches!(
            queue,
            Some(
                QueueConfig::Sqlite { .. }
                    | QueueConfig::AzureQueue { .. }
                    | QueueConfig::Sqs { .. }
            )
        );
        match self.delivery.mode {
            Some(DeliveryMode::Inline) => Ok((DeliveryMode::Inline, queue.filter(|_| durable))),
            Some(DeliveryMode::Queued) => match queue {
                Some(queue) => Ok((DeliveryMode::Queued, Some(queue))),
                None => Err(ConfigError::invalid(
                    "delivery.mode",
                    "\"queued\" needs a [queue] section with this store (kind = \"azure_queue\" or \"sqs\")",
                )),
            },
            None if durable => Ok((DeliveryMode::Queued, queue)),
            None => Ok((DeliveryMode::Inline, None)),
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
        let inbound = self.inbound.build(self.server.max_body_bytes, env)?;
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
        let schedule = self.delivery.build_schedule()?;
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        let pause = self.delivery.build_pause(&names)?;
        let coalesce = self.coalesce.build()?;
        let registries = self
            .registries
            .iter()
            .enumerate()
            .map(|(i, r)| r.build(&format!("registries[{i}]"), env))
            .collect::<Result<Vec<_>, _>>()?;
        let queue = self.queue.build(env)?;
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
            schedule,
            pause,
            coalesce,
            registries,
            queue,
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

#[cfg(test)]
mod tests;
