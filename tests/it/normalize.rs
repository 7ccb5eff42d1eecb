//! Every fixture's normalized output against `tests/golden/<fixture>.normalized.json`.
//! Seed documents' samples are documentation, some with trailing commas: they are read the way
//! `regrelay normalize --lenient` reads them; strict parsing must reject those with a 400-class
//! error, never a panic.

use http::HeaderMap;
use regrelay_core::normalize::{Classified, classify};
use regrelay_core::schema::{self, lenient};
use regrelay_tests::{fixture, fixture_path, golden};

/// Documentation samples published with syntax errors (trailing commas, `//` comments): read the
/// way `regrelay normalize --lenient` reads them. Any other fixture must be strict JSON.
const PUBLISHED_INVALID: [&str; 4] = [
    "seeds/connected_registry.image_deleted.en.json",
    "seeds/connected_registry.image_pushed.en.json",
    "ecr/pull_through_cache.json",
    "harbor/cloudevents.artifact_pushed.json",
];

/// Fixtures under `tests/fixtures` (JSON payloads only), relative paths, sorted.
fn payload_fixtures() -> Vec<String> {
    let mut names = Vec::new();
    for dir in [
        "seeds",
        "event_grid",
        "cloudevents",
        "ecr",
        "distribution",
        "harbor",
        "docker_hub",
        "acr_webhook",
        "alibaba",
    ] {
        let entries = std::fs::read_dir(fixture_path(dir)).expect("fixture dir");
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") {
                names.push(format!("{dir}/{name}"));
            }
        }
    }
    names.sort();
    names
}

fn normalized(body: &[u8]) -> String {
    let inbound = schema::parse(&HeaderMap::new(), body).expect("fixture parses");
    let events: Vec<_> = inbound
        .events
        .iter()
        .filter_map(|p| match classify(p) {
            Classified::Registry(event) => Some(*event),
            _ => None,
        })
        .collect();
    serde_json::to_string_pretty(&events).expect("encode") + "\n"
}

#[test]
fn every_fixture_matches_its_golden() {
    let names = payload_fixtures();
    assert!(names.len() >= 20, "fixtures went missing: {names:?}");
    for name in names {
        let raw = fixture(&name);
        let strict = serde_json::from_slice::<serde_json::Value>(&raw).is_ok();
        assert_eq!(
            !strict,
            PUBLISHED_INVALID.contains(&name.as_str()),
            "{name}: strict JSON unless listed as published invalid"
        );
        let body = if strict {
            raw
        } else {
            lenient::repair(&String::from_utf8_lossy(&raw)).into_bytes()
        };
        golden(
            &name.replace(".json", ".normalized.json"),
            &normalized(&body),
        );
    }
}

#[test]
fn trailing_comma_samples_are_rejected_strictly_with_a_reason() {
    let raw = fixture("seeds/connected_registry.image_pushed.en.json");
    let error = schema::parse(&HeaderMap::new(), &raw).expect_err("trailing commas are not JSON");
    assert!(!error.is_media_type());
    assert!(error.to_string().contains("not valid JSON"), "{error}");
}

#[test]
fn doc_languages_agree() {
    for kind in [
        "image_pushed",
        "image_deleted",
        "chart_pushed",
        "chart_deleted",
    ] {
        let de = normalized(&fixture(&format!("seeds/event_grid.{kind}.de.json")));
        let fr = normalized(&fixture(&format!("seeds/event_grid.{kind}.fr.json")));
        assert_eq!(
            de, fr,
            "{kind}: the German and French samples normalize alike"
        );
    }
}
