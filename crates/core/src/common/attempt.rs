//! One delivery attempt's result and its class: written by delivery, kept by the store, shown by
//! the history. Shared by both, owned by neither.

use serde::{Deserialize, Serialize};

/// The class of an attempt's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptClass {
    /// The target accepted the event.
    Delivered,
    /// The attempt failed in a way another attempt may fix.
    Retryable,
    /// The attempt failed in a way resending cannot fix.
    Permanent,
}

impl AttemptClass {
    /// Wire name (`delivered`, `retryable`, `permanent`), as metrics label it.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptClass::Delivered => "delivered",
            AttemptClass::Retryable => "retryable",
            AttemptClass::Permanent => "permanent",
        }
    }
}

/// One delivery attempt's result, as the history records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Target name.
    pub target: String,
    /// Attempt number for this (event, target), from 1.
    pub number: u32,
    /// When the attempt started (RFC 3339 UTC).
    pub started_at: String,
    /// HTTP status of the reply, if one came.
    pub status: Option<u16>,
    /// Time from sending to the reply or failure, in milliseconds.
    pub latency_ms: u64,
    /// Result class.
    pub class: AttemptClass,
    /// What went wrong, in words (no secrets).
    pub error: Option<String>,
    /// The first bytes of the reply body.
    pub response_excerpt: Option<String>,
    /// How long the target asked us to wait (`Retry-After`), in seconds.
    pub retry_after_secs: Option<u64>,
    /// Queued mode: when the next attempt is scheduled (RFC 3339 UTC), after a retryable failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

impl Attempt {
    /// A retryable attempt that never reached the target (fill in the target and the error).
    pub fn retryable_blank() -> Self {
        Attempt {
            target: String::new(),
            number: 0,
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            status: None,
            latency_ms: 0,
            class: AttemptClass::Retryable,
            error: None,
            response_excerpt: None,
            retry_after_secs: None,
            next_attempt_at: None,
        }
    }

    /// Whether the target accepted the event.
    pub fn delivered(&self) -> bool {
        self.class == AttemptClass::Delivered
    }
}
