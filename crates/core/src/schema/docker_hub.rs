//! Docker Hub webhooks and Alibaba ACR's classic webhook: both send `push_data` and
//! `repository`, without an envelope, id or signature. Alibaba's repository carries `region`.

use std::borrow::Cow;

use serde::Deserialize;

use super::lenient::{self, Obj};

/// A Docker Hub or Alibaba classic webhook body.
#[derive(Debug, Default, Deserialize)]
pub struct PushPayload<'a> {
    /// The push.
    #[serde(borrow, default)]
    pub push_data: Obj<PushData<'a>>,
    /// The repository.
    #[serde(borrow, default)]
    pub repository: Obj<PushRepository<'a>>,
}

/// `push_data`.
#[derive(Debug, Default, Deserialize)]
pub struct PushData<'a> {
    /// Tag.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub tag: Option<Cow<'a, str>>,
    /// Digest (Alibaba only).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub digest: Option<Cow<'a, str>>,
    /// Unix seconds (Docker Hub, possibly a float) or `YYYY-MM-DD HH:MM:SS` (Alibaba).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub pushed_at: Option<Cow<'a, str>>,
    /// Who pushed (Docker Hub).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub pusher: Option<Cow<'a, str>>,
}

/// `repository`.
#[derive(Debug, Default, Deserialize)]
pub struct PushRepository<'a> {
    /// `namespace/name` (Docker Hub).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub repo_name: Option<Cow<'a, str>>,
    /// `namespace/name` (Alibaba).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub repo_full_name: Option<Cow<'a, str>>,
    /// Namespace.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub namespace: Option<Cow<'a, str>>,
    /// Name.
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub name: Option<Cow<'a, str>>,
    /// Region (Alibaba only: what tells the two apart).
    #[serde(borrow, default, deserialize_with = "lenient::opt_str")]
    pub region: Option<Cow<'a, str>>,
}

impl PushRepository<'_> {
    /// The full repository path.
    pub fn full_name(&self) -> Option<String> {
        lenient::owned(&self.repo_name)
            .or_else(|| lenient::owned(&self.repo_full_name))
            .or_else(|| {
                let name = lenient::owned(&self.name)?;
                Some(match lenient::owned(&self.namespace) {
                    Some(ns) => format!("{ns}/{name}"),
                    None => name,
                })
            })
    }
}
