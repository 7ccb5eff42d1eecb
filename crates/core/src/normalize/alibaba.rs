//! Alibaba Cloud Container Registry events through EventBridge (`cr:Artifact:*`).
//!
//! Field names in `data` are read case-insensitively and several spellings are tried, since only
//! the `BuildCompleted` sample is published (see `docs/sources.md` for what is assumed). The
//! repository is `<namespace>/<name>`, as it is pulled; the registry is the instance name (so
//! rule scopes name instances as the console does), the instance id is kept in `instance`.

use super::{Classified, blank, digest_not_tag, ignored, set_time};
use std::collections::BTreeMap;

use crate::event::{Action, Outcome, RegistryKind, ScanSummary, Schema};
use crate::schema::alibaba::{self, AlibabaEvent, Fields};
use crate::schema::lenient::owned;
use crate::schema::wire::WireEvent;

/// `cr:Artifact:<name>` types and their action (Push/Delete names are UNCONFIRMED).
const TYPES: [(&str, Action); 8] = [
    ("SynchronizationCompleted", Action::Sync),
    ("BuildCompleted", Action::Build),
    ("ScanCompleted", Action::Scan),
    ("DeliveryChainCompleted", Action::DeliveryChain),
    ("SigningCompleted", Action::Sign),
    ("PushCompleted", Action::Push),
    ("DeleteCompleted", Action::Delete),
    ("Pushed", Action::Push),
];

/// The action of a `cr:Artifact:*` type.
fn action(kind: &str) -> Option<Action> {
    let (family, name) = kind.rsplit_once(':')?;
    if !family.eq_ignore_ascii_case("cr:Artifact") {
        return None;
    }
    TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, action)| *action)
}

/// Classifies one Alibaba EventBridge event.
pub(super) fn classify(wire: &WireEvent<'_>, raw: &str) -> Classified {
    let kind = wire.kind().unwrap_or_default();
    let Some(action) = action(kind) else {
        return ignored(kind);
    };
    let mut extra: AlibabaEvent = serde_json::from_str(raw).unwrap_or_default();
    let data = Fields::new(extra.data.take());
    let mut event = blank(
        owned(&wire.id).unwrap_or_default(),
        kind.to_owned(),
        action,
        Schema::Cloudevents,
        RegistryKind::Alibaba,
    );
    let status = data.status();
    event.outcome = status.as_deref().and_then(Outcome::from_status);
    event.sender_status = status;
    event.instance = data.text(&["InstanceId"]);
    event.registry = data
        .text(&["InstanceName"])
        .or_else(|| event.instance.clone());
    event.namespace = data.text(&[
        "RepoNamespaceName",
        "RepoNamespace",
        "Namespace",
        "NamespaceName",
    ]);
    let name = data.text(&["RepoName", "RepositoryName", "Repository"]);
    event.repository = match (&event.namespace, name) {
        (Some(ns), Some(name)) if !name.starts_with(&format!("{ns}/")) => {
            Some(format!("{ns}/{name}"))
        }
        (_, name) => name,
    };
    event.tag = data.text(&["Tag", "ImageTag"]);
    event.digest = data.text(&["Digest", "ImageDigest", "ManifestDigest"]);
    digest_not_tag(&mut event);
    if action == Action::Scan {
        event.scan = scan(&data);
    }
    event.location = data
        .text(&["RegionId", "Region"])
        .or_else(|| alibaba::text(extra.aliyunregionid.as_ref()));
    event.account = alibaba::text(extra.aliyunaccountid.as_ref());
    event.source = owned(&wire.source);
    event.subject = owned(&wire.subject);
    let update = data.text(&["ImageUpdate", "ImageCreate", "Time"]);
    let publish = alibaba::text(extra.aliyunpublishtime.as_ref());
    set_time(
        &mut event,
        &[wire.time.as_deref(), update.as_deref(), publish.as_deref()],
    );
    Classified::Registry(Box::new(event))
}

/// Severities of a `ScanCompleted` event: `HighSeverity`, `MediumSeverity`, `LowSeverity`,
/// `UnknownSeverity` (documented in the ACR event-notification template parameters), plus a
/// `CriticalSeverity` and a total (`TotalSeverity`, whose name the stored page cuts off) if sent.
fn scan(data: &Fields) -> Option<ScanSummary> {
    const LEVELS: [(&str, &str); 5] = [
        ("CriticalSeverity", "critical"),
        ("HighSeverity", "high"),
        ("MediumSeverity", "medium"),
        ("LowSeverity", "low"),
        ("UnknownSeverity", "unknown"),
    ];
    let severities: BTreeMap<String, u64> = LEVELS
        .iter()
        .filter_map(|(key, level)| Some(((*level).to_owned(), data.count(&[key])?)))
        .collect();
    let total = data.count(&["TotalSeverity", "Total", "TotalCount"]);
    if severities.is_empty() && total.is_none() {
        return None;
    }
    Some(ScanSummary {
        severities,
        total,
        fixable: None,
        severity: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_types_map_to_actions() {
        assert_eq!(action("cr:Artifact:BuildCompleted"), Some(Action::Build));
        assert_eq!(action("CR:artifact:scancompleted"), Some(Action::Scan));
        assert_eq!(action("cr:ActionTrail:ApiCall"), None);
        assert_eq!(action("BuildCompleted"), None);
    }
}
