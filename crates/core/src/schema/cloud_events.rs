//! CloudEvents 1.0 over HTTP: media types of the structured and batched modes, and binary mode,
//! where the attributes travel in `ce-*` headers and the body is the data.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::percent_decode_str;

use super::wire::{Data, WireEvent};
use super::{Parsed, RawEvent, SchemaError};

/// Media type of a batched-mode CloudEvents array.
pub const BATCH: &str = "application/cloudevents-batch+json";
/// Header that marks a binary-mode CloudEvent.
pub const HEADER_SPECVERSION: &str = "ce-specversion";

/// Decodes a binary-mode CloudEvent from its headers and body.
///
/// The event's raw form (what "original" means for it, and what advanced filters read) is the
/// equivalent structured-mode JSON, with every `ce-*` header as an attribute.
pub fn parse_binary<'a>(
    headers: &HeaderMap,
    content_type: Option<&str>,
    body: &'a [u8],
) -> Result<Parsed<'a>, SchemaError> {
    let mut attributes = serde_json::Map::new();
    for (name, value) in headers {
        let Some(attr) = name.as_str().strip_prefix("ce-") else {
            continue;
        };
        let text = value
            .to_str()
            .map_err(|_| SchemaError::malformed(format!("header {name} is not visible ASCII")))?;
        let decoded = percent_decode_str(text).decode_utf8().map_err(|_| {
            SchemaError::malformed(format!("header {name} is not percent-encoded UTF-8"))
        })?;
        attributes.insert(
            attr.to_owned(),
            serde_json::Value::String(decoded.into_owned()),
        );
    }
    let json_data = content_type.is_none_or(is_json_media_type);
    let (data, raw_data) = if body.is_empty() {
        (Data::Other, serde_json::Value::Null)
    } else if json_data {
        let data: Data<'a> = serde_json::from_slice(body).map_err(|e| {
            SchemaError::malformed(format!("binary-mode data is not valid JSON: {e}"))
        })?;
        let value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
        (data, value)
    } else {
        let text = String::from_utf8_lossy(body).into_owned();
        (Data::Other, serde_json::Value::String(text))
    };
    if let Some(ct) = content_type {
        attributes.insert("datacontenttype".into(), ct.into());
    }
    attributes.insert("data".into(), raw_data);
    let text = |key: &str| {
        attributes
            .get(key)
            .and_then(|v| v.as_str())
            .map(|s| Cow::Owned(s.to_owned()))
            .into()
    };
    let wire = WireEvent {
        id: text("id"),
        subject: text("subject"),
        specversion: text("specversion"),
        ce_type: text("type"),
        source: text("source"),
        time: text("time"),
        datacontenttype: content_type.map(|c| Cow::Owned(c.to_owned())).into(),
        data,
        ..WireEvent::default()
    };
    let raw = serde_json::to_string(&attributes)
        .map_err(|_| SchemaError::malformed("binary-mode attributes could not be encoded"))?;
    Ok(Parsed {
        envelope: super::Envelope::Wire,
        wire,
        raw: RawEvent::Owned(raw),
        schema: crate::event::Schema::Cloudevents,
    })
}

/// Whether a media type carries JSON (`application/json`, `text/json`, `…+json`).
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence == "application/json" || essence == "text/json" || essence.ends_with("+json")
}

/// The media type without parameters, lower-cased.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}
