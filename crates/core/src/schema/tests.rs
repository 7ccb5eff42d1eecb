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

#[test]
fn other_formats_are_told_apart_by_headers_then_members() {
    let cases: [(&str, &[u8], Format, Schema); 7] = [
        (
            "",
            br#"{"id":"e","detail-type":"ECR Image Action","source":"aws.ecr","detail":{}}"#,
            Format::EventBridge,
            Schema::Eventbridge,
        ),
        (
            "",
            br#"{"events":[{"id":"d","action":"push","target":{}}]}"#,
            Format::Distribution,
            Schema::Distribution,
        ),
        (
            "application/vnd.docker.distribution.events.v1+json",
            br#"{"events":[{"id":"d"}]}"#,
            Format::Distribution,
            Schema::Distribution,
        ),
        (
            "",
            br#"{"type":"PUSH_ARTIFACT","occur_at":1,"event_data":{}}"#,
            Format::Harbor,
            Schema::Harbor,
        ),
        (
            "",
            br#"{"push_data":{"tag":"a"},"repository":{"repo_name":"n/r"}}"#,
            Format::DockerHub,
            Schema::DockerHub,
        ),
        (
            "",
            br#"{"push_data":{"tag":"a"},"repository":{"region":"cn-hangzhou"}}"#,
            Format::AlibabaWebhook,
            Schema::AlibabaWebhook,
        ),
        (
            "",
            br#"{"id":"a","action":"push","target":{"repository":"r"}}"#,
            Format::AcrWebhook,
            Schema::AcrWebhook,
        ),
    ];
    for (content_type, body, format, schema) in cases {
        let h = if content_type.is_empty() {
            HeaderMap::new()
        } else {
            headers(content_type)
        };
        let inbound = parse(&h, body).unwrap();
        assert_eq!(
            (inbound.format, inbound.events[0].schema()),
            (format, schema)
        );
        assert!(
            !inbound.events[0]
                .wire
                .id
                .as_deref()
                .unwrap_or_default()
                .is_empty()
        );
    }
}

#[test]
fn derived_ids_are_stable_and_unknown_shapes_say_what_is_accepted() {
    let body = br#"{"type":"PUSH_ARTIFACT","event_data":{}}"#;
    let a = parse(&HeaderMap::new(), body).unwrap().events[0]
        .wire
        .id
        .clone();
    let b = parse(&HeaderMap::new(), body).unwrap().events[0]
        .wire
        .id
        .clone();
    assert_eq!(a, b);
    let error = parse(&HeaderMap::new(), br#"{"a":1}"#)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("EventBridge") && error.contains("Docker Hub"),
        "{error}"
    );
    let sns = br#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"{}"}"#;
    let error = parse(&headers("text/plain"), sns).unwrap_err().to_string();
    assert!(error.contains("x-amz-sns-message-type"), "{error}");
    let error = parse(&HeaderMap::new(), br#"{"events":[{"action":"push"}]}"#).unwrap_err();
    assert!(error.to_string().contains("has no 'id'"), "{error}");
}
