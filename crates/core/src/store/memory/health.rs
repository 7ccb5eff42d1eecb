//! Target health in memory: a map under the store's lock.

use super::MemoryStore;
use crate::store::StoreError;
use crate::store::model::TargetHealth;

impl MemoryStore {
    pub(crate) fn healths(&self) -> Result<Vec<TargetHealth>, StoreError> {
        Ok(self.lock()?.health.values().cloned().collect())
    }

    pub(crate) fn health(&self, target: &str) -> Result<Option<TargetHealth>, StoreError> {
        Ok(self.lock()?.health.get(target).cloned())
    }

    pub(crate) fn swap_health(&self, next: &TargetHealth) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let stored = inner.health.get(&next.target).map_or(0, |h| h.version);
        if stored + 1 != next.version {
            return Ok(false);
        }
        inner.health.insert(next.target.clone(), next.clone());
        Ok(true)
    }
}
