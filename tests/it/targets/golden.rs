//! Golden bodies, against receivers that check what the real service checks.

use super::*;
// ---------------------------------------------------------------------------------------------
// Golden: every target's rendered request for every fixture, at a fixed time.

const GOLDEN_FIXTURES: [&str; 6] = [
    "hostile/event_grid.hostile_fields.json",
    "seeds/event_grid.image_pushed.de.json",
    "seeds/event_grid.image_deleted.de.json",
    "seeds/event_grid.chart_pushed.de.json",
    "seeds/event_grid.chart_deleted.de.json",
    "cloudevents/structured.connected_registry_push.json",
];

const GOLDEN_TARGETS: &str = r#"
[[targets]]
name = "dingtalk-markdown"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=golden-token"
secret = "SECgolden"
keyword = "registry"
at_mobiles = ["13800000000"]

[[targets]]
name = "dingtalk-text"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=golden-token"
message = "text"

[[targets]]
name = "dingtalk-action_card"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=golden-token"
message = "action_card"

[[targets]]
name = "teams"
type = "teams"
url = "https://example.webhook.office.com/workflows/golden"

[[targets]]
name = "slack"
type = "slack"
url = "https://hooks.slack.com/services/T0/B0/golden"

[[targets]]
name = "slack-custom"
type = "slack"
url = "https://hooks.slack.com/services/T0/B0/golden"
template = "{{ actor }} pushed {{ event.tag }} to {{ event.repository }} at {{ time }} (<{{ link|safe }}|portal>)"

[[targets]]
name = "dingtalk-custom"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=golden-token"
template = "**{{ actor }}** pushed `{{ reference|code }}` at {{ time }}: {{ event.tag }}"

[[targets]]
name = "webhook-normalized"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
signing = { scheme = "standard-webhooks", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }

[[targets]]
name = "webhook-cloudevents"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
format = "cloudevents"

[[targets]]
name = "webhook-cloudevents-binary"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
format = "cloudevents-binary"

[[targets]]
name = "webhook-original"
type = "webhook"
url = "https://deploy.example.com/hooks/registry"
format = "original"
"#;

/// A rendered request as a reviewable document: query, headers (secrets redacted), body.
fn describe(target: &Target, delivery: Delivery<'_>) -> Value {
    let now = chrono_fixed();
    let rendered = target.render(delivery, now).expect("renders");
    let headers: serde_json::Map<String, Value> = rendered
        .headers
        .iter()
        .map(|(name, value)| {
            let text = if value.is_sensitive() {
                "[redacted]"
            } else {
                value.to_str().unwrap()
            };
            (name.as_str().to_owned(), json!(text))
        })
        .collect();
    let body = serde_json::from_slice(&rendered.body)
        .unwrap_or_else(|_| json!(String::from_utf8_lossy(&rendered.body)));
    json!({"query": rendered.url.query(), "headers": headers, "body": body})
}

/// 2024-05-01T08:00:00Z.
fn chrono_fixed() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_714_550_400)
}

/// What no chat message may contain, whatever an event's fields hold: live mentions, links,
/// images, HTML, headings made of a field's line break.
const INJECTED: [&str; 9] = [
    "<!channel>",
    "<!here>",
    "<@U024BE7LH>",
    "<https://evil",
    "](https://evil",
    "![t]",
    "<img",
    "\n# Urgent",
    "https://evil.example",
];

/// Every string inside a JSON value.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// What a markdown renderer treats as syntax: the text less backslash-escaped characters.
fn without_escaped(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn hostile_fields_render_as_text_in_every_chat_target() {
    let config = Config::from_toml(GOLDEN_TARGETS, &HashMap::<String, String>::new()).unwrap();
    let raw = fixture("hostile/event_grid.hostile_fields.json");
    let inbound = testing::parse(&HeaderMap::new(), &raw).expect("fixture parses");
    let Classified::Registry(event) = classify(&inbound.events[0]) else {
        panic!("a registry event");
    };
    let raw = inbound.events[0].raw.get();
    for target in config
        .targets
        .iter()
        .filter(|t| !t.name.starts_with("webhook"))
    {
        let delivery = Delivery {
            event: &event,
            raw,
            number: 1,
            digest_wait: std::time::Duration::from_secs(20),
        };
        let mut body = describe(target, delivery)["body"].clone();
        // DingTalk shows a markdown message's title as plain text in the chat list, unrendered.
        for kind in ["markdown", "actionCard"] {
            if let Some(message) = body.get_mut(kind).and_then(Value::as_object_mut) {
                message.remove("title");
            }
        }
        // Plain text (DingTalk `text`) has no markup: only links can come alive there. Slack's
        // mrkdwn has no `[text](url)` links or images, but `<…>` mentions, links and bare URLs.
        let checked: &[&str] = match target.name.as_str() {
            "dingtalk-text" => &["https://evil", "www.evil"],
            "slack" | "slack-custom" => &[
                "<!channel>",
                "<!here>",
                "<@U024BE7LH>",
                "<https://evil",
                "<img",
                "https://evil",
                "www.evil",
            ],
            _ => &INJECTED,
        };
        for text in strings(&body) {
            let live = without_escaped(&text);
            for bad in checked {
                assert!(!live.contains(bad), "{}: {bad} in {text}", target.name);
            }
        }
    }
}

#[test]
fn every_target_renders_every_fixture_as_its_golden() {
    let config = Config::from_toml(GOLDEN_TARGETS, &HashMap::<String, String>::new()).unwrap();
    for name in GOLDEN_FIXTURES {
        let raw = fixture(name);
        let inbound = testing::parse(&HeaderMap::new(), &raw).expect("fixture parses");
        let events: Vec<_> = inbound
            .events
            .iter()
            .filter_map(|p| match classify(p) {
                Classified::Registry(event) => Some((*event, p.raw.get().to_owned())),
                _ => None,
            })
            .collect();
        assert!(!events.is_empty(), "{name}");
        for target in &config.targets {
            let rendered: Vec<Value> = events
                .iter()
                .map(|(event, raw)| {
                    describe(
                        target,
                        Delivery {
                            event,
                            raw,
                            number: 1,
                            digest_wait: std::time::Duration::from_secs(20),
                        },
                    )
                })
                .collect();
            let stem = name.rsplit('/').next().unwrap().trim_end_matches(".json");
            let text = serde_json::to_string_pretty(&rendered).unwrap() + "\n";
            golden(&format!("targets/{stem}.{}.json", target.name), &text);
        }
    }
}
