//! `[[rules]]`: how operators write rules, and their compilation into [`Rule`]s.

use std::collections::HashMap;

use serde::Deserialize;

use super::ConfigError;
use crate::filter::{Condition, Pattern, Rule};

/// `[[rules]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Rule name (unique).
    pub name: String,
    /// Connected-registry notification patterns (`artifact:action`); any one must match.
    pub notifications: Option<Vec<String>>,
    /// Names of the targets that receive matching events.
    #[serde(default)]
    pub targets: Vec<String>,
}

impl RawRule {
    pub(super) fn build(
        &self,
        key: &str,
        targets: &HashMap<String, usize>,
    ) -> Result<Rule, ConfigError> {
        let mut conditions = Vec::new();
        if let Some(patterns) = &self.notifications {
            let compiled = patterns
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Pattern::parse(p)
                        .map_err(|m| ConfigError::invalid(format!("{key}.notifications[{i}]"), m))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if compiled.is_empty() {
                return Err(ConfigError::invalid(
                    format!("{key}.notifications"),
                    "is empty: leave it out to match every event",
                ));
            }
            conditions.push(Condition::Notifications(compiled));
        }
        if self.targets.is_empty() {
            return Err(ConfigError::invalid(
                format!("{key}.targets"),
                format!("rule '{}' names no target", self.name),
            ));
        }
        let targets = self
            .targets
            .iter()
            .map(|name| {
                targets.get(name).copied().ok_or_else(|| {
                    ConfigError::invalid(
                        format!("{key}.targets"),
                        format!("rule '{}' names unknown target '{name}'", self.name),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rule {
            name: self.name.clone(),
            conditions,
            targets,
        })
    }
}
