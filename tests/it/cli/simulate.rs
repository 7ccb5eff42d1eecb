//! `regrelay simulate`: every rule's decision for every event of a payload, why not in words,
//! and what coalescing would do — sending nothing.

use regrelay_tests::fixture_path;

use super::{regrelay, text};

/// `regrelay simulate` of fixture `payload` under the config `rules` (extra arguments first);
/// its standard output.
fn simulate(rules: &str, payload: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = regrelay_tests::write_config(dir.path(), "rules.toml", rules);
    let payload = fixture_path(payload);
    let mut args = vec!["simulate"];
    args.extend_from_slice(extra);
    args.extend([
        "--config",
        config.to_str().unwrap(),
        payload.to_str().unwrap(),
    ]);
    let out = regrelay(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn simulate_explains_matches_and_misses() {
    let rules = r#"
[[targets]]
name = "sink"
type = "webhook"
url = "http://127.0.0.1:9/never-called"

[[rules]]
name = "releases"
notifications = ["aci-helloworld:v2:*"]
targets = ["sink"]

[[rules]]
name = "deletes"
notifications = ["*:delete"]
targets = ["sink"]
"#;
    let payload = "seeds/event_grid.image_pushed.de.json";
    let report = simulate(rules, payload, &[]);
    assert!(
        report.contains("rule 'releases' did not match: push of aci-helloworld:v1@sha256:213b"),
        "{report}"
    );
    assert!(report.contains("-> targets: none"), "{report}");

    let out = simulate(rules, payload, &["--json"]);
    let line: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(line["rules"][0]["name"], "releases");
    assert_eq!(line["rules"][0]["matched"], false);
    assert_eq!(line["targets"], serde_json::json!([]));
}

/// A captured multi-platform push (three tagless manifests, then the index): simulate says each
/// manifest would be folded into the index, and that the index is the one event of the push.
#[test]
fn simulate_explains_a_coalesced_push() {
    let rules = "targets = [{ name = \"sink\", type = \"log\" }]\nrules = [{ name = \"pushes\", notifications = [\"*:push\"], targets = [\"sink\"] },\n{ name = \"tags-only\", notifications = [\"*:push\"], targets = [\"sink\"], tagless = false }]\n";
    let report = simulate(rules, "distribution/v2.multi_platform_push.json", &[]);
    assert_eq!(
        report
            .matches("held, then folded into a9f2aacf-e926-4adc-b5a4-4f9a4319b55d")
            .count(),
        3,
        "{report}"
    );
    assert!(
        report
            .contains("the event of one push; folds the manifests held for it (3 in this payload"),
        "{report}"
    );
    // `tagless = false`: the rule never sees a tagless manifest, only the push's event.
    assert_eq!(
        report
            .matches("rule 'tags-only' did not match: push of team/app@sha256:")
            .count(),
        3,
        "{report}"
    );
    assert!(
        report.contains("is a tagless push (the rule has tagless = false)"),
        "{report}"
    );
    assert!(report.contains("rule 'tags-only' matched"), "{report}");
}

/// `*` leaves pulls out (a registry reports every manifest read), and simulate says so and how
/// to ask for them.
#[test]
fn simulate_explains_that_star_leaves_out_pulls() {
    let rules = "targets = [{ name = \"sink\", type = \"log\" }]\n\
         rules = [{ name = \"all\", notifications = [\"*:*\"], targets = [\"sink\"] },\n\
         { name = \"reads\", notifications = [\"*:pull\"], targets = [\"sink\"] }]\n";
    let report = simulate(rules, "distribution/v2.manifest_pull.json", &[]);
    assert!(
        report.contains("rule 'all' did not match: pull of")
            && report.contains("'*' covers every action but pull")
            && report.contains("add a pattern ending in ':pull'"),
        "{report}"
    );
    assert!(report.contains("rule 'reads' matched"), "{report}");
}
