//! The config file as operators write it (TOML), before validation. Unknown keys are errors, so a
//! typo never silently disables a setting.

use serde::Deserialize;

pub use crate::admit::config::RawInbound;
pub use crate::deliver::config::RawDelivery;
pub use crate::dispatch::config::RawTarget;
pub use crate::filter::config::RawRule;
pub use crate::queue::config::RawQueue;
pub use crate::store::config::RawStore;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `[server]`: listener and limits.
    #[serde(default)]
    pub server: RawServer,
    /// `[inbound]`: how senders are authenticated and handshaken.
    #[serde(default)]
    pub inbound: RawInbound,
    /// `[store]`: where history and the delivery ledger live.
    #[serde(default)]
    pub store: RawStore,
    /// `[delivery]`: inline or queued, retries, the queued schedule.
    #[serde(default)]
    pub delivery: RawDelivery,
    /// `[queue]`: where queued deliveries wait.
    #[serde(default)]
    pub queue: RawQueue,
    /// `[[registries]]`: registries that may be asked about their events (enrichment).
    #[serde(default)]
    pub registries: Vec<crate::enrich::RawRegistry>,
    /// `[coalesce]`: one event per image push.
    #[serde(default)]
    pub coalesce: crate::deliver::coalesce::config::RawCoalesce,
    /// `[[targets]]`: where events can go.
    #[serde(default)]
    pub targets: Vec<RawTarget>,
    /// `[[rules]]`: which events go where.
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// Address for `regrelay serve` (overridden by `--listen`), default `127.0.0.1:8080`.
    pub listen: Option<String>,
    /// Largest accepted request body in bytes (default 1 MiB); larger bodies get 413.
    pub max_body_bytes: Option<usize>,
    /// Time a client has to send its request line and headers (default `10s`).
    pub header_timeout: Option<String>,
    /// Time a client has to send the whole body (default `30s`); slower bodies get 408.
    pub body_timeout: Option<String>,
}
