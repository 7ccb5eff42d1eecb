//! `regrelay-azure`: reads its port and config from the Functions host's environment and serves.

use anyhow::Context;
use regrelay_core::telemetry::{self, LogFormat};
use regrelay_core::{Config, ProcessEnv};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init(LogFormat::Json, "info");
    let port = std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT")
        .or_else(|_| std::env::var("FUNCTIONS_HTTPWORKER_PORT"))
        .context("FUNCTIONS_CUSTOMHANDLER_PORT is not set (the Functions host sets it)")?;
    let port: u16 = port
        .parse()
        .with_context(|| format!("FUNCTIONS_CUSTOMHANDLER_PORT '{port}' is not a port"))?;
    let path = std::env::var("REGRELAY_CONFIG").unwrap_or_else(|_| "regrelay.toml".to_owned());
    let config = Config::load(&path, &ProcessEnv).with_context(|| format!("loading {path}"))?;
    config
        .require_named_store()
        .with_context(|| format!("loading {path}"))?;
    let pipeline = regrelay_core::Pipeline::new(config)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    tracing::info!(port, "regrelay-azure listening.");
    let header_timeout = pipeline.config().server.header_timeout;
    let app = regrelay_azure::functions_app(pipeline);
    regrelay_azure::server::serve(listener, app, header_timeout, std::future::pending()).await;
    Ok(())
}
