//! The HTTP/1.1 listener both long-running shells run (`regrelay-azure`, `regrelay serve`):
//! every connection must send its request head within `server.header_timeout` (a slow-loris
//! client cannot hold connections open; the body has its own limit in the handler), and shutdown
//! stops accepting, then lets in-flight requests finish for up to [`DRAIN_TIMEOUT`].

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// Time in-flight requests get after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(25);

/// Serves `router` on `listener` until `shutdown` resolves; `header_timeout` bounds the wait for
/// each request head.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let service = TowerToHyperService::new(router.clone());
                    let connection = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "Connection ended with an error.");
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "Could not accept a connection.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("In-flight requests did not finish within the drain time.");
    }
}
