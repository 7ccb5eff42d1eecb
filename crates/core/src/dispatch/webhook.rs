//! The `webhook` target: an HTTP(S) POST of the event as JSON to a URL of the operator's choice.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::Endpoint;

/// A configured webhook target.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Where to POST.
    pub endpoint: Endpoint,
    /// Extra headers (values redacted in `Debug`: they often carry credentials).
    pub headers: RedactedHeaders,
    /// Per-attempt timeout.
    pub timeout: Duration,
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
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| format!("header '{name}' has an invalid value"))?;
            value.set_sensitive(true);
            map.insert(header, value);
        }
        Ok(RedactedHeaders(map))
    }
}
