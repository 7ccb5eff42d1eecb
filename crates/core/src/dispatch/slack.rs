//! The `slack` target: a Slack incoming webhook, sent `{"text": <fallback>, "blocks": [...]}`.
//! Success is HTTP 200 with the body `ok` (`{"ok":true}` from workflow webhooks); 4xx replies
//! are permanent, 429 waits for `Retry-After`, 5xx is retryable.

use std::time::Duration;

use serde_json::{Value, json};

use super::Endpoint;
use super::message::{Messages, Style, Syntax, TemplateError, View};
use super::outcome::Verdict;
use crate::common::AttemptClass;
use crate::event::RegistryEvent;

/// A configured Slack target.
#[derive(Debug, Clone)]
pub struct Slack {
    /// The webhook URL (its path is the credential).
    pub endpoint: Endpoint,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Templates (an operator's template replaces the `mrkdwn` section).
    pub messages: Messages,
}

impl Slack {
    /// The message: the title as notification fallback, and one `mrkdwn` section.
    pub fn render(&self, event: &RegistryEvent) -> Result<Value, TemplateError> {
        let view = View::of(event);
        let fallback = self.messages.builtin(Style::Title, Syntax::Slack, &view)?;
        let section = self.messages.body(Style::Slack, Syntax::Slack, &view)?;
        Ok(json!({
            "text": fallback,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            ],
        }))
    }
}

/// Reads a Slack reply (a [`super::outcome::ReplyCheck`]): a 2xx needs `ok`.
pub fn check(status: u16, body: &[u8]) -> Option<Verdict> {
    if !(200..300).contains(&status) {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text == "ok" {
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(reply) if reply["ok"] == Value::Bool(true) => None,
        Ok(reply) => Some(Verdict::failed(
            AttemptClass::Permanent,
            format!(
                "Slack replied {status} with error '{}'",
                reply["error"].as_str().unwrap_or("unknown")
            ),
        )),
        Err(_) => Some(Verdict::failed(
            AttemptClass::Permanent,
            format!("Slack replied {status} without 'ok'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_need_ok() {
        assert_eq!(check(200, b"ok"), None);
        assert_eq!(check(200, br#"{"ok":true}"#), None);
        assert_eq!(check(404, b"channel_not_found"), None);
        let odd = check(200, b"hello").unwrap();
        assert_eq!(odd.class, AttemptClass::Permanent);
        let error = check(200, br#"{"ok":false,"error":"invalid_blocks"}"#).unwrap();
        assert!(error.error.unwrap().contains("invalid_blocks"));
    }
}
