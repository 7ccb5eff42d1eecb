//! The `log` target: one JSON line per event on standard output, for local runs and demos.

use std::io::Write;

use super::{Attempt, AttemptClass, Delivery};

/// A configured log target.
#[derive(Debug, Clone, Default)]
pub struct Log;

impl Log {
    /// Writes the normalized event as one line.
    pub fn write(&self, delivery: Delivery<'_>) -> Attempt {
        let result = serde_json::to_string(delivery.event)
            .map_err(|e| e.to_string())
            .and_then(|line| {
                writeln!(std::io::stdout().lock(), "{line}").map_err(|e| e.to_string())
            });
        let (class, error) = match result {
            Ok(()) => (AttemptClass::Delivered, None),
            Err(e) => (
                AttemptClass::Retryable,
                Some(format!("could not write to stdout: {e}")),
            ),
        };
        Attempt {
            class,
            error,
            ..super::blank()
        }
    }
}
