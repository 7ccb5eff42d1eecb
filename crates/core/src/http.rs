//! The process's one outbound HTTP client: pooled connections for every target, store and
//! handshake request, built on first use so a cold start answers its first request before paying
//! for TLS setup (loading the system's root certificates).
//!
//! No redirects are followed (a redirect is a failed delivery, as the webhook specs require);
//! callers set each request's own timeout.

use std::sync::OnceLock;
use std::time::Duration;

/// The shared client, or why it could not be built (e.g. no root certificates on the system).
pub fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT.get_or_init(build).as_ref().map_err(Clone::clone)
}

fn build() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("regrelay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}
