//! `[delivery]`: how hard one request tries each (event, target) pair, and how many deliveries
//! run at once.

use std::time::Duration;

use serde::Deserialize;

use crate::common::ConfigError;
use crate::common::duration::{self, MAX_CONFIG_WAIT};

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

impl RawDelivery {
    /// Validates `[delivery]`.
    pub(crate) fn build(&self) -> Result<DeliveryPolicy, ConfigError> {
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
