//! Target health in SQLite: `target_health (target, version, json)`; a write is an insert for
//! version 1 or an update where the stored version is the one before.

use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, backend, from_json, to_json};
use crate::store::StoreError;
use crate::store::model::TargetHealth;

impl SqliteStore {
    pub(crate) fn healths(&self) -> Result<Vec<TargetHealth>, StoreError> {
        self.db.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT json FROM target_health")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            rows.iter().map(|json| from_json(json)).collect()
        })
    }

    pub(crate) fn health(&self, target: &str) -> Result<Option<TargetHealth>, StoreError> {
        let json = self.db.read(|conn| {
            conn.prepare_cached("SELECT json FROM target_health WHERE target = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row(params![target], |r| r.get::<_, String>(0))
                        .optional()
                })
                .map_err(backend)
        })?;
        json.map(|j| from_json(&j)).transpose()
    }

    pub(crate) async fn swap_health(&self, next: &TargetHealth) -> Result<bool, StoreError> {
        let json = to_json(next)?;
        let version = i64::try_from(next.version).unwrap_or(i64::MAX);
        self.db
            .write(|conn| {
                let changed = if version == 1 {
                    conn.prepare_cached(
                        "INSERT INTO target_health (target, version, json) VALUES (?1, 1, ?2)
                         ON CONFLICT (target) DO NOTHING",
                    )
                    .and_then(|mut stmt| stmt.execute(params![next.target, json]))
                } else {
                    conn.prepare_cached(
                        "UPDATE target_health SET version = ?2, json = ?3
                         WHERE target = ?1 AND version = ?2 - 1",
                    )
                    .and_then(|mut stmt| stmt.execute(params![next.target, version, json]))
                };
                Ok(changed.map_err(backend)? == 1)
            })
            .await
    }
}
