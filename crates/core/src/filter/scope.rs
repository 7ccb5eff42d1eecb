//! Alibaba ACR event-rule conditions on the normalized model, usable on any source's events: an
//! effective scope (instance, namespace, repository) and a tag regular expression.
//!
//! The namespace is the first segment of the repository (`team` in `team/app`); a repository in a
//! scope that also names a namespace is the rest (`app`), otherwise the full path. The instance is
//! the registry: its name, or the first label of its login server. The tag expression must match
//! the whole tag, as the console applies it.

use regex_lite::Regex;

use crate::event::RegistryEvent;

/// Where a rule applies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Registry instance name.
    pub instance: Option<String>,
    /// Namespace (first repository segment).
    pub namespace: Option<String>,
    /// Repository (within the namespace when one is given).
    pub repository: Option<String>,
}

impl Scope {
    /// `Ok` when the event is in scope, else why not.
    pub fn check(&self, event: &RegistryEvent) -> Result<(), String> {
        if let Some(instance) = &self.instance {
            let registry = event.registry.as_deref().unwrap_or_default();
            let first_label = registry.split('.').next().unwrap_or_default();
            if !instance.eq_ignore_ascii_case(registry)
                && !instance.eq_ignore_ascii_case(first_label)
            {
                return Err(format!(
                    "registry '{registry}' is not instance '{instance}'"
                ));
            }
        }
        let repository = event.repository.as_deref().unwrap_or_default();
        let (namespace, name) = repository.split_once('/').unwrap_or(("", repository));
        if let Some(wanted) = &self.namespace
            && namespace != wanted
        {
            return Err(format!(
                "namespace '{namespace}' of repository '{repository}' is not '{wanted}'"
            ));
        }
        if let Some(wanted) = &self.repository {
            let actual = if self.namespace.is_some() {
                name
            } else {
                repository
            };
            if actual != wanted {
                return Err(format!(
                    "repository '{repository}' is not '{}'",
                    self.qualified(wanted)
                ));
            }
        }
        Ok(())
    }

    fn qualified(&self, repository: &str) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{repository}"),
            None => repository.to_owned(),
        }
    }
}

/// A tag regular expression, anchored to the whole tag.
#[derive(Debug, Clone)]
pub struct TagRegex {
    written: String,
    regex: Regex,
}

impl TagRegex {
    /// Compiles `pattern`, or says why it is not a valid expression.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let regex = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("invalid regular expression: {e}"))?;
        Ok(TagRegex {
            written: pattern.to_owned(),
            regex,
        })
    }

    /// `Ok` when the event's tag matches, else why not.
    pub fn check(&self, event: &RegistryEvent) -> Result<(), String> {
        match event.tag.as_deref() {
            Some(tag) if self.regex.is_match(tag) => Ok(()),
            Some(tag) => Err(format!("tag '{tag}' does not match {}", self.written)),
            None => Err(format!("the event has no tag to match {}", self.written)),
        }
    }
}

impl PartialEq for TagRegex {
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}
