//! The `dingtalk` target: a DingTalk custom robot (`oapi.dingtalk.com/robot/send`).
//!
//! Messages are rendered from templates ([`message`]), signed when the robot uses the "sign"
//! setting ([`sign`]), kept within the robot's 20-a-minute budget ([`limit`]), and judged by the
//! `errcode` in the reply, not only the HTTP status ([`reply`]).

pub mod limit;
pub mod message;
pub mod reply;
pub mod sign;

use std::sync::Arc;
use std::time::Duration;

use limit::{Admission, BudgetKey, Courier};
use sha2::{Digest, Sha256};

use super::{Attempt, AttemptClass, Delivery, Dispatcher, Endpoint, Target};
use crate::common::Secret;
use crate::dispatch::message::Messages;
use crate::event::RegistryEvent;

/// How long DingTalk blocks a robot that sent too fast.
const THROTTLE_BLOCK: Duration = Duration::from_secs(600);
/// Longest an event waits for the digest it was folded into before its attempt reports a
/// retryable failure (within the default delivery budget, under Event Grid's 30 s).
pub const DIGEST_WAIT: Duration = Duration::from_secs(20);

/// A configured DingTalk robot.
#[derive(Debug, Clone)]
pub struct Dingtalk {
    /// The robot's webhook URL (its query carries the access token).
    pub endpoint: Endpoint,
    /// The "sign" secret (`SEC…`), when the robot uses that security setting.
    pub secret: Option<Secret>,
    /// Message type.
    pub message: MessageType,
    /// Mobiles to mention.
    pub at_mobiles: Vec<String>,
    /// Whether to mention everyone.
    pub at_all: bool,
    /// A keyword the robot requires in every message, put in front of the content.
    pub keyword: Option<String>,
    /// Templates.
    pub messages: Messages,
    /// Per-attempt timeout.
    pub timeout: Duration,
}

/// DingTalk message types regrelay sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// Plain text.
    Text,
    /// Markdown (the default).
    Markdown,
    /// A markdown card with one button to the event's link.
    ActionCard,
}

impl Dingtalk {
    /// The robot's URL for a send at `timestamp_ms`: signed when a secret is set.
    pub fn url_at(&self, timestamp_ms: i64) -> reqwest::Url {
        match &self.secret {
            Some(secret) => sign::signed_url(&self.endpoint.0, secret, timestamp_ms),
            None => self.endpoint.0.clone(),
        }
    }

    /// What identifies the robot for its budget: in this process its URL as configured; in the
    /// shared store a hash of the URL without query, credentials or fragment (the access token
    /// lives in the query) and the target's name, so the store never holds a token.
    fn budget_key(&self, target: &str) -> BudgetKey {
        let mut url = self.endpoint.0.clone();
        url.set_query(None);
        url.set_fragment(None);
        // Setting these cannot fail on the http(s) URLs a target has.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let digest = Sha256::digest(format!("{url}\n{target}").as_bytes());
        let hex = crate::common::hex(&digest[..16]);
        BudgetKey {
            local: self.endpoint.0.as_str().to_owned(),
            shared: format!("dingtalk|{hex}"),
        }
    }
}

impl Dispatcher {
    /// One attempt for one event: sent on its own while the budget allows, else folded.
    pub(super) async fn deliver_dingtalk(
        &self,
        target: &Target,
        robot: &Dingtalk,
        delivery: Delivery<'_>,
    ) -> Attempt {
        let key = format!("{}\n{}", delivery.event.id, target.name);
        let courier = || DigestCourier {
            dispatcher: self.clone(),
            robot: Arc::new(robot.clone()),
        };
        let admission = self
            .robots
            .admit(
                &robot.budget_key(&target.name),
                key,
                delivery.event,
                courier,
            )
            .await;
        match admission {
            Admission::Send => {
                let attempt = self.post(target, delivery).await;
                self.note_throttle(robot, &attempt);
                attempt
            }
            Admission::Folded(reply) => match tokio::time::timeout(delivery.digest_wait, reply).await {
                Ok(Ok(attempt)) => attempt,
                Ok(Err(_)) => super::failed(
                    AttemptClass::Retryable,
                    "the digest carrying this event was not sent".into(),
                ),
                // Still queued: the digest goes out later, and a retry finds it remembered.
                Err(_) => super::failed(
                    AttemptClass::Retryable,
                    "folded into the robot's next digest (DingTalk's 20-a-minute budget); the next attempt finds its result".into(),
                ),
            },
            Admission::Full => super::failed(
                AttemptClass::Retryable,
                format!(
                    "{} events already wait for this robot's digests",
                    limit::MAX_PENDING
                ),
            ),
            Admission::Delivered => Attempt {
                response_excerpt: Some("delivered earlier in a digest".into()),
                ..super::blank()
            },
        }
    }

    /// After "send too fast", DingTalk blocks the robot for ten minutes: hold every send.
    fn note_throttle(&self, robot: &Dingtalk, attempt: &Attempt) {
        if reply::throttled(attempt) {
            tracing::warn!("DingTalk throttled the robot; holding its messages for ten minutes.");
            self.robots.hold(
                robot.endpoint.0.as_str(),
                tokio::time::Instant::now() + THROTTLE_BLOCK,
            );
        }
    }
}

/// Sends digests for one robot.
struct DigestCourier {
    dispatcher: Dispatcher,
    robot: Arc<Dingtalk>,
}

impl Courier for DigestCourier {
    async fn send(&self, events: Vec<RegistryEvent>) -> Attempt {
        tracing::info!(events = events.len(), "Sending a DingTalk digest.");
        let body = message::render_digest(&self.robot, &events)
            .map_err(|e| e.to_string())
            .and_then(|body| serde_json::to_vec(&body).map_err(|e| e.to_string()));
        let body = match body {
            Ok(body) => body,
            Err(e) => {
                return super::failed(
                    AttemptClass::Permanent,
                    format!("could not render the digest: {e}"),
                );
            }
        };
        let url = self.robot.url_at(chrono::Utc::now().timestamp_millis());
        let client = match crate::http::client() {
            Ok(client) => client,
            Err(e) => return super::failed(AttemptClass::Retryable, e),
        };
        let request = client
            .post(url)
            .timeout(self.robot.timeout)
            .header(http::header::CONTENT_TYPE, JSON_UTF8)
            .body(body);
        let attempt = self
            .dispatcher
            .send_checked(request, Some(reply::check))
            .await;
        self.dispatcher.note_throttle(&self.robot, &attempt);
        attempt
    }
}

/// The content type DingTalk documents.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";
