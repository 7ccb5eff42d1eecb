//! From decoded envelopes to the normalized model: pure functions, no I/O.
//!
//! Each envelope is classified as a registry event (turned into a [`RegistryEvent`]), an Event Grid
//! handshake, or something we acknowledge and ignore (other system events). Registry events are
//! recognized by type, full (`Microsoft.ContainerRegistry.ImagePushed`) or short (`ImagePushed`),
//! case-insensitively; the action follows the type, not the sender's `data.action`.

use crate::event::{Action, Chart, RegistryEvent, RequestInfo, Schema};
use crate::schema::acr::AcrData;
use crate::schema::lenient::owned;
use crate::schema::wire::{Data, WireEvent};
use crate::schema::{Parsed, event_grid};
use crate::time;

/// What one envelope turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    /// A registry event, normalized.
    Registry(Box<RegistryEvent>),
    /// An Event Grid subscription validation event.
    Validation {
        /// The code to echo back.
        code: Option<String>,
        /// The URL for manual validation, if given.
        url: Option<String>,
    },
    /// An Event Grid subscription deletion notice.
    Deletion,
    /// Any other event: acknowledged, not fanned out.
    Ignored {
        /// Its type, for logs.
        event_type: String,
    },
}

const ACR_PREFIX: &str = "Microsoft.ContainerRegistry.";

/// The canonical type and action of an ACR event type, given in full or short form.
pub fn acr_type(event_type: &str) -> Option<(&'static str, Action)> {
    let short = strip_prefix_ignore_case(event_type, ACR_PREFIX).unwrap_or(event_type);
    const TYPES: [(&str, &str, Action); 4] = [
        (
            "ImagePushed",
            "Microsoft.ContainerRegistry.ImagePushed",
            Action::Push,
        ),
        (
            "ImageDeleted",
            "Microsoft.ContainerRegistry.ImageDeleted",
            Action::Delete,
        ),
        (
            "ChartPushed",
            "Microsoft.ContainerRegistry.ChartPushed",
            Action::ChartPush,
        ),
        (
            "ChartDeleted",
            "Microsoft.ContainerRegistry.ChartDeleted",
            Action::ChartDelete,
        ),
    ];
    TYPES
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(short))
        .map(|(_, full, action)| (*full, *action))
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Classifies one decoded envelope.
pub fn classify(parsed: &Parsed<'_>) -> Classified {
    let wire = &parsed.wire;
    let kind = wire.kind().unwrap_or_default();
    if kind.eq_ignore_ascii_case(event_grid::TYPE_VALIDATION) {
        return validation(wire);
    }
    if kind.eq_ignore_ascii_case(event_grid::TYPE_DELETION) {
        return Classified::Deletion;
    }
    match acr_type(kind) {
        Some((full, action)) => Classified::Registry(Box::new(registry_event(
            wire,
            parsed.schema(),
            full,
            action,
        ))),
        None => Classified::Ignored {
            event_type: kind.to_owned(),
        },
    }
}

/// The validation code, from an object `data` or (CloudEvents subscriptions) a JSON-encoded string.
fn validation(wire: &WireEvent<'_>) -> Classified {
    let from = |data: &AcrData<'_>| Classified::Validation {
        code: owned(&data.validation_code),
        url: owned(&data.validation_url),
    };
    match &wire.data {
        Data::Object(data) => from(data),
        Data::Text(text) => match serde_json::from_str::<AcrData<'_>>(text) {
            Ok(data) => from(&data),
            Err(_) => Classified::Validation {
                code: None,
                url: None,
            },
        },
        Data::Other => Classified::Validation {
            code: None,
            url: None,
        },
    }
}

fn registry_event(
    wire: &WireEvent<'_>,
    schema: Schema,
    full: &str,
    action: Action,
) -> RegistryEvent {
    let empty = AcrData::default();
    let data = wire.acr().unwrap_or(&empty);
    let target = data.target.get();
    let request = data.request.get();
    let origin = wire.origin();
    let time_raw = wire
        .envelope_time()
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let time = time_raw
        .as_deref()
        .and_then(time::normalize)
        .or_else(|| data.timestamp.as_deref().and_then(time::normalize));
    let registry = request.and_then(|r| owned(&r.host)).or_else(|| {
        origin
            .and_then(event_grid::registry_from_topic)
            .map(str::to_owned)
    });
    let connected_registry = data
        .connected_registry_name()
        .or_else(|| origin.and_then(event_grid::connected_registry_from_topic))
        .map(str::to_owned);
    let chart = matches!(action, Action::ChartPush | Action::ChartDelete).then(|| Chart {
        name: target.and_then(|t| owned(&t.name)),
        version: target.and_then(|t| owned(&t.version)),
    });
    RegistryEvent {
        id: wire.id.as_deref().unwrap_or_default().to_owned(),
        event_type: full.to_owned(),
        action,
        sender_action: owned(&data.action),
        registry,
        repository: target.and_then(|t| owned(&t.repository)),
        tag: target.and_then(|t| owned(&t.tag)),
        digest: target.and_then(|t| owned(&t.digest)),
        media_type: target.and_then(|t| owned(&t.media_type)),
        size: target.and_then(|t| t.size.or(t.length)),
        connected_registry,
        time,
        time_raw,
        schema,
        source: origin.filter(|o| !o.is_empty()).map(str::to_owned),
        subject: owned(&wire.subject),
        chart,
        actor: data.actor.get().and_then(|a| owned(&a.name)),
        request: request.map(|r| RequestInfo {
            id: owned(&r.id),
            addr: owned(&r.addr),
            host: owned(&r.host),
            method: owned(&r.method),
            useragent: owned(&r.useragent),
        }),
        location: owned(&data.location),
        data_version: owned(&wire.data_version),
    }
}
