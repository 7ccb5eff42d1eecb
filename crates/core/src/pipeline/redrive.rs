//! Redrive: deliver a recorded event again, now, to its targets that have not received it (or
//! to one named target, even if it has). Shared by `regrelay events redrive` and the console's
//! `POST /api/events/{id}/redrive`.

use serde::Serialize;

use super::Pipeline;
use crate::common::Attempt;
use crate::store::{DeliveryState, StoreError};

/// Why a redrive could not start.
#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    /// No event with that id in history.
    #[error("no event with id '{0}' in history")]
    NoEvent(String),
    /// The named target is not configured.
    #[error("no target named '{0}' in the config")]
    NoTarget(String),
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a redrive did: one attempt per target it sent to.
#[derive(Debug, Clone, Serialize)]
pub struct RedriveReport {
    /// The event redriven.
    pub event_id: String,
    /// One attempt per target, in the trace's order (empty when every target already had it).
    pub attempts: Vec<Attempt>,
}

impl RedriveReport {
    /// Whether every attempt was delivered (true when there was nothing to send).
    pub fn all_delivered(&self) -> bool {
        self.attempts.iter().all(Attempt::delivered)
    }
}

impl Pipeline {
    /// Delivers event `id` again to every target whose pair is not delivered, or only to
    /// `only` (sent even when it succeeded before). Each attempt is recorded in the trace.
    pub async fn redrive(
        &self,
        id: &str,
        only: Option<&str>,
    ) -> Result<RedriveReport, RedriveError> {
        let Some(trace) = self.store().trace(id).await? else {
            return Err(RedriveError::NoEvent(id.to_owned()));
        };
        let names: Vec<String> = match only {
            Some(name) => vec![name.to_owned()],
            None => trace
                .pairs
                .iter()
                .filter(|p| p.state != DeliveryState::Delivered)
                .map(|p| p.target.clone())
                .collect(),
        };
        let targets = &self.config().targets;
        let chosen = names
            .iter()
            .map(|name| {
                targets
                    .iter()
                    .find(|t| t.name == *name)
                    .ok_or_else(|| RedriveError::NoTarget(name.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut attempts = Vec::with_capacity(chosen.len());
        for target in chosen {
            tracing::info!(event_id = %id, target = %target.name, "Redriving.");
            attempts.push(
                self.redeliver(&trace.record.event, &trace.record.raw, target)
                    .await,
            );
        }
        Ok(RedriveReport {
            event_id: id.to_owned(),
            attempts,
        })
    }
}
