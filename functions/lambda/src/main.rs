//! `bootstrap` for provided.al2023: config from `REGRELAY_CONFIG` (or inline TOML in
//! `REGRELAY_CONFIG_TOML`), JSON logs as Lambda's log format asks, then serve invocations,
//! each followed by its metrics as CloudWatch EMF lines.

use anyhow::Context;
use regrelay_core::telemetry::{self, LogFormat};
use regrelay_core::{Config, ProcessEnv};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init(LogFormat::Json, "info");
    let config = load().map_err(|e| format!("{e:#}"))?;
    let pipeline = regrelay_core::Pipeline::new(config)?;
    regrelay_core::emf::enable();
    lambda_http::run(lambda_http::service_fn(move |request| {
        let pipeline = pipeline.clone();
        async move {
            let reply = regrelay_lambda::handler(pipeline, request).await;
            regrelay_lambda::print_metrics();
            reply
        }
    }))
    .await
}

fn load() -> anyhow::Result<Config> {
    if let Ok(text) = std::env::var("REGRELAY_CONFIG_TOML") {
        let config = Config::from_toml(&text, &ProcessEnv).context("REGRELAY_CONFIG_TOML")?;
        config.require_named_store()?;
        return Ok(config);
    }
    let path = std::env::var("REGRELAY_CONFIG").unwrap_or_else(|_| "regrelay.toml".to_owned());
    let config = Config::load(&path, &ProcessEnv).with_context(|| format!("loading {path}"))?;
    config.require_named_store()?;
    Ok(config)
}
