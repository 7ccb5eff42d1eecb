//! `[[targets]]`: how operators write targets, and their validation into [`Target`]s.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, DEFAULT_TARGET_TIMEOUT, Env, duration, secret};
use crate::dispatch::{Endpoint, Target, TargetKind, log::Log, webhook};

/// `[[targets]]`.
#[derive(Debug, Deserialize)]
pub struct RawTarget {
    /// Name rules use to refer to the target.
    pub name: String,
    /// Kind-specific settings, selected by `type`.
    #[serde(flatten)]
    pub kind: RawTargetKind,
}

/// Target kinds, by `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawTargetKind {
    /// HTTP(S) POST of the normalized event as JSON.
    Webhook {
        /// Target URL (`${env:NAME}` allowed).
        url: String,
        /// Extra request headers (`${env:NAME}` allowed in values).
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// Per-attempt timeout, e.g. `10s` (default 10s).
        timeout: Option<String>,
    },
    /// One JSON line per event on standard output.
    Log {},
}

impl RawTarget {
    pub(super) fn build(&self, key: &str, env: &dyn Env) -> Result<Target, ConfigError> {
        let kind = match &self.kind {
            RawTargetKind::Webhook {
                url,
                headers,
                timeout,
            } => {
                let url = secret::expand(url, &format!("{key}.url"), env)?;
                let endpoint = Endpoint::parse(&url)
                    .map_err(|m| ConfigError::invalid(format!("{key}.url"), m))?;
                let mut pairs = Vec::new();
                for (name, value) in headers {
                    pairs.push((
                        name.clone(),
                        secret::expand(value, &format!("{key}.headers.{name}"), env)?,
                    ));
                }
                let headers = webhook::RedactedHeaders::from_pairs(
                    pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                )
                .map_err(|m| ConfigError::invalid(format!("{key}.headers"), m))?;
                let timeout = parse_timeout(timeout.as_deref(), &format!("{key}.timeout"))?;
                TargetKind::Webhook(webhook::Webhook {
                    endpoint,
                    headers,
                    timeout,
                })
            }
            RawTargetKind::Log {} => TargetKind::Log(Log),
        };
        Ok(Target {
            name: self.name.clone(),
            kind,
        })
    }
}

fn parse_timeout(text: Option<&str>, key: &str) -> Result<Duration, ConfigError> {
    let Some(text) = text else {
        return Ok(DEFAULT_TARGET_TIMEOUT);
    };
    let timeout = duration::parse(text).map_err(|m| ConfigError::invalid(key, m))?;
    if timeout.is_zero() || timeout > Duration::from_secs(300) {
        return Err(ConfigError::invalid(key, "must be between 1ms and 300s"));
    }
    Ok(timeout)
}
