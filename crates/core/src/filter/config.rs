//! `[[rules]]`: how operators write rules, and their compilation into [`Rule`]s at load.
//!
//! A rule may combine connected-registry notification patterns, Event Grid filters (event types,
//! subject, advanced filters) and Alibaba-style scope and tag expression; all must hold. Every
//! mistake fails the load with the rule's key and name.

use std::collections::HashMap;

use serde::Deserialize;

use crate::common::ConfigError;
use crate::filter::{
    AdvancedFilter, Condition, EventTypes, Pattern, Rule, Scope, SubjectFilter, TagRegex,
};

/// `[[rules]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Rule name (unique).
    pub name: String,
    /// Whether this rule's targets get one event per push (default true): false sends them
    /// every manifest as the registry reports it, at once.
    pub coalesce: Option<bool>,
    /// `false`: tagless pushes (manifests pushed by digest, e.g. a platform manifest no index
    /// claimed) do not match this rule (default true).
    pub tagless: Option<bool>,
    /// Connected-registry notification patterns (`artifact:action`); any one must match.
    pub notifications: Option<Vec<String>>,
    /// Event types to include (full or short ACR names, Alibaba `cr:Artifact:*` types, or `All`).
    pub event_types: Option<Vec<String>>,
    /// The subject must begin with this.
    pub subject_begins_with: Option<String>,
    /// The subject must end with this.
    pub subject_ends_with: Option<String>,
    /// Compare the subject case-sensitively (default false, as in Event Grid).
    #[serde(default)]
    pub subject_case_sensitive: bool,
    /// Event Grid advanced filters on the delivered event; all must hold.
    #[serde(default)]
    pub advanced_filters: Vec<RawAdvancedFilter>,
    /// Alibaba-style effective scope.
    pub scope: Option<RawScope>,
    /// Alibaba-style tag regular expression (must match the whole tag).
    pub tag_regex: Option<String>,
    /// Names of the targets that receive matching events.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// One advanced filter as written: `{ operator = "StringIn", key = "data.x", values = [...] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdvancedFilter {
    /// Operator name, as Event Grid spells it.
    pub operator: String,
    /// Dotted key into the delivered event.
    pub key: String,
    /// Operand of single-value operators.
    pub value: Option<serde_json::Value>,
    /// Operands of multi-value operators (ranges as `[low, high]` pairs).
    pub values: Option<Vec<serde_json::Value>>,
}

/// `scope = { instance = "...", namespace = "...", repository = "..." }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    /// Registry instance.
    pub instance: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Repository (within the namespace, when one is given).
    pub repository: Option<String>,
}

impl RawRule {
    pub(crate) fn build(
        &self,
        key: &str,
        targets: &HashMap<String, usize>,
    ) -> Result<Rule, ConfigError> {
        let invalid = |field: &str, message: String| {
            ConfigError::invalid(
                format!("{key}.{field}"),
                format!("rule '{}': {message}", self.name),
            )
        };
        let mut conditions = Vec::new();
        if self.tagless == Some(false) {
            conditions.push(Condition::Tagged);
        }
        if let Some(patterns) = &self.notifications {
            if patterns.is_empty() {
                return Err(invalid(
                    "notifications",
                    "is empty: leave it out to match every event".into(),
                ));
            }
            let compiled = patterns
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Pattern::parse(p).map_err(|m| invalid(&format!("notifications[{i}]"), m))
                })
                .collect::<Result<Vec<_>, _>>()?;
            conditions.push(Condition::Notifications(compiled));
        }
        if let Some(types) = &self.event_types {
            if types.is_empty() {
                return Err(invalid(
                    "event_types",
                    "is empty: leave it out (or write [\"All\"]) to match every type".into(),
                ));
            }
            let types = EventTypes::new(types);
            if !types.is_all() {
                conditions.push(Condition::EventTypes(types));
            }
        }
        if self.subject_begins_with.is_some() || self.subject_ends_with.is_some() {
            conditions.push(Condition::Subject(SubjectFilter {
                begins_with: self.subject_begins_with.clone(),
                ends_with: self.subject_ends_with.clone(),
                case_sensitive: self.subject_case_sensitive,
            }));
        }
        for (i, f) in self.advanced_filters.iter().enumerate() {
            let filter =
                AdvancedFilter::new(&f.operator, &f.key, f.value.as_ref(), f.values.as_deref())
                    .map_err(|m| invalid(&format!("advanced_filters[{i}]"), m))?;
            conditions.push(Condition::Advanced(filter));
        }
        if let Some(scope) = &self.scope {
            if scope.repository.as_deref().is_some_and(|r| r.contains('/'))
                && scope.namespace.is_some()
            {
                return Err(invalid(
                    "scope.repository",
                    "give the repository without its namespace when scope.namespace is set".into(),
                ));
            }
            conditions.push(Condition::Scope(Scope {
                instance: scope.instance.clone(),
                namespace: scope.namespace.clone(),
                repository: scope.repository.clone(),
            }));
        }
        if let Some(pattern) = &self.tag_regex {
            conditions.push(Condition::TagRegex(
                TagRegex::new(pattern).map_err(|m| invalid("tag_regex", m))?,
            ));
        }
        Ok(Rule {
            name: self.name.clone(),
            coalesce: self.coalesce.unwrap_or(true),
            conditions,
            targets: self.target_indexes(key, targets)?,
        })
    }

    fn target_indexes(
        &self,
        key: &str,
        targets: &HashMap<String, usize>,
    ) -> Result<Vec<usize>, ConfigError> {
        if self.targets.is_empty() {
            return Err(ConfigError::invalid(
                format!("{key}.targets"),
                format!("rule '{}' names no target", self.name),
            ));
        }
        self.targets
            .iter()
            .map(|name| {
                targets.get(name).copied().ok_or_else(|| {
                    ConfigError::invalid(
                        format!("{key}.targets"),
                        format!("rule '{}' names unknown target '{name}'", self.name),
                    )
                })
            })
            .collect()
    }
}
