//! A webhook receiver on loopback that fails a share of requests at random (seeded, so a run can
//! be repeated) and records every request: which event, for which target (the request path),
//! whether it was accepted, and when.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::response::IntoResponse;
use http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request the receiver saw.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The event id from the normalized body.
    pub event_id: String,
    /// The request path, which names the target (`/t0` …).
    pub target: String,
    /// Whether the receiver answered 2xx.
    pub accepted: bool,
    /// When it arrived.
    pub at: Instant,
}

struct FlakyState {
    fail_ratio: f64,
    rng: Mutex<StdRng>,
    receipts: Mutex<Vec<Receipt>>,
}

/// The receiver; stops when dropped.
pub struct FlakyReceiver {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    state: Arc<FlakyState>,
    task: JoinHandle<()>,
}

impl FlakyReceiver {
    /// Starts a receiver failing `fail_ratio` of requests with 500.
    pub async fn start(fail_ratio: f64, seed: u64) -> FlakyReceiver {
        let state = Arc::new(FlakyState {
            fail_ratio,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            receipts: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind flaky receiver");
        let addr = listener.local_addr().expect("flaky receiver addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FlakyReceiver { addr, state, task }
    }

    /// URL for target `name`.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    /// Every request so far.
    pub fn receipts(&self) -> Vec<Receipt> {
        self.state
            .receipts
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

impl Drop for FlakyReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(state): State<Arc<FlakyState>>, request: Request) -> impl IntoResponse {
    let target = request.uri().path().trim_start_matches('/').to_owned();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let event_id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let fail = state
        .rng
        .lock()
        .map(|mut rng| rng.random_bool(state.fail_ratio))
        .unwrap_or(false);
    if let Ok(mut receipts) = state.receipts.lock() {
        receipts.push(Receipt {
            event_id: event_id.clone(),
            target,
            // A body cut off by a killed sender names no event: it delivered nothing.
            accepted: !fail && !event_id.is_empty(),
            at: Instant::now(),
        });
    }
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}
