//! The budget shared through the store: which key a robot's budget has there, and asking for a
//! slot with a fallback to this process's own window when the store cannot answer.

use super::Limiter;

/// Which budget a robot's messages count against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetKey {
    /// The robot within this process (its URL; kept in memory only, never stored or logged).
    pub local: String,
    /// The robot's budget in the shared store: a hash, never a token.
    pub shared: String,
}

impl Limiter {
    /// Whether the store grants one of the first `limit` slots of the robot's shared budget:
    /// always without a store, and when the store fails (this process's window still holds).
    pub(super) async fn shared_allows(&self, robot: &BudgetKey, limit: usize) -> bool {
        let Some(store) = &self.store else {
            return true;
        };
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        match store
            .reserve_slot(&robot.shared, limit, self.rate.window)
            .await
        {
            Ok(granted) => granted,
            Err(error) => {
                tracing::warn!(%error, "Shared DingTalk budget unavailable; this instance's own limit applies.");
                true
            }
        }
    }
}
