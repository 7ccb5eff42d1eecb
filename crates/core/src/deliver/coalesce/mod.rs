//! Coalescing: one event per image push. A multi-platform push reaches a registry as one tagless
//! manifest per platform and per attestation, then the index (tagged, usually); registries
//! report each. Here a tagless image manifest push (a **member**) is held for `window`; the push
//! of an index in the same (registry kind, registry, repository) folds the members held there
//! into itself and goes out as the one event, with `platforms` and the folded manifests in its
//! record. A member that no index claims within the window is delivered alone: nothing is held
//! forever or dropped. Single-platform pushes (a tagged manifest) are never delayed.
//!
//! The group is history itself, so every store backend and every instance on one store share
//! it: a held member is an event recorded with [`Coalescing::Held`] whose pairs are pending;
//! its work items are due when the window ends (queued mode) or a timer of the process fires
//! (inline mode). Folding claims each pending pair in the ledger and sets it
//! [`DeliveryState::Folded`], so a member is either folded or delivered, never both. An index
//! that arrives before its manifests (out of order) folds them as they come, within the window.
//! Rules with `coalesce = false` get every member at once, as the registry reported it.

pub mod config;

use crate::common::duration::millis;

pub use config::CoalescePolicy;

use super::Deliverer;
use crate::event::{Action, Platform, RegistryEvent, RegistryKind};
use crate::route::Routed;
use crate::store::{
    Claim, Coalescing, DeliveryState, EventRecord, FoldedManifest, ListFilter, StoreError,
};

/// Index media types: an OCI image index, a Docker manifest list.
const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
/// Image manifest media types that can be one platform (or one attestation) of an index.
const MANIFEST_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Most held members one index looks at.
const MAX_MEMBERS: usize = 200;

/// What coalescing does with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A tagless image manifest push: held for its index.
    Member,
    /// An index push: folds the held members of its repository.
    Index,
    /// Anything else: delivered as it is.
    Alone,
}

/// The event's role: by media type where the sender gives one (an index, or a tagless image
/// manifest), else by tag (Harbor and some ECR events carry no media type).
pub fn role(event: &RegistryEvent) -> Role {
    if event.action != Action::Push {
        return Role::Alone;
    }
    let media = event.media_type.as_deref();
    let tagless = event.tag.is_none() && event.digest.is_some();
    let is = |types: &[&str], m: &str| types.iter().any(|t| t.eq_ignore_ascii_case(m));
    match media {
        Some(m) if is(&INDEX_TYPES, m) => Role::Index,
        Some(m) if is(&MANIFEST_TYPES, m) && tagless => Role::Member,
        // Senders that give no media type (Harbor, some ECR events): a tagless push by digest
        // is a member; a tagged Harbor push is what its manifests were pushed for.
        None if tagless => Role::Member,
        None if event.registry_kind == RegistryKind::Harbor && event.tag.is_some() => Role::Index,
        _ => Role::Alone,
    }
}

/// Whether two events belong to one group: same registry kind, registry and repository.
fn same_group(a: &RegistryEvent, b: &RegistryEvent) -> bool {
    a.registry_kind == b.registry_kind && a.registry == b.registry && a.repository == b.repository
}

/// What `regrelay simulate` says coalescing would do with each event of one payload, in order
/// (the live path decides with history, across requests, the same way).
pub fn plan(events: &[RegistryEvent], policy: &CoalescePolicy) -> Vec<String> {
    let window = crate::common::duration::display(policy.window);
    events
        .iter()
        .enumerate()
        .map(|(i, event)| match (policy.enabled, role(event)) {
            (false, _) | (_, Role::Alone) => String::new(),
            (true, Role::Member) => {
                let index = events[i + 1..]
                    .iter()
                    .find(|e| role(e) == Role::Index && same_group(e, event));
                match index {
                    Some(index) => format!(
                        "coalescing: a tagless manifest of a push; held, then folded into {} (the push's index)",
                        index.id
                    ),
                    None => format!(
                        "coalescing: a tagless manifest of a push; held up to {window} for its index, then delivered alone if none comes"
                    ),
                }
            }
            (true, Role::Index) => {
                let folded: Vec<&str> = events[..i]
                    .iter()
                    .filter(|e| role(e) == Role::Member && same_group(e, event))
                    .map(|e| e.id.as_str())
                    .collect();
                format!(
                    "coalescing: the event of one push; folds the manifests held for it ({} in this payload{})",
                    folded.len(),
                    if folded.is_empty() { String::new() } else { format!(": {}", folded.join(", ")) }
                )
            }
        })
        .collect()
}

impl Deliverer {
    /// Coalescing's decision for each routed event, before they are recorded: an index folds
    /// the members held for it; a member is marked held until the window ends. A store that
    /// cannot answer leaves the event alone (delivered as it is), never fails the request.
    pub(crate) async fn marks(&self, routed: &mut [Routed], now: i64) -> Vec<Option<Coalescing>> {
        let mut marks = vec![None; routed.len()];
        if !self.coalesce.enabled {
            return marks;
        }
        let until = now.saturating_add(millis(self.coalesce.window));
        for (mark, r) in marks.iter_mut().zip(routed.iter_mut()) {
            if r.targets.is_empty() {
                continue;
            }
            *mark = match role(&r.event) {
                Role::Alone => None,
                Role::Member => Some(Coalescing::Held {
                    until: crate::common::rfc3339_millis(until),
                    prompt: r
                        .prompt
                        .iter()
                        .map(|&t| self.targets[t].name.clone())
                        .collect(),
                }),
                Role::Index => match self.fold_into(r, now).await {
                    Ok(push) => Some(push),
                    Err(error) => {
                        tracing::warn!(%error, event_id = %r.event.id, "Could not fold the push's manifests; delivering the index alone.");
                        None
                    }
                },
            };
        }
        marks
    }

