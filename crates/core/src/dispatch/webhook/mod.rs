//! The `webhook` target: an HTTP(S) POST of the event to a URL of the operator's choice, in one
//! of four body formats, with optional auth and Standard Webhooks signing.
//!
//! Every delivery carries `webhook-id` (stable per event and target, so receivers can
//! deduplicate) and `webhook-timestamp`; a signing key adds `webhook-signature`.

pub mod cloudevents;
pub mod signing;

use std::time::Duration;

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::render::{RenderError, Rendered};
use super::{Delivery, Endpoint};
use crate::common::Secret;
use crate::event::Schema;

/// Headers regrelay sets itself; operators cannot override them with `headers`.
pub const RESERVED_HEADERS: [&str; 4] = [
    "content-type",
    signing::ID,
    signing::TIMESTAMP,
    signing::SIGNATURE,
];

/// A configured webhook target.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Where to POST.
    pub endpoint: Endpoint,
    /// Extra headers (values redacted in `Debug`: they often carry credentials).
    pub headers: RedactedHeaders,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Body format.
    pub format: BodyFormat,
    /// Credentials sent in `Authorization`.
    pub auth: Option<Auth>,
    /// Standard Webhooks signing key.
    pub signing: Option<signing::SigningKey>,
}

/// What the body of a webhook delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// The normalized event as JSON (the default).
    Normalized,
    /// A structured-mode CloudEvent whose data is the normalized event.
    CloudEvents,
    /// A binary-mode CloudEvent: `ce-*` headers, the normalized event as the body.
    CloudEventsBinary,
    /// The event exactly as received.
    Original,
}

/// Credentials for `Authorization`.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic base64(<username>:<password>)`.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
}

impl Auth {
    /// The header value, marked sensitive.
    fn header(&self) -> Result<HeaderValue, RenderError> {
        let text = match self {
            Auth::Bearer(token) => format!("Bearer {}", token.expose()),
            Auth::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
        };
        let mut value = HeaderValue::try_from(text)
            .map_err(|_| RenderError::Header("the auth credentials".into()))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl Webhook {
    /// The request for one attempt at unix time `now_secs`: body in the configured format,
    /// operator headers, auth, and the Standard Webhooks headers.
    pub fn render(
        &self,
        target: &str,
        delivery: Delivery<'_>,
        now_secs: i64,
    ) -> Result<Rendered, RenderError> {
        let event = delivery.event;
        let (format_headers, body) = match self.format {
            BodyFormat::Normalized => (json_type("application/json"), serde_json::to_vec(event)?),
            BodyFormat::CloudEvents => cloudevents::structured(event)?,
            BodyFormat::CloudEventsBinary => cloudevents::binary(event)?,
            BodyFormat::Original => {
                let content_type = match event.schema {
                    Schema::Cloudevents => cloudevents::STRUCTURED,
                    _ => "application/json",
                };
                (json_type(content_type), delivery.raw.as_bytes().to_vec())
            }
        };
        let mut headers = self.headers.0.clone();
        if let Some(auth) = &self.auth {
            headers.insert(http::header::AUTHORIZATION, auth.header()?);
        }
        headers.extend(format_headers);
        let id = signing::webhook_id(&event.id, target);
        if let Some(key) = &self.signing {
            insert(
                &mut headers,
                signing::SIGNATURE,
                key.sign(&id, now_secs, &body),
            )?;
        }
        insert(&mut headers, signing::TIMESTAMP, now_secs.to_string())?;
        insert(&mut headers, signing::ID, id)?;
        Ok(Rendered {
            url: self.endpoint.0.clone(),
            headers,
            body,
        })
    }
}

fn json_type(content_type: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    headers
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: String) -> Result<(), RenderError> {
    let value = HeaderValue::try_from(value).map_err(|_| RenderError::Header(name.into()))?;
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// Header map whose values never print.
#[derive(Clone, Default)]
pub struct RedactedHeaders(pub HeaderMap);

impl std::fmt::Debug for RedactedHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k.as_str(), "[redacted]")))
            .finish()
    }
}

impl RedactedHeaders {
    /// Builds headers from operator-written pairs, naming the bad one on error.
    pub fn from_pairs<'p>(
        pairs: impl IntoIterator<Item = (&'p str, &'p str)>,
    ) -> Result<Self, String> {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("'{name}' is not a valid header name"))?;
            if RESERVED_HEADERS.contains(&header.as_str()) || header.as_str().starts_with("ce-") {
                return Err(format!("'{name}' is set by regrelay"));
            }
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| format!("header '{name}' has an invalid value"))?;
            value.set_sensitive(true);
            map.insert(header, value);
        }
        Ok(RedactedHeaders(map))
    }
}
