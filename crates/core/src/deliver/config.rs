//! `[delivery]`: inline or queued; how hard one request tries each (event, target) pair inline;
//! the queued retry schedule; and how many deliveries run at once.

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
    /// `inline` (deliver inside the sender's request) or `queued` (acknowledge after a durable
    /// write, deliver from the queue). Default: `queued` when there is a durable queue (a
    /// `[queue]` section, or the SQLite store's file), else `inline`.
    pub mode: Option<String>,
    /// Queued mode: waits before each retry, the last one repeating (default
    /// `["10s", "30s", "1m", "5m", "10m", "30m", "1h"]`, so hourly after the seventh attempt).
    pub schedule: Option<Vec<String>>,
    /// Queued mode: how long after it was queued a pair is still retried (default `24h`); then
    /// it is dead-lettered.
    pub give_up_after: Option<String>,
    /// Queued mode, `regrelay serve`: deliveries its worker runs at once (default 64).
    pub workers: Option<usize>,
    /// Retryable failures in a row after which a target is paused (default 10; 0 never pauses).
    pub pause_after: Option<u32>,
    /// Wait before the first probe of a paused target (default `30s`), doubled after each
    /// failed probe.
    pub probe_every: Option<String>,
    /// Longest wait between probes (default `10m`).
    pub probe_max: Option<String>,
    /// Target that is told when a target pauses and when it resumes (default: nobody; the log
    /// and the console show it).
    pub announce_to: Option<String>,
}

/// Where deliveries happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Inside the sender's request; the sender's retries are the retry schedule.
    Inline,
    /// From a durable queue on regrelay's own schedule; the sender gets 200 after the write.
    Queued,
}

impl DeliveryMode {
    /// The config name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Inline => "inline",
            DeliveryMode::Queued => "queued",
        }
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
    /// The mode the config asked for; `None` lets the queue decide ([`DeliveryMode`]).
    pub mode: Option<DeliveryMode>,
    /// Deliveries `regrelay serve`'s worker runs at once.
    pub workers: usize,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(500),
            budget: Duration::from_secs(20),
            concurrency: 32,
            target_concurrency: 16,
            mode: None,
            workers: 64,
        }
    }
}

/// The queued retry schedule of one (event, target) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Waits before each retry; the last one repeats.
    pub steps: Vec<Duration>,
    /// No attempt is scheduled later than this after the pair was queued.
    pub give_up_after: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        let s = Duration::from_secs;
        Schedule {
            steps: vec![s(10), s(30), s(60), s(300), s(600), s(1800), s(3600)],
            give_up_after: s(86_400),
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
        let mode = match self.mode.as_deref() {
            None => None,
            Some("inline") => Some(DeliveryMode::Inline),
            Some("queued") => Some(DeliveryMode::Queued),
            Some(other) => {
                return Err(ConfigError::invalid(
                    "delivery.mode",
                    format!("'{other}' is not inline or queued"),
                ));
            }
        };
        Ok(DeliveryPolicy {
            mode,
            workers: positive(self.workers, "delivery.workers", default.workers)?,
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

impl RawDelivery {
    /// Validates the queued schedule (`delivery.schedule`, `delivery.give_up_after`).
    pub(crate) fn build_schedule(&self) -> Result<Schedule, ConfigError> {
        let default = Schedule::default();
        let steps = match &self.schedule {
            None => default.steps,
            Some(list) if list.is_empty() => {
                return Err(ConfigError::invalid(
                    "delivery.schedule",
                    "must not be empty",
                ));
            }
            Some(list) if list.len() > 100 => {
                return Err(ConfigError::invalid(
                    "delivery.schedule",
                    "has more than 100 steps",
                ));
            }
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let key = format!("delivery.schedule[{i}]");
                    match duration::parse(text) {
                        Ok(d) if d.is_zero() || d > MAX_CONFIG_WAIT => {
                            Err(ConfigError::invalid(key, "must be between 1ms and 1d"))
                        }
                        Ok(d) => Ok(d),
                        Err(m) => Err(ConfigError::invalid(key, m)),
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        let give_up_after = match &self.give_up_after {
            None => default.give_up_after,
            Some(text) => match duration::parse(text) {
                Ok(d) if d.is_zero() || d > Duration::from_secs(30 * 86_400) => {
                    return Err(ConfigError::invalid(
                        "delivery.give_up_after",
                        "must be between 1ms and 30d",
                    ));
                }
                Ok(d) => d,
                Err(m) => return Err(ConfigError::invalid("delivery.give_up_after", m)),
            },
        };
        Ok(Schedule {
            steps,
            give_up_after,
        })
    }
}
