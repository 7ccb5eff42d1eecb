//! Stage 1, admit: whether a request may come in, and what it carries once it has.
//!
//! In order: the body limit (413), the content encoding (415), the Alibaba EventBridge
//! signature when one is present (403, or 503 when its certificate cannot be fetched), then SNS:
//! a Lambda `Records` envelope or an HTTP message is verified and unwrapped, and its handshakes
//! are answered here; last, Event Grid's deletion notice (a header) is acknowledged. What comes
//! out is a [`Verified`] request, which nothing else can build, or a handshake already answered.
//! The shared secret ([`authorize`], [`authorize_read`]) is checked first of all, by the
//! pipeline's routing, for every route.

mod auth;
pub mod config;
pub(crate) mod sns;

use http::StatusCode;

use self::config::Inbound;
use crate::reply::{InboundRequest, Rejection};
use crate::schema::event_grid;
use crate::store::ReceptionKind;
use crate::verify::alibaba;

pub(crate) use auth::{
    check as authorize, check_read as authorize_read, check_write as authorize_write,
};

/// A request admission let through: its limits, encoding and signatures are checked.
#[derive(Debug)]
pub struct Verified {
    request: InboundRequest,
    alibaba_signed: bool,
}

impl Verified {
    /// The request (for an SNS message, the message it carried, as a request of its own).
    pub fn request(&self) -> &InboundRequest {
        &self.request
    }

    /// Whether an Alibaba EventBridge signature on it was verified.
    pub fn alibaba_signed(&self) -> bool {
        self.alibaba_signed
    }
}

/// A handshake answered at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// An SNS subscription, confirmed.
    SnsSubscription,
    /// An SNS unsubscribe confirmation, acknowledged.
    SnsUnsubscribe,
    /// Event Grid's notice that a subscription was deleted, acknowledged.
    Deletion,
}

impl Answered {
    /// The history's name for it.
    pub fn kind(self) -> ReceptionKind {
        match self {
            Answered::SnsSubscription => ReceptionKind::SnsSubscription,
            Answered::SnsUnsubscribe => ReceptionKind::SnsUnsubscribe,
            Answered::Deletion => ReceptionKind::Deletion,
        }
    }
}

/// What admission let in.
#[derive(Debug)]
pub enum Admitted {
    /// One request to decode.
    One(Verified),
    /// The messages of an SNS `Records` envelope: each is decoded, routed and recorded alone.
    Each(Vec<Verified>),
    /// A handshake, answered.
    Answered(Answered),
}

/// Admits one POST of events.
pub async fn admit(request: InboundRequest, inbound: &Inbound) -> Result<Admitted, Rejection> {
    let max = inbound.max_body_bytes;
    if request.body.len() > max {
        return Err(Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "body of {} bytes exceeds the limit of {max} bytes",
                request.body.len()
            ),
        ));
    }
    if let Some(message) = unsupported_encoding(&request.headers) {
        return Err(Rejection::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message));
    }
    let alibaba_signed = check_alibaba(&request, inbound).await?;
    if let Some(messages) = sns::unwrap_lambda(&request, &inbound.sns).await {
        let each = messages?
            .into_iter()
            .map(|request| Verified {
                request,
                alibaba_signed: false,
            })
            .collect();
        return Ok(Admitted::Each(each));
    }
    let request = match sns::unwrap(request, &inbound.sns).await? {
        sns::Unwrapped::Plain(request) | sns::Unwrapped::Message(request) => request,
        sns::Unwrapped::Answered(answered) => return Ok(Admitted::Answered(answered)),
    };
    let delivery_kind = request
        .headers
        .get(event_grid::HEADER_EVENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if delivery_kind == Some(event_grid::DELIVERY_DELETION) {
        return Ok(Admitted::Answered(Answered::Deletion));
    }
    Ok(Admitted::One(Verified {
        request,
        alibaba_signed,
    }))
}

/// Verifies an Alibaba EventBridge signature when verification is on and the request carries
/// one: `Ok(true)` verified, `Ok(false)` nothing to verify; 403 for a bad signature, 503 when
/// the certificate cannot be fetched (EventBridge retries).
async fn check_alibaba(request: &InboundRequest, inbound: &Inbound) -> Result<bool, Rejection> {
    let settings = &inbound.alibaba;
    if !settings.verify || !alibaba::is_signed(&request.headers) {
        return Ok(false);
    }
    let now = chrono::Utc::now().timestamp_millis();
    match alibaba::verify(request, settings, now).await {
        Ok(()) => Ok(true),
        Err(error) => Err(Rejection::new(
            error.status(),
            format!("EventBridge signature not verified: {error}"),
        )),
    }
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
