//! Tracing setup shared by the shells: `RUST_LOG` is respected; cloud shells log JSON lines,
//! local runs log readable text. Logs go to standard error so standard output stays for data
//! (`regrelay normalize`, the `log` target).

use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (Azure, Lambda).
    Json,
    /// Human-readable text (local).
    Text,
}

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG` is unset. Safe to call
/// twice (the second call does nothing).
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
}
