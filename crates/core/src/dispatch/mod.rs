//! Fan-out: delivering one event to one target, one attempt at a time, over one pooled client.
//!
//! Targets are a closed set ([`TargetKind`]), one module per kind. Each attempt runs in its own
//! tracing span carrying the event id and the target name, has the target's timeout, and
//! returns an [`Attempt`] that the history records. Requests are built by the pure
//! [`Target::render`] (shared with the golden tests); chat messages come from templates
//! ([`message`]). The retry schedule is [`retry`]; the loop over attempts and the ledger are
//! the deliver stage's.
//!
//! Logs never carry URLs with their query, bodies or header values: tokens live there.

pub mod config;
pub mod dingtalk;
pub mod log;
pub mod mac;
pub mod message;
pub mod outcome;
pub mod render;
pub mod retry;
pub mod slack;
pub mod teams;
pub mod webhook;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

pub use crate::common::{Attempt, AttemptClass};

use crate::event::RegistryEvent;
use outcome::ReplyCheck;

/// Bytes of a target's reply kept in the history.
const EXCERPT_BYTES: usize = 512;

/// A configured target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Name that rules refer to.
    pub name: String,
    /// What kind of target, with its settings.
    pub kind: TargetKind,
}

/// The kinds of target regrelay delivers to.
#[derive(Debug, Clone)]
pub enum TargetKind {
    /// HTTP(S) POST of the event (normalized, CloudEvents or as received), optionally signed.
    Webhook(webhook::Webhook),
    /// A DingTalk custom robot.
    Dingtalk(dingtalk::Dingtalk),
    /// A Microsoft Teams workflow or incoming webhook (Adaptive Card).
    Teams(teams::Teams),
    /// A Slack incoming webhook.
    Slack(slack::Slack),
    /// One JSON line per event on standard output (local runs, demos).
    Log(log::Log),
}

impl TargetKind {
    /// The kind's name in the config (`webhook`, `dingtalk`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            TargetKind::Webhook(_) => "webhook",
            TargetKind::Dingtalk(_) => "dingtalk",
            TargetKind::Teams(_) => "teams",
            TargetKind::Slack(_) => "slack",
            TargetKind::Log(_) => "log",
        }
    }
}

/// A target URL whose credentials never print: chat services keep them in the query (DingTalk
/// `access_token`, Teams workflow `sig`) or in the path (Slack `/services/T…/B…/<secret>`, Teams
/// incoming webhooks), so only the scheme, host, port and first path segment are shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint(pub reqwest::Url);

impl Endpoint {
    /// Parses an absolute `http`/`https` URL.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(text).map_err(|e| format!("not a valid URL: {e}"))?;
        match url.scheme() {
            "http" | "https" if url.host().is_some() => Ok(Endpoint(url)),
            _ => Err("must be an http:// or https:// URL with a host".into()),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.0;
        write!(
            f,
            "{}://{}",
            url.scheme(),
            url.host_str().unwrap_or_default()
        )?;
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        let path = url.path().trim_start_matches('/');
        match path.split_once('/') {
            Some((first, rest)) if !rest.is_empty() => write!(f, "/{first}/[redacted]")?,
            _ => write!(f, "/{path}")?,
        }
        if url.query().is_some() {
            f.write_str("?[redacted]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({self})")
    }
}

/// One event on its way to one target.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'e> {
    /// The normalized event.
    pub event: &'e RegistryEvent,
    /// The event exactly as received.
    pub raw: &'e str,
    /// Attempt number, from 1.
    pub number: u32,
    /// How long a DingTalk event folded into a digest waits for it within this attempt
    /// ([`dingtalk::DIGEST_WAIT`] inline; briefly in queued mode, where the pair is simply
    /// checked again on the schedule and finds the digest's result).
    pub digest_wait: std::time::Duration,
}

/// Sends events to targets with one shared, pooled HTTP client, and keeps the per-robot
/// DingTalk budgets.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    robots: Arc<dingtalk::limit::Limiter>,
}

impl Default for Dispatcher {
    /// A dispatcher whose DingTalk budgets live in this process only. The pooled HTTP client
    /// (no redirects, bounded connect time, a user agent naming regrelay) is built on first use.
    fn default() -> Self {
        Self::build(dingtalk::limit::Limiter::default())
    }
}

impl Dispatcher {
    /// Like [`Dispatcher::default`], with the DingTalk budgets kept in `store` too, so that every
    /// instance sharing the store shares each robot's budget.
    pub fn with_store(store: Arc<crate::store::Store>) -> Self {
        let rate = dingtalk::limit::Rate::DINGTALK;
        Self::build(dingtalk::limit::Limiter::shared(rate, store))
    }

    fn build(robots: dingtalk::limit::Limiter) -> Self {
        Dispatcher {
            robots: Arc::new(robots),
        }
    }

