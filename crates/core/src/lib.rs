//! regrelay's core: everything the product does, with no web framework in sight.
//!
//! Data flows one way, and each step has its module:
//!
//! | step | module | owns |
//! | --- | --- | --- |
//! | entry | [`ingress`] | routing, inbound auth, body limit, the reply to the sender |
//! | decode | [`schema`] | one module per inbound format; detection |
//! | handshake | [`handshake`] | Event Grid validation, CloudEvents `OPTIONS` |
//! | normalize | [`normalize`] → [`event`] | the registry-aware model |
//! | match | [`filter`] | rules, compiled once, explained on demand |
//! | fan out | [`dispatch`] | one file per target kind; attempts and their classes |
//! | remember | [`store`] | history, the per-(event, target) ledger |
//!
//! [`config`] turns the operator's TOML into the validated form all of these use, once, at start.
//! Shells (`functions/azure`, `functions/lambda`, `regrelay serve`) only translate their request
//! and response types to [`reply::InboundRequest`] and [`reply::Reply`].

pub mod admit;
pub mod common;
pub mod config;
pub mod decode;
pub mod deliver;
pub mod dispatch;
pub mod event;
pub mod filter;
pub mod handshake;
pub mod http;
pub mod normalize;
mod pipeline;
pub mod record;
pub mod reply;
pub mod route;
pub mod schema;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod verify;

pub use config::Config;
pub use event::RegistryEvent;
pub use pipeline::{Pipeline, PipelineError};
pub use reply::{InboundRequest, Reply};
