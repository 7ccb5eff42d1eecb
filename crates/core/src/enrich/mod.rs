//! Enrichment from the registry (opt-in per registry, `[[registries]]`): what an event leaves out
//! is asked of the registry through the OCI Distribution API — the platforms and attestations of
//! a pushed index, the digest of a pushed tag (Docker Hub sends none). Only configured
//! registries are contacted (never a URL from the event), with their credentials as registries
//! want them: none, basic, or a token from the registry's token service (the Distribution token
//! flow; the realm must be https unless the registry itself is plain http). Each lookup is bounded
//! by the registry's `timeout` and answers are cached (indexes by digest for good, tags and
//! tokens briefly). A lookup that fails leaves the fields empty and says why in the event's
//! notes; it never fails the event or delays it past the timeout.

mod client;
pub mod config;
pub mod parse;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;

use client::read_limited;

pub use config::{RawRegistry, RegistryAccess};
pub use parse::IndexInfo;

use crate::event::RegistryEvent;

/// Media types asked for when reading an index.
const INDEX_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";
/// Media types asked for when resolving a tag.
const ANY_MANIFEST: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
/// Largest index read.
const MAX_INDEX: usize = 1 << 20;
/// Largest token reply read.
const MAX_TOKEN: usize = 64 << 10;
/// Entries each cache keeps before it starts over.
const CACHE_ENTRIES: usize = 512;
/// Tags read when looking for the tag of a digest.
const MAX_TAGS: usize = 50;
/// How long a tag's digest is trusted.
const TAG_TTL: Duration = Duration::from_secs(30);

/// The configured registries and what was learned from them.
#[derive(Debug, Default)]
pub struct Enricher {
    registries: Vec<RegistryAccess>,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    indexes: HashMap<String, IndexInfo>,
    tags: HashMap<String, (String, Instant)>,
    tokens: HashMap<String, (String, Instant)>,
}

impl Enricher {
    /// An enricher for `registries` (none: it never asks anything).
    pub fn new(registries: Vec<RegistryAccess>) -> Self {
        Enricher {
            registries,
            cache: Mutex::default(),
        }
    }

    fn access(&self, event: &RegistryEvent) -> Option<&RegistryAccess> {
        let host = event.registry.as_deref()?;
        self.registries
            .iter()
            .find(|r| r.host.eq_ignore_ascii_case(host))
    }

    /// The platforms and attestations of the index `event` pushed; `None` when its registry is
    /// not configured for enrichment.
    pub async fn index(&self, event: &RegistryEvent) -> Option<Result<IndexInfo, String>> {
        let access = self.access(event)?;
        let (repository, digest) = (event.repository.as_deref()?, event.digest.as_deref()?);
        let key = format!("{}|{repository}|{digest}", access.host);
        if let Some(found) = self.cached(|c| c.indexes.get(&key).cloned()) {
            return Some(Ok(found));
        }
        let lookup = async {
            let path = manifest_path(repository, digest)?;
            let reply = self
                .get(access, repository, Method::GET, &path, INDEX_ACCEPT)
                .await?;
            let body = read_limited(reply, MAX_INDEX).await?;
            parse::index(&body)
        };
        let found = bounded(access.timeout, lookup).await;
        if let Ok(info) = &found {
            self.remember(|c| keep(&mut c.indexes, key, info.clone()));
        }
        Some(found)
    }

    /// The digest the tag `event` pushed points at; `None` when its registry is not configured.
    pub async fn digest(&self, event: &RegistryEvent) -> Option<Result<String, String>> {
        let access = self.access(event)?;
        let (repository, tag) = (event.repository.as_deref()?, event.tag.as_deref()?);
        let key = format!("{}|{repository}|{tag}", access.host);
        if let Some(found) = self.fresh_tag(&key) {
            return Some(Ok(found));
        }
        let lookup = async {
            let path = manifest_path(repository, tag)?;
            let reply = self
                .get(access, repository, Method::HEAD, &path, ANY_MANIFEST)
                .await?;
            reply
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .filter(|d| reference_ok(d))
                .map(str::to_owned)
                .ok_or_else(|| "the registry named no Docker-Content-Digest".to_owned())
        };
        let found = bounded(access.timeout, lookup).await;
        if let Ok(digest) = &found {
            self.remember_tag(key, digest.clone());
        }
        Some(found)
    }

