//! Harbor webhooks, default format (`PUSH_ARTIFACT`…) and CloudEvents format
//! (`harbor.artifact.pushed`…). Both carry the same `event_data`.
//!
//! The first resource is the artifact (Harbor sends one per artifact event; any others stay in
//! the raw event). The project is the namespace; pushes by digest put the digest in `tag`, which
//! is moved to `digest`. The registry is the host of the resource URL.

use std::collections::BTreeMap;

use super::{Classified, blank, digest_not_tag, ignored, set_time};
use crate::event::{Action, Outcome, RegistryEvent, RegistryKind, ScanSummary, Schema};
use crate::schema::harbor::{EventData, HarborCloudEvent, HarborPayload};
use crate::schema::lenient::owned;
use crate::schema::wire::WireEvent;

/// Prefix of Harbor's CloudEvents types.
pub(super) const CE_PREFIX: &str = "harbor.";

/// Default-format and CloudEvents types, their action and (where the type says) outcome.
const TYPES: [(&str, &str, Action, Option<Outcome>); 14] = [
    (
        "PUSH_ARTIFACT",
        "harbor.artifact.pushed",
        Action::Push,
        None,
    ),
    (
        "PULL_ARTIFACT",
        "harbor.artifact.pulled",
        Action::Pull,
        None,
    ),
    (
        "DELETE_ARTIFACT",
        "harbor.artifact.deleted",
        Action::Delete,
        None,
    ),
    (
        "SCANNING_COMPLETED",
        "harbor.scan.completed",
        Action::Scan,
        Some(Outcome::Succeeded),
    ),
    (
        "SCANNING_FAILED",
        "harbor.scan.failed",
        Action::Scan,
        Some(Outcome::Failed),
    ),
    (
        "SCANNING_STOPPED",
        "harbor.scan.stopped",
        Action::Scan,
        Some(Outcome::Canceled),
    ),
    (
        "QUOTA_EXCEED",
        "harbor.quota.exceeded",
        Action::Quota,
        Some(Outcome::Denied),
    ),
    ("QUOTA_WARNING", "harbor.quota.warned", Action::Quota, None),
    (
        "REPLICATION",
        "harbor.replication.status.changed",
        Action::Replication,
        None,
    ),
    (
        "TAG_RETENTION",
        "harbor.tag_retention.finished",
        Action::Retention,
        None,
    ),
    (
        "UPLOAD_CHART",
        "harbor.chart.uploaded",
        Action::ChartPush,
        None,
    ),
    (
        "DOWNLOAD_CHART",
        "harbor.chart.downloaded",
        Action::Pull,
        None,
    ),
    (
        "DELETE_CHART",
        "harbor.chart.deleted",
        Action::ChartDelete,
        None,
    ),
    ("DELETE_TAG", "harbor.tag.deleted", Action::Delete, None),
];

fn lookup(kind: &str) -> Option<(Action, Option<Outcome>)> {
    TYPES
        .iter()
        .find(|(default, ce, _, _)| {
            default.eq_ignore_ascii_case(kind) || ce.eq_ignore_ascii_case(kind)
        })
        .map(|(_, _, action, outcome)| (*action, *outcome))
}

/// A default-format payload (`id` was derived from the payload).
pub(super) fn classify_default(id: String, payload: &HarborPayload<'_>) -> Classified {
    let kind = payload.kind.as_deref().unwrap_or_default();
    let Some((action, outcome)) = lookup(kind) else {
        return ignored(kind);
    };
    let mut event = blank(
        id,
        kind.to_owned(),
        action,
        Schema::Harbor,
        RegistryKind::Harbor,
    );
    event.outcome = outcome;
    event.actor = owned(&payload.operator);
    set_time(&mut event, &[payload.occur_at.as_deref()]);
    fill(&mut event, payload.event_data.get());
    Classified::Registry(Box::new(event))
}

/// A CloudEvents-format event.
pub(super) fn classify_cloud_event(wire: &WireEvent<'_>, raw: &str) -> Classified {
    let kind = wire.kind().unwrap_or_default();
    let Some((action, outcome)) = lookup(kind) else {
        return ignored(kind);
    };
    let extra: HarborCloudEvent<'_> = serde_json::from_str(raw).unwrap_or_default();
    let mut event = blank(
        owned(&wire.id).unwrap_or_default(),
        kind.to_owned(),
        action,
        Schema::Cloudevents,
        RegistryKind::Harbor,
    );
    event.outcome = outcome;
    event.actor = owned(&extra.operator);
    event.source = owned(&wire.source);
    event.subject = owned(&wire.subject);
    set_time(&mut event, &[wire.time.as_deref()]);
    fill(&mut event, extra.data.get());
    Classified::Registry(Box::new(event))
}

