//! Golden bodies, against receivers that check what the real service checks.

use super::*;
// ---------------------------------------------------------------------------------------------
// Golden: every target's rendered request for every fixture, at a fixed time.

const GOLDEN_FIXTURES: [&str; 5] = [
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

#[test]
fn every_target_renders_every_fixture_as_its_golden() {
    let config = Config::from_toml(GOLDEN_TARGETS, &HashMap::<String, String>::new()).unwrap();
    for name in GOLDEN_FIXTURES {
        let raw = fixture(name);
        let inbound = schema::parse(&HeaderMap::new(), &raw).expect("fixture parses");
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
