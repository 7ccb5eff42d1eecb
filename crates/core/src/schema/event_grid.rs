//! Azure Event Grid specifics: system event types of the handshake, delivery headers, and what the
//! `topic` path says about the registry.

/// Header Event Grid sets to say what kind of delivery a request is.
pub const HEADER_EVENT_TYPE: &str = "aeg-event-type";

/// `aeg-event-type` value of a subscription deletion notice.
pub const DELIVERY_DELETION: &str = "SubscriptionDeletion";

/// Event type of the subscription validation event.
pub const TYPE_VALIDATION: &str = "Microsoft.EventGrid.SubscriptionValidationEvent";
/// Event type of the subscription deletion event.
pub const TYPE_DELETION: &str = "Microsoft.EventGrid.SubscriptionDeletedEvent";

/// The registry name in an ACR resource path
/// (`…/providers/Microsoft.ContainerRegistry/registries/<name>[/connectedRegistries/<cr>]`).
pub fn registry_from_topic(topic: &str) -> Option<&str> {
    segment_after(topic, "/registries/")
}

/// The connected registry name in a connected-registry resource path.
pub fn connected_registry_from_topic(topic: &str) -> Option<&str> {
    segment_after(topic, "/connectedregistries/")
}

/// The path segment that follows `marker` (lower-case, starting with `/`; matched ASCII
/// case-insensitively, without allocating).
fn segment_after<'t>(path: &'t str, marker: &str) -> Option<&'t str> {
    let bytes = path.as_bytes();
    let marker = marker.as_bytes();
    let at = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == marker[0])
        .map(|(i, _)| i)
        .find(|&i| {
            bytes
                .get(i..i + marker.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(marker))
        })?;
    let rest = &path[at + marker.len()..];
    let name = rest.split('/').next().unwrap_or_default();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_resource_paths() {
        let topic = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo/connectedRegistries/edge1";
        assert_eq!(registry_from_topic(topic), Some("demo"));
        assert_eq!(connected_registry_from_topic(topic), Some("edge1"));
        assert_eq!(registry_from_topic("/providers/x/registries/"), None);
        assert_eq!(connected_registry_from_topic("/registries/demo"), None);
    }
}
