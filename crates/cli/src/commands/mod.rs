//! One module per subcommand.

pub mod events;
pub mod normalize;
pub mod send;
pub mod serve;
pub mod simulate;

use anyhow::Context;
use regrelay_core::{Config, ProcessEnv, StoreConfig};

/// Loads the config at `path`, or the embedded default (everything to a log target, in-memory
/// store) when none is given.
///
/// A config that names no store gets the embedded default, SQLite in `regrelay.db` in the
/// working directory, so `serve` keeps its history across restarts and `events` sees it.
pub fn load_config(path: Option<&str>) -> anyhow::Result<Config> {
    let mut config = match path {
        Some(path) => Config::load(path, &ProcessEnv).with_context(|| format!("loading {path}"))?,
        None => {
            Config::from_toml(DEFAULT_CONFIG, &ProcessEnv).context("embedded default config")?
        }
    };
    if matches!(
        config.store,
        StoreConfig::Memory {
            explicit: false,
            ..
        }
    ) {
        config.store = StoreConfig::Sqlite {
            path: DEFAULT_SQLITE_PATH.to_owned(),
        };
    }
    Ok(config)
}

/// Where the CLI keeps history when the config names no store.
pub const DEFAULT_SQLITE_PATH: &str = "regrelay.db";

/// The embedded default: every registry event to standard output, history in `regrelay.db`.
pub const DEFAULT_CONFIG: &str = include_str!("../../../../config/regrelay.example.toml");
