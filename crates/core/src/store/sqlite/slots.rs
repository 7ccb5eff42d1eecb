//! Rate budgets in SQLite: the `rate_slots` table, one row per (key, slot), read and taken in one
//! write of an `IMMEDIATE` transaction so that processes sharing the file take turns.

use std::collections::HashMap;

use rusqlite::params;

use super::{SqliteStore, backend};
use crate::store::StoreError;
use crate::store::slots::free_slots;

impl SqliteStore {
    /// One write (in the batch's `IMMEDIATE` transaction): read the key's slots, take a free one.
    pub(crate) async fn reserve_slot(
        &self,
        key: &str,
        limit: u32,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        self.db
            .write(|conn| {
                let taken = {
                    let mut stmt = conn
                        .prepare_cached("SELECT slot, until FROM rate_slots WHERE key = ?1")
                        .map_err(backend)?;
                    let rows = stmt
                        .query_map(params![key], |r| {
                            Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?))
                        })
                        .map_err(backend)?;
                    rows.collect::<Result<HashMap<_, _>, _>>()
                        .map_err(backend)?
                };
                let Some(&slot) = free_slots(&taken, limit, now).first() else {
                    return Ok(false);
                };
                conn.prepare_cached(
                    "INSERT INTO rate_slots (key, slot, until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (key, slot) DO UPDATE SET until = ?3",
                )
                .and_then(|mut stmt| stmt.execute(params![key, slot, until]))
                .map_err(backend)?;
                Ok(true)
            })
            .await
    }
}
