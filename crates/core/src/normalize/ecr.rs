//! Amazon EventBridge events from ECR (`source` `aws.ecr`) and from Inspector's ECR scans
//! (`aws.inspector2`, `Inspector2 Scan`). Other EventBridge events are acknowledged and ignored.
//!
//! The event type is the `detail-type` as given. The registry is derived from the envelope:
//! `<account>.dkr.ecr.<region>.amazonaws.com`, ECR's login server.

use std::collections::BTreeMap;

use super::{Classified, blank, ignored, set_time};
use crate::event::{Action, Outcome, RegistryKind, ScanSummary, Schema};
use crate::schema::eventbridge::{EcrDetail, EventBridgeEvent};
use crate::schema::lenient::owned;

/// Classifies one EventBridge event.
pub(super) fn classify(envelope: &EventBridgeEvent<'_>) -> Classified {
    let detail_type = envelope.detail_type.as_deref().unwrap_or_default();
    let source = envelope.source.as_deref().unwrap_or_default();
    let empty = EcrDetail::default();
    let detail = envelope.detail.get().unwrap_or(&empty);
    let Some(action) = action(source, detail_type, detail) else {
        return ignored(detail_type);
    };
    let mut event = blank(
        owned(&envelope.id).unwrap_or_default(),
        detail_type.to_owned(),
        action,
        Schema::Eventbridge,
        RegistryKind::Ecr,
    );
    let status = owned(&detail.result)
        .or_else(|| owned(&detail.scan_status))
        .or_else(|| owned(&detail.sync_status));
    event.outcome = status.as_deref().and_then(outcome);
    event.sender_status = status;
    event.sender_action = owned(&detail.action_type);
    event.account = owned(&envelope.account);
    event.location = owned(&envelope.region);
    event.registry = match (&event.account, &event.location) {
        (Some(account), Some(region)) => Some(format!("{account}.dkr.ecr.{region}.amazonaws.com")),
        _ => None,
    };
    event.repository = detail.repository().map(str::to_owned);
    event.tag = detail.tag();
    event.digest = owned(&detail.image_digest);
    event.media_type =
        owned(&detail.manifest_media_type).or_else(|| owned(&detail.artifact_media_type));
    event.source = owned(&envelope.source);
    event.scan = (action == Action::Scan)
        .then(|| scan(&detail.finding_severity_counts))
        .flatten();
    set_time(&mut event, &[envelope.time.as_deref()]);
    Classified::Registry(Box::new(event))
}

/// The action of an ECR detail type; `None` for events that concern no artifact.
fn action(source: &str, detail_type: &str, detail: &EcrDetail<'_>) -> Option<Action> {
    let is = |name: &str| detail_type.eq_ignore_ascii_case(name);
    if source.eq_ignore_ascii_case("aws.inspector2") {
        return is("Inspector2 Scan").then_some(Action::Scan);
    }
    if !source.eq_ignore_ascii_case("aws.ecr") {
        return None;
    }
    let by_action_type = || match detail.action_type.as_deref()? {
        t if t.eq_ignore_ascii_case("PUSH") => Some(Action::Push),
        t if t.eq_ignore_ascii_case("DELETE") => Some(Action::Delete),
        _ => None,
    };
    if is("ECR Image Action") || is("ECR Referrer Action") {
        by_action_type()
    } else if is("ECR Image Scan") {
        Some(Action::Scan)
    } else if is("ECR Pull Through Cache Action") {
        Some(Action::Sync)
    } else if is("ECR Replication Action") {
        Some(Action::Replication)
    } else {
        None
    }
}

/// `SUCCESS`, `FAILURE`, `COMPLETE`, `INITIAL_SCAN_COMPLETE`, `SCAN_ELIGIBILITY_EXPIRED`…
fn outcome(status: &str) -> Option<Outcome> {
    Outcome::from_status(status).or_else(|| {
        let upper = status.to_ascii_uppercase();
        if upper.ends_with("COMPLETE") {
            Some(Outcome::Succeeded)
        } else if upper.contains("FAIL") {
            Some(Outcome::Failed)
        } else {
            None
        }
    })
}

/// `finding-severity-counts`: severities lower-cased; Inspector's `TOTAL` becomes the total.
fn scan(counts: &serde_json::Value) -> Option<ScanSummary> {
    let counts = counts.as_object()?;
    let mut summary = ScanSummary {
        severities: BTreeMap::new(),
        ..ScanSummary::default()
    };
    for (severity, count) in counts {
        let Some(count) = count.as_u64() else {
            continue;
        };
        if severity.eq_ignore_ascii_case("total") {
            summary.total = Some(count);
        } else {
            summary
                .severities
                .insert(severity.to_ascii_lowercase(), count);
        }
    }
    Some(summary)
}
