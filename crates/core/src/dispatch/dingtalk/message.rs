//! DingTalk message bodies: `text`, `markdown` and `actionCard`, plus the markdown digest of
//! folded events. The robot's keyword is put in front of the content and `@mobile` mentions
//! after it (DingTalk highlights a mention only when the mobile also appears in the content).

use serde_json::{Value, json};

use super::{Dingtalk, MessageType};
use crate::dispatch::message::{Style, Syntax, TemplateError, View};
use crate::event::RegistryEvent;

/// Label of the actionCard's button.
const OPEN_LINK: &str = "Open in the Azure portal";

/// The message for one event. An `action_card` robot gets markdown when no link can be derived
/// (a card needs a button target).
pub fn render(robot: &Dingtalk, event: &RegistryEvent) -> Result<Value, TemplateError> {
    let view = View::of(event);
    match (robot.message, view.link.as_deref()) {
        (MessageType::Text, _) => {
            let text = robot.messages.body(Style::Text, Syntax::Plain, &view)?;
            Ok(with_at(
                robot,
                json!({"msgtype": "text", "text": {"content": content(robot, &text, "\n")}}),
            ))
        }
        (MessageType::ActionCard, Some(link)) => {
            let text = robot
                .messages
                .body(Style::Markdown, Syntax::Markdown, &view)?;
            let title = robot.messages.builtin(Style::Title, Syntax::Plain, &view)?;
            Ok(json!({"msgtype": "actionCard", "actionCard": {
                "title": titled(robot, &title),
                "text": keyed(robot, &text, "\n\n"),
                "singleTitle": OPEN_LINK,
                "singleURL": link,
                "btnOrientation": "0",
            }}))
        }
        (MessageType::Markdown | MessageType::ActionCard, _) => {
            let text = robot
                .messages
                .body(Style::Markdown, Syntax::Markdown, &view)?;
            let title = robot.messages.builtin(Style::Title, Syntax::Plain, &view)?;
            Ok(markdown(robot, &title, &text))
        }
    }
}

/// One markdown message listing `events` (folded by the rate limiter).
pub fn render_digest(robot: &Dingtalk, events: &[RegistryEvent]) -> Result<Value, TemplateError> {
    let text = robot.messages.digest(events)?;
    let title = format!("{} registry events", events.len());
    Ok(markdown(robot, &title, &text))
}

fn markdown(robot: &Dingtalk, title: &str, text: &str) -> Value {
    with_at(
        robot,
        json!({"msgtype": "markdown", "markdown": {
            "title": titled(robot, title),
            "text": content(robot, text, "\n\n"),
        }}),
    )
}

/// The keyword, then the text, then the mentions.
fn content(robot: &Dingtalk, text: &str, gap: &str) -> String {
    let mut out = keyed(robot, text, gap);
    if !robot.at_mobiles.is_empty() {
        let mentions: Vec<String> = robot.at_mobiles.iter().map(|m| format!("@{m}")).collect();
        out.push_str(gap);
        out.push_str(&mentions.join(" "));
    }
    out
}

fn keyed(robot: &Dingtalk, text: &str, gap: &str) -> String {
    match robot.keyword.as_deref() {
        Some(keyword) => format!("{keyword}{gap}{text}"),
        None => text.to_owned(),
    }
}

fn titled(robot: &Dingtalk, title: &str) -> String {
    match robot.keyword.as_deref() {
        Some(keyword) => format!("{keyword} {title}"),
        None => title.to_owned(),
    }
}

fn with_at(robot: &Dingtalk, mut body: Value) -> Value {
    if robot.at_all || !robot.at_mobiles.is_empty() {
        body["at"] = json!({"atMobiles": robot.at_mobiles, "isAtAll": robot.at_all});
    }
    body
}
