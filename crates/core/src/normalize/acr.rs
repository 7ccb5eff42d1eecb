//! Azure Container Registry events (Event Grid, CloudEvents, native webhooks) and every other
//! Distribution-derived event (`data` with `target`, `request`, `actor`).

use crate::event::{Action, Chart, RegistryEvent, RegistryKind, RequestInfo, Schema};
use crate::schema::acr::AcrData;
use crate::schema::event_grid;
use crate::schema::lenient::owned;
use crate::schema::wire::WireEvent;
use crate::time;

pub(super) const ACR_PREFIX: &str = "Microsoft.ContainerRegistry.";

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

pub(super) fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

pub(super) fn registry_event(
    wire: &WireEvent<'_>,
    schema: Schema,
    full: &str,
    action: Action,
    kind: RegistryKind,
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
        outcome: None,
        sender_status: None,
        instance: None,
        namespace: None,
        account: None,
        scan: None,
        registry_kind: kind,
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
        platforms: Vec::new(),
        attestations: Vec::new(),
    }
}