    /// The history records of a request's routed events, coalescing and enrichment applied, and
    /// the routed events that have targets (both modes deliver from these).
    pub(crate) async fn prepare(
        &self,
        mut routed: Vec<Routed>,
        reception: &crate::store::Reception,
        now: i64,
    ) -> (Vec<EventRecord>, Vec<Routed>) {
        let marks = self.marks(&mut routed, now).await;
        let notes = self.enrich(&mut routed).await;
        let (mut records, deliverable) = self.split_records(routed, reception);
        for ((record, mark), notes) in records.iter_mut().zip(marks).zip(notes) {
            record.coalescing = mark;
            record.notes = notes;
        }
        (records, deliverable)
    }

    /// When the window of a member marked at `now` ends (epoch ms).
    pub(crate) fn window_end(&self, now: i64) -> i64 {
        now.saturating_add(millis(self.coalesce.window))
    }

    /// Before an index push is recorded: folds the members held for it (their pending pairs of
    /// coalescing targets become `folded`) and returns its `coalescing` record; the routed event
    /// gains its `platforms`.
    pub(crate) async fn fold_into(
        &self,
        index: &mut Routed,
        now: i64,
    ) -> Result<Coalescing, StoreError> {
        let mut folded = Vec::new();
        for record in self.held_members(&index.event, now).await? {
            if self.fold(&record, &index.event.id).await? {
                folded.push(FoldedManifest {
                    id: record.event.id.clone(),
                    digest: record.event.digest.clone(),
                    media_type: record.event.media_type.clone(),
                });
            }
        }
        index.event.platforms = folded
            .iter()
            .filter_map(|f| f.digest.clone())
            .map(|digest| Platform {
                os: None,
                architecture: None,
                variant: None,
                digest,
            })
            .collect();
        if !folded.is_empty() {
            tracing::info!(event_id = %index.event.id, folded = folded.len(), "Folded a push's manifests into its index.");
        }
        Ok(Coalescing::Push { folded })
    }

    /// After a member is recorded: folds it at once if its push's index already went out
    /// within the window (the index arrived first); `true` when it was folded.
    pub(crate) async fn fold_late(
        &self,
        member: &EventRecord,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some(index) = self.recent_index(&member.event, now).await? else {
            return Ok(false);
        };
        self.fold(member, &index).await
    }

    /// Sets every pending pair of `member` whose target only coalescing rules chose to
    /// `folded`, each under a ledger claim; `true` when at least one was folded.
    async fn fold(&self, member: &EventRecord, into: &str) -> Result<bool, StoreError> {
        let id = member.event.id.as_str();
        let reason = format!("folded into {into}, the event of its push");
        let mut any = false;
        for target in &member.targets {
            if Self::is_prompt(member, target) {
                continue;
            }
            if let Claim::Acquired { .. } = self.store.claim(id, target, self.lease()).await? {
                self.store
                    .set_state(id, target, DeliveryState::Folded, Some(&reason))
                    .await?;
                any = true;
            }
        }
        Ok(any)
    }

    /// Whether a rule that opted out of coalescing sent `member` to `target` (such pairs went
    /// out at once and are never folded).
    fn is_prompt(member: &EventRecord, target: &str) -> bool {
        match &member.coalescing {
            Some(Coalescing::Held { prompt, .. }) => prompt.iter().any(|t| t == target),
            _ => false,
        }
    }

    /// The records of members held in `index`'s group within the window, oldest first.
    async fn held_members(
        &self,
        index: &RegistryEvent,
        now: i64,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut members: Vec<EventRecord> = self
            .group(index, now)
            .await?
            .into_iter()
            .filter(|(record, pairs)| {
                record.event.id != index.id
                    && pairs.iter().any(|p| p.state == DeliveryState::Pending)
                    && matches!(record.coalescing, Some(Coalescing::Held { .. }))
                    && same_group(&record.event, index)
            })
            .map(|(record, _)| record)
            .collect();
        members.reverse();
        Ok(members)
    }

    /// The id of an index pushed in `member`'s group within the window, if any.
    async fn recent_index(
        &self,
        member: &RegistryEvent,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .group(member, now)
            .await?
            .into_iter()
            .map(|(record, _)| record.event)
            .find(|e| e.id != member.id && role(e) == Role::Index && same_group(e, member))
            .map(|e| e.id))
    }

    /// Events of the same repository and registry kind received within the window, newest first.
    async fn group(
        &self,
        event: &RegistryEvent,
        now: i64,
    ) -> Result<Vec<crate::store::Listed>, StoreError> {
        let Some(repository) = event.repository.clone() else {
            return Ok(Vec::new());
        };
        let since = now.saturating_sub(millis(self.coalesce.window));
        let filter = ListFilter {
            since: Some(crate::common::rfc3339_micros(since)),
            repository: Some(repository),
            registry_kind: Some(event.registry_kind.as_str().to_owned()),
            limit: MAX_MEMBERS,
            ..ListFilter::default()
        };
        self.store.list_records(&filter).await
    }
}

#[cfg(test)]
mod tests;
