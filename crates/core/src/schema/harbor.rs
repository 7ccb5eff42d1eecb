//! Harbor webhooks: the default JSON payload (`type`, `occur_at`, `operator`, `event_data`) and
//! the `data` of Harbor's CloudEvents format, which is the same `event_data` object.

use std::borrow::Cow;

use serde::Deserialize;

use super::lenient::{self, Obj};

/// Harbor's default payload.
#[derive(Debug, Default, Deserialize)]
pub struct HarborPayload<'a> {
    /// Event type, e.g. `PUSH_ARTIFACT`.
    #[serde(
        borrow,
        default,
        rename = "type",
        deserialize_with = "lenient::opt_str"
    )]
    pub kind: Option<Cow<'a, str>>,
    /// Unix seconds.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub occur_at: Option<Cow<'a, str>>,
    /// Who caused the event.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub operator: Option<Cow<'a, str>>,
    /// What happened.
    #[serde(borrow, default)]
    pub event_data: Obj<EventData<'a>>,
}

/// Harbor CloudEvents envelope fields beyond the common ones (extensions).
#[derive(Debug, Default, Deserialize)]
pub struct HarborCloudEvent<'a> {
    /// `operator` extension.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub operator: Option<Cow<'a, str>>,
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
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub digest: Option<Cow<'a, str>>,
    /// Tag (the digest, for pushes by digest).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub tag: Option<Cow<'a, str>>,
    /// `host/project/repo:tag` or `…@digest`.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub resource_url: Option<Cow<'a, str>>,
    /// Scan reports keyed by report media type.
    #[serde(default)]
    pub scan_overview: serde_json::Value,
}

/// The repository of an event.
#[derive(Debug, Default, Deserialize)]
pub struct Repository<'a> {
    /// Name within the project.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub name: Option<Cow<'a, str>>,
    /// Project.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub namespace: Option<Cow<'a, str>>,
    /// `project/name`.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub repo_full_name: Option<Cow<'a, str>>,
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
