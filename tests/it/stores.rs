//! The remote stores against local emulators: Azure Table Storage (Azurite) and DynamoDB (moto),
//! started by `scripts/emulators.sh start`, whose endpoints `.tools/emulators.env` exports.
//!
//! Each backend runs the ledger and history scenarios the embedded stores pass
//! (`crates/core/src/store/tests.rs`), with two `Store` values on one table standing for two
//! function instances. Without the emulators the tests say so and pass, unless
//! `REGRELAY_REQUIRE_EMULATORS=1` (CI), where a missing endpoint fails them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use regrelay_core::{AwsCredentials, Config, Secret, StoreConfig};
use regrelay_core::{Store, now_millis};
use regrelay_tests::{App, Receiver, client, fixture, webhook_config};
use serde_json::Value;

mod health;
mod listing;
mod scenarios;
mod slots;

/// Azurite's published development account key.
pub(crate) const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The emulator endpoint in `var`; `None` (skip) when unset, a failure when it is required.
pub(crate) fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => {
            assert!(
                url.starts_with("http://127.0.0.1:"),
                "{var} must be a loopback URL: {url}"
            );
            Some(url)
        }
        _ => {
            assert!(
                std::env::var("REGRELAY_REQUIRE_EMULATORS").as_deref() != Ok("1"),
                "{var} is not set but REGRELAY_REQUIRE_EMULATORS=1: run `bash scripts/emulators.sh start` and `source .tools/emulators.env`"
            );
            eprintln!("{var} is not set: skipped (scripts/emulators.sh start)");
            None
        }
    }
}

/// A table name of its own for each test (letters and digits only, for Azure).
pub(crate) fn unique_table(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}{}x{n}x{}",
        std::process::id(),
        now_millis() % 1_000_000
    )
}

fn azure_config(endpoint: &str) -> StoreConfig {
    StoreConfig::AzureTable {
        connection_string: Secret::new(format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};TableEndpoint={endpoint};"
        )),
        table: unique_table("t"),
    }
}

fn dynamodb_config(endpoint: &str) -> StoreConfig {
    StoreConfig::DynamoDb {
        table: unique_table("regrelay-"),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.into()),
        credentials: Some(AwsCredentials {
            access_key_id: Secret::new("testing"),
            secret_access_key: Secret::new("testing"),
            session_token: Some(Secret::new("testing")),
        }),
        retention: Duration::from_secs(3 * 86_400),
    }
}

#[tokio::test]
async fn memory_store() {
    let config = || StoreConfig::Memory {
        max_events: 10_000,
        explicit: true,
    };
    scenarios::run(config, true).await;
}

#[tokio::test]
async fn sqlite_store_across_two_connections() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let config = || {
        let file = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.path().join(format!("ledger-{file}.db"));
        StoreConfig::Sqlite {
            path: path.to_str().unwrap().to_owned(),
        }
    };
    scenarios::run(config, true).await;
}

#[tokio::test]
async fn azure_table_store_on_azurite() {
    if let Some(url) = endpoint("REGRELAY_TEST_AZURITE") {
        scenarios::run(|| azure_config(&url), true).await;
    }
}

#[tokio::test]
async fn dynamodb_store_on_moto() {
    if let Some(url) = endpoint("REGRELAY_TEST_DYNAMODB") {
        scenarios::run(|| dynamodb_config(&url), false).await;
    }
}

/// The Lambda's store end to end: delivered once, and the sender's retry skips the target.
#[tokio::test]
async fn app_on_dynamodb_skips_a_delivered_target_on_redelivery() {
    let Some(url) = endpoint("REGRELAY_TEST_DYNAMODB") else {
        return;
    };
    let config = dynamodb_config(&url);
    let StoreConfig::DynamoDb { table, .. } = &config else {
        unreachable!()
    };
    let Store::DynamoDb(setup) = Store::open(&config).unwrap() else {
        unreachable!()
    };
    setup.create_table().await.unwrap();

    let sink = Receiver::start().await;
    let text = format!(
        "[store]\nkind = \"dynamodb\"\ntable = \"{table}\"\nregion = \"us-east-1\"\nendpoint = \"{url}\"\n{}",
        webhook_config(&sink.url("/hook"))
    );
    let env: HashMap<String, String> = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    let app = App::with_config(Config::from_toml(&text, &env).unwrap()).await;
    let payload = fixture("seeds/event_grid.image_pushed.de.json");
    let post = || async {
        let reply = client()
            .post(app.url("/api/events"))
            .header("content-type", "application/json")
            .header("aeg-event-type", "Notification")
            .body(payload.clone())
            .send()
            .await
            .unwrap();
        (
            reply.status().as_u16(),
            reply.json::<Value>().await.unwrap(),
        )
    };
    let (status, body) = post().await;
    assert_eq!(
        (status, &body["delivered"]),
        (200, &Value::from(1)),
        "{body}"
    );
    let (status, body) = post().await;
    assert_eq!(
        (status, &body["already_delivered"]),
        (200, &Value::from(1)),
        "{body}"
    );
    assert_eq!(
        sink.received().len(),
        1,
        "no second send to a delivered target"
    );
    let trace = app
        .pipeline
        .store()
        .trace("831e1650-001e-001b-66ab-eeb76e069631")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(trace.receptions.len(), 2);
    assert_eq!(trace.attempts.len(), 1);
}
