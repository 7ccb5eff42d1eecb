use http::HeaderMap;

use super::*;

fn headers(content_type: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(http::header::CONTENT_TYPE, content_type.parse().unwrap());
    h
}

const EG: &str = r#"[{"id":"1","eventType":"ImagePushed","subject":"a:b","data":{}}, {"id":"2","eventType":"ImageDeleted"}]"#;
const CE: &str = r#"{"specversion":"1.0","id":"c1","type":"Microsoft.ContainerRegistry.ImagePushed","source":"/x"}"#;

#[test]
fn detects_formats_by_header_then_shape() {
    let eg = parse(&HeaderMap::new(), EG.as_bytes()).unwrap();
    assert_eq!(eg.format, Format::EventGrid);
    assert_eq!(eg.events.len(), 2);
    assert_eq!(
        eg.events[1].raw.get(),
        r#"{"id":"2","eventType":"ImageDeleted"}"#
    );

    let ce = parse(
        &headers("application/cloudevents+json; charset=utf-8"),
        CE.as_bytes(),
    )
    .unwrap();
    assert_eq!(ce.format, Format::Structured);
    assert_eq!(ce.events[0].schema(), Schema::Cloudevents);

    let batch = format!("[{CE}]");
    assert_eq!(
        parse(&HeaderMap::new(), batch.as_bytes()).unwrap().format,
        Format::Batch
    );
    let empty = parse(&headers("application/cloudevents-batch+json"), b" [ ] ").unwrap();
    assert_eq!((empty.format, empty.events.len()), (Format::Batch, 0));
}

#[test]
fn errors_locate_the_problem_in_the_body() {
    let cases: [(&[u8], &str); 8] = [
        (
            b"[{\"id\":\"1\",\"eventType\":\"x\"},]",
            "trailing comma at line 1 column 29",
        ),
        (b"[{\"id\":\"1\",\n\"eventType\":}]", "at line 2 column 13"),
        (b"[1]", "event[0] is not a JSON object"),
        (
            b"[{\"id\":\"1\",\"eventType\":\"x\"}] x",
            "trailing characters",
        ),
        (
            b"[{\"id\":\"1\",\"eventType\":\"x\"}",
            "EOF while parsing a list",
        ),
        (b"[{\"eventType\":\"x\"}]", "event[0] has no 'id'"),
        (b"[{\"id\":\"1\"}]", "neither an Event Grid event"),
        (b"nope", "not a JSON array or object"),
    ];
    for (body, needle) in cases {
        let error = parse(&HeaderMap::new(), body).unwrap_err().to_string();
        assert!(error.contains(needle), "{needle:?} not in {error:?}");
    }
}

#[test]
fn media_types_are_checked() {
    let error = parse(&headers("application/xml"), b"<a/>").unwrap_err();
    assert!(error.is_media_type());
    assert!(
        parse(&headers("text/plain; charset=UTF-8"), EG.as_bytes()).is_ok(),
        "SNS sends JSON as text/plain"
    );
    assert_eq!(
        parse(&HeaderMap::new(), b"   ").unwrap_err(),
        SchemaError::Empty
    );
}

#[test]
fn binary_mode_reads_attributes_from_headers() {
    let mut h = headers("application/json");
    for (k, v) in [
        ("ce-specversion", "1.0"),
        ("ce-id", "b1"),
        ("ce-type", "ImagePushed"),
        ("ce-source", "/r"),
        ("ce-subject", "a%3Ab"),
    ] {
        h.insert(k, v.parse().unwrap());
    }
    let inbound = parse(&h, br#"{"target":{"repository":"a","tag":"b"}}"#).unwrap();
    assert_eq!(inbound.format, Format::Binary);
    let event = &inbound.events[0];
    assert_eq!(event.wire.subject.as_deref(), Some("a:b"));
    let raw: serde_json::Value = serde_json::from_str(event.raw.get()).unwrap();
    assert_eq!(raw["data"]["target"]["tag"], "b");
    assert_eq!(raw["id"], "b1");
}
