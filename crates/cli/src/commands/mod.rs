//! One module per subcommand.

pub mod events;
pub mod normalize;
pub mod send;
pub mod serve;
pub mod simulate;

use anyhow::Context;
use regrelay_core::config::{Config, ProcessEnv};

/// Loads the config at `path`, or the embedded default (everything to a log target, in-memory
/// store) when none is given.
pub fn load_config(path: Option<&str>) -> anyhow::Result<Config> {
    match path {
        Some(path) => Config::load(path, &ProcessEnv).with_context(|| format!("loading {path}")),
        None => Config::from_toml(DEFAULT_CONFIG, &ProcessEnv).context("embedded default config"),
    }
}

/// The embedded default: every registry event to standard output, history in `regrelay.db`.
pub const DEFAULT_CONFIG: &str = include_str!("../../../../config/regrelay.example.toml");
