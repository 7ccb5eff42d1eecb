//! The normalized model: one [`RegistryEvent`] per registry action, whatever the sender and schema.
//!
//! This module owns the shape users see (`regrelay normalize`, webhook bodies, history) and the closed
//! sets it uses ([`Action`], [`Schema`]). It does no parsing: `normalize` fills it from `schema` types.
//! Absent values are `None` (serialized as `null`), never invented.

use serde::{Deserialize, Serialize};

/// A container-registry event in regrelay's registry-aware model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryEvent {
    /// Event id as given by the sender (Event Grid `id`, CloudEvents `id`); the idempotency key.
    pub id: String,
    /// Canonical full event type, e.g. `Microsoft.ContainerRegistry.ImagePushed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// What happened, derived from the event type.
    pub action: Action,
    /// The sender's own `data.action` string, exactly as given.
    pub sender_action: Option<String>,
    /// Registry login server when the event carries one, else the registry name from topic/source.
    pub registry: Option<String>,
    /// Repository name, e.g. `team/app`.
    pub repository: Option<String>,
    /// Tag, when the action concerns a tag (absent on deletes by digest).
    pub tag: Option<String>,
    /// Content digest as given (not validated: senders use odd forms).
    pub digest: Option<String>,
    /// Media type of the referenced object.
    pub media_type: Option<String>,
    /// Size in bytes of the referenced object.
    pub size: Option<u64>,
    /// Name of the connected registry that produced the event, if any.
    pub connected_registry: Option<String>,
    /// Event time in RFC 3339 UTC, from the envelope time or else the data timestamp.
    pub time: Option<String>,
    /// The envelope's time exactly as given, kept even when it could not be parsed.
    pub time_raw: Option<String>,
    /// The inbound schema the event arrived in.
    pub schema: Schema,
    /// Event source: Event Grid `topic` or CloudEvents `source`.
    pub source: Option<String>,
    /// Event subject (`repo:tag` for pushes, `repo` for deletes on ACR).
    pub subject: Option<String>,
    /// Helm chart name and version, on chart events.
    pub chart: Option<Chart>,
    /// Who caused the event (`data.actor.name`).
    pub actor: Option<String>,
    /// The registry request that caused the event.
    pub request: Option<RequestInfo>,
    /// Azure region of the registry (`data.location`), when given.
    pub location: Option<String>,
    /// Event Grid `dataVersion` (2.0 for connected-registry events).
    pub data_version: Option<String>,
}

/// Helm chart coordinates carried by chart events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    /// Chart name.
    pub name: Option<String>,
    /// Chart version.
    pub version: Option<String>,
}

/// The registry request that caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestInfo {
    /// Request id.
    pub id: Option<String>,
    /// Client address.
    pub addr: Option<String>,
    /// Registry host name as the client addressed it (the login server).
    pub host: Option<String>,
    /// HTTP method of the registry request.
    pub method: Option<String>,
    /// Client user agent.
    pub useragent: Option<String>,
}

/// What happened to the artifact: a closed set, one value per registry event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An image or artifact manifest was pushed.
    Push,
    /// An image or artifact manifest was deleted.
    Delete,
    /// A Helm chart was pushed.
    ChartPush,
    /// A Helm chart was deleted.
    ChartDelete,
}

impl Action {
    /// The action's wire name (`push`, `chart_delete`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Push => "push",
            Action::Delete => "delete",
            Action::ChartPush => "chart_push",
            Action::ChartDelete => "chart_delete",
        }
    }

    /// Whether the action removes something (`delete`, `chart_delete`).
    pub fn is_delete(self) -> bool {
        matches!(self, Action::Delete | Action::ChartDelete)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The inbound schema an event was received in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schema {
    /// Azure Event Grid event schema.
    EventGrid,
    /// CloudEvents 1.0 (structured, batch or binary mode).
    Cloudevents,
}

impl Schema {
    /// The schema's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::EventGrid => "event_grid",
            Schema::Cloudevents => "cloudevents",
        }
    }
}
