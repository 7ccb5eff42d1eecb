//! `regrelay serve`: the Azure handler's app on a local port, with readable logs.

use std::process::ExitCode;

use anyhow::Context;
use regrelay_core::telemetry::{self, LogFormat};

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (default: the embedded example: every event to stdout, SQLite history).
    #[arg(long, short)]
    pub config: Option<String>,
    /// Address to listen on (default: `server.listen` in the config, else 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<String>,
}

/// Where `serve` listens when neither `--listen` nor `server.listen` says.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    telemetry::init(LogFormat::Text, "info");
    let config = super::load_config(args.config.as_deref())?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listen = args
            .listen
            .or_else(|| config.server.listen.clone())
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let pipeline = regrelay_core::Pipeline::new(config)?;
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, mode = pipeline.mode().as_str(), "regrelay listening; POST events to http://{address}/api/events");
        let header_timeout = pipeline.config().server.header_timeout;
        // The worker delivers what the local queue holds (queued mode, or leftovers); with a
        // platform queue, the poller takes its share of the shared queue.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = {
            let pipeline = pipeline.clone();
            tokio::spawn(async move {
                let until = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                tokio::join!(
                    pipeline.run_worker(until(stopped.clone())),
                    pipeline.run_poller(until(stopped)),
                );
            })
        };
        let app = regrelay_azure::app(pipeline);
        let signalled = async move {
            shutdown().await;
            let _ = stop.send(true);
        };
        regrelay_azure::server::serve(listener, app, header_timeout, signalled).await;
        let _ = worker.await;
        Ok(ExitCode::SUCCESS)
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
    tracing::info!("Shutting down.");
}
