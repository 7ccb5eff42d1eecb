//! The pure half of an attempt: a target and an event in, the exact request out. The
//! dispatcher sends what [`Target::render`] returns, and golden tests compare it.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};

use super::message::TemplateError;
use super::outcome::ReplyCheck;
use super::{Delivery, Endpoint, Target, TargetKind, dingtalk, slack};

/// One request, ready to send.
#[derive(Clone)]
pub struct Rendered {
    /// Where to POST (may carry a token or a signature in its query).
    pub url: reqwest::Url,
    /// Headers, credentials marked sensitive.
    pub headers: HeaderMap,
    /// Body bytes, exactly as sent (signatures cover them).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("url", &Endpoint(self.url.clone()))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// Why a request could not be built. Resending cannot fix any of these: they are permanent.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A message template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The body could not be encoded.
    #[error("could not encode the body: {0}")]
    Json(#[from] serde_json::Error),
    /// The CloudEvent could not be built.
    #[error("could not build the CloudEvent: {0}")]
    CloudEvent(String),
    /// A value does not fit in a header.
    #[error("{0} cannot be sent in a header")]
    Header(String),
    /// The target does not send HTTP requests.
    #[error("this target kind sends no HTTP request")]
    NotHttp,
}

impl Target {
    /// The request one attempt sends at time `now` (Standard Webhooks and DingTalk signatures
    /// use it). DingTalk's single-event message; digests are built by the rate limiter.
    pub fn render(&self, delivery: Delivery<'_>, now: SystemTime) -> Result<Rendered, RenderError> {
        let now = DateTime::<Utc>::from(now);
        let event = delivery.event;
        match &self.kind {
            TargetKind::Webhook(hook) => hook.render(&self.name, delivery, now.timestamp()),
            TargetKind::Dingtalk(robot) => json_request(
                robot.url_at(now.timestamp_millis()),
                dingtalk::JSON_UTF8,
                &dingtalk::message::render(robot, event)?,
            ),
            TargetKind::Teams(teams) => json_request(
                teams.endpoint.0.clone(),
                "application/json",
                &teams.render(event)?,
            ),
            TargetKind::Slack(slack) => json_request(
                slack.endpoint.0.clone(),
                "application/json",
                &slack.render(event)?,
            ),
            TargetKind::Log(_) => Err(RenderError::NotHttp),
        }
    }
}

impl TargetKind {
    /// Per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        match self {
            TargetKind::Webhook(hook) => hook.timeout,
            TargetKind::Dingtalk(robot) => robot.timeout,
            TargetKind::Teams(teams) => teams.timeout,
            TargetKind::Slack(slack) => slack.timeout,
            TargetKind::Log(_) => Duration::ZERO,
        }
    }

    /// How the target's replies are read beyond their status.
    pub fn reply_check(&self) -> Option<ReplyCheck> {
        match self {
            TargetKind::Dingtalk(_) => Some(dingtalk::reply::check),
            TargetKind::Slack(_) => Some(slack::check),
            TargetKind::Webhook(_) | TargetKind::Teams(_) | TargetKind::Log(_) => None,
        }
    }
}

fn json_request(
    url: reqwest::Url,
    content_type: &'static str,
    body: &serde_json::Value,
) -> Result<Rendered, RenderError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    Ok(Rendered {
        url,
        headers,
        body: serde_json::to_vec(body)?,
    })
}
