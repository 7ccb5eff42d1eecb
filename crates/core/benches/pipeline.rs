//! The decode and route stages (parse → normalize → match) for a 64-event Event Grid batch, the
//! same functions the server runs, against the generic `serde_json::Value` parse it replaces,
//! and matching against 100 rules.
//!
//! Run: `cargo bench -p regrelay-core --bench pipeline`.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::HeaderMap;
use regrelay_core::Config;
use regrelay_core::testing;
use regrelay_core::{decode, route};

/// A 64-event batch built from the ACR ImagePushed documentation sample, ids and repos varied.
fn batch() -> Vec<u8> {
    let events: Vec<String> = (0..64)
        .map(|i| {
            format!(
                r#"{{"id":"831e1650-001e-001b-66ab-eeb76e06{i:04}","topic":"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/demo","subject":"team{m}/app:v{i}","eventType":"Microsoft.ContainerRegistry.ImagePushed","eventTime":"2018-04-25T21:39:47.6549614Z","data":{{"id":"31c51664-e5bd-416a-a5df-e5206bc47ed0","timestamp":"2018-04-25T21:39:47.276585742Z","action":"push","target":{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":3023,"digest":"sha256:213bbc182920ab41e18edc2001e06abcca6735d87782d9cef68abd83941cf0e5","length":3023,"repository":"team{m}/app","tag":"v{i}"}},"request":{{"id":"7c66f28b-de19-40a4-821c-6f5f6c0003a4","host":"demo.azurecr.io","method":"PUT","useragent":"docker/18.03.0-ce go/go1.9.4 git-commit/0520e24 os/windows arch/amd64"}}}},"dataVersion":"1.0","metadataVersion":"1"}}"#,
                m = i % 8
            )
        })
        .collect();
    format!("[{}]", events.join(",")).into_bytes()
}

fn config(rules: usize) -> Config {
    let mut text = String::from("[[targets]]\nname = \"out\"\ntype = \"log\"\n");
    for i in 0..rules {
        text.push_str(&format!("[[rules]]\nname = \"r{i}\"\nnotifications = [\"team{}/*:push\", \"other/{i}:v*:delete\"]\ntargets = [\"out\"]\n", i % 10));
    }
    Config::from_toml(&text, &HashMap::<String, String>::new()).expect("bench config")
}

fn pipeline(c: &mut Criterion) {
    let body = batch();
    let headers = HeaderMap::new();
    let mut group = c.benchmark_group("batch64");
    group.throughput(Throughput::Elements(64));
    group.bench_function("serde_json_value_parse_only", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<Vec<serde_json::Value>>(black_box(&body)).expect("json"),
            )
        })
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            black_box(
                testing::parse(&headers, black_box(&body))
                    .expect("parse")
                    .events
                    .len(),
            )
        })
    });
    group.bench_function("parse_normalize", |b| {
        b.iter(|| {
            let decoded = decode::decode_body(&headers, black_box(&body), 1000).expect("decode");
            black_box(decoded.registry().count())
        })
    });
    for rules in [1usize, 100] {
        let config = config(rules);
        group.bench_function(format!("parse_normalize_match_{rules}_rules"), |b| {
            b.iter(|| {
                let decoded =
                    decode::decode_body(&headers, black_box(&body), 1000).expect("decode");
                let routed = route::route(&config.rules, decoded);
                black_box(routed.iter().map(|r| r.targets.len()).sum::<usize>())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