fn fill(event: &mut RegistryEvent, data: Option<&EventData<'_>>) {
    let Some(data) = data else { return };
    if let Some(repository) = data.repository.get() {
        event.repository = repository.full_name();
        event.namespace = owned(&repository.namespace);
    }
    if let Some(resource) = data.resources.first() {
        event.tag = owned(&resource.tag);
        event.digest = owned(&resource.digest);
        event.registry = resource.resource_url.as_deref().and_then(registry_host);
        event.scan = scan(&resource.scan_overview);
        event.sender_status = report_status(&resource.scan_overview);
    }
    digest_not_tag(event);
    replication_place(event, &data.replication);
    let status =
        status(&data.replication, "job_status").or_else(|| status(&data.retention, "status"));
    if let Some(status) = status {
        event.outcome = event.outcome.or_else(|| Outcome::from_status(&status));
        event.sender_status = Some(status);
    }
}

/// The registry host of a Harbor `resource_url` (`host[:port]/project/repo[:tag|@digest]`, with
/// or without a scheme): the part before the first `/`, when it looks like a host (a dot, a port
/// or `localhost`). Pushes by digest, robot-account and proxy-cache pushes carry it as well.
fn registry_host(url: &str) -> Option<String> {
    let url = url.trim();
    let url = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (host, path) = url.split_once('/')?;
    let hostlike = host.contains('.') || host.contains(':') || host == "localhost";
    (hostlike && !path.is_empty() && !host.contains('@')).then(|| host.to_owned())
}

/// Where a replication put artifacts: `harbor_hostname` as the registry, the destination
/// namespace, and the repository when exactly one artifact succeeded (its `name_tag` reads
/// `alpine [1 item(s) in total]`).
fn replication_place(event: &mut RegistryEvent, replication: &serde_json::Value) {
    if !replication.is_object() {
        return;
    }
    if event.registry.is_none() {
        event.registry = status(replication, "harbor_hostname");
    }
    let namespace = replication
        .get("dest_resource")
        .and_then(|d| status(d, "namespace"));
    let artifacts = replication
        .get("successful_artifact")
        .and_then(|a| a.as_array());
    let name = match artifacts.map(Vec::as_slice) {
        Some([one]) => status(one, "name_tag")
            .and_then(|n| n.split(" [").next().map(str::trim).map(str::to_owned))
            .filter(|n| !n.is_empty()),
        _ => None,
    };
    if event.repository.is_none()
        && let (Some(namespace), Some(name)) = (&namespace, &name)
    {
        event.repository = Some(format!("{namespace}/{name}"));
    }
    if event.namespace.is_none() {
        event.namespace = namespace;
    }
}

fn status(object: &serde_json::Value, key: &str) -> Option<String> {
    object
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The first report's `scan_status` (`Success`, `Error`, `Stopped`).
fn report_status(overview: &serde_json::Value) -> Option<String> {
    status(overview.as_object()?.values().next()?, "scan_status")
}

/// The first report of `scan_overview` (keyed by report media type).
fn scan(overview: &serde_json::Value) -> Option<ScanSummary> {
    let report = overview.as_object()?.values().next()?;
    let summary = report.get("summary");
    let mut severities = BTreeMap::new();
    if let Some(counts) = summary
        .and_then(|s| s.get("summary"))
        .and_then(|s| s.as_object())
    {
        for (severity, count) in counts {
            if let Some(count) = count.as_u64() {
                severities.insert(severity.to_ascii_lowercase(), count);
            }
        }
    }
    Some(ScanSummary {
        severities,
        total: summary
            .and_then(|s| s.get("total"))
            .and_then(|t| t.as_u64()),
        fixable: summary
            .and_then(|s| s.get("fixable"))
            .and_then(|t| t.as_u64()),
        severity: report
            .get("severity")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase),
    })
}

#[cfg(test)]
mod tests {
    use super::registry_host;

    #[test]
    fn the_registry_is_the_resource_url_host() {
        let host = |url| registry_host(url);
        assert_eq!(
            host("hub.harbor.com/lib/app:v1").as_deref(),
            Some("hub.harbor.com")
        );
        assert_eq!(
            host("harbor:8443/lib/app@sha256:8a9e").as_deref(),
            Some("harbor:8443")
        );
        assert_eq!(
            host("harbor:8443/lib/app:sha256:8a9e").as_deref(),
            Some("harbor:8443")
        );
        assert_eq!(
            host("https://harbor.example/lib/app").as_deref(),
            Some("harbor.example")
        );
        assert_eq!(host("localhost/lib/app").as_deref(), Some("localhost"));
        assert_eq!(host("lib/app:v1"), None, "no host: a project name");
        assert_eq!(host("app@sha256:8a9e"), None);
        assert_eq!(host(""), None);
    }
}
