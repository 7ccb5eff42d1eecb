//! The framework-neutral request and reply that shells translate to and from their own types.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::Serialize;

/// An inbound HTTP request, as any front door sees it.
#[derive(Debug, Clone)]
pub struct InboundRequest {
    /// HTTP method.
    pub method: Method,
    /// Path, e.g. `/api/events`.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: Option<String>,
    /// Request headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// Set by a shell when the platform itself authenticated the caller (the Functions host's
    /// Event Grid trigger, a Lambda invocation authorized by IAM): the inbound secret is not
    /// asked for. Only shells set it, and only for requests that cannot come from a client.
    pub platform_authenticated: bool,
}

impl InboundRequest {
    /// A request with an empty body and no headers.
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
            None => (path_and_query.to_owned(), None),
        };
        InboundRequest {
            method,
            path,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            platform_authenticated: false,
        }
    }
}

/// The `name=value` pairs of a query string, in order, values form-decoded (`+` is a space,
/// `%XX` a byte, invalid UTF-8 replaced); a name without `=` has no value.
pub(crate) fn form_pairs(query: &str) -> impl Iterator<Item = (&str, Option<String>)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => {
                let value = percent_encoding::percent_decode_str(&value.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned();
                (name, Some(value))
            }
            None => (pair, None),
        })
}

/// The reply a shell sends back.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Headers (content type included).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// A reply with no body.
    pub fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// A JSON reply.
    pub fn json(status: StatusCode, value: &impl Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::empty(status)
                .with_header("content-type", "application/json")
                .with_body(body),
            Err(_) => Reply::empty(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// A JSON error: `{"error": message}`.
    pub fn error(status: StatusCode, message: &str) -> Self {
        Reply::json(status, &serde_json::json!({ "error": message }))
    }

    /// Adds a header (skipped if the value is not a valid header value).
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), value));
        }
        self
    }

    /// Replaces the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }
}

/// Why a request was refused: the status that tells the sender whether to retry (5xx) or
/// dead-letter (4xx), and the reason in words. Admission and decoding produce it; the record
/// stage writes it to history and turns it into the JSON error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status to answer.
    pub status: StatusCode,
    /// What is wrong, for the sender and the history.
    pub message: String,
}

impl Rejection {
    /// A rejection with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Rejection {
            status,
            message: message.into(),
        }
    }
}