    /// Makes one attempt to deliver `delivery` to `target`.
    pub async fn attempt(&self, target: &Target, delivery: Delivery<'_>) -> Attempt {
        let span = tracing::info_span!("deliver", event_id = %delivery.event.id, target = %target.name, attempt = delivery.number);
        async {
            let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let clock = Instant::now();
            let mut attempt = match &target.kind {
                TargetKind::Dingtalk(robot) => self.deliver_dingtalk(target, robot, delivery).await,
                TargetKind::Webhook(_) | TargetKind::Teams(_) | TargetKind::Slack(_) => {
                    self.post(target, delivery).await
                }
                TargetKind::Log(log) => log.write(delivery),
            };
            attempt.target.clone_from(&target.name);
            attempt.number = delivery.number;
            attempt.started_at = started_at;
            let took = clock.elapsed();
            attempt.latency_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
            crate::metrics::attempted(&attempt, took.as_secs_f64());
            match attempt.class {
                AttemptClass::Delivered => tracing::info!(status = attempt.status, latency_ms = attempt.latency_ms, "Delivered."),
                _ => tracing::warn!(status = attempt.status, class = ?attempt.class, error = attempt.error.as_deref().unwrap_or(""), "Delivery failed."),
            }
            attempt
        }
        .instrument(span)
        .await
    }

    /// Renders the target's request for `delivery` and sends it with the target's timeout.
    async fn post(&self, target: &Target, delivery: Delivery<'_>) -> Attempt {
        let rendered = match target.render(delivery, std::time::SystemTime::now()) {
            Ok(rendered) => rendered,
            Err(e) => return failed(AttemptClass::Permanent, e.to_string()),
        };
        let client = match crate::http::client() {
            Ok(client) => client,
            Err(e) => return failed(AttemptClass::Retryable, e),
        };
        let request = client
            .post(rendered.url)
            .timeout(target.kind.timeout())
            .headers(rendered.headers)
            .body(rendered.body);
        self.send_checked(request, target.kind.reply_check()).await
    }

    /// Sends a prepared request and turns the reply (or its absence) into an [`Attempt`].
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Attempt {
        self.send_checked(request, None).await
    }

    /// Like [`Dispatcher::send`], then lets `check` read the reply body (targets that answer
    /// failures with HTTP 200); the longer of `Retry-After` and the check's wait wins.
    pub async fn send_checked(
        &self,
        request: reqwest::RequestBuilder,
        check: Option<ReplyCheck>,
    ) -> Attempt {
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = outcome::retry_after(response.headers()).map(|d| d.as_secs());
                let body = response.bytes().await.unwrap_or_default();
                let class = outcome::classify_status(status);
                let mut attempt = Attempt {
                    status: Some(status),
                    class,
                    error: (class != AttemptClass::Delivered)
                        .then(|| format!("target replied {status}")),
                    response_excerpt: outcome::excerpt(&body, EXCERPT_BYTES),
                    retry_after_secs: retry_after,
                    ..blank()
                };
                if let Some(verdict) = check.and_then(|check| check(status, &body)) {
                    attempt.class = verdict.class;
                    attempt.error = verdict.error;
                    attempt.retry_after_secs = retry_after.max(verdict.retry_after_secs);
                }
                attempt
            }
            Err(e) if e.is_timeout() => failed(AttemptClass::Retryable, "timed out".into()),
            Err(e) => failed(AttemptClass::Retryable, transport_error(&e)),
        }
    }
}

/// A transport error in words, without the URL (it may carry a token).
fn transport_error(error: &reqwest::Error) -> String {
    let kind = if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// An attempt with nothing filled in yet.
fn blank() -> Attempt {
    Attempt {
        target: String::new(),
        number: 0,
        started_at: String::new(),
        status: None,
        latency_ms: 0,
        class: AttemptClass::Delivered,
        error: None,
        response_excerpt: None,
        retry_after_secs: None,
        next_attempt_at: None,
    }
}

/// A failed attempt with no reply.
fn failed(class: AttemptClass, error: String) -> Attempt {
    Attempt {
        class,
        error: Some(error),
        ..blank()
    }
}

#[cfg(test)]
mod endpoint_tests {
    use super::Endpoint;

    #[test]
    fn secrets_in_paths_and_queries_never_print() {
        let shown = |url: &str| Endpoint::parse(url).unwrap().to_string();
        assert_eq!(
            shown("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/services/[redacted]"
        );
        assert_eq!(
            shown("https://oapi.dingtalk.com/robot/send?access_token=SECRET"),
            "https://oapi.dingtalk.com/robot/[redacted]?[redacted]"
        );
        assert_eq!(
            shown("http://127.0.0.1:9999/hook"),
            "http://127.0.0.1:9999/hook"
        );
        assert_eq!(shown("http://127.0.0.1:9999/"), "http://127.0.0.1:9999/");
        let debug = format!(
            "{:?}",
            Endpoint::parse("https://h.example/a/SECRET").unwrap()
        );
        assert!(!debug.contains("SECRET"), "{debug}");
    }
}
