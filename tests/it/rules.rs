//! Rules as operators write them, on the seed documents' events: the connected-registry quickstart's
//! Event Grid filters, Alibaba-style scope and tag expressions, combinations, and load errors.

use std::collections::HashMap;

use http::HeaderMap;
use regrelay_core::Classified;
use regrelay_core::Config;
use regrelay_core::Decision;
use regrelay_core::testing::classify;
use regrelay_core::testing::lenient;
use regrelay_core::testing::{self, Subject};
use regrelay_tests::fixture;

fn config(rules: &str) -> Config {
    let text = format!(
        "[[targets]]\nname = \"a\"\ntype = \"log\"\n[[targets]]\nname = \"b\"\ntype = \"log\"\n{rules}"
    );
    Config::from_toml(&text, &HashMap::<String, String>::new()).unwrap()
}

/// Each event of a fixture with every rule's decision and the target names.
fn decide(config: &Config, fixture_name: &str) -> Vec<(Vec<Decision>, Vec<String>)> {
    let body = lenient::repair(&String::from_utf8(fixture(fixture_name)).unwrap());
    let inbound = testing::parse(&HeaderMap::new(), body.as_bytes()).unwrap();
    inbound
        .events
        .iter()
        .filter_map(|p| match classify(p) {
            Classified::Registry(event) => {
                let (decisions, targets) =
                    testing::decide(&config.rules, &Subject::new(&event, p.raw.get()));
                Some((
                    decisions,
                    targets
                        .iter()
                        .map(|&t| config.targets[t].name.clone())
                        .collect(),
                ))
            }
            _ => None,
        })
        .collect()
}

const SEED_FILTERS: &str = r#"
[[rules]]
name = "edge-pushes"
event_types = ["Microsoft.ContainerRegistry.ImagePushed"]
advanced_filters = [
  { operator = "IsNotNull", key = "data.connectedregistry" },
  { operator = "StringIn", key = "data.connectedregistry.name", values = ["edge1", "<connected-registry-name>"] },
]
targets = ["a"]
"#;

#[test]
fn seed_filters_match_connected_registry_events_in_both_casings() {
    let config = config(SEED_FILTERS);
    let lower = decide(&config, "seeds/connected_registry.image_pushed.en.json");
    assert!(lower[0].0[0].matched, "{:?}", lower[0].0);
    let camel = decide(
        &config,
        "cloudevents/structured.connected_registry_push.json",
    );
    assert!(camel[0].0[0].matched, "{:?}", camel[0].0);
    let plain = decide(&config, "seeds/event_grid.image_pushed.de.json");
    assert_eq!(
        plain[0].0[0].reasons,
        vec!["data.connectedregistry is undefined, which fails IsNotNull"]
    );
    let delete = decide(&config, "seeds/connected_registry.image_deleted.en.json");
    assert_eq!(
        delete[0].0[0].reasons[0],
        "type Microsoft.ContainerRegistry.ImageDeleted is not in event_types (Microsoft.ContainerRegistry.ImagePushed)"
    );
}

#[test]
fn subject_filters_follow_event_grid_case_rules() {
    let config = config(
        r#"
[[rules]]
name = "insensitive"
subject_begins_with = "ACI-"
subject_ends_with = ":V1"
targets = ["a"]

[[rules]]
name = "sensitive"
subject_begins_with = "ACI-"
subject_case_sensitive = true
targets = ["b"]
"#,
    );
    let got = decide(&config, "seeds/event_grid.image_pushed.fr.json");
    assert!(got[0].0[0].matched);
    assert_eq!(
        got[0].0[1].reasons,
        vec!["subject 'aci-helloworld:v1' does not begin with 'ACI-'"]
    );
}

#[test]
fn alibaba_scope_and_tag_regex_work_on_acr_events() {
    let config = config(
        r#"
[[rules]]
name = "releases-in-repo"
scope = { instance = "demo", repository = "aci-helloworld" }
tag_regex = "v[0-9]+"
targets = ["a"]

[[rules]]
name = "semver-only"
tag_regex = "^v[0-9]+\\.[0-9]+$"
targets = ["b"]

[[rules]]
name = "other-namespace"
scope = { namespace = "team", repository = "app" }
targets = ["b"]
"#,
    );
    let got = decide(&config, "seeds/event_grid.image_pushed.de.json");
    let (decisions, targets) = &got[0];
    assert!(decisions[0].matched, "{decisions:?}");
    assert_eq!(
        decisions[1].reasons,
        vec!["tag 'v1' does not match ^v[0-9]+\\.[0-9]+$"]
    );
    assert_eq!(
        decisions[2].reasons,
        vec!["namespace '' of repository 'aci-helloworld' is not 'team'"]
    );
    assert_eq!(targets, &vec!["a".to_owned()]);
    let delete = decide(&config, "seeds/event_grid.image_deleted.de.json");
    assert_eq!(
        delete[0].0[0].reasons,
        vec!["the event has no tag to match v[0-9]+"]
    );
}

#[test]
fn every_matching_rule_contributes_and_each_target_gets_the_event_once() {
    let config = config(
        r#"
[[rules]]
name = "one"
notifications = ["*:*"]
targets = ["a", "b"]

[[rules]]
name = "two"
event_types = ["ImagePushed", "ChartPushed"]
targets = ["b", "a"]
"#,
    );
    let got = decide(&config, "seeds/event_grid.chart_pushed.fr.json");
    assert!(got[0].0.iter().all(|d| d.matched));
    assert_eq!(got[0].1, vec!["a".to_owned(), "b".to_owned()]);
}

#[test]
fn invalid_rules_fail_at_load_with_the_rule_name_and_reason() {
    let cases = [
        (
            "tag_regex = \"v[0-9\"",
            "rules[0].tag_regex",
            "invalid regular expression",
        ),
        (
            "advanced_filters = [{ operator = \"StringLike\", key = \"subject\", values = [\"x\"] }]",
            "rules[0].advanced_filters[0]",
            "unknown operator 'StringLike'",
        ),
        (
            "advanced_filters = [{ operator = \"NumberGreaterThan\", key = \"data.size\", values = [1, 2] }]",
            "rules[0].advanced_filters[0]",
            "takes one `value`",
        ),
        (
            "advanced_filters = [{ operator = \"StringIn\", key = \"subject\", values = [\"x\"], extra = 1 }]",
            "extra",
            "",
        ),
        (
            "notifications = [\"repo\"]",
            "rules[0].notifications[0]",
            "no ':action'",
        ),
        (
            "scope = { namespace = \"ns\", repository = \"ns/app\" }",
            "rules[0].scope.repository",
            "without its namespace",
        ),
        ("event_types = []", "rules[0].event_types", "is empty"),
    ];
    for (body, key, reason) in cases {
        let text = format!(
            "[[targets]]\nname = \"a\"\ntype = \"log\"\n[[rules]]\nname = \"broken\"\ntargets = [\"a\"]\n{body}\n"
        );
        let err = Config::from_toml(&text, &HashMap::<String, String>::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains(key) && err.contains(reason), "{body}: {err}");
        if !reason.is_empty() {
            assert!(err.contains("rule 'broken'"), "{err}");
        }
    }
}
