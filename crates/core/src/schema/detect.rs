//! Recognizing a single JSON object that is neither an Event Grid event nor a CloudEvent: one
//! shape probe that only notes which top-level members are present, then the format's decoder.
//!
//! Headers decide first where they are unambiguous (Distribution's media types); the probe is
//! only reached by bodies the Event Grid / CloudEvents decoder could not place, so the hot path
//! (Event Grid batches) never pays for it.

use serde::Deserialize;
use serde::de::IgnoredAny;
use sha2::{Digest, Sha256};

use super::docker_hub::PushPayload;
use super::eventbridge::EventBridgeEvent;
use super::harbor::HarborPayload;
use super::lenient::{Obj, Text};
use super::wire::WireEvent;
use super::{Envelope, Format, Parsed, RawEvent, SchemaError, distribution, json};
use crate::event::Schema;

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default, rename = "detail-type")]
    detail_type: Option<IgnoredAny>,
    #[serde(default)]
    detail: Option<IgnoredAny>,
    #[serde(default)]
    events: Option<IgnoredAny>,
    #[serde(default)]
    event_data: Option<IgnoredAny>,
    #[serde(default)]
    push_data: Option<IgnoredAny>,
    #[serde(borrow, default)]
    repository: Obj<RepositoryProbe<'a>>,
    #[serde(default)]
    action: Option<IgnoredAny>,
    #[serde(default)]
    target: Option<IgnoredAny>,
    #[serde(default, rename = "TopicArn")]
    topic_arn: Option<IgnoredAny>,
}

#[derive(Default, Deserialize)]
struct RepositoryProbe<'a> {
    #[serde(borrow, default)]
    region: Text<'a>,
}

/// Decodes a single object that is not an Event Grid event or CloudEvent.
pub(super) fn object(text: &str) -> Result<(Format, Vec<Parsed<'_>>), SchemaError> {
    let probe: Probe<'_> = serde_json::from_str(text).map_err(|e| json::located(text, 0, &e))?;
    let raw = text.trim();
    if probe.detail_type.is_some() && probe.detail.is_some() {
        let event: EventBridgeEvent<'_> =
            serde_json::from_str(raw).map_err(|e| json::located(text, 0, &e))?;
        let id = event.id.clone();
        let envelope = Envelope::EventBridge(Box::new(event));
        return Ok((
            Format::EventBridge,
            vec![one(id, raw, Schema::Eventbridge, envelope)?],
        ));
    }
    if probe.events.is_some() {
        return Ok((Format::Distribution, distribution::parse_envelope(text)?));
    }
    if probe.event_data.is_some() {
        let payload: HarborPayload<'_> =
            serde_json::from_str(raw).map_err(|e| json::located(text, 0, &e))?;
        if payload.kind.is_none() {
            return Err(SchemaError::malformed("Harbor webhook without 'type'"));
        }
        let envelope = Envelope::Harbor(Box::new(payload));
        return Ok((Format::Harbor, vec![derived(raw, Schema::Harbor, envelope)]));
    }
    if probe.push_data.is_some() && probe.repository.get().is_some() {
        let payload: PushPayload<'_> =
            serde_json::from_str(raw).map_err(|e| json::located(text, 0, &e))?;
        let alibaba = probe.repository.get().is_some_and(|r| r.region.is_some());
        let (format, schema) = if alibaba {
            (Format::AlibabaWebhook, Schema::AlibabaWebhook)
        } else {
            (Format::DockerHub, Schema::DockerHub)
        };
        let envelope = Envelope::Push(Box::new(payload));
        return Ok((format, vec![derived(raw, schema, envelope)]));
    }
    if probe.action.is_some() && probe.target.is_some() {
        return Ok((
            Format::AcrWebhook,
            vec![distribution::event(raw, 0, Schema::AcrWebhook)?],
        ));
    }
    if probe.topic_arn.is_some() {
        return Err(SchemaError::malformed(
            "this is an Amazon SNS message: send it with its x-amz-sns-message-type header so it is verified and unwrapped",
        ));
    }
    Err(SchemaError::malformed(format!(
        "unrecognized JSON object; tried {}",
        why_not(&probe)
    )))
}

/// Each format tried on an object, and why it did not fit.
fn why_not(probe: &Probe<'_>) -> String {
    let pair = |a: (bool, &str), b: (bool, &str)| match (a.0, b.0) {
        (true, false) => format!("has '{}' but no '{}'", a.1, b.1),
        (false, true) => format!("has '{}' but no '{}'", b.1, a.1),
        _ => format!("no '{}' and '{}'", a.1, b.1),
    };
    let eventbridge = pair(
        (probe.detail_type.is_some(), "detail-type"),
        (probe.detail.is_some(), "detail"),
    );
    let push = pair(
        (probe.push_data.is_some(), "push_data"),
        (probe.repository.get().is_some(), "repository"),
    );
    let acr = pair(
        (probe.action.is_some(), "action"),
        (probe.target.is_some(), "target"),
    );
    [
        "Event Grid (no 'eventType', 'subject', 'data' and 'eventTime')".to_owned(),
        "CloudEvents (no 'specversion', 'id', 'source' and 'type'; binary mode needs ce-* headers)"
            .to_owned(),
        format!("Amazon EventBridge ({eventbridge})"),
        "Amazon SNS (no 'TopicArn')".to_owned(),
        "a Distribution envelope (no 'events')".to_owned(),
        "Harbor (no 'event_data')".to_owned(),
        format!("Docker Hub or Alibaba ACR webhooks ({push})"),
        format!("ACR webhooks ({acr})"),
    ]
    .join("; ")
}

/// An event whose sender gives an id.
fn one<'a>(
    id: Text<'a>,
    raw: &'a str,
    schema: Schema,
    envelope: Envelope<'a>,
) -> Result<Parsed<'a>, SchemaError> {
    if id.as_deref().is_none_or(str::is_empty) {
        return Err(SchemaError::malformed(format!(
            "{} event has no 'id'",
            schema.as_str()
        )));
    }
    Ok(Parsed {
        wire: WireEvent {
            id,
            ..WireEvent::default()
        },
        envelope,
        raw: RawEvent::Borrowed(raw),
        schema,
    })
}

/// An event whose sender gives no id: the id is derived from the payload, so a resent payload
/// keeps its id (and the ledger its memory).
fn derived<'a>(raw: &'a str, schema: Schema, envelope: Envelope<'a>) -> Parsed<'a> {
    Parsed {
        wire: WireEvent {
            id: Text::new(derived_id(schema, raw)),
            ..WireEvent::default()
        },
        envelope,
        raw: RawEvent::Borrowed(raw),
        schema,
    }
}

/// `<schema>-<first 20 hex digits of the payload's SHA-256>`.
pub fn derived_id(schema: Schema, raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    let hex = crate::common::hex(&digest[..10]);
    format!("{}-{hex}", schema.as_str())
}
