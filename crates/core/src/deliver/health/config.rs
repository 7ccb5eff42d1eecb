//! `[delivery]`'s pause settings: when a failing target is paused, how often it is probed, and
//! who is told.

use std::time::Duration;

use super::super::config::RawDelivery;
use crate::common::ConfigError;
use crate::common::duration::{self, MAX_CONFIG_WAIT};

/// When targets pause and how they are probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PausePolicy {
    /// Retryable failures in a row that pause a target; 0: targets never pause.
    pub after: u32,
    /// Wait before the first probe.
    pub probe_every: Duration,
    /// Longest wait between probes.
    pub probe_max: Duration,
    /// The target told of pauses and recoveries.
    pub announce_to: Option<String>,
}

impl Default for PausePolicy {
    fn default() -> Self {
        PausePolicy {
            after: 10,
            probe_every: Duration::from_secs(30),
            probe_max: Duration::from_secs(600),
            announce_to: None,
        }
    }
}

impl RawDelivery {
    /// Validates the pause settings; `targets` are the configured target names.
    pub(crate) fn build_pause(&self, targets: &[&str]) -> Result<PausePolicy, ConfigError> {
        let default = PausePolicy::default();
        let wait = |text: &Option<String>, key: &str, fallback: Duration| match text {
            None => Ok(fallback),
            Some(t) => match duration::parse(t) {
                Ok(d) if d.is_zero() || d > MAX_CONFIG_WAIT => {
                    Err(ConfigError::invalid(key, "must be between 1ms and 1d"))
                }
                Ok(d) => Ok(d),
                Err(m) => Err(ConfigError::invalid(key, m)),
            },
        };
        let probe_every = wait(
            &self.probe_every,
            "delivery.probe_every",
            default.probe_every,
        )?;
        let probe_max = wait(&self.probe_max, "delivery.probe_max", default.probe_max)?;
        if probe_max < probe_every {
            return Err(ConfigError::invalid(
                "delivery.probe_max",
                "must be at least delivery.probe_every",
            ));
        }
        if let Some(name) = &self.announce_to
            && !targets.contains(&name.as_str())
        {
            return Err(ConfigError::invalid(
                "delivery.announce_to",
                format!("names no target: '{name}'"),
            ));
        }
        Ok(PausePolicy {
            after: self.pause_after.unwrap_or(default.after),
            probe_every,
            probe_max,
            announce_to: self.announce_to.clone(),
        })
    }
}
