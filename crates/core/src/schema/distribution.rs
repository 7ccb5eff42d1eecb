//! CNCF Distribution notifications: an envelope `{"events": […]}` of independent events whose
//! fields are those of ACR's `data` (ACR derived its format from this one), plus the media types
//! the registry sends them with.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::acr::AcrData;
use super::wire::{Data, WireEvent};
use super::{Parsed, RawEvent, SchemaError, json};
use crate::event::Schema;

/// Envelope media type of Distribution 2.x.
pub const MEDIA_TYPE_V1: &str = "application/vnd.docker.distribution.events.v1+json";
/// Envelope media type of Distribution 3.
pub const MEDIA_TYPE_V2: &str = "application/vnd.docker.distribution.events.v2+json";

/// Whether a media type essence is one of the envelope media types.
pub fn is_envelope_media_type(essence: &str) -> bool {
    essence == MEDIA_TYPE_V1 || essence == MEDIA_TYPE_V2
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    events: Option<Vec<&'a RawValue>>,
}

/// Decodes an envelope; each event keeps its own exact text.
pub fn parse_envelope(text: &str) -> Result<Vec<Parsed<'_>>, SchemaError> {
    let envelope: Envelope<'_> =
        serde_json::from_str(text).map_err(|e| json::located(text, 0, &e))?;
    let events = envelope
        .events
        .ok_or_else(|| SchemaError::malformed("Distribution envelope has no 'events' array"))?;
    events
        .into_iter()
        .enumerate()
        .map(|(index, raw)| event(raw.get(), index, Schema::Distribution))
        .collect()
}

/// Decodes one Distribution-style event object (an envelope's element, or an ACR native webhook).
pub fn event(raw: &str, index: usize, schema: Schema) -> Result<Parsed<'_>, SchemaError> {
    let data: AcrData<'_> = serde_json::from_str(raw)
        .map_err(|e| SchemaError::malformed(format!("event[{index}] is not an object: {e}")))?;
    if data.id.as_deref().is_none_or(str::is_empty) {
        return Err(SchemaError::malformed(format!(
            "event[{index}] has no 'id'"
        )));
    }
    Ok(Parsed {
        wire: WireEvent {
            id: data.id.clone(),
            data: Data::Object(Box::new(data)),
            ..WireEvent::default()
        },
        envelope: super::Envelope::Wire,
        raw: RawEvent::Borrowed(raw.trim()),
        schema,
    })
}
