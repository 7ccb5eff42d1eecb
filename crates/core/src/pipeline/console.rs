//! The console's API on the pipeline: the filtered list of events, one event's trace, redrive,
//! and the targets. JSON in, JSON out; the page in [`super::ui`] is one client of it, scripts
//! are another.

use http::StatusCode;
use serde_json::json;

use super::{Pipeline, RedriveError};
use crate::reply::Reply;
use crate::store::{DeliveryState, HealthState, ListFilter, TargetHealth};

/// Rows a list returns unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 50;
/// Most rows one list returns.
const MAX_LIMIT: usize = 500;
/// Largest redrive body read (it names at most one target).
const MAX_REDRIVE_BODY: usize = 4096;

impl Pipeline {
    /// `GET /api/events?repository=&tag=&registry=&target=&state=&since=&until=&limit=`.
    pub(super) async fn list_reply(&self, query: Option<&str>) -> Reply {
        let filter = match list_filter(query) {
            Ok(filter) => filter,
            Err(message) => return Reply::error(StatusCode::BAD_REQUEST, &message),
        };
        match self.store().list(&filter).await {
            Ok(events) => Reply::json(
                StatusCode::OK,
                &json!({ "events": events, "limit": filter.limit }),
            ),
            Err(error) => unavailable(&error),
        }
    }

    /// `GET /api/events/{id}`.
    pub(super) async fn trace_reply(&self, id: &str) -> Reply {
        match self.store().trace(id).await {
            Ok(Some(trace)) => Reply::json(StatusCode::OK, &trace),
            Ok(None) => Reply::error(
                StatusCode::NOT_FOUND,
                &format!("no event with id '{id}' in history"),
            ),
            Err(error) => unavailable(&error),
        }
    }

    /// `POST /api/events/{id}/redrive`, body empty or `{"target": "<name>"}`.
    pub(super) async fn redrive_reply(&self, id: &str, body: &[u8]) -> Reply {
        let only = match redrive_target(body) {
            Ok(only) => only,
            Err(message) => return Reply::error(StatusCode::BAD_REQUEST, &message),
        };
        match self.redrive(id, only.as_deref()).await {
            Ok(report) => Reply::json(
                StatusCode::OK,
                &json!({
                    "event_id": report.event_id,
                    "delivered": report.all_delivered(),
                    "attempts": report.attempts,
                }),
            ),
            Err(error @ RedriveError::NoEvent(_)) => {
                Reply::error(StatusCode::NOT_FOUND, &error.to_string())
            }
            Err(error @ RedriveError::NoTarget(_)) => {
                Reply::error(StatusCode::BAD_REQUEST, &error.to_string())
            }
            Err(RedriveError::Store(error)) => unavailable(&error),
        }
    }

    /// `GET /api/targets`: each configured target, its kind and its health.
    pub(super) async fn targets_reply(&self) -> Reply {
        match self.inner.deliverer.targets_health().await {
            Ok(all) => {
                let targets: Vec<_> = all
                    .into_iter()
                    .map(|(t, h)| json!({ "name": t.name, "kind": t.kind.name(), "health": health_json(&h) }))
                    .collect();
                let pause = &self.config().pause;
                Reply::json(
                    StatusCode::OK,
                    &json!({ "targets": targets, "pause_after": pause.after, "announce_to": pause.announce_to }),
                )
            }
            Err(error) => unavailable(&error),
        }
    }
}

/// A target's health as the console shows it (times in RFC 3339).
fn health_json(h: &TargetHealth) -> serde_json::Value {
    let paused = h.state == HealthState::Paused;
    json!({
        "state": h.state,
        "failures": h.failures,
        "paused_at": h.paused_at,
        "next_probe_at": paused.then(|| crate::common::rfc3339_millis(h.next_probe_ms)),
        "last_error": h.last_error,
    })
}

fn unavailable(error: &crate::store::StoreError) -> Reply {
    tracing::error!(%error, "History lookup failed.");
    Reply::error(StatusCode::SERVICE_UNAVAILABLE, "history store unavailable")
        .with_header("retry-after", "5")
}

