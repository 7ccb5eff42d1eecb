//! Inbound formats: recognizing what a request body is and decoding it into typed, borrowed
//! envelopes. One module per format; this one detects which applies.
//!
//! Detection follows the CloudEvents HTTP binding's order: the batch media type, then the
//! structured media type, then a `ce-specversion` header (binary mode), then the JSON shape
//! (an array is an Event Grid or CloudEvents batch, an object a single event). Each event in a
//! JSON body keeps its exact raw text for "original" forwarding and advanced filters.

pub mod acr;
pub mod cloud_events;
pub mod event_grid;
pub mod lenient;
pub mod wire;

use http::HeaderMap;
use serde_json::value::RawValue;

use crate::event::Schema;
pub use wire::WireEvent;

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
}

impl Format {
    /// Name used in logs and history.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::EventGrid => "event_grid",
            Format::Structured => "structured",
            Format::Batch => "batch",
            Format::Binary => "binary",
        }
    }
}

/// The exact JSON of one event: borrowed from the body, or built (binary mode).
#[derive(Debug)]
pub enum RawEvent<'a> {
    /// A slice of the request body.
    Borrowed(&'a RawValue),
    /// JSON assembled by regrelay (binary mode).
    Owned(Box<RawValue>),
}

impl RawEvent<'_> {
    /// The JSON text.
    pub fn get(&self) -> &str {
        match self {
            RawEvent::Borrowed(raw) => raw.get(),
            RawEvent::Owned(raw) => raw.get(),
        }
    }
}

/// One decoded event envelope and its raw JSON.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The typed envelope.
    pub wire: WireEvent<'a>,
    /// The event exactly as received.
    pub raw: RawEvent<'a>,
}

impl Parsed<'_> {
    /// The schema of this event; bodies are only accepted when every event has one.
    pub fn schema(&self) -> Schema {
        self.wire.schema().unwrap_or(Schema::EventGrid)
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
    if let Some(essence) = &essence {
        if !accepts_media_type(essence) {
            return Err(SchemaError::UnsupportedMediaType(essence.clone()));
        }
    }
    let text =
        std::str::from_utf8(body).map_err(|_| SchemaError::malformed("body is not UTF-8"))?;
    let trimmed = text.trim_start();
    let format = match (essence.as_deref(), trimmed.as_bytes().first()) {
        (_, None) => return Err(SchemaError::Empty),
        (Some(cloud_events::BATCH), _) => Format::Batch,
        (_, Some(b'[')) => Format::EventGrid,
        (_, Some(b'{')) => Format::Structured,
        _ => return Err(SchemaError::malformed("body is not a JSON array or object")),
    };
    let events = match format {
        Format::Structured => vec![parse_one(text, 0)?],
        _ => parse_array(text)?,
    };
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

fn parse_array(text: &str) -> Result<Vec<Parsed<'_>>, SchemaError> {
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| json_error("body", &e))?;
    items
        .into_iter()
        .enumerate()
        .map(|(index, raw)| parse_raw(raw, index))
        .collect()
}

fn parse_one(text: &str, index: usize) -> Result<Parsed<'_>, SchemaError> {
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| json_error("body", &e))?;
    parse_raw(raw, index)
}

fn parse_raw(raw: &RawValue, index: usize) -> Result<Parsed<'_>, SchemaError> {
    if !raw.get().starts_with('{') {
        return Err(SchemaError::malformed(format!(
            "event[{index}] is not a JSON object"
        )));
    }
    let wire: WireEvent<'_> =
        serde_json::from_str(raw.get()).map_err(|e| json_error(&format!("event[{index}]"), &e))?;
    if wire.schema().is_none() {
        return Err(SchemaError::malformed(format!(
            "event[{index}] is neither an Event Grid event (no 'eventType') nor a CloudEvent (no 'specversion')"
        )));
    }
    if wire.id.as_deref().is_none_or(str::is_empty) {
        return Err(SchemaError::malformed(format!(
            "event[{index}] has no 'id'"
        )));
    }
    Ok(Parsed {
        wire,
        raw: RawEvent::Borrowed(raw),
    })
}

fn json_error(what: &str, error: &serde_json::Error) -> SchemaError {
    SchemaError::malformed(format!("{what} is not valid JSON: {error}"))
}

#[cfg(test)]
mod tests;
