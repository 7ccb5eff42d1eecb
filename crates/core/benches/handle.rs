//! One request through [`Pipeline::handle`], every stage and the store's writes included (no HTTP:
//! `scripts/measure-http.sh` measures that), per store: one CloudEvent with a fresh id each time,
//! and a 64-event Event Grid batch, against a rule that matches nothing. The SQLite store writes a
//! file in a temporary directory, with its group commit (each request awaits its commit alone
//! here: nothing runs beside it).
//!
//! Run: `cargo bench -p regrelay-core --bench handle`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderValue, Method};
use regrelay_core::{Config, InboundRequest, Pipeline};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn fresh() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

const SOURCE: &str =
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/demo";

fn cloud_event() -> InboundRequest {
    let n = fresh();
    let body = format!(
        r#"{{"specversion":"1.0","id":"ce-{n}","source":"{SOURCE}","type":"Microsoft.ContainerRegistry.ImagePushed","time":"2026-12-04T10:00:00Z","data":{{"id":"x","action":"push","target":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234,"digest":"sha256:abc","repository":"team/app","tag":"v{n}"}},"request":{{"host":"demo.azurecr.io"}}}}}}"#
    );
    request(body, "application/cloudevents+json")
}

fn batch() -> InboundRequest {
    let events: Vec<String> = (0..64)
        .map(|i| {
            let n = fresh();
            format!(
                r#"{{"id":"eg-{n}","topic":"{SOURCE}","subject":"team{m}/app:v{n}","eventType":"Microsoft.ContainerRegistry.ImagePushed","eventTime":"2026-12-04T10:00:00.0000000Z","data":{{"id":"x{n}","timestamp":"2026-12-04T10:00:00Z","action":"push","target":{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":3023,"digest":"sha256:213bbc182920ab41e18edc2001e06abcca6735d87782d9cef68abd83941cf0e5","length":3023,"repository":"team{m}/app","tag":"v{n}"}},"request":{{"id":"r","host":"demo.azurecr.io","method":"PUT","useragent":"docker/27"}}}},"dataVersion":"1.0","metadataVersion":"1"}}"#,
                m = i % 8
            )
        })
        .collect();
    request(format!("[{}]", events.join(",")), "application/json")
}

fn request(body: String, content_type: &'static str) -> InboundRequest {
    let mut request = InboundRequest::new(Method::POST, "/api/events");
    request
        .headers
        .insert("content-type", HeaderValue::from_static(content_type));
    request.body = Bytes::from(body);
    request
}

fn pipeline(store: &str) -> Pipeline {
    let text = format!(
        "{store}\n[delivery]\nmode = \"inline\"\n[[targets]]\nname = \"out\"\ntype = \"log\"\n[[rules]]\nname = \"none\"\nnotifications = [\"no-such-repository:push\"]\ntargets = [\"out\"]\n"
    );
    let config = Config::from_toml(&text, &HashMap::<String, String>::new()).expect("config");
    Pipeline::new(config).expect("pipeline")
}

/// A bench's name, its events per request and how to make one request.
type Payload = (&'static str, u64, fn() -> InboundRequest);

fn handle(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite = format!(
        "[store]\nkind = \"sqlite\"\npath = \"{}\"",
        dir.path().join("bench.db").display()
    );
    let stores = [
        ("memory", "[store]\nkind = \"memory\"".to_owned()),
        ("sqlite", sqlite),
    ];
    for (name, store) in &stores {
        let pipeline = runtime.block_on(async { pipeline(store) });
        let mut group = c.benchmark_group(format!("handle_{name}"));
        let payloads: [Payload; 2] = [
            ("one_cloud_event_no_match", 1, cloud_event),
            ("event_grid_batch64_no_match", 64, batch),
        ];
        for (bench, events, make) in payloads {
            group.throughput(Throughput::Elements(events));
            group.bench_function(bench, |b| {
                b.iter_batched(
                    make,
                    |request| runtime.block_on(pipeline.handle(request)).status,
                    criterion::BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
}

criterion_group!(benches, handle);
criterion_main!(benches);
