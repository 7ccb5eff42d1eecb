//! The normalized model: one [`RegistryEvent`] per registry action, whatever the sender and schema.
//!
//! This module owns the shape users see (`regrelay normalize`, webhook bodies, history) and the closed
//! sets it uses ([`Action`], [`Outcome`], [`Schema`], [`RegistryKind`]). It does no parsing:
//! `normalize` fills it from `schema` types. Absent values are `None` (serialized as `null`), never
//! invented; the few derived values (ECR login server, ids of senders that give none) are documented
//! in `docs/sources.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod kinds;

pub use kinds::{Action, Outcome, RegistryKind, Schema};

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
    /// How the operation ended, for operations that report it (scans, builds, syncs, ECR actions).
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The sender's own status string behind `outcome`, exactly as given (`SUCCESS`, `COMPLETE`…).
    #[serde(default)]
    pub sender_status: Option<String>,
    /// Which registry product the event comes from.
    #[serde(default)]
    pub registry_kind: RegistryKind,
    /// Registry login server when the event carries one, else the registry or instance name.
    pub registry: Option<String>,
    /// Registry instance id, where the registry has instances (Alibaba ACR EE `cri-…`).
    #[serde(default)]
    pub instance: Option<String>,
    /// Namespace or project as the sender names it (Harbor project, Alibaba and Docker Hub
    /// namespace); `repository` is still the full path.
    #[serde(default)]
    pub namespace: Option<String>,
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
    /// Region of the registry (Azure `data.location`, AWS `region`, Alibaba `RegionId`), when given.
    pub location: Option<String>,
    /// Cloud account owning the registry (AWS account id, Alibaba account id), when given.
    #[serde(default)]
    pub account: Option<String>,
    /// Vulnerability counts, on scan events that carry them.
    #[serde(default)]
    pub scan: Option<ScanSummary>,
    /// Event Grid `dataVersion` (2.0 for connected-registry events).
    pub data_version: Option<String>,
    /// One push of a multi-platform image (coalesced): its platform manifests. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<Platform>,
    /// One push (coalesced): the digests of its attestation manifests (provenance, SBOM).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<String>,
}

impl Platform {
    /// `linux/arm64/v8`; `None` when the registry did not say (no enrichment).
    pub fn name(&self) -> Option<String> {
        let parts: Vec<&str> = [
            self.os.as_deref(),
            self.architecture.as_deref(),
            self.variant.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }
}

/// One platform manifest of a multi-platform push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// Operating system (`linux`), when known (from the index, with registry enrichment).
    pub os: Option<String>,
    /// CPU architecture (`amd64`, `arm64`), when known.
    pub architecture: Option<String>,
    /// Architecture variant (`v7`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The platform manifest's digest.
    pub digest: String,
}

impl RegistryEvent {
    /// An event with only its identity set; every other field absent (normalizers and tests fill
    /// in the rest with struct-update syntax).
    pub fn new(
        id: impl Into<String>,
        event_type: impl Into<String>,
        action: Action,
        schema: Schema,
    ) -> Self {
        RegistryEvent {
            id: id.into(),
            event_type: event_type.into(),
            action,
            sender_action: None,
            outcome: None,
            sender_status: None,
            registry_kind: RegistryKind::default(),
            registry: None,
            instance: None,
            namespace: None,
            repository: None,
            tag: None,
            digest: None,
            media_type: None,
            size: None,
            connected_registry: None,
            time: None,
            time_raw: None,
            schema,
            source: None,
            subject: None,
            chart: None,
            actor: None,
            request: None,
            location: None,
            account: None,
            scan: None,
            data_version: None,
            platforms: Vec::new(),
            attestations: Vec::new(),
        }
    }
}

/// What a vulnerability scan found, as far as the sender says.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScanSummary {
    /// Findings per severity, keys lower-case (`critical`, `high`, `medium`, `low`, …).
    pub severities: BTreeMap<String, u64>,
    /// Total findings, when the sender gives it.
    pub total: Option<u64>,
    /// Fixable findings, when the sender gives it.
    pub fixable: Option<u64>,
    /// Overall severity, when the sender gives it (Harbor), lower-case.
    pub severity: Option<String>,
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
