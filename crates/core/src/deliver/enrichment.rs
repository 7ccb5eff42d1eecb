//! The delivery stage's use of [`enrich`](crate::enrich): before events are recorded, a pushed
//! index gains its platforms and attestations from its registry, an event naming a digest and no
//! tag (a Harbor scan) its tag, and a pushed tag without a digest its digest — when the
//! registry is configured for it. A failed lookup becomes a note
//! on the event's record; the event goes on as it came.

use super::Deliverer;
use super::coalesce::{Role, role};
use crate::event::Action;
use crate::route::Routed;

impl Deliverer {
    /// Enriches each routed event that goes somewhere; returns each event's notes, in order.
    pub(crate) async fn enrich(&self, routed: &mut [Routed]) -> Vec<Vec<String>> {
        let mut notes = vec![Vec::new(); routed.len()];
        for (note, r) in notes.iter_mut().zip(routed.iter_mut()) {
            if r.targets.is_empty() {
                continue;
            }
            if r.event.action == Action::Push
                && role(&r.event) == Role::Index
                && let Some(found) = self.enricher.index(&r.event).await
            {
                match found {
                    Ok(info) => {
                        r.event.platforms = info.platforms;
                        r.event.attestations = info.attestations;
                    }
                    Err(why) => note.push(format!("platforms not read from the registry: {why}")),
                }
            }
            if self.wants_tag(&r.event)
                && let Some(found) = self.enricher.tag(&r.event).await
            {
                match found {
                    Ok(tag) => r.event.tag = Some(tag),
                    Err(why) => note.push(format!("tag not read from the registry: {why}")),
                }
            }
            if r.event.action == Action::Push
                && r.event.digest.is_none()
                && r.event.tag.is_some()
                && let Some(found) = self.enricher.digest(&r.event).await
            {
                match found {
                    Ok(digest) => r.event.digest = Some(digest),
                    Err(why) => note.push(format!("digest not read from the registry: {why}")),
                }
            }
            for why in note.iter() {
                tracing::warn!(event_id = %r.event.id, "Enrichment: {why}.");
            }
        }
        notes
    }

    /// Whether a tag is worth resolving for `event`: it names a digest and no tag, and is not a
    /// platform manifest (those have none by nature), a delete (the tag is gone) or a pull.
    fn wants_tag(&self, event: &crate::event::RegistryEvent) -> bool {
        event.tag.is_none()
            && event.digest.is_some()
            && !matches!(
                event.action,
                Action::Delete | Action::ChartDelete | Action::Pull | Action::Notice
            )
            && role(event) != Role::Member
    }
}
