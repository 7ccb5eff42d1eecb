//! The `teams` target: a Microsoft Teams Workflows ("When a Teams webhook request is received")
//! or incoming-webhook URL, sent an Adaptive Card 1.4 message. Any 2xx reply is success.

use std::time::Duration;

use serde_json::{Value, json};

use super::Endpoint;
use super::message::{Messages, Style, Syntax, TemplateError, View};
use crate::event::RegistryEvent;

/// A configured Teams target.
#[derive(Debug, Clone)]
pub struct Teams {
    /// The workflow or webhook URL (its query carries a signature).
    pub endpoint: Endpoint,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Templates (an operator's template replaces the card's summary text).
    pub messages: Messages,
}

impl Teams {
    /// The message: a title, a summary from the template, the facts, and a link button.
    pub fn render(&self, event: &RegistryEvent) -> Result<Value, TemplateError> {
        let view = View::of(event);
        let title = self
            .messages
            .builtin(Style::Title, Syntax::Markdown, &view)?;
        let summary = self
            .messages
            .body(Style::Summary, Syntax::Markdown, &view)?;
        let mut card = json!({
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true,
                 "color": if view.is_delete { "Attention" } else { "Default" }},
                {"type": "TextBlock", "text": summary, "wrap": true},
                {"type": "FactSet", "facts": facts(&view)},
            ],
            "msteams": {"width": "Full"},
        });
        if let Some(link) = &view.link {
            card["actions"] = json!([{"type": "Action.OpenUrl", "title": "Open in the Azure portal", "url": link}]);
        }
        Ok(json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card,
            }],
        }))
    }
}

fn facts(view: &View) -> Vec<Value> {
    [
        ("Registry", view.registry.clone()),
        ("Connected registry", view.connected_registry.clone()),
        ("Repository", view.repository.clone()),
        ("Tag", view.tag.clone()),
        ("Chart", view.chart.clone()),
        ("Digest", view.short_digest.clone()),
        ("Time", view.time.clone()),
        ("By", view.actor.clone()),
    ]
    .into_iter()
    .filter_map(|(title, value)| {
        value.map(|value| json!({"title": title, "value": Syntax::Markdown.escape(&value)}))
    })
    .collect()
}
