//! Stage 2, decode: from an admitted body to classified events. Pure: no I/O, no clock.
//!
//! The one front half of the product: the server, `regrelay normalize`, `regrelay simulate` and
//! the benchmark all decode through [`decode_body`], so they cannot disagree about a payload.
//! Format detection and parsing are `schema`'s, classification into the registry model
//! `normalize`'s; this stage adds the request's limits (`inbound.max_events`, 413), the
//! rule that Alibaba EventBridge events must be signed when verification is on (403), and drops
//! repeated ids within one batch.
//!
//! Offline tools also unwrap SNS messages ([`offline`]), without verifying them; the server's
//! SNS messages are verified and unwrapped by admission before they get here.

use std::collections::HashSet;

use http::{HeaderMap, StatusCode};

use crate::admit::Verified;
use crate::admit::config::Inbound;
use crate::event::{RegistryEvent, Schema};
use crate::normalize::{self, Classified};
use crate::reply::Rejection;
use crate::schema::sns::{self, LambdaSnsEvent, SnsMessage};
use crate::schema::{self, Format, SchemaError, alibaba as alibaba_schema};
use crate::verify::alibaba::HEADER_SIGNATURE;

/// Reads documentation samples with trailing commas and `//` comments (`--lenient`).
pub use crate::schema::lenient::repair;

/// One envelope of a body, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The inbound schema it is in.
    pub schema: Schema,
    /// Its id as the sender gave it (or as derived for senders that give none).
    pub id: String,
    /// The event exactly as received.
    pub raw: String,
    /// What it turned out to be.
    pub classified: Classified,
    /// A registry event whose id came earlier in the same body: not routed again.
    pub duplicate: bool,
}

/// A decoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// How the body carried its events.
    pub format: Format,
    /// Every envelope, in body order.
    pub entries: Vec<Entry>,
    /// Whether any event came through Alibaba EventBridge (which must then be signed).
    alibaba_eventbridge: bool,
}

impl Decoded {
    /// The registry events to route, with their raw JSON (duplicates left out).
    pub fn registry(&self) -> impl Iterator<Item = (&RegistryEvent, &str)> {
        self.entries.iter().filter_map(|e| match &e.classified {
            Classified::Registry(event) if !e.duplicate => Some((&**event, e.raw.as_str())),
            _ => None,
        })
    }

    /// How many envelopes are acknowledged without routing (other events, deletion notices).
    pub fn ignored(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| {
                matches!(
                    e.classified,
                    Classified::Ignored { .. } | Classified::Deletion
                )
            })
            .count()
    }

    /// The code of the Event Grid subscription validation event, if the body holds one.
    pub fn validation(&self) -> Option<Option<&str>> {
        self.entries.iter().rev().find_map(|e| match &e.classified {
            Classified::Validation { code } => Some(code.as_deref()),
            _ => None,
        })
    }

    /// What the record stage needs once the events have gone on to routing.
    pub fn tally(&self) -> Tally {
        Tally {
            format: self.format,
            ignored: self.ignored(),
            validation: self.validation().map(|code| code.map(str::to_owned)),
        }
    }

    /// The registry events, owned (duplicates left out).
    pub fn into_registry(self) -> Vec<(RegistryEvent, String)> {
        self.entries
            .into_iter()
            .filter(|e| !e.duplicate)
            .filter_map(|e| match e.classified {
                Classified::Registry(event) => Some((*event, e.raw)),
                _ => None,
            })
            .collect()
    }
}

/// A decoded body's counts, kept for the reply and history while its events are routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// How the body carried its events.
    pub format: Format,
    /// Envelopes acknowledged without routing.
    pub ignored: usize,
    /// The Event Grid validation code, when the body held a validation event.
    pub validation: Option<Option<String>>,
}

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not a body regrelay reads.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// More events than `inbound.max_events`.
    #[error("request carries {count} events; the limit (inbound.max_events) is {cap}")]
    TooMany {
        /// Events in the body.
        count: usize,
        /// The limit.
        cap: usize,
    },
}

