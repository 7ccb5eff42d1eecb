//! Connected-registry notification patterns: `artifact ":" action`, where
//! `artifact = name [":" tag] ["@" digest]` and `action = push | delete | *`.
//!
//! `*` stands for every value of a section; repository names may end in `/*` to cover a subtree.
//! A section that is written restricts the event: `*:*:*` wants a tag (any tag), `*@*:*` wants a
//! digest; `*:*` covers everything. The action is the last `:`-separated section, so digests such
//! as `sha256:…` may contain colons.

use std::fmt;

use super::glob::Glob;
use crate::event::{Action, RegistryEvent};

/// A compiled notification pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    name: Glob,
    tag: Option<Glob>,
    digest: Option<Glob>,
    action: ActionFilter,
}

/// The action section of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionFilter {
    /// `*`: every action but `pull` (a registry reports every manifest read; ask for those
    /// with `:pull`).
    Any,
    /// `push`: image and chart pushes.
    Push,
    /// `delete`: image and chart deletes.
    Delete,
    /// Any other action by its name (`pull`, `scan`, `chart_push`, …): exactly that one.
    Exact(Action),
}

impl Pattern {
    /// Parses and compiles a pattern, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (artifact, action) = text.rsplit_once(':').ok_or_else(|| {
            format!("'{text}' has no ':action' (expected artifact:action, e.g. hello-world:push)")
        })?;
        let action = match action.to_ascii_lowercase().as_str() {
            "*" => ActionFilter::Any,
            "push" => ActionFilter::Push,
            "delete" => ActionFilter::Delete,
            other => match Action::parse(other) {
                Some(action) => ActionFilter::Exact(action),
                None => {
                    let names: Vec<&str> = Action::REGISTRY.iter().map(|a| a.as_str()).collect();
                    return Err(format!(
                        "'{text}': action '{other}' is not *, {}",
                        names.join(", ")
                    ));
                }
            },
        };
        let (name_tag, digest) = match artifact.split_once('@') {
            Some((name_tag, digest)) => (name_tag, Some(digest)),
            None => (artifact, None),
        };
        let (name, tag) = match name_tag.split_once(':') {
            Some((name, tag)) => (name, Some(tag)),
            None => (name_tag, None),
        };
        for (section, value) in [("name", Some(name)), ("tag", tag), ("digest", digest)] {
            if value.is_some_and(str::is_empty) {
                return Err(format!(
                    "'{text}': the {section} section is empty (use * for any)"
                ));
            }
        }
        Ok(Pattern {
            text: text.to_owned(),
            name: Glob::new(name),
            tag: tag.map(Glob::new),
            digest: digest.map(Glob::new),
            action,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern would match `event` but for `*` leaving pulls out (for explanations).
    pub fn skips_pull(&self, event: &RegistryEvent) -> bool {
        self.action == ActionFilter::Any
            && event.action == Action::Pull
            && self
                .name
                .matches(event.repository.as_deref().unwrap_or_default())
            && section_matches(self.tag.as_ref(), event.tag.as_deref())
            && section_matches(self.digest.as_ref(), event.digest.as_deref())
    }

    /// Whether the event falls under this pattern.
    pub fn matches(&self, event: &RegistryEvent) -> bool {
        self.action_matches(event.action)
            && self
                .name
                .matches(event.repository.as_deref().unwrap_or_default())
            && section_matches(self.tag.as_ref(), event.tag.as_deref())
            && section_matches(self.digest.as_ref(), event.digest.as_deref())
    }

    fn action_matches(&self, action: Action) -> bool {
        match self.action {
            ActionFilter::Any => !matches!(action, Action::Pull | Action::Notice),
            ActionFilter::Exact(wanted) => action == wanted,
            ActionFilter::Push => matches!(action, Action::Push | Action::ChartPush),
            ActionFilter::Delete => matches!(action, Action::Delete | Action::ChartDelete),
        }
    }
}

fn section_matches(glob: Option<&Glob>, value: Option<&str>) -> bool {
    match (glob, value) {
        (None, _) => true,
        (Some(glob), Some(value)) => glob.matches(value),
        (Some(_), None) => false,
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests;
