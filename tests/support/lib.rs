//! Test support for regrelay's integration tests: fixtures and golden files, a recording webhook
//! receiver on loopback with scriptable replies, the app served on a free loopback port, and the
//! built binaries.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use regrelay_core::Config;
use regrelay_core::{Pipeline, ProcessEnv};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub mod flaky;
pub mod process;
pub mod registry;
pub mod soak;
pub mod webdriver;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Path of a fixture, relative to `tests/fixtures`.
pub fn fixture_path(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// The bytes of a fixture.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Compares `actual` with `tests/golden/<name>`; with `UPDATE_GOLDEN=1` rewrites it instead.
pub fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).ok();
        }
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden {} missing ({e}); run with UPDATE_GOLDEN=1 and review the diff",
            path.display()
        )
    });
    similar_asserts::assert_eq!(expected, actual, "golden {name} differs");
}

/// A request the receiver recorded.
#[derive(Debug, Clone)]
pub struct Received {
    /// Path and query.
    pub uri: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One scripted reply: status, extra headers, body, delay.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: String,
    /// Delay before answering.
    pub delay: Duration,
}

impl Scripted {
    /// A plain reply with this status.
    pub fn status(status: u16) -> Self {
        Scripted {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }
}

#[derive(Debug, Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Scripted>>,
    in_flight: std::sync::atomic::AtomicUsize,
    max_in_flight: std::sync::atomic::AtomicUsize,
}

/// A webhook receiver on `127.0.0.1:0` that records every request and answers from a script
/// (then 200). Stops when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<ReceiverState>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver answering 200 to everything.
    pub async fn start() -> Receiver {
        Self::scripted(Vec::new()).await
    }

    /// Starts a receiver that answers with `script` in order, then 200.
    pub async fn scripted(script: Vec<Scripted>) -> Receiver {
        let state = Arc::new(ReceiverState {
            received: Mutex::default(),
            script: Mutex::new(script.into()),
            ..ReceiverState::default()
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, state, task }
    }

    /// URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The most requests this receiver was answering at the same time.
    pub fn max_concurrent(&self) -> usize {
        self.state
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits (at most 5 s) until `count` requests arrived; returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..500 {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.received()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(state): State<Arc<ReceiverState>>, request: Request) -> Response {
    use std::sync::atomic::Ordering::SeqCst;
    let now = state.in_flight.fetch_add(1, SeqCst) + 1;
    state.max_in_flight.fetch_max(now, SeqCst);
    let response = answer(&state, request).await;
    state.in_flight.fetch_sub(1, SeqCst);
    response
}

async fn answer(state: &ReceiverState, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let uri = parts
        .uri
        .path_and_query()
        .map(ToString::to_string)
        .unwrap_or_default();
    if let Ok(mut received) = state.received.lock() {
        received.push(Received {
            uri,
            headers: parts.headers,
            body,
        });
    }
    let next = state.script.lock().ok().and_then(|mut s| s.pop_front());
    let Some(reply) = next else {
        return StatusCode::OK.into_response();
    };
    tokio::time::sleep(reply.delay).await;
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK),
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The regrelay app (the Azure handler's router, as `serve` runs it) on `127.0.0.1:0`.
#[derive(Debug)]
pub struct App {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The pipeline behind it (its store, for assertions).
    pub pipeline: Pipeline,
    task: JoinHandle<()>,
}

impl App {
    /// Starts the app with a config written as TOML.
    pub async fn start(config_toml: &str) -> App {
        let config = Config::from_toml(config_toml, &ProcessEnv).expect("test config");
        Self::with_config(config).await
    }

    /// Starts the app with a built config.
    pub async fn with_config(config: Config) -> App {
        let pipeline = Pipeline::new(config).expect("pipeline");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind app");
        let addr = listener.local_addr().expect("app addr");
        let app = regrelay_azure::app(pipeline.clone());
        let header_timeout = pipeline.config().server.header_timeout;
        let worker = pipeline.clone();
        let task = tokio::spawn(async move {
            // As `serve` does: the worker drains a local queue (queued mode) beside the server.
            tokio::join!(
                worker.run_worker(std::future::pending()),
                regrelay_azure::server::serve(
                    listener,
                    app,
                    header_timeout,
                    std::future::pending()
                ),
            );
        });
        App {
            addr,
            pipeline,
            task,
        }
    }

    /// URL of `path` on the app.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A config sending everything to one webhook receiver, with fast retries.
pub fn webhook_config(url: &str) -> String {
    format!(
        r#"
[delivery]
attempts = 3
backoff = "10ms"
budget = "5s"

[[targets]]
name = "sink"
type = "webhook"
url = "{url}"
timeout = "2s"

[[rules]]
name = "everything"
notifications = ["*:*", "*:pull"]
targets = ["sink"]
"#
    )
}

/// A built binary of the workspace (`regrelay`, `regrelay-azure`): beside the running executable
/// (a `bin` of this package) or one level up (the test binary lives in `deps/`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe path");
    let dirs = exe.ancestors().skip(1).take(2);
    let found = dirs.map(|dir| dir.join(name)).find(|path| path.exists());
    found.unwrap_or_else(|| {
        panic!("{name} is not built next to {}: run `cargo build --workspace --bins` first (the README's test command does)", exe.display())
    })
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A shared HTTP client for tests, with a timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Whether `text` names `reference` (`…:b1` is not `…:b10`).
pub fn mentions(text: &str, reference: &str) -> bool {
    text.match_indices(reference).any(|(at, _)| {
        !text[at + reference.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// GETs `url` (with `Authorization: Bearer <secret>` when given) and returns its JSON body.
pub async fn get_json(url: &str, bearer: Option<&str>) -> serde_json::Value {
    let mut request = client().get(url);
    if let Some(secret) = bearer {
        request = request.bearer_auth(secret);
    }
    let reply = request.send().await.expect("GET");
    reply.json().await.expect("a JSON body")
}

/// Writes a config file `name` into `dir` and returns its path.
pub fn write_config(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the config");
    path
}