/// The console API's two parsers of request input, for the fuzz target: a list query and a
/// redrive body. Never panics; `Err` carries the message a client would get.
pub fn parse_console_inputs(
    query: &str,
    body: &[u8],
) -> (Result<ListFilter, String>, Result<Option<String>, String>) {
    (list_filter(Some(query)), redrive_target(body))
}

/// The filter a list query asks for; unknown parameters and bad values are named in the error.
fn list_filter(query: Option<&str>) -> Result<ListFilter, String> {
    let mut filter = ListFilter {
        limit: DEFAULT_LIMIT,
        ..ListFilter::default()
    };
    for (name, value) in crate::reply::form_pairs(query.unwrap_or("")) {
        let value = value.unwrap_or_default();
        let text = (!value.is_empty()).then(|| value.clone());
        match name {
            "repository" => filter.repository = text,
            "tag" => filter.tag = text,
            "registry" => filter.registry_kind = text,
            "target" => filter.target = text,
            "state" => {
                filter.state = text
                    .map(|s| {
                        DeliveryState::parse(&s).ok_or_else(|| {
                            format!("unknown state '{s}': use pending, scheduled, delivered, dead_lettered, failed_retrying, skipped_duplicate or folded")
                        })
                    })
                    .transpose()?;
            }
            "since" => filter.since = text.map(|t| instant(&t, "since")).transpose()?,
            "until" => filter.until = text.map(|t| instant(&t, "until")).transpose()?,
            "limit" => {
                filter.limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| format!("limit must be a number from 1 to {MAX_LIMIT}"))?;
            }
            "access_token" => {}
            other => {
                return Err(format!(
                    "unknown query parameter '{}': use repository, tag, registry, target, state, since, until or limit",
                    other.chars().take(64).collect::<String>()
                ));
            }
        }
    }
    Ok(filter)
}

/// An RFC 3339 time as history stores it (UTC, microseconds), so text order is time order.
fn instant(text: &str, name: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        })
        .map_err(|_| format!("{name} must be an RFC 3339 time such as 2026-12-05T08:00:00Z"))
}

/// The target a redrive body names, if any.
fn redrive_target(body: &[u8]) -> Result<Option<String>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if body.len() > MAX_REDRIVE_BODY {
        return Err(format!(
            "a redrive body is at most {MAX_REDRIVE_BODY} bytes"
        ));
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        target: Option<String>,
    }
    serde_json::from_slice::<Body>(body)
        .map(|b| b.target.filter(|t| !t.is_empty()))
        .map_err(|e| format!("a redrive body is {{\"target\": \"<name>\"}} or empty: {e}"))
}

#[cfg(test)]
mod tests {
    use super::{list_filter, redrive_target};
    use crate::store::DeliveryState;

    #[test]
    fn list_queries() {
        let f = list_filter(Some("repository=team%2Fapp&state=scheduled&since=2026-12-05T09:00:00%2B01:00&limit=5&access_token=x")).unwrap();
        assert_eq!(f.repository.as_deref(), Some("team/app"));
        assert_eq!(f.state, Some(DeliveryState::FailedRetrying));
        assert_eq!(f.since.as_deref(), Some("2026-12-05T08:00:00.000000Z"));
        assert_eq!(f.limit, 5);
        assert_eq!(list_filter(Some("tag=")).unwrap().tag, None);
        assert!(list_filter(Some("limit=0")).unwrap_err().contains("limit"));
        assert!(
            list_filter(Some("state=lost"))
                .unwrap_err()
                .contains("'lost'")
        );
        assert!(
            list_filter(Some("until=yesterday"))
                .unwrap_err()
                .contains("RFC 3339")
        );
        assert!(
            list_filter(Some("colour=red"))
                .unwrap_err()
                .contains("'colour'")
        );
    }

    #[test]
    fn redrive_bodies() {
        assert_eq!(redrive_target(b"").unwrap(), None);
        assert_eq!(
            redrive_target(br#"{"target":"hook"}"#).unwrap().as_deref(),
            Some("hook")
        );
        assert!(redrive_target(br#"{"targets":[]}"#).is_err());
        assert!(redrive_target(b"nope").is_err());
    }
}
