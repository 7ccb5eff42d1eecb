//! Event Grid's basic filters: included event types and subject prefix/suffix.
//!
//! Event types written in full or short ACR form (`ImagePushed`) are canonicalized at load and
//! compared case-insensitively; `All` means no restriction. Subject filters are case-insensitive
//! unless `subject_case_sensitive` is set, as with Event Grid's `isSubjectCaseSensitive`.

use crate::event::RegistryEvent;
use crate::normalize::acr_type;

/// Included event types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(Vec<String>);

impl EventTypes {
    /// Canonicalizes the written types.
    pub fn new(types: &[String]) -> Self {
        EventTypes(
            types
                .iter()
                .map(|t| acr_type(t).map_or_else(|| t.clone(), |(full, _)| full.to_owned()))
                .collect(),
        )
    }

    /// Whether the list is `["All"]` (no restriction).
    pub fn is_all(&self) -> bool {
        self.0.iter().any(|t| t.eq_ignore_ascii_case("all"))
    }

    /// `Ok` when the event's type is included, else why not.
    pub fn check(&self, event: &RegistryEvent) -> Result<(), String> {
        if self.is_all()
            || self
                .0
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&event.event_type))
        {
            Ok(())
        } else {
            Err(format!(
                "type {} is not in event_types ({})",
                event.event_type,
                self.0.join(", ")
            ))
        }
    }
}

/// Subject begins-with / ends-with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFilter {
    /// Required prefix.
    pub begins_with: Option<String>,
    /// Required suffix.
    pub ends_with: Option<String>,
    /// Compare case-sensitively.
    pub case_sensitive: bool,
}

impl SubjectFilter {
    /// `Ok` when the subject fits, else why not.
    pub fn check(&self, event: &RegistryEvent) -> Result<(), String> {
        let subject = event.subject.as_deref().unwrap_or_default();
        let fold = |s: &str| {
            if self.case_sensitive {
                s.to_owned()
            } else {
                s.to_lowercase()
            }
        };
        let folded = fold(subject);
        if let Some(prefix) = &self.begins_with
            && !folded.starts_with(&fold(prefix))
        {
            return Err(format!(
                "subject '{subject}' does not begin with '{prefix}'"
            ));
        }
        if let Some(suffix) = &self.ends_with
            && !folded.ends_with(&fold(suffix))
        {
            return Err(format!("subject '{subject}' does not end with '{suffix}'"));
        }
        Ok(())
    }
}
