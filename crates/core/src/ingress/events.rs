//! The event path of one POST: handshake detection, parse, normalize, decide, record, deliver,
//! and the reply that tells the sender whether to retry.
//!
//! Reply policy (senders retry 5xx and dead-letter 400/413): 200 when every matched delivery
//! succeeded, was already done, or failed permanently (dead-lettered here, where it can be listed
//! and redriven); 503 when any delivery may still succeed on the sender's retry.

use std::collections::HashSet;

use http::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Pipeline;
use super::deliver::PairOutcome;
use crate::event::RegistryEvent;
use crate::filter::{self, Subject};
use crate::handshake;
use crate::normalize::{self, Classified};
use crate::reply::{InboundRequest, Reply};
use crate::schema::{self, alibaba as alibaba_schema, event_grid};
use crate::store::{EventRecord, Reception};

/// A registry event of this request, with its raw JSON and the targets it goes to.
pub(super) struct Routed {
    pub event: RegistryEvent,
    pub raw: String,
    pub targets: Vec<usize>,
}

impl Pipeline {
    pub(super) async fn receive(&self, request: InboundRequest) -> Reply {
        let max = self.inner.config.inbound.max_body_bytes;
        let keep = self.inner.config.keep_payloads && request.body.len() <= max;
        let mut reception = reception_for(&request, keep);
        if request.body.len() > max {
            let message = format!(
                "body of {} bytes exceeds the limit of {max} bytes",
                request.body.len()
            );
            return self
                .rejected(&mut reception, StatusCode::PAYLOAD_TOO_LARGE, &message)
                .await;
        }
        if let Some(message) = unsupported_encoding(&request.headers) {
            return self
                .rejected(&mut reception, StatusCode::UNSUPPORTED_MEDIA_TYPE, &message)
                .await;
        }
        let alibaba_signed = match self.check_alibaba(&request, &mut reception).await {
            Ok(signed) => signed,
            Err(reply) => return reply,
        };
        match self.unwrap_lambda_sns(&request, &mut reception).await {
            Some(Ok(messages)) => return self.receive_each(messages).await,
            Some(Err(reply)) => return reply,
            None => {}
        }
        let request = match self.unwrap_sns(request, &mut reception).await {
            Ok(request) => request,
            Err(reply) => return reply,
        };
        let delivery_kind = request
            .headers
            .get(event_grid::HEADER_EVENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if delivery_kind == Some(event_grid::DELIVERY_DELETION) {
            return self.acknowledged(&mut reception, "deletion").await;
        }
        let inbound = match schema::parse(&request.headers, &request.body) {
            Ok(inbound) => inbound,
            Err(error) => {
                let status = if error.is_media_type() {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE
                } else {
                    StatusCode::BAD_REQUEST
                };
                return self
                    .rejected(&mut reception, status, &error.to_string())
                    .await;
            }
        };
        reception.format = Some(inbound.format.as_str().to_owned());
        let cap = self.inner.config.inbound.max_events;
        if inbound.events.len() > cap {
            let message = format!(
                "request carries {} events; the limit (inbound.max_events) is {cap}",
                inbound.events.len()
            );
            return self
                .rejected(&mut reception, StatusCode::PAYLOAD_TOO_LARGE, &message)
                .await;
        }
        if self.inner.config.inbound.alibaba.verify
            && !alibaba_signed
            && inbound
                .events
                .iter()
                .any(|p| alibaba_schema::is_eventbridge(&p.wire))
        {
            let message = format!(
                "Alibaba EventBridge events must be signed: no {} header",
                handshake::alibaba::HEADER_SIGNATURE
            );
            return self
                .rejected(&mut reception, StatusCode::FORBIDDEN, &message)
                .await;
        }
        let mut routed = Vec::new();
        let mut ignored = 0usize;
        let mut seen = HashSet::new();
        let mut validation = None;
        for parsed in &inbound.events {
            match normalize::classify(parsed) {
                Classified::Validation { code, .. } => validation = Some(code),
                Classified::Deletion => ignored += 1,
                Classified::Ignored { event_type } => {
                    tracing::debug!(event_type, "Ignored a non-registry event.");
                    ignored += 1;
                }
                Classified::Registry(event) => {
                    if seen.insert(event.id.clone()) {
                        routed.push(self.decide(*event, parsed.raw.get(), &reception).await);
                    } else {
                        tracing::info!(event_id = %event.id, "Dropped a duplicate id within one batch.");
                    }
                }
            }
        }
        reception.event_ids = routed.iter().map(|r| r.event.id.clone()).collect();
        let outcomes = self.deliver_all(&routed).await;
        let mut reply = summarize(routed.len(), ignored, &outcomes);
        if let Some(code) = validation {
            reply = validated(reply, code.as_deref(), routed.is_empty());
            reception.kind = "validation".into();
            tracing::info!(
                status = reply.status.as_u16(),
                "Answered Event Grid subscription validation."
            );
        }
        self.save_reception(&mut reception, reply.status).await;
        reply
    }

    /// Verifies an Alibaba EventBridge signature when verification is on and the request carries
    /// one: `Ok(true)` verified, `Ok(false)` nothing to verify; 403 for a bad signature, 503 when
    /// the certificate cannot be fetched (EventBridge retries).
    async fn check_alibaba(
        &self,
        request: &InboundRequest,
        reception: &mut Reception,
    ) -> Result<bool, Reply> {
        let settings = &self.inner.config.inbound.alibaba;
        if !settings.verify || !handshake::alibaba::is_signed(&request.headers) {
            return Ok(false);
        }
        let now = chrono::Utc::now().timestamp_millis();
        match handshake::alibaba::verify(request, settings, now).await {
            Ok(()) => Ok(true),
            Err(error) => {
                let message = format!("EventBridge signature not verified: {error}");
                Err(self.rejected(reception, error.status(), &message).await)
            }
        }
    }

    /// Receives the messages of one envelope one by one; the reply is the one the sender must act
    /// on: any retryable failure, else any refusal, else the last success.
    async fn receive_each(&self, messages: Vec<InboundRequest>) -> Reply {
        let mut worst: Option<Reply> = None;
        for message in messages {
            let reply = Box::pin(self.receive(message)).await;
            let rank = |r: &Reply| match r.status {
                s if s.is_server_error() => 2,
                s if s.is_client_error() => 1,
                _ => 0,
            };
            if worst.as_ref().is_none_or(|w| rank(&reply) >= rank(w)) {
                worst = Some(reply);
            }
        }
        worst.unwrap_or_else(|| Reply::json(StatusCode::OK, &json!({"accepted": 0})))
    }

    /// Runs the rules on one event and records the event with every decision.
    async fn decide(&self, event: RegistryEvent, raw: &str, reception: &Reception) -> Routed {
        let config = &self.inner.config;
        let (decisions, targets) = filter::decide(&config.rules, &Subject::new(&event, raw));
        tracing::info!(event_id = %event.id, action = %event.action, repository = event.repository.as_deref().unwrap_or(""), targets = targets.len(), "Received a registry event.");
        let record = EventRecord {
            event,
            raw: raw.to_owned(),
            received_at: reception.received_at.clone(),
            decisions,
            targets: targets
                .iter()
                .map(|&t| config.targets[t].name.clone())
                .collect(),
            reception_id: reception.id.clone(),
        };
        if let Err(error) = self.inner.store.record_event(&record).await {
            tracing::error!(%error, "Could not record the event in history.");
        }
        Routed {
            event: record.event,
            raw: record.raw,
            targets,
        }
    }

    pub(super) async fn rejected(
        &self,
        reception: &mut Reception,
        status: StatusCode,
        message: &str,
    ) -> Reply {
        tracing::warn!(
            status = status.as_u16(),
            error = message,
            "Rejected a request."
        );
        reception.kind = "rejected".into();
        reception.error = Some(message.to_owned());
        self.save_reception(reception, status).await;
        Reply::error(status, message)
    }

    pub(super) async fn acknowledged(&self, reception: &mut Reception, kind: &str) -> Reply {
        reception.kind = kind.to_owned();
        self.save_reception(reception, StatusCode::OK).await;
        Reply::json(StatusCode::OK, &json!({ "acknowledged": kind }))
    }

    async fn save_reception(&self, reception: &mut Reception, status: StatusCode) {
        reception.status = status.as_u16();
        if let Err(error) = self.inner.store.record_reception(reception).await {
            tracing::error!(%error, "Could not record the request in history.");
        }
    }
}

/// The reception record of a request; with `keep_payload`, its body as text.
fn reception_for(request: &InboundRequest, keep_payload: bool) -> Reception {
    let digest = Sha256::digest(&request.body);
    let payload_sha256 = digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let received_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    Reception {
        id: format!(
            "rcv-{}-{}",
            received_at.replace([':', '.', '-'], ""),
            &payload_sha256[..12]
        ),
        received_at,
        kind: "events".into(),
        format: None,
        payload_sha256,
        status: 0,
        event_ids: Vec::new(),
        error: None,
        payload: keep_payload.then(|| String::from_utf8_lossy(&request.body).into_owned()),
    }
}

/// The reply to a batch holding a subscription validation event: the handshake's answer, once
/// the batch's other events (if any, which Event Grid never mixes in, but a client may) are
/// delivered; while any of them may still succeed on a retry, the retryable reply stands.
fn validated(summary: Reply, code: Option<&str>, alone: bool) -> Reply {
    let handshake = handshake::event_grid_validation(code);
    if alone || !summary.status.is_success() || !handshake.status.is_success() {
        return if summary.status.is_success() {
            handshake
        } else {
            summary
        };
    }
    let mut body: serde_json::Value =
        serde_json::from_slice(&summary.body).unwrap_or_else(|_| json!({}));
    body["validationResponse"] = json!(code);
    Reply::json(StatusCode::OK, &body)
}

/// Why a `Content-Encoding` cannot be read: compressed bodies are refused (415) rather than read
/// as plain bytes or inflated past the body limit. `identity` and no header are fine.
fn unsupported_encoding(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_ENCODING)?;
    let text = value.to_str().unwrap_or("(not text)").trim();
    if text.is_empty() || text.eq_ignore_ascii_case("identity") {
        return None;
    }
    Some(format!(
        "Content-Encoding '{text}' is not accepted; send the body uncompressed"
    ))
}

/// The sender's reply from the pairs' outcomes.
fn summarize(events: usize, ignored: usize, outcomes: &[PairOutcome]) -> Reply {
    let count = |wanted: fn(&PairOutcome) -> bool| outcomes.iter().filter(|o| wanted(o)).count();
    let retrying: Vec<_> = outcomes
        .iter()
        .filter(|o| o.is_retrying())
        .map(|o| json!({ "event_id": o.event_id, "target": o.target, "error": o.reason }))
        .collect();
    let body = json!({
        "events": events,
        "ignored": ignored,
        "delivered": count(PairOutcome::is_delivered),
        "already_delivered": count(PairOutcome::is_duplicate),
        "dead_lettered": count(PairOutcome::is_dead),
        "failed": retrying,
    });
    if retrying.is_empty() {
        Reply::json(StatusCode::OK, &body)
    } else {
        Reply::json(StatusCode::SERVICE_UNAVAILABLE, &body).with_header("retry-after", "10")
    }
}
