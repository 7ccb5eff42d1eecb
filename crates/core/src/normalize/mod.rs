//! From decoded envelopes to the normalized model: pure functions, no I/O. One module per source.
//!
//! Each envelope is classified as a registry event (turned into a [`RegistryEvent`]), an Event Grid
//! handshake, or something we acknowledge and ignore (other system events, Distribution layer
//! events). ACR events are recognized by type, full (`Microsoft.ContainerRegistry.ImagePushed`) or
//! short (`ImagePushed`), case-insensitively; the action follows the type, not the sender's
//! `data.action`. CloudEvents are routed by type: `harbor.*` to Harbor, `cr:*` (or source
//! `acs.cr`) to Alibaba, the rest to ACR.

mod acr;
mod alibaba;
mod distribution;
mod ecr;
mod harbor;
mod push_hooks;

pub use acr::acr_type;

use crate::event::{Action, RegistryEvent, RegistryKind, Schema};
use crate::schema::acr::AcrData;
use crate::schema::lenient::owned;
use crate::schema::wire::{Data, WireEvent};
use crate::schema::{Envelope, Parsed, alibaba as alibaba_schema, event_grid};

/// What one envelope turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    /// A registry event, normalized.
    Registry(Box<RegistryEvent>),
    /// An Event Grid subscription validation event.
    Validation {
        /// The code to echo back.
        code: Option<String>,
    },
    /// An Event Grid subscription deletion notice.
    Deletion,
    /// Any other event: acknowledged, not fanned out.
    Ignored {
        /// Its type, for logs.
        event_type: String,
    },
}

/// Classifies one decoded envelope.
pub fn classify(parsed: &Parsed<'_>) -> Classified {
    let raw = parsed.raw.get();
    match &parsed.envelope {
        Envelope::EventBridge(event) => return ecr::classify(event),
        Envelope::Harbor(payload) => return harbor::classify_default(id(parsed), payload),
        Envelope::Push(payload) => return push_hooks::classify(parsed, payload),
        Envelope::Wire => {}
    }
    if matches!(parsed.schema(), Schema::Distribution | Schema::AcrWebhook) {
        return distribution::classify(parsed);
    }
    let wire = &parsed.wire;
    let kind = wire.kind().unwrap_or_default();
    if kind.eq_ignore_ascii_case(event_grid::TYPE_VALIDATION) {
        return validation(wire);
    }
    if kind.eq_ignore_ascii_case(event_grid::TYPE_DELETION) {
        return Classified::Deletion;
    }
    if let Some((full, action)) = acr_type(kind) {
        return Classified::Registry(Box::new(acr::registry_event(
            wire,
            parsed.schema(),
            full,
            action,
            RegistryKind::Acr,
        )));
    }
    if acr::strip_prefix_ignore_case(kind, harbor::CE_PREFIX).is_some() {
        return harbor::classify_cloud_event(wire, raw);
    }
    if acr::strip_prefix_ignore_case(kind, alibaba_schema::TYPE_PREFIX).is_some()
        || wire.source.as_deref() == Some(alibaba_schema::SOURCE)
    {
        return alibaba::classify(wire, raw);
    }
    ignored(kind)
}

/// An event acknowledged and not fanned out.
fn ignored(event_type: &str) -> Classified {
    Classified::Ignored {
        event_type: event_type.to_owned(),
    }
}

fn id(parsed: &Parsed<'_>) -> String {
    parsed.wire.id.as_deref().unwrap_or_default().to_owned()
}

/// An event with only its identity and registry kind set; the source fills in the rest.
fn blank(
    id: String,
    event_type: String,
    action: Action,
    schema: Schema,
    kind: RegistryKind,
) -> RegistryEvent {
    RegistryEvent {
        registry_kind: kind,
        ..RegistryEvent::new(id, event_type, action, schema)
    }
}

/// Sets `time_raw` from the first non-empty candidate and `time` from the first readable one.
fn set_time(event: &mut RegistryEvent, candidates: &[Option<&str>]) {
    let present = || {
        candidates
            .iter()
            .flatten()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
    };
    event.time_raw = present().next().map(str::to_owned);
    event.time = present().find_map(crate::time::normalize);
}

/// Moves a digest that a sender put in the tag (Harbor by-digest pushes) to `digest`.
fn digest_not_tag(event: &mut RegistryEvent) {
    if let Some(tag) = event.tag.take() {
        if tag.starts_with("sha256:") || tag.starts_with("sha512:") {
            event.digest.get_or_insert(tag);
        } else {
            event.tag = Some(tag);
        }
    }
}

/// The validation code, from an object `data` or (CloudEvents subscriptions) a JSON-encoded string.
fn validation(wire: &WireEvent<'_>) -> Classified {
    let code = match &wire.data {
        Data::Object(data) => owned(&data.validation_code),
        Data::Text(text) => serde_json::from_str::<AcrData<'_>>(text)
            .ok()
            .and_then(|data| owned(&data.validation_code)),
        Data::Other => None,
    };
    Classified::Validation { code }
}
