//! What every stage shares and none owns: secrets and `${env:…}` expansion, durations written in
//! config, the config error, and the record of one delivery attempt. Imports nothing of the crate.

pub mod attempt;
pub mod duration;
pub mod error;
pub mod hex;
pub mod secret;

pub use attempt::{Attempt, AttemptClass};
pub use error::ConfigError;
pub use hex::hex;
pub use secret::{Env, ProcessEnv, Secret};

/// Epoch milliseconds as RFC 3339 UTC with milliseconds (the epoch for an out-of-range value).
pub fn rfc3339_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Epoch milliseconds as history writes `received_at` (RFC 3339 UTC, microseconds), so that
/// text order is time order.
pub fn rfc3339_micros(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
