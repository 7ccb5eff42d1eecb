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
    if let Some(essence) = &essence
        && !accepts_media_type(essence)
    {
        return Err(SchemaError::UnsupportedMediaType(essence.clone()));
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

/// Decodes a JSON array of events in one pass, keeping each element's exact text.
///
/// Each element is decoded straight from the body with a streaming deserializer, whose byte offset
/// gives the element's extent: no second scan of the body is needed to keep the raw text.
fn parse_array(text: &str) -> Result<Vec<Parsed<'_>>, SchemaError> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    if bytes.get(pos) != Some(&b'[') {
        return Err(syntax(text, pos, "expected '['"));
    }
    pos = skip_ws(bytes, pos + 1);
    let mut events = Vec::new();
    if bytes.get(pos) == Some(&b']') {
        return finish(text, pos + 1, events);
    }
    loop {
        let index = events.len();
        match bytes.get(pos) {
            Some(b'{') => {}
            Some(b']') if index > 0 => return Err(syntax(text, pos, "trailing comma")),
            None => return Err(syntax(text, pos, "EOF while parsing a list")),
            Some(_) => return Err(element_error(text, pos, index)),
        }
        let mut stream =
            serde_json::Deserializer::from_str(&text[pos..]).into_iter::<WireEvent<'_>>();
        let wire = match stream.next() {
            Some(Ok(wire)) => wire,
            Some(Err(error)) => return Err(located(text, pos, &error)),
            None => return Err(syntax(text, pos, "EOF while parsing a list")),
        };
        let end = pos + stream.byte_offset();
        events.push(checked(wire, &text[pos..end], index)?);
        pos = skip_ws(bytes, end);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b']') => return finish(text, pos + 1, events),
            None => return Err(syntax(text, pos, "EOF while parsing a list")),
            _ => return Err(syntax(text, pos, "expected ',' or ']'")),
        }
    }
}

/// Accepts the array only if nothing but whitespace follows it.
fn finish<'a>(
    text: &'a str,
    pos: usize,
    events: Vec<Parsed<'a>>,
) -> Result<Vec<Parsed<'a>>, SchemaError> {
    let pos = skip_ws(text.as_bytes(), pos);
    if pos < text.len() {
        return Err(syntax(text, pos, "trailing characters"));
    }
    Ok(events)
}

/// A non-object element: a JSON error if it is not even JSON, else "not an object".
fn element_error(text: &str, pos: usize, index: usize) -> SchemaError {
    let mut stream =
        serde_json::Deserializer::from_str(&text[pos..]).into_iter::<serde::de::IgnoredAny>();
    match stream.next() {
        Some(Err(error)) => located(text, pos, &error),
        _ => SchemaError::malformed(format!("event[{index}] is not a JSON object")),
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// Line and column (1-based) of byte `pos`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = &text[..pos.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

fn syntax(text: &str, pos: usize, what: &str) -> SchemaError {
    let (line, column) = line_col(text, pos);
    SchemaError::malformed(format!(
        "body is not valid JSON: {what} at line {line} column {column}"
    ))
}

/// A serde error inside the element starting at `base`, located in the whole body.
fn located(text: &str, base: usize, error: &serde_json::Error) -> SchemaError {
    let (base_line, base_column) = line_col(text, base);
    let line = base_line + error.line().saturating_sub(1);
    let column = if error.line() <= 1 {
        base_column + error.column().saturating_sub(1)
    } else {
        error.column()
    };
    let message = error.to_string();
    let what = message.split(" at line ").next().unwrap_or(&message);
    SchemaError::malformed(format!(
        "body is not valid JSON: {what} at line {line} column {column}"
    ))
}

fn parse_one(text: &str, index: usize) -> Result<Parsed<'_>, SchemaError> {
    let wire: WireEvent<'_> = serde_json::from_str(text).map_err(|e| located(text, 0, &e))?;
    checked(wire, text.trim(), index)
}

/// Accepts a decoded envelope only if it is recognizably an event with an id.
fn checked<'a>(wire: WireEvent<'a>, raw: &'a str, index: usize) -> Result<Parsed<'a>, SchemaError> {
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

#[cfg(test)]
mod tests;
