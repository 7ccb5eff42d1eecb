//! `[coalesce]`: whether the manifests of one multi-platform push become one event, and how long
//! a manifest waits for its push's index.

use std::time::Duration;

use serde::Deserialize;

use crate::common::ConfigError;
use crate::common::duration;

/// `[coalesce]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoalesce {
    /// On by default; `false` delivers every manifest as the registry reports it.
    pub enabled: Option<bool>,
    /// How long a tagless manifest waits for its push's index (default `5s`, at most `5m`);
    /// without one it is then delivered alone.
    pub window: Option<String>,
}

/// Coalescing as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoalescePolicy {
    /// Whether manifests are held for their index at all.
    pub enabled: bool,
    /// How long one is held.
    pub window: Duration,
}

impl Default for CoalescePolicy {
    fn default() -> Self {
        CoalescePolicy {
            enabled: true,
            window: Duration::from_secs(5),
        }
    }
}

/// Longest window: a held manifest must not wait for long.
const MAX_WINDOW: Duration = Duration::from_secs(300);

impl RawCoalesce {
    /// Validates `[coalesce]`.
    pub(crate) fn build(&self) -> Result<CoalescePolicy, ConfigError> {
        let default = CoalescePolicy::default();
        let window = match &self.window {
            None => default.window,
            Some(text) => match duration::parse(text) {
                Ok(d) if d.is_zero() || d > MAX_WINDOW => {
                    return Err(ConfigError::invalid(
                        "coalesce.window",
                        "must be between 1ms and 5m",
                    ));
                }
                Ok(d) => d,
                Err(m) => return Err(ConfigError::invalid("coalesce.window", m)),
            },
        };
        Ok(CoalescePolicy {
            enabled: self.enabled.unwrap_or(default.enabled),
            window,
        })
    }
}
