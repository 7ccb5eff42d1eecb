//! Format detection and every inbound parser: the body with each content type and sender
//! header a request can carry, through the decode stage (detection, parsing, classification and
//! normalization of every event, duplicate ids; offline, the SNS envelopes too), the SNS
//! canonical strings and the time parser.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use regrelay_core::decode;
use regrelay_core::testing::sns;

/// Header sets a sender might use; the first input byte picks one.
const SHAPES: [&[(&str, &str)]; 8] = [
    &[],
    &[("content-type", "application/json")],
    &[("content-type", "application/cloudevents+json")],
    &[("content-type", "application/cloudevents-batch+json")],
    &[
        ("ce-specversion", "1.0"),
        ("ce-id", "x"),
        ("ce-type", "Microsoft.ContainerRegistry.ImagePushed"),
        ("ce-source", "/s"),
        ("content-type", "application/json"),
    ],
    &[(
        "content-type",
        "application/vnd.docker.distribution.events.v2+json",
    )],
    &[
        ("x-harbor-event", "PUSH_ARTIFACT"),
        ("content-type", "application/json"),
    ],
    &[
        ("x-amz-sns-message-type", "Notification"),
        ("content-type", "text/plain"),
    ],
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    for (name, value) in SHAPES[usize::from(pick) % SHAPES.len()] {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    if let Ok(decoded) = decode::decode_body(&headers, body, 1000) {
        let _ = decoded.tally();
        let _ = decoded.into_registry();
    }
    let _ = decode::offline(&headers, body);
    if let Ok(message) = sns::SnsMessage::parse(body) {
        let _ = message.string_to_sign();
        let _ = message.is_sns();
    }
    if let Some(event) = sns::LambdaSnsEvent::detect(body) {
        for record in &event.records {
            let _ = record.sns.string_to_sign();
        }
    }
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = regrelay_core::testing::normalize_time(text);
    }
});
