//! Inbound formats: recognizing what a request body is and decoding it into typed, borrowed
//! envelopes. One module per format; this one detects which applies.
//!
//! Detection goes headers first: a `ce-specversion` header (binary mode), the batch media type,
//! Distribution's envelope media types; then the JSON shape: an array is an Event Grid or
//! CloudEvents batch; an object is a single Event Grid event or CloudEvent (Harbor's and Alibaba
//! EventBridge's included) when it has `eventType` or `specversion`, else one probe of its
//! members tells the other formats apart (`detect`). Each event keeps its exact raw text (for
//! enveloped formats, the event object itself) for "original" forwarding and advanced filters.
//! SNS messages are verified and unwrapped by admission (`admit`) before they get here.

pub mod acr;
pub mod alibaba;
pub mod cloud_events;
pub mod detect;
pub mod distribution;
pub mod docker_hub;
pub mod event_grid;
pub mod eventbridge;
pub mod harbor;
mod json;
pub mod lenient;
pub mod sns;
pub mod wire;

use http::HeaderMap;

use crate::event::Schema;
pub use wire::WireEvent;

use docker_hub::PushPayload;
use eventbridge::EventBridgeEvent;
use harbor::HarborPayload;

/// How a request body carried its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of Event Grid schema events.
    EventGrid,
    /// One CloudEvent in the body (structured mode), or a single Event Grid object.
    Structured,
    /// A JSON array of CloudEvents (batched mode).
    Batch,
    /// One CloudEvent with attributes in `ce-*` headers (binary mode).
    Binary,
    /// One Amazon EventBridge event.
    EventBridge,
    /// A CNCF Distribution envelope of events.
    Distribution,
    /// One Harbor webhook in Harbor's default format.
    Harbor,
    /// One Docker Hub webhook.
    DockerHub,
    /// One ACR native webhook.
    AcrWebhook,
    /// One Alibaba ACR classic webhook.
    AlibabaWebhook,
}

impl Format {
    /// Name used in logs and history.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::EventGrid => "event_grid",
            Format::Structured => "structured",
            Format::Batch => "batch",
            Format::Binary => "binary",
            Format::EventBridge => "eventbridge",
            Format::Distribution => "distribution",
            Format::Harbor => "harbor",
            Format::DockerHub => "docker_hub",
            Format::AcrWebhook => "acr_webhook",
            Format::AlibabaWebhook => "alibaba_webhook",
        }
    }
}

/// The exact JSON of one event: a slice of the body, or built (binary mode).
#[derive(Debug)]
pub enum RawEvent<'a> {
    /// A slice of the request body (valid JSON: it was just decoded).
    Borrowed(&'a str),
    /// JSON assembled by regrelay (binary mode).
    Owned(String),
}

impl RawEvent<'_> {
    /// The JSON text.
    pub fn get(&self) -> &str {
        match self {
            RawEvent::Borrowed(raw) => raw,
            RawEvent::Owned(raw) => raw,
        }
    }
}

/// The typed payload of a format whose events are not Event Grid or CloudEvents shaped, decoded
/// once by detection and handed to normalization as it is.
#[derive(Debug)]
pub enum Envelope<'a> {
    /// Event Grid, CloudEvents, Distribution and ACR webhooks: [`Parsed::wire`] holds it all.
    Wire,
    /// An Amazon EventBridge event.
    EventBridge(Box<EventBridgeEvent<'a>>),
    /// A Harbor webhook in Harbor's default format.
    Harbor(Box<HarborPayload<'a>>),
    /// A Docker Hub or Alibaba ACR classic push webhook.
    Push(Box<PushPayload<'a>>),
}

/// One decoded event envelope and its raw JSON.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The typed envelope's common fields (for non-wire formats, the id only).
    pub wire: WireEvent<'a>,
    /// The format's own typed payload, where it has one.
    pub envelope: Envelope<'a>,
    /// The event exactly as received.
    pub raw: RawEvent<'a>,
    /// The inbound schema this event is in.
    pub schema: Schema,
}

impl Parsed<'_> {
    /// The schema of this event; bodies are only accepted when every event has one.
    pub fn schema(&self) -> Schema {
        self.schema
    }
}

/// A decoded request body.
#[derive(Debug)]
pub struct Inbound<'a> {
    /// How the events were carried.
    pub format: Format,
    /// The events, in body order.
    pub events: Vec<Parsed<'a>>,
}

