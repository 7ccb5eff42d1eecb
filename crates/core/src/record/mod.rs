//! Stage 5, record: what the request came to, written to history once, and the reply that tells
//! the sender what to do next.
//!
//! Reply policy (senders retry 5xx and dead-letter 4xx): 200 when every matched delivery
//! succeeded, was already done, or failed permanently (dead-lettered here, where it can be listed
//! and redriven); 503 with `Retry-After` when any delivery may still succeed on the sender's
//! retry; the rejection's own status when the request was refused. In queued mode, 200 once every
//! pair is durably queued (503 when the queue could not take them). A batch holding an Event Grid
//! subscription validation is answered with the validation code once its other events are
//! delivered.

use http::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::admit::Answered;
use crate::decode::Tally;
use crate::deliver::PairOutcome;
use crate::handshake;
use crate::reply::{InboundRequest, Rejection, Reply};
use crate::store::{Reception, ReceptionKind, Store};

/// What an admitted request came to.
#[derive(Debug)]
pub enum Accepted {
    /// A handshake answered at the door.
    Answered(Answered),
    /// Events, decoded, routed and delivered.
    Events {
        /// The body's counts.
        tally: Tally,
        /// The ids of its registry events, in order.
        event_ids: Vec<String>,
        /// One outcome per (event, target) pair.
        outcomes: Vec<PairOutcome>,
    },
    /// Events, decoded and routed, their deliveries written to the queue (queued mode).
    Queued {
        /// The body's counts.
        tally: Tally,
        /// The ids of its registry events, in order.
        event_ids: Vec<String>,
        /// Work items written, one per (event, target) pair.
        queued: usize,
    },
}

/// The reception record of a request, before anything is known of it; with `keep_payload`, its
/// body as text.
pub fn begin(request: &InboundRequest, keep_payload: bool) -> Reception {
    let digest = Sha256::digest(&request.body);
    let payload_sha256 = crate::common::hex(&digest);
    let received_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    Reception {
        id: format!(
            "rcv-{}-{}",
            received_at.replace([':', '.', '-'], ""),
            &payload_sha256[..12]
        ),
        received_at,
        kind: ReceptionKind::Events,
        format: None,
        payload_sha256,
        status: 0,
        event_ids: Vec::new(),
        error: None,
        payload: keep_payload.then(|| String::from_utf8_lossy(&request.body).into_owned()),
    }
}

/// Writes the reception of a request once, from its outcome, and returns the reply.
pub async fn record(
    store: &Store,
    mut reception: Reception,
    outcome: Result<Accepted, Rejection>,
) -> Reply {
    let reply = match outcome {
        Err(rejection) => {
            tracing::warn!(
                status = rejection.status.as_u16(),
                error = %rejection.message,
                "Rejected a request."
            );
            reception.kind = ReceptionKind::Rejected;
            let mut reply = Reply::error(rejection.status, &rejection.message);
            if rejection.status == StatusCode::SERVICE_UNAVAILABLE {
                reply = reply.with_header("retry-after", "10");
            }
            reception.error = Some(rejection.message);
            reply
        }
        Ok(Accepted::Answered(answered)) => {
            reception.kind = answered.kind();
            Reply::json(
                StatusCode::OK,
                &json!({ "acknowledged": answered.kind().as_str() }),
            )
        }
        Ok(Accepted::Events {
            tally,
            event_ids,
            outcomes,
        }) => {
            reception.format = Some(tally.format.as_str().to_owned());
            let mut reply = summarize(event_ids.len(), tally.ignored, &outcomes);
            if let Some(code) = &tally.validation {
                reply = validated(reply, code.as_deref(), event_ids.is_empty());
                reception.kind = ReceptionKind::Validation;
                tracing::info!(
                    status = reply.status.as_u16(),
                    "Answered Event Grid subscription validation."
                );
            }
            reception.event_ids = event_ids;
            reply
        }
        Ok(Accepted::Queued {
            tally,
            event_ids,
            queued,
        }) => {
            reception.format = Some(tally.format.as_str().to_owned());
            let body =
                json!({ "events": event_ids.len(), "ignored": tally.ignored, "queued": queued });
            let mut reply = Reply::json(StatusCode::OK, &body);
            if let Some(code) = &tally.validation {
                reply = validated(reply, code.as_deref(), event_ids.is_empty());
                reception.kind = ReceptionKind::Validation;
            }
            reception.event_ids = event_ids;
            reply
        }
    };
    reception.status = reply.status.as_u16();
    if reception.kind != ReceptionKind::Rejected {
        // One line per request at INFO; each event's own line is at DEBUG.
        tracing::info!(
            status = reception.status,
            kind = reception.kind.as_str(),
            format = reception.format.as_deref().unwrap_or(""),
            events = reception.event_ids.len(),
            "Answered a request."
        );
    }
    if let Err(error) = store.keep_reception(reception).await {
        tracing::error!(%error, "Could not record the request in history.");
    }
    reply
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
        "held": count(PairOutcome::is_held),
        "failed": retrying,
    });
    if retrying.is_empty() {
        Reply::json(StatusCode::OK, &body)
    } else {
        Reply::json(StatusCode::SERVICE_UNAVAILABLE, &body).with_header("retry-after", "10")
    }
}
