//! Rules: which events go to which targets, compiled once at config load, and explained on demand.
//!
//! A [`Rule`] is a list of conditions that must all hold, plus the targets that receive a matching
//! event. A condition a rule leaves out does not restrict it. [`Rule::check`] answers with the
//! first failing condition in words, so `simulate` and the event history can say why.

pub mod advanced;
pub mod basic;
pub mod config;
pub mod glob;
pub mod pattern;
pub mod scope;

use std::cell::OnceCell;
use std::fmt;

pub use advanced::AdvancedFilter;
pub use basic::{EventTypes, SubjectFilter};
pub use pattern::Pattern;
pub use scope::{Scope, TagRegex};

use crate::event::{Action, RegistryEvent};

/// What a condition looks at: the normalized event, and the event exactly as received (decoded
/// into a JSON tree only when an advanced filter asks, once per event).
#[derive(Debug)]
pub struct Subject<'e> {
    /// The normalized event.
    pub event: &'e RegistryEvent,
    /// The raw JSON of the event as the sender delivered it.
    pub raw: &'e str,
    tree: OnceCell<Option<serde_json::Value>>,
}

impl<'e> Subject<'e> {
    /// A subject for one event.
    pub fn new(event: &'e RegistryEvent, raw: &'e str) -> Self {
        Subject {
            event,
            raw,
            tree: OnceCell::new(),
        }
    }

    /// The delivered event as a JSON tree; `None` when it cannot be read as one (nested deeper
    /// than the JSON parser's limit, say).
    pub fn tree(&self) -> Option<&serde_json::Value> {
        self.tree
            .get_or_init(|| serde_json::from_str(self.raw).ok())
            .as_ref()
    }
}

/// One condition of a rule.
#[derive(Debug, Clone)]
pub enum Condition {
    /// At least one connected-registry notification pattern matches.
    Notifications(Vec<Pattern>),
    /// The event type is one of these (Event Grid `includedEventTypes`).
    EventTypes(EventTypes),
    /// The subject begins/ends with (Event Grid `subjectBeginsWith`/`subjectEndsWith`).
    Subject(SubjectFilter),
    /// An Event Grid advanced filter on the delivered event.
    Advanced(AdvancedFilter),
    /// Alibaba-style effective scope.
    Scope(Scope),
    /// Alibaba-style tag regular expression.
    TagRegex(TagRegex),
    /// `tagless = false`: no tagless push (a manifest pushed by digest alone).
    Tagged,
}

impl Condition {
    /// `Ok` when the condition holds, else why not.
    pub fn check(&self, subject: &Subject<'_>) -> Result<(), String> {
        match self {
            Condition::Notifications(patterns) => {
                if patterns.iter().any(|p| p.matches(subject.event)) {
                    Ok(())
                } else {
                    let hint = if patterns.iter().any(|p| p.skips_pull(subject.event)) {
                        "; '*' covers every action but pull (a registry reports every manifest read): add a pattern ending in ':pull' to receive pulls"
                    } else {
                        ""
                    };
                    Err(format!(
                        "{} matches no notification pattern ({}){hint}",
                        describe(subject.event),
                        patterns
                            .iter()
                            .map(Pattern::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
            Condition::EventTypes(types) => types.check(subject.event),
            Condition::Subject(filter) => filter.check(subject.event),
            // Fail closed: an event that cannot be read must not pass a `Not…` exclusion.
            Condition::Advanced(filter) => match subject.tree() {
                Some(tree) => filter.check(tree),
                None => Err(format!(
                    "advanced filter on {}: the delivered event cannot be read as JSON (nested too deeply?), so no advanced filter matches it",
                    filter.key
                )),
            },
            Condition::Scope(scope) => scope.check(subject.event),
            Condition::TagRegex(regex) => regex.check(subject.event),
            Condition::Tagged => {
                let event = subject.event;
                let tagless =
                    matches!(event.action, Action::Push | Action::ChartPush) && event.tag.is_none();
                if tagless {
                    Err(format!(
                        "{} is a tagless push (the rule has tagless = false)",
                        describe(event)
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Whether the condition holds; builds no explanation where that is cheaper.
    pub fn holds(&self, subject: &Subject<'_>) -> bool {
        match self {
            Condition::Notifications(patterns) => patterns.iter().any(|p| p.matches(subject.event)),
            other => other.check(subject).is_ok(),
        }
    }
}

/// `push of team/app:v1@sha256:…`, for explanations.
fn describe(event: &RegistryEvent) -> String {
    let mut text = format!(
        "{} of {}",
        event.action,
        event.repository.as_deref().unwrap_or("(no repository)")
    );
    if let Some(tag) = &event.tag {
        text.push(':');
        text.push_str(tag);
    }
    if let Some(digest) = &event.digest {
        text.push('@');
        text.push_str(digest);
    }
    text
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule name, unique in the config.
    pub name: String,
    /// Conditions, all of which must hold.
    pub conditions: Vec<Condition>,
    /// Indexes into the config's target list.
    pub targets: Vec<usize>,
    /// Whether its targets get one event per push (coalescing), or every manifest at once.
    pub coalesce: bool,
}

impl Rule {
    /// Whether the event matches every condition.
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        self.conditions.iter().all(|c| c.holds(subject))
    }

    /// `Ok` when the event matches, else the first failing condition in words.
    pub fn check(&self, subject: &Subject<'_>) -> Result<(), String> {
        self.conditions.iter().try_for_each(|c| c.check(subject))
    }
}

/// One rule's decision about one event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// Rule name.
    pub name: String,
    /// Whether it matched.
    pub matched: bool,
    /// Why not, when it did not match (empty when it did).
    pub reasons: Vec<String>,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.matched {
            write!(f, "rule '{}' matched", self.name)
        } else {
            write!(
                f,
                "rule '{}' did not match: {}",
                self.name,
                self.reasons.join("; ")
            )
        }
    }
}

/// Every rule's decision, and the targets (deduplicated, in config order) that receive the event.
pub fn decide(rules: &[Rule], subject: &Subject<'_>) -> (Vec<Decision>, Vec<usize>) {
    let mut targets = Vec::new();
    let decisions = rules
        .iter()
        .map(|rule| {
            let verdict = rule.check(subject);
            if verdict.is_ok() {
                targets.extend(rule.targets.iter().copied());
            }
            Decision {
                name: rule.name.clone(),
                matched: verdict.is_ok(),
                reasons: verdict.err().into_iter().collect(),
            }
        })
        .collect();
    targets.sort_unstable();
    targets.dedup();
    (decisions, targets)
}

#[cfg(test)]
mod fail_closed {
    use super::*;
    use crate::event::{Action, Schema};

    #[test]
    fn an_unreadable_event_passes_no_exclusion() {
        let exclusion = AdvancedFilter::new(
            "StringNotBeginsWith",
            "subject",
            None,
            Some(&[serde_json::json!("internal/")]),
        )
        .unwrap();
        let condition = Condition::Advanced(exclusion);
        let event = RegistryEvent::new("e1", "ImagePushed", Action::Push, Schema::EventGrid);
        let deep = format!(
            "{{\"subject\":\"internal/secret\",\"data\":{}1{}}}",
            "[".repeat(300),
            "]".repeat(300)
        );
        let reason = condition.check(&Subject::new(&event, &deep)).unwrap_err();
        assert!(reason.contains("cannot be read"), "{reason}");
        assert!(!condition.holds(&Subject::new(&event, &deep)));
        let shallow = r#"{"subject":"team/app"}"#;
        assert!(condition.holds(&Subject::new(&event, shallow)));
    }
}
