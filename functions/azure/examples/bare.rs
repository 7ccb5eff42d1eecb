//! The yardstick for cold starts: a bare axum server answering `/api/health` on
//! `FUNCTIONS_CUSTOMHANDLER_PORT`, built with the same profile as the handler, so
//! `scripts/measure-start.py` can compare regrelay's exec → first answer with axum's own.
//!
//! It also takes `POST /api/events`, reads the body and parses it as a `serde_json::Value`: the
//! floor `scripts/measure-http.sh` compares regrelay's request path with.
//!
//! `cargo build --release -p regrelay-azure --example bare`

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::{get, post};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT").unwrap_or_else(|_| "3000".into());
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", port.parse().unwrap_or(3000))).await?;
    let app = Router::new()
        .route("/api/health", get(|| async { "ok" }))
        .route("/api/events", post(events));
    axum::serve(listener, app).await
}

/// Reads and parses the body; 400 when it is not JSON.
async fn events(body: Bytes) -> StatusCode {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}
