//! Harbor webhooks: the default JSON payload (`type`, `occur_at`, `operator`, `event_data`) and
//! the `data` of Harbor's CloudEvents format, which is the same `event_data` object.

use serde::Deserialize;

use super::lenient::{self, Obj, Text};

/// Harbor's default payload.
#[derive(Debug, Default, Deserialize)]
pub struct HarborPayload<'a> {
    /// Event type, e.g. `PUSH_ARTIFACT`.
    #[serde(borrow, default, rename = "type")]
    pub kind: Text<'a>,
    /// Unix seconds.
    #[serde(borrow, default)]
    pub occur_at: Text<'a>,
    /// Who caused the event.
    #[serde(borrow, default)]
    pub operator: Text<'a>,
    /// What happened.
    #[serde(borrow, default)]
    pub event_data: Obj<EventData<'a>>,
}

/// Harbor CloudEvents envelope fields beyond the common ones (extensions).
#[derive(Debug, Default, Deserialize)]
pub struct HarborCloudEvent<'a> {
    /// `operator` extension.
    #[serde(borrow, default)]
    pub operator: Text<'a>,
    /// The event data.
    #[serde(borrow, default)]
    pub data: Obj<EventData<'a>>,
}

/// `event_data` (default format) or `data` (CloudEvents format).
#[derive(Debug, Default, Deserialize)]
pub struct EventData<'a> {
    /// The artifacts concerned (one in practice).
    #[serde(borrow, default)]
    pub resources: Vec<Resource<'a>>,
    /// The repository.
    #[serde(borrow, default)]
    pub repository: Obj<Repository<'a>>,
    /// Replication job details.
    #[serde(default)]
    pub replication: serde_json::Value,
    /// Tag retention run details.
    #[serde(default)]
    pub retention: serde_json::Value,
}

/// One artifact of an event.
#[derive(Debug, Default, Deserialize)]
pub struct Resource<'a> {
    /// Digest.
    #[serde(borrow, default)]
    pub digest: Text<'a>,
    /// Tag (the digest, for pushes by digest).
    #[serde(borrow, default)]
    pub tag: Text<'a>,
    /// `host/project/repo:tag` or `…@digest`.
    #[serde(borrow, default)]
    pub resource_url: Text<'a>,
    /// Scan reports keyed by report media type.
    #[serde(default)]
    pub scan_overview: serde_json::Value,
}

/// The repository of an event.
#[derive(Debug, Default, Deserialize)]
pub struct Repository<'a> {
    /// Name within the project.
    #[serde(borrow, default)]
    pub name: Text<'a>,
    /// Project.
    #[serde(borrow, default)]
    pub namespace: Text<'a>,
    /// `project/name`.
    #[serde(borrow, default)]
    pub repo_full_name: Text<'a>,
}

impl Repository<'_> {
    /// The full repository path: `repo_full_name`, else `namespace/name`, else `name`.
    pub fn full_name(&self) -> Option<String> {
        lenient::owned(&self.repo_full_name).or_else(|| {
            let name = lenient::owned(&self.name)?;
            Some(match lenient::owned(&self.namespace) {
                Some(ns) if !name.starts_with(&format!("{ns}/")) => format!("{ns}/{name}"),
                _ => name,
            })
        })
    }
}