    /// A tag that points at the digest of `event` (Harbor scans and by-digest pushes name none):
    /// the repository's first [`MAX_TAGS`] tags are read and resolved one by one within the
    /// timeout; `None` when the registry is not configured.
    pub async fn tag(&self, event: &RegistryEvent) -> Option<Result<String, String>> {
        let access = self.access(event)?;
        let (repository, digest) = (event.repository.as_deref()?, event.digest.as_deref()?);
        let key = format!("{}|{repository}|@{digest}", access.host);
        if let Some(found) = self.fresh_tag(&key) {
            return Some(Ok(found));
        }
        let lookup = async {
            let path = format!("{}?n={MAX_TAGS}", tags_path(repository)?);
            let reply = self
                .get(access, repository, Method::GET, &path, "application/json")
                .await?;
            #[derive(serde::Deserialize)]
            struct Tags {
                tags: Option<Vec<String>>,
            }
            let body = read_limited(reply, MAX_TOKEN).await?;
            let tags: Tags =
                serde_json::from_slice(&body).map_err(|_| "the tag list is not JSON".to_owned())?;
            for tag in tags.tags.unwrap_or_default().iter().take(MAX_TAGS) {
                let Ok(path) = manifest_path(repository, tag) else {
                    continue;
                };
                let reply = self
                    .get(access, repository, Method::HEAD, &path, ANY_MANIFEST)
                    .await?;
                let points = reply
                    .headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok());
                if points == Some(digest) {
                    return Ok(tag.clone());
                }
            }
            Err(format!("no tag among the first {MAX_TAGS} points at it"))
        };
        let found = bounded(access.timeout, lookup).await;
        if let Ok(tag) = &found {
            self.remember_tag(key, tag.clone());
        }
        Some(found)
    }

    /// A tag lookup's answer (a digest, or a tag) if it is younger than [`TAG_TTL`].
    fn fresh_tag(&self, key: &str) -> Option<String> {
        self.cached(|c| {
            c.tags
                .get(key)
                .filter(|(_, at)| at.elapsed() < TAG_TTL)
                .map(|(value, _)| value.clone())
        })
    }

    fn remember_tag(&self, key: String, value: String) {
        self.remember(|c| keep(&mut c.tags, key, (value, Instant::now())));
    }

    fn cached<T>(&self, read: impl FnOnce(&Cache) -> Option<T>) -> Option<T> {
        self.cache.lock().ok().and_then(|c| read(&c))
    }

    fn remember(&self, write: impl FnOnce(&mut Cache)) {
        if let Ok(mut cache) = self.cache.lock() {
            write(&mut cache);
        }
    }
}

/// `/v2/<repository>/manifests/<reference>`, refusing names that could leave that path.
fn manifest_path(repository: &str, reference: &str) -> Result<String, String> {
    if !repository_ok(repository) || !reference_ok(reference) {
        return Err("the repository or reference is not one a registry would name".into());
    }
    Ok(format!("/v2/{repository}/manifests/{reference}"))
}

/// `/v2/<repository>/tags/list`.
fn tags_path(repository: &str) -> Result<String, String> {
    if !repository_ok(repository) {
        return Err("the repository is not one a registry would name".into());
    }
    Ok(format!("/v2/{repository}/tags/list"))
}

fn repository_ok(repository: &str) -> bool {
    !repository.is_empty()
        && repository.split('/').all(|part| {
            !part.is_empty()
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
}

fn reference_ok(reference: &str) -> bool {
    !reference.is_empty()
        && reference.len() <= 200
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":._+-".contains(c))
}

async fn bounded<T>(
    limit: Duration,
    work: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(format!(
            "no answer within {}",
            crate::common::duration::display(limit)
        ))
    })
}

fn keep<V>(map: &mut HashMap<String, V>, key: String, value: V) {
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    map.insert(key, value);
}

#[cfg(test)]
mod tests {
    use super::manifest_path;

    #[test]
    fn paths_stay_inside_the_manifest_api() {
        assert_eq!(
            manifest_path("team/app", "sha256:ab").unwrap(),
            "/v2/team/app/manifests/sha256:ab"
        );
        for (repo, reference) in [
            ("../x", "v1"),
            ("a//b", "v1"),
            ("a", "v1/../../x"),
            ("a", "v?x"),
            ("", "v1"),
        ] {
            assert!(
                manifest_path(repo, reference).is_err(),
                "{repo} {reference}"
            );
        }
    }
}
