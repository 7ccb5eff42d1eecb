//! Every fixture's normalized output against `tests/golden/<fixture>.normalized.json`.
//! Seed documents' samples are documentation, some with trailing commas: they are read the way
//! `regrelay normalize --lenient` reads them; strict parsing must reject those with a 400-class
//! error, never a panic.

use http::HeaderMap;
use regrelay_core::Classified;
use regrelay_core::decode;
use regrelay_core::testing::{self, lenient};
use regrelay_tests::{App, binary, client, fixture, fixture_path, golden};

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
    let decoded = decode::decode_body(&HeaderMap::new(), body, usize::MAX).expect("fixture parses");
    // Every envelope's normalized form, repeated ids included (the server routes those once).
    let events: Vec<_> = decoded
        .entries
        .iter()
        .filter_map(|e| match &e.classified {
            Classified::Registry(event) => Some(event),
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
    let error = testing::parse(&HeaderMap::new(), &raw).expect_err("trailing commas are not JSON");
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

/// `regrelay normalize`, `regrelay simulate` and the server all decode through the same stage:
/// on every fixture they find the same registry events, and the same format name.
#[tokio::test(flavor = "multi_thread")]
async fn normalize_simulate_and_the_server_agree_on_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("agree.toml");
    let config = r#"
[store]
kind = "memory"

[[targets]]
name = "log"
type = "log"

[[rules]]
name = "everything"
notifications = ["*:*"]
targets = ["log"]
"#;
    std::fs::write(&config_path, config).unwrap();
    let config_path = config_path.to_str().unwrap();
    for name in payload_fixtures() {
        let lenient = PUBLISHED_INVALID.contains(&name.as_str());
        let path = fixture_path(&name);
        let path = path.to_str().unwrap();
        let mut args = vec!["normalize", "-v", path];
        if lenient {
            args.push("--lenient");
        }
        let normalize = run(&args);
        // normalize prints every envelope; the server and simulate route a repeated id once.
        let mut seen = std::collections::HashSet::new();
        let events: Vec<serde_json::Value> = normalize
            .stdout
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter(|event| seen.insert(event["id"].clone()))
            .collect();
        let format = normalize
            .stderr
            .lines()
            .find_map(|line| {
                line.split(": ")
                    .nth(1)?
                    .strip_suffix(" format")
                    .map(str::to_owned)
            })
            .or_else(|| {
                let line = normalize.stderr.lines().next()?;
                let (_, rest) = line.split_once(": ")?;
                Some(rest.split(" format").next()?.to_owned())
            })
            .unwrap_or_else(|| {
                panic!("{name}: normalize -v names no format: {}", normalize.stderr)
            });

        let mut args = vec!["simulate", "--json", "-c", config_path, path];
        if lenient {
            args.push("--lenient");
        }
        let simulate = run(&args);
        let simulated: Vec<serde_json::Value> = simulate
            .stdout
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["event"].clone())
            .collect();
        assert_eq!(simulated, events, "{name}: simulate and normalize disagree");

        let app = App::start(config).await;
        let raw = fixture(&name);
        let body = if lenient {
            lenient::repair(&String::from_utf8_lossy(&raw)).into_bytes()
        } else {
            raw
        };
        let reply = client()
            .post(app.url("/api/events"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            200,
            "{name}: {}",
            reply.text().await.unwrap()
        );
        for event in &events {
            let id = event["id"].as_str().unwrap();
            let trace = app.pipeline.store().trace(id).await.unwrap();
            let trace = trace.unwrap_or_else(|| panic!("{name}: the server has no event {id}"));
            assert_eq!(
                serde_json::to_value(&trace.record.event).unwrap(),
                *event,
                "{name}: the server normalized {id} differently"
            );
            let formats: Vec<_> = trace
                .receptions
                .iter()
                .filter_map(|r| r.format.clone())
                .collect();
            assert_eq!(formats, vec![format.clone()], "{name}: format of {id}");
        }
    }
}

/// SNS messages (HTTP and Lambda `Records`) are unwrapped alike by both offline tools; the
/// server's agreement on them is in `sources` (signatures and topics need a configured server).
#[test]
fn normalize_and_simulate_agree_on_sns_messages() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("agree.toml");
    let config = "[[targets]]\nname = \"log\"\ntype = \"log\"\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"log\"]\n";
    std::fs::write(&config_path, config).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(fixture_path("sns")).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let path = path.to_str().unwrap();
        let config_path = config_path.to_str().unwrap();
        let (normalize_ok, _) = output(&["normalize", path]);
        if !normalize_ok {
            // Not a registry payload (a plain-text message): both refuse it.
            let (simulate_ok, _) = output(&["simulate", "-c", config_path, path]);
            assert!(
                !simulate_ok,
                "{path}: simulate accepted what normalize refused"
            );
            continue;
        }
        let normalized: Vec<serde_json::Value> = run(&["normalize", path])
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let simulated: Vec<serde_json::Value> =
            run(&["simulate", "--json", "-c", config_path, path])
                .stdout
                .lines()
                .map(|line| {
                    serde_json::from_str::<serde_json::Value>(line).unwrap()["event"].clone()
                })
                .collect();
        assert_eq!(simulated, normalized, "{path}");
        checked += normalized.len();
    }
    assert!(checked > 0, "no SNS fixture carried a registry event");
}

/// What the `regrelay` binary printed, as text; it must succeed.
struct Printed {
    stdout: String,
    stderr: String,
}

/// Whether the `regrelay` binary succeeded, and its standard error.
fn output(args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(binary("regrelay"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

fn run(args: &[&str]) -> Printed {
    let output = std::process::Command::new(binary("regrelay"))
        .args(args)
        .output()
        .unwrap();
    let printed = Printed {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        output.status.success(),
        "regrelay {args:?}: {}",
        printed.stderr
    );
    printed
}
