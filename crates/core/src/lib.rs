//! regrelay's core: everything the product does, with no web framework in sight.
//!
//! A POST of events goes through five stages, in the order data flows; each is a module with one
//! entry function, and none imports a later one (`scripts/module-cycles.py` checks it):
//!
//! | stage | module | owns | built on |
//! | --- | --- | --- | --- |
//! | 1 admit | `admit` | body limit, encoding, shared secret, signatures, SNS unwrapping | `verify`, `handshake` |
//! | 2 decode | [`decode`] | format detection, parsing, classification, repeated ids | `schema`, `normalize` → `event` |
//! | 3 route | [`route`] | every rule's decision, the targets | `filter` |
//! | 4 deliver | `deliver` | ledger claims, attempts, the retry policy | `dispatch`, `store` |
//! | 5 record | `record` | the reception, written once; the reply to the sender | `store`, `handshake` |
//!
//! [`Pipeline::handle`] routes a request (health, history, the CloudEvents `OPTIONS` handshake,
//! events) and calls the stages. `config` only reads the operator's TOML and composes the
//! configs each component builds beside itself; `common` holds what every stage shares (secrets,
//! durations, the config error, the attempt record). Shells (`functions/azure`,
//! `functions/lambda`, `regrelay serve`) only translate their types to [`InboundRequest`] and
//! from [`Reply`].
//!
//! Modules are private to the crate; what the shells, the CLI and the tests use is re-exported
//! here, and [`testing`] holds the internals tests and fuzz targets exercise directly.

pub(crate) mod admit;
pub(crate) mod common;
pub(crate) mod config;
pub mod decode;
pub(crate) mod deliver;
pub(crate) mod dispatch;
pub mod emf;
pub(crate) mod enrich;
pub(crate) mod event;
pub(crate) mod filter;
pub(crate) mod handshake;
pub(crate) mod http;
#[cfg(feature = "metrics")]
pub(crate) mod metrics;
#[cfg(not(feature = "metrics"))]
#[path = "metrics_off.rs"]
pub(crate) mod metrics;
pub(crate) mod normalize;
mod pipeline;
pub(crate) mod queue;
pub(crate) mod record;
pub(crate) mod reply;
pub mod route;
pub(crate) mod schema;
pub(crate) mod store;
pub mod telemetry;
pub(crate) mod time;
pub(crate) mod verify;

pub use common::{Attempt, AttemptClass, ConfigError, Env, ProcessEnv, Secret};
pub use config::{Config, DeliveryMode};
pub use deliver::coalesce::{CoalescePolicy, plan as coalesce_plan};
pub use deliver::work::Worked;
pub use dispatch::Target;
pub use event::{Action, Platform, RegistryEvent, RegistryKind, Schema};
pub use filter::Decision;
pub use normalize::Classified;
pub use pipeline::{Pipeline, PipelineError, RedriveError, RedriveReport};
pub use queue::sqs::{SqsRecord, parse_event as parse_sqs_event};
pub use queue::{WorkItem, WorkQueue};
pub use reply::{InboundRequest, Rejection, Reply};
pub use schema::Format;
pub use store::config::{AwsCredentials, StoreConfig};
pub use store::{
    Coalescing, DeliveryState, EventRecord, EventSummary, FoldedManifest, HealthState, ListFilter,
    PairState, Reception, ReceptionKind, Store, StoreError, TargetHealth, Trace, now_millis,
};

/// Internals that the integration tests, benchmarks and fuzz targets exercise directly: parsers,
/// signature checks, templates, the ledger's primitives. Not an API; it changes with the code.
pub mod testing {
    pub use crate::dispatch::mac::hmac_sha256;
    pub use crate::dispatch::message::{Messages, Style, Syntax, View};
    pub use crate::dispatch::{Delivery, Dispatcher};
    pub use crate::enrich::parse::{Challenge, challenge as parse_challenge, index as parse_index};
    pub use crate::filter::advanced::{AdvancedFilter, OPERATORS};
    pub use crate::filter::{Subject, decide};
    pub use crate::normalize::classify;
    pub use crate::pipeline::parse_console_inputs;
    #[cfg(feature = "azure")]
    pub use crate::queue::azure::{Received as AzureMessage, StorageQueue, parse_messages};
    pub use crate::queue::config::QueueConfig;
    #[cfg(feature = "local-queue")]
    pub use crate::queue::local::{LocalQueue, Taken};
    pub use crate::queue::sqs::{Received as SqsMessage, SqsQueue};
    pub use crate::schema::{lenient, parse, sns};
    pub use crate::store::memory::MemoryStore;
    pub use crate::store::slots::Clock;
    pub use crate::store::{Claim, Lease};
    pub use crate::time::normalize as normalize_time;
    pub use crate::verify::{alibaba, signing};
}