impl DecodeError {
    /// The status the sender gets: 415 for a media type, 413 for too many events, else 400.
    pub fn status(&self) -> StatusCode {
        match self {
            DecodeError::Schema(e) if e.is_media_type() => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            DecodeError::Schema(_) => StatusCode::BAD_REQUEST,
            DecodeError::TooMany { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

/// Decodes an admitted request under the inbound limits.
pub fn decode(verified: &Verified, inbound: &Inbound) -> Result<Decoded, Rejection> {
    let request = verified.request();
    let decoded = decode_body(&request.headers, &request.body, inbound.max_events)
        .map_err(|e| Rejection::new(e.status(), e.to_string()))?;
    if inbound.alibaba.verify && !verified.alibaba_signed() && decoded.alibaba_eventbridge {
        return Err(Rejection::new(
            StatusCode::FORBIDDEN,
            format!("Alibaba EventBridge events must be signed: no {HEADER_SIGNATURE} header"),
        ));
    }
    Ok(decoded)
}

/// Detects the format, parses, classifies and marks repeated ids: the one front half.
pub fn decode_body(
    headers: &HeaderMap,
    body: &[u8],
    max_events: usize,
) -> Result<Decoded, DecodeError> {
    let inbound = schema::parse(headers, body)?;
    if inbound.events.len() > max_events {
        return Err(DecodeError::TooMany {
            count: inbound.events.len(),
            cap: max_events,
        });
    }
    let mut seen = HashSet::new();
    let mut alibaba_eventbridge = false;
    let entries = inbound
        .events
        .iter()
        .map(|parsed| {
            alibaba_eventbridge |= alibaba_schema::is_eventbridge(&parsed.wire);
            let classified = normalize::classify(parsed);
            let duplicate = match &classified {
                Classified::Registry(event) => !seen.insert(event.id.clone()),
                _ => false,
            };
            if duplicate {
                tracing::info!(event_id = %parsed.wire.id.as_deref().unwrap_or(""), "Dropped a duplicate id within one batch.");
            }
            Entry {
                schema: parsed.schema(),
                id: parsed.wire.id.as_deref().unwrap_or_default().to_owned(),
                raw: parsed.raw.get().to_owned(),
                classified,
                duplicate,
            }
        })
        .collect();
    Ok(Decoded {
        format: inbound.format,
        entries,
        alibaba_eventbridge,
    })
}

/// What an offline tool reads in a payload file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offline {
    /// An SNS subscription or unsubscribe confirmation: a handshake, no events. In words.
    Handshake(String),
    /// Decoded bodies: the payload itself, or each message of an SNS message or `Records` event.
    Bodies {
        /// How many SNS messages were unwrapped (0: the payload was decoded as it is).
        unwrapped: usize,
        /// One decoded body per message.
        bodies: Vec<Decoded>,
    },
}

/// Decodes a payload file as the server would, except that SNS messages are unwrapped without
/// their signatures being checked (there is no network, and no sender, offline).
pub fn offline(headers: &HeaderMap, body: &[u8]) -> Result<Offline, DecodeError> {
    let messages = match sns_messages(body) {
        Err(handshake) => return Ok(Offline::Handshake(handshake)),
        Ok(messages) => messages,
    };
    if messages.is_empty() {
        let decoded = decode_body(headers, body, usize::MAX)?;
        return Ok(Offline::Bodies {
            unwrapped: 0,
            bodies: vec![decoded],
        });
    }
    let mut headers = headers.clone();
    headers.remove(http::header::CONTENT_TYPE);
    let bodies = messages
        .iter()
        .map(|m| decode_body(&headers, m, usize::MAX))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Offline::Bodies {
        unwrapped: messages.len(),
        bodies,
    })
}

/// The messages of an SNS HTTP message or of SNS's Lambda `Records` event (empty for other
/// bodies), each SNS body parsed once; `Err` with what it is, in words, for a subscription or
/// unsubscribe confirmation (a handshake, no events).
fn sns_messages(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let text = |m: &SnsMessage<'_>| m.message.as_deref().unwrap_or_default().as_bytes().to_vec();
    if let Some(message) = SnsMessage::parse(body).ok().filter(SnsMessage::is_sns) {
        let kind = message.kind();
        if kind == sns::SUBSCRIPTION_CONFIRMATION || kind == sns::UNSUBSCRIBE_CONFIRMATION {
            let topic = message.topic_arn.as_deref().unwrap_or("(none)");
            return Err(format!("SNS {kind} for topic {topic}"));
        }
        return Ok(vec![text(&message)]);
    }
    Ok(LambdaSnsEvent::detect(body)
        .map(|event| event.records.iter().map(|r| text(&r.sns)).collect())
        .unwrap_or_default())
}
