//! The event as a CloudEvent (built with `cloudevents-sdk`): structured mode (the whole event
//! as `application/cloudevents+json`) or binary mode (attributes in `ce-*` headers,
//! percent-encoded per the HTTP binding, and the normalized event as the body).

use cloudevents::event::AttributeValue;
use cloudevents::{EventBuilder, EventBuilderV10};
use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::dispatch::render::RenderError;
use crate::event::RegistryEvent;

/// Structured-mode content type.
pub const STRUCTURED: &str = "application/cloudevents+json; charset=utf-8";
/// Source used when the event has none.
const DEFAULT_SOURCE: &str = "regrelay";
/// What the HTTP binding percent-encodes in header values (besides non-ASCII): controls, space,
/// double quote and percent.
const HEADER_UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%');

/// The CloudEvent: the original id, source, type, subject and time; the normalized event as data.
pub fn build(event: &RegistryEvent) -> Result<cloudevents::Event, RenderError> {
    let data = serde_json::to_value(event)?;
    let source = event
        .source
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SOURCE);
    let mut builder = EventBuilderV10::new()
        .id(event.id.as_str())
        .source(source)
        .ty(event.event_type.as_str())
        .data("application/json", data);
    if let Some(subject) = &event.subject {
        builder = builder.subject(subject.as_str());
    }
    let time = event
        .time
        .as_deref()
        .map(chrono::DateTime::parse_from_rfc3339);
    if let Some(Ok(time)) = time {
        builder = builder.time(time.with_timezone(&chrono::Utc));
    }
    builder
        .build()
        .map_err(|e| RenderError::CloudEvent(e.to_string()))
}

/// Structured mode: content type and body.
pub fn structured(event: &RegistryEvent) -> Result<(HeaderMap, Vec<u8>), RenderError> {
    let body = serde_json::to_vec(&build(event)?)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(STRUCTURED),
    );
    Ok((headers, body))
}

/// Binary mode: `ce-*` headers, `Content-Type: application/json`, and the data as the body.
pub fn binary(event: &RegistryEvent) -> Result<(HeaderMap, Vec<u8>), RenderError> {
    let cloud_event = build(event)?;
    let mut headers = HeaderMap::new();
    for (name, value) in cloud_event.iter_attributes() {
        if name == "datacontenttype" {
            continue;
        }
        insert(&mut headers, name, &attribute_text(&value))?;
    }
    for (name, value) in cloud_event.iter_extensions() {
        insert(&mut headers, name, &value.to_string())?;
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((headers, serde_json::to_vec(event)?))
}

/// Times in the RFC 3339 form with `Z`, as the JSON format writes them.
fn attribute_text(value: &AttributeValue<'_>) -> String {
    match value {
        AttributeValue::Time(time) => time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        other => other.to_string(),
    }
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), RenderError> {
    let header = HeaderName::try_from(format!("ce-{name}"))
        .map_err(|_| RenderError::CloudEvent(format!("attribute '{name}' is not a header name")))?;
    let encoded = utf8_percent_encode(value, HEADER_UNSAFE).to_string();
    let value = HeaderValue::try_from(encoded).map_err(|_| {
        RenderError::CloudEvent(format!("attribute '{name}' is not a header value"))
    })?;
    headers.insert(header, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Action, Schema};

    fn event() -> RegistryEvent {
        RegistryEvent {
            repository: Some("team/app".into()),
            tag: Some("v 1".into()),
            time: Some("2024-05-01T08:00:00Z".into()),
            subject: Some("team/app:v 1 \"ü\" 100%".into()),
            ..RegistryEvent::new(
                "e1",
                "Microsoft.ContainerRegistry.ImagePushed",
                Action::Push,
                Schema::EventGrid,
            )
        }
    }

    #[test]
    fn binary_headers_are_percent_encoded_per_the_binding() {
        let (headers, body) = binary(&event()).unwrap();
        assert_eq!(
            headers["ce-subject"],
            "team/app:v%201%20%22%C3%BC%22%20100%25"
        );
        assert_eq!(
            headers["ce-source"], "regrelay",
            "no source: regrelay's own"
        );
        assert_eq!(headers["ce-time"], "2024-05-01T08:00:00Z");
        assert_eq!(headers["ce-specversion"], "1.0");
        assert!(!headers.contains_key("ce-datacontenttype"));
        let data: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(data["tag"], "v 1");
    }
}