/// Why a body could not be decoded. Every variant is permanent: resending cannot fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The media type is not one regrelay reads.
    #[error(
        "unsupported content type '{0}': send application/json, application/cloudevents+json or application/cloudevents-batch+json"
    )]
    UnsupportedMediaType(String),
    /// The body is empty.
    #[error("empty body: expected an Event Grid array or a CloudEvent")]
    Empty,
    /// The body is not JSON, or not JSON of an accepted shape.
    #[error("{0}")]
    Malformed(String),
}

impl SchemaError {
    /// A malformed-input error with a message for the sender.
    pub fn malformed(message: impl Into<String>) -> Self {
        SchemaError::Malformed(message.into())
    }

    /// Whether the error is about the media type (HTTP 415) rather than the content (HTTP 400).
    pub fn is_media_type(&self) -> bool {
        matches!(self, SchemaError::UnsupportedMediaType(_))
    }
}

/// Detects the format of a request body and decodes its events.
pub fn parse<'a>(headers: &HeaderMap, body: &'a [u8]) -> Result<Inbound<'a>, SchemaError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if headers.contains_key(cloud_events::HEADER_SPECVERSION) {
        let event = cloud_events::parse_binary(headers, content_type, body)?;
        return Ok(Inbound {
            format: Format::Binary,
            events: vec![event],
        });
    }
    let essence = content_type.map(cloud_events::essence);
    if let Some(essence) = &essence
        && !accepts_media_type(essence)
    {
        return Err(SchemaError::UnsupportedMediaType(essence.clone()));
    }
    let text =
        std::str::from_utf8(body).map_err(|_| SchemaError::malformed("body is not UTF-8"))?;
    if essence
        .as_deref()
        .is_some_and(distribution::is_envelope_media_type)
    {
        let events = distribution::parse_envelope(text)?;
        return Ok(Inbound {
            format: Format::Distribution,
            events,
        });
    }
    let trimmed = text.trim_start();
    let format = match (essence.as_deref(), trimmed.as_bytes().first()) {
        (_, None) => return Err(SchemaError::Empty),
        (Some(cloud_events::BATCH), _) => Format::Batch,
        (_, Some(b'[')) => Format::EventGrid,
        (_, Some(b'{')) => Format::Structured,
        _ => return Err(SchemaError::malformed("body is not a JSON array or object")),
    };
    if format == Format::Structured {
        let (format, events) = parse_object(text)?;
        return Ok(Inbound { format, events });
    }
    let events = json::parse_array(text)?;
    let format = refine(format, &events);
    Ok(Inbound { format, events })
}

/// Whether regrelay reads bodies of this media type (JSON, or SNS's JSON-as-text).
fn accepts_media_type(essence: &str) -> bool {
    cloud_events::is_json_media_type(essence) || essence == "text/plain"
}

/// An array labelled by shape only is a CloudEvents batch when its events are CloudEvents.
fn refine(format: Format, events: &[Parsed<'_>]) -> Format {
    let all_ce = !events.is_empty() && events.iter().all(|e| e.schema() == Schema::Cloudevents);
    match format {
        Format::EventGrid if all_ce => Format::Batch,
        other => other,
    }
}

/// A single object: an Event Grid event or CloudEvent if it says so, else another format.
fn parse_object(text: &str) -> Result<(Format, Vec<Parsed<'_>>), SchemaError> {
    let wire: WireEvent<'_> = serde_json::from_str(text).map_err(|e| json::located(text, 0, &e))?;
    if wire.schema().is_none() {
        return detect::object(text);
    }
    Ok((Format::Structured, vec![checked(wire, text.trim(), 0)?]))
}

/// Accepts a decoded envelope only if it is recognizably an event with an id.
fn checked<'a>(wire: WireEvent<'a>, raw: &'a str, index: usize) -> Result<Parsed<'a>, SchemaError> {
    let Some(schema) = wire.schema() else {
        return Err(SchemaError::malformed(format!(
            "event[{index}] is neither an Event Grid event (no 'eventType') nor a CloudEvent (no 'specversion')"
        )));
    };
    if wire.id.as_deref().is_none_or(str::is_empty) {
        return Err(SchemaError::malformed(format!(
            "event[{index}] has no 'id'"
        )));
    }
    Ok(Parsed {
        wire,
        envelope: Envelope::Wire,
        raw: RawEvent::Borrowed(raw),
        schema,
    })
}

#[cfg(test)]
mod tests;
