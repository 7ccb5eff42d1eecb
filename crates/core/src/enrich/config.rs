//! `[[registries]]`: the registries regrelay may ask about an event (opt-in per registry), and
//! with which credentials.

use std::time::Duration;

use serde::Deserialize;

use crate::common::ConfigError;
use crate::common::duration;
use crate::common::secret::{self, Env, Secret};

/// One `[[registries]]` entry as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegistry {
    /// The registry as events name it (`registry` of the model: a login server such as
    /// `demo.azurecr.io`, or `host:port`).
    pub host: String,
    /// Base URL of its Distribution API (default `https://<host>`).
    pub url: Option<String>,
    /// User for basic auth or for the token service (`${env:…}`).
    pub username: Option<String>,
    /// Password or token (`${env:…}`).
    pub password: Option<String>,
    /// Longest a lookup may take, token included (default `2s`, at most `30s`).
    pub timeout: Option<String>,
}

/// A registry regrelay may ask.
#[derive(Debug, Clone)]
pub struct RegistryAccess {
    /// The registry as events name it.
    pub host: String,
    /// Base URL, without a trailing slash.
    pub url: reqwest::Url,
    /// Credentials, if any: sent as basic auth to the registry, or to its token service.
    pub credentials: Option<(String, Secret)>,
    /// Bound of one lookup.
    pub timeout: Duration,
}

impl RawRegistry {
    /// Validates one entry (`key` is `registries[i]`).
    pub(crate) fn build(&self, key: &str, env: &dyn Env) -> Result<RegistryAccess, ConfigError> {
        let host = self.host.trim();
        if host.is_empty() || host.contains('/') {
            return Err(ConfigError::invalid(
                format!("{key}.host"),
                "must be a registry host such as demo.azurecr.io or 127.0.0.1:5000",
            ));
        }
        let text = self
            .url
            .clone()
            .unwrap_or_else(|| format!("https://{host}"));
        let url = reqwest::Url::parse(text.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| ConfigError::invalid(format!("{key}.url"), "must be an http(s) URL"))?;
        let credentials = match (&self.username, &self.password) {
            (None, None) => None,
            (Some(user), Some(password)) => Some((
                secret::expand(user, &format!("{key}.username"), env)?,
                Secret::new(secret::expand(password, &format!("{key}.password"), env)?),
            )),
            _ => {
                return Err(ConfigError::invalid(
                    key.to_owned(),
                    "give both username and password, or neither (anonymous)",
                ));
            }
        };
        let timeout = match &self.timeout {
            None => Duration::from_secs(2),
            Some(t) => match duration::parse(t) {
                Ok(d) if !d.is_zero() && d <= Duration::from_secs(30) => d,
                Ok(_) => {
                    return Err(ConfigError::invalid(
                        format!("{key}.timeout"),
                        "must be between 1ms and 30s",
                    ));
                }
                Err(m) => return Err(ConfigError::invalid(format!("{key}.timeout"), m)),
            },
        };
        Ok(RegistryAccess {
            host: host.to_owned(),
            url,
            credentials,
            timeout,
        })
    }
}
