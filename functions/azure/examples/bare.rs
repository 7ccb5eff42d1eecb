//! The yardstick for cold starts: a bare axum server answering `/api/health` on
//! `FUNCTIONS_CUSTOMHANDLER_PORT`, built with the same profile as the handler, so
//! `scripts/measure-start.py` can compare regrelay's exec → first answer with axum's own.
//!
//! `cargo build --release -p regrelay-azure --example bare`

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT").unwrap_or_else(|_| "3000".into());
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", port.parse().unwrap_or(3000))).await?;
    let app = Router::new().route("/api/health", get(|| async { "ok" }));
    axum::serve(listener, app).await
}
