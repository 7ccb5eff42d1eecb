//! Subscription handshakes: Event Grid's validation event, the CloudEvents webhook
//! abuse-protection `OPTIONS` request, and the SNS subscription confirmation ([`sns`]).
//!
//! Event Grid needs `200` with `{"validationResponse": code}` (never `202`). The CloudEvents
//! handshake grants an origin only when it is on the configured allowlist (default
//! `eventgrid.azure.net`, not hard-coded, so sovereign clouds can be added), echoing it in
//! `WebHook-Allowed-Origin` with `WebHook-Allowed-Rate` and `Allow`.

pub mod sns;

use http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::reply::Reply;

/// Request header naming the sender in the CloudEvents handshake.
pub const REQUEST_ORIGIN: &str = "webhook-request-origin";
/// Request header with the sender's desired rate.
pub const REQUEST_RATE: &str = "webhook-request-rate";
/// Response header granting the origin.
pub const ALLOWED_ORIGIN: &str = "webhook-allowed-origin";
/// Response header granting a rate.
pub const ALLOWED_RATE: &str = "webhook-allowed-rate";

/// The reply to an Event Grid subscription validation event.
pub fn event_grid_validation(code: Option<&str>) -> Reply {
    match code {
        Some(code) => Reply::json(StatusCode::OK, &json!({ "validationResponse": code })),
        None => Reply::error(
            StatusCode::BAD_REQUEST,
            "validation event has no data.validationCode",
        ),
    }
}

/// The reply to a CloudEvents webhook `OPTIONS` request.
pub fn cloud_events_options(
    headers: &HeaderMap,
    allowed_origins: &[String],
    allowed_rate: &str,
) -> Reply {
    let Some(origin) = headers
        .get(REQUEST_ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    else {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "OPTIONS without WebHook-Request-Origin: not a CloudEvents webhook handshake",
        )
        .with_header("allow", "POST, OPTIONS");
    };
    if !origin_allowed(origin, allowed_origins) {
        return Reply::error(
            StatusCode::FORBIDDEN,
            &format!("origin '{origin}' is not in inbound.allowed_origins"),
        )
        .with_header("allow", "POST, OPTIONS");
    }
    Reply::empty(StatusCode::OK)
        .with_header(ALLOWED_ORIGIN, origin)
        .with_header(ALLOWED_RATE, &granted_rate(headers, allowed_rate))
        .with_header("allow", "POST, OPTIONS")
}

fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
}

/// The configured rate, or the requested one when it is lower.
fn granted_rate(headers: &HeaderMap, configured: &str) -> String {
    let requested = headers
        .get(REQUEST_RATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    match (configured.parse::<u32>().ok(), requested) {
        (Some(limit), Some(asked)) => limit.min(asked).to_string(),
        (None, Some(asked)) => asked.to_string(),
        _ => configured.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbound(origins: &[&str], rate: &str) -> (Vec<String>, String) {
        (origins.iter().map(|s| s.to_string()).collect(), rate.into())
    }

    fn options_reply(headers: &HeaderMap, (origins, rate): (Vec<String>, String)) -> Reply {
        cloud_events_options(headers, &origins, &rate)
    }

    fn options(origin: Option<&str>, rate: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(REQUEST_ORIGIN, o.parse().unwrap());
        }
        if let Some(r) = rate {
            h.insert(REQUEST_RATE, r.parse().unwrap());
        }
        h
    }

    #[test]
    fn grants_allowlisted_origins_only() {
        let reply = options_reply(
            &options(Some("eventgrid.azure.net"), None),
            inbound(&["eventgrid.azure.net"], "*"),
        );
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header(ALLOWED_ORIGIN), Some("eventgrid.azure.net"));
        assert_eq!(reply.header(ALLOWED_RATE), Some("*"));
        assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));

        let reply = options_reply(
            &options(Some("evil.example.com"), None),
            inbound(&["eventgrid.azure.net"], "*"),
        );
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.header(ALLOWED_ORIGIN), None);

        let reply = options_reply(&options(None, None), inbound(&["*"], "*"));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn rate_is_the_lower_of_asked_and_configured() {
        let h = options(Some("eventgrid.azure.net"), Some("120"));
        assert_eq!(
            options_reply(&h, inbound(&["*"], "60")).header(ALLOWED_RATE),
            Some("60")
        );
        assert_eq!(
            options_reply(&h, inbound(&["*"], "*")).header(ALLOWED_RATE),
            Some("120")
        );
    }

    #[test]
    fn validation_echoes_the_code() {
        let reply = event_grid_validation(Some("512d38b6-c7b8-40c8-89fe-f46f9e9622b6"));
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            std::str::from_utf8(&reply.body).unwrap(),
            r#"{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}"#
        );
    }
}
