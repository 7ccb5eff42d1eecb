//! Tracing setup shared by the shells: `RUST_LOG` is respected; cloud shells log JSON lines,
//! local runs log readable text. Logs go to standard error so standard output stays for data
//! (`regrelay normalize`, the `log` target).

use std::str::FromStr;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (Azure, Lambda).
    Json,
    /// Human-readable text (local).
    Text,
}

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG` is unset or cannot be
/// read. Safe to call twice (the second call does nothing).
///
/// `RUST_LOG` takes `target=level` directives and a bare default level (`info,regrelay_core=debug`);
/// span and field filters are not supported (they would pull a regex engine into every binary).
pub fn init(format: LogFormat, default_filter: &str) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| Targets::from_str(&text).ok());
    let filter = from_env.unwrap_or_else(|| Targets::from_str(default_filter).unwrap_or_default());
    let registry = tracing_subscriber::registry().with(filter);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => registry
            .with(layer.json().with_current_span(true).with_span_list(true))
            .try_init(),
        LogFormat::Text => registry.with(layer.with_target(false)).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use tracing::Level;
    use tracing_subscriber::filter::Targets;

    #[test]
    fn rust_log_directives_parse() {
        let targets = Targets::from_str("warn,regrelay_core=debug").unwrap();
        assert!(targets.would_enable("regrelay_core::deliver", &Level::DEBUG));
        assert!(!targets.would_enable("hyper", &Level::INFO));
        assert!(targets.would_enable("hyper", &Level::WARN));
    }
}
