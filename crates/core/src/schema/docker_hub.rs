//! Docker Hub webhooks and Alibaba ACR's classic webhook: both send `push_data` and
//! `repository`, without an envelope, id or signature. Alibaba's repository carries `region`.

use serde::Deserialize;

use super::lenient::{self, Obj, Text};

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
    #[serde(borrow, default)]
    pub tag: Text<'a>,
    /// Digest (Alibaba only).
    #[serde(borrow, default)]
    pub digest: Text<'a>,
    /// Unix seconds (Docker Hub, possibly a float) or `YYYY-MM-DD HH:MM:SS` (Alibaba).
    #[serde(borrow, default)]
    pub pushed_at: Text<'a>,
    /// Who pushed (Docker Hub).
    #[serde(borrow, default)]
    pub pusher: Text<'a>,
}

/// `repository`.
#[derive(Debug, Default, Deserialize)]
pub struct PushRepository<'a> {
    /// `namespace/name` (Docker Hub).
    #[serde(borrow, default)]
    pub repo_name: Text<'a>,
    /// `namespace/name` (Alibaba).
    #[serde(borrow, default)]
    pub repo_full_name: Text<'a>,
    /// Namespace.
    #[serde(borrow, default)]
    pub namespace: Text<'a>,
    /// Name.
    #[serde(borrow, default)]
    pub name: Text<'a>,
    /// Region (Alibaba only: what tells the two apart).
    #[serde(borrow, default)]
    pub region: Text<'a>,
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
