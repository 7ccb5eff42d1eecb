//! Stage 3, route: which targets each decoded registry event goes to, and why. Pure.
//!
//! Every rule is checked against every event (`filter` owns the rule language); the
//! decisions, matched or not with the reasons, travel with the event to history, so "why did
//! (or didn't) this go to X?" has an answer.

use crate::decode::Decoded;
use crate::dispatch::Target;
use crate::event::RegistryEvent;
use crate::filter::{self, Decision, Rule, Subject};

/// One registry event with the rules' decisions and the targets it goes to.
#[derive(Debug, Clone)]
pub struct Routed {
    /// The normalized event.
    pub event: RegistryEvent,
    /// The event exactly as received.
    pub raw: String,
    /// Every rule's decision, in rule order.
    pub decisions: Vec<Decision>,
    /// Indexes into the configured targets, each once.
    pub targets: Vec<usize>,
    /// Of `targets`, those a rule that opted out of coalescing sends to (every manifest, at once).
    pub prompt: Vec<usize>,
}

impl Routed {
    /// The names of the targets, in order.
    pub fn target_names<'t>(&self, targets: &'t [Target]) -> Vec<&'t str> {
        self.targets
            .iter()
            .map(|&t| targets[t].name.as_str())
            .collect()
    }
}

/// Routes one event.
pub fn route_one(rules: &[Rule], event: RegistryEvent, raw: String) -> Routed {
    let (decisions, targets) = filter::decide(rules, &Subject::new(&event, &raw));
    let mut prompt: Vec<usize> = rules
        .iter()
        .zip(&decisions)
        .filter(|(rule, decision)| decision.matched && !rule.coalesce)
        .flat_map(|(rule, _)| rule.targets.iter().copied())
        .collect();
    prompt.sort_unstable();
    prompt.dedup();
    crate::metrics::received(event.schema.as_str());
    for decision in decisions.iter().filter(|d| d.matched) {
        crate::metrics::matched(&decision.name);
    }
    tracing::debug!(event_id = %event.id, action = %event.action, repository = event.repository.as_deref().unwrap_or(""), targets = targets.len(), "Received a registry event.");
    Routed {
        event,
        raw,
        decisions,
        targets,
        prompt,
    }
}

/// Routes every registry event of a decoded body, in body order (duplicates left out).
pub fn route(rules: &[Rule], decoded: Decoded) -> Vec<Routed> {
    decoded
        .into_registry()
        .into_iter()
        .map(|(event, raw)| route_one(rules, event, raw))
        .collect()
}
