//! CNCF Distribution envelopes and ACR native webhooks: Distribution-style events with `action`,
//! `target`, `request`, `actor`.
//!
//! Only manifest events are artifact events. A target whose media type is not a manifest or index
//! (layers, configs, any blob) is acknowledged and ignored, and so is every `mount` (always a
//! blob). Deletes carry no media type and are kept as artifact deletes. The event type is
//! `distribution.<action>`; ACR webhook actions map to the ACR Event Grid types.

use super::acr::registry_event;
use super::{Classified, acr_type, ignored};
use crate::event::{Action, RegistryKind, Schema};
use crate::schema::Parsed;
use crate::schema::acr::AcrData;
use crate::schema::lenient::owned;

/// Classifies one event of an envelope, or an ACR webhook.
pub(super) fn classify(parsed: &Parsed<'_>) -> Classified {
    let wire = &parsed.wire;
    let empty = AcrData::default();
    let data = wire.acr().unwrap_or(&empty);
    let sender_action = data
        .action
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if parsed.schema() == Schema::AcrWebhook {
        let short = match sender_action.as_str() {
            "push" => "ImagePushed",
            "delete" => "ImageDeleted",
            "chart_push" => "ChartPushed",
            "chart_delete" => "ChartDeleted",
            _ => return ignored(&format!("acr_webhook.{sender_action}")),
        };
        let Some((full, action)) = acr_type(short) else {
            return ignored(short);
        };
        let mut event = registry_event(wire, Schema::AcrWebhook, full, action, RegistryKind::Acr);
        event.time_raw = owned(&data.timestamp);
        return Classified::Registry(Box::new(event));
    }
    let event_type = format!("distribution.{sender_action}");
    let media_type = data.target.get().and_then(|t| t.media_type.as_deref());
    let action = match sender_action.as_str() {
        "push" => Action::Push,
        "pull" => Action::Pull,
        "delete" => Action::Delete,
        _ => return ignored(&event_type),
    };
    if media_type.is_some_and(|m| !is_manifest(m)) {
        return ignored(&format!("{event_type} (blob)"));
    }
    let mut event = registry_event(
        wire,
        Schema::Distribution,
        &event_type,
        action,
        RegistryKind::Distribution,
    );
    event.time_raw = owned(&data.timestamp);
    Classified::Registry(Box::new(event))
}

/// Manifest and index media types (Docker v2 schema 1 and 2, OCI), and the artifact manifests of
/// older ORAS. Everything else a registry stores is a blob.
pub fn is_manifest(media_type: &str) -> bool {
    let m = media_type.to_ascii_lowercase();
    m.contains("manifest") || m.contains("image.index") || m.ends_with("+prettyjws")
}

#[cfg(test)]
mod tests {
    use super::is_manifest;

    #[test]
    fn manifests_and_blobs_are_told_apart() {
        for m in [
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        ] {
            assert!(is_manifest(m), "{m}");
        }
        for m in [
            "application/octet-stream",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.container.image.v1+json",
        ] {
            assert!(!is_manifest(m), "{m}");
        }
    }
}
