//! The local queue `regrelay serve`'s worker polls: a `work` table in the SQLite store's file
//! (indexed by due time, so a restart resumes exactly where the process stopped), or a bounded
//! in-memory list for memory stores and tests.
//!
//! A worker *takes* due items by leasing them (`lease_until`); an item whose worker died becomes
//! due again when its lease ends. Finishing deletes it; rescheduling rewrites it in place, so one
//! pair never has two items because of a retry.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

#[cfg(feature = "sqlite")]
use rusqlite::{OptionalExtension, params};
#[cfg(feature = "sqlite")]
use std::sync::Arc;

#[cfg(feature = "sqlite")]
use crate::store::sqlite::db::Db;

use super::WorkItem;
use crate::store::StoreError;
use crate::store::slots::Clock;

/// Items an in-memory queue holds before refusing more (the sender then gets 503 and retries).
pub const MEMORY_QUEUE_LIMIT: usize = 100_000;

#[cfg(feature = "sqlite")]
const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS work (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, due_ms INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS work_due ON work (due_ms);
CREATE INDEX IF NOT EXISTS work_target_due ON work (target, due_ms);
";

/// One taken item and its row id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// Row id, for [`LocalQueue::finish`] and [`LocalQueue::reschedule`].
    pub id: i64,
    /// The item.
    pub item: WorkItem,
}

/// The local queue.
#[derive(Debug)]
pub struct LocalQueue {
    backend: Backend,
    clock: Clock,
}

#[derive(Debug)]
enum Backend {
    Memory(Mutex<Memory>),
    #[cfg(feature = "sqlite")]
    Sqlite(Arc<Db>),
}

#[derive(Debug, Default)]
struct Memory {
    next: i64,
    rows: BTreeMap<i64, Row>,
}

#[derive(Debug, Clone)]
struct Row {
    due_ms: i64,
    lease_until: i64,
    item: WorkItem,
}

impl Row {
    /// A row for `item`, not leased.
    fn waiting(item: &WorkItem) -> Self {
        Row {
            due_ms: item.due_ms,
            lease_until: 0,
            item: item.clone(),
        }
    }
}

impl LocalQueue {
    /// An in-memory queue (gone with the process).
    pub fn memory() -> Self {
        LocalQueue {
            backend: Backend::Memory(Mutex::default()),
            clock: Clock::default(),
        }
    }

    /// An in-memory queue on `clock` (tests on tokio's paused clock).
    pub fn memory_with_clock(clock: Clock) -> Self {
        LocalQueue {
            backend: Backend::Memory(Mutex::default()),
            clock,
        }
    }

    /// The `work` table in the SQLite file at `path` (created if needed).
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: &str) -> Result<Self, StoreError> {
        let conn = crate::store::sqlite::connect(path)?;
        Self::sqlite_on(Db::new(conn))
    }

    /// The `work` table on a connection the SQLite store already holds (same file, one lock).
    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite_on(db: Arc<Db>) -> Result<Self, StoreError> {
        db.read(|conn| Ok(conn.execute_batch(SCHEMA)?))?;
        Ok(LocalQueue {
            backend: Backend::Sqlite(db),
            clock: Clock::default(),
        })
    }

    /// Without SQLite support, a SQLite queue cannot be opened.
    #[cfg(not(feature = "sqlite"))]
    pub fn sqlite(_path: &str) -> Result<Self, StoreError> {
        Err(StoreError::Open(
            "this build has no SQLite support (feature `sqlite`)".into(),
        ))
    }

    /// Milliseconds since the epoch by this queue's clock.
    pub fn now_millis(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Adds items.
    pub async fn enqueue(&self, items: &[WorkItem]) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(memory) => {
                let mut memory = lock(memory)?;
                if memory.rows.len() + items.len() > MEMORY_QUEUE_LIMIT {
                    return Err(StoreError::TooLarge("the in-memory delivery queue".into()));
                }
                for item in items {
                    memory.next += 1;
                    let id = memory.next;
                    memory.rows.insert(id, Row::waiting(item));
                }
                Ok(())
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => {
                db.write(|conn| {
                    let mut insert = conn.prepare_cached(
                        "INSERT INTO work (target, due_ms, body) VALUES (?1, ?2, ?3)",
                    )?;
                    for item in items {
                        insert.execute(params![item.target, item.due_ms, item.to_text()])?;
                    }
                    Ok(())
                })
                .await
            }
        }
    }

    /// Leases, for each `(target, n)` of `wants`, up to `n` of its items due at `now`, earliest
    /// first, for `lease_ms`. Each target is its own indexed query, so a backlog for a target
    /// that is not asked for (it has no room) costs nothing to pass over.
    pub fn take(
        &self,
        now: i64,
        lease_ms: i64,
        wants: &[(String, usize)],
    ) -> Result<Vec<Taken>, StoreError> {
        let until = now.saturating_add(lease_ms);
        let mut out = Vec::new();
        match &self.backend {
            Backend::Memory(memory) => {
                let mut memory = lock(memory)?;
                for (target, n) in wants {
                    let mut due: Vec<(i64, i64)> = memory
                        .rows
                        .iter()
                        .filter(|(_, r)| &r.item.target == target)
                        .filter(|(_, r)| r.due_ms <= now && r.lease_until <= now)
                        .map(|(id, r)| (r.due_ms, *id))
                        .collect();
                    due.sort_unstable();
                    for (_, id) in due.into_iter().take(*n) {
                        if let Some(row) = memory.rows.get_mut(&id) {
                            row.lease_until = until;
                            out.push(Taken {
                                id,
                                item: row.item.clone(),
                            });
                        }
                    }
                }
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.write_now(|tx| {
                {
                    let mut select = tx.prepare_cached(
                        "SELECT id, body FROM work WHERE target = ?1 AND due_ms <= ?2 AND lease_until <= ?2
                         ORDER BY due_ms LIMIT ?3",
                    )?;
                    let mut lease =
                        tx.prepare_cached("UPDATE work SET lease_until = ?2 WHERE id = ?1")?;
                    for (target, n) in wants {
                        let n = i64::try_from(*n).unwrap_or(i64::MAX);
                        let rows = select
                            .query_map(params![target, now, n], |r| {
                                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                            })?
                            .collect::<Result<Vec<_>, _>>()?;
                        for (id, text) in rows {
                            lease.execute(params![id, until])?;
                            match WorkItem::parse(&text) {
                                Ok(item) => out.push(Taken { id, item }),
                                Err(error) => {
                                    tracing::error!(%error, id, "A local work item is not readable; dropping it.");
                                    tx.prepare_cached("DELETE FROM work WHERE id = ?1")?.execute(params![id])?;
                                }
                            }
                        }
                    }
                }
                Ok(())
            })?,
        }
        out.sort_by_key(|t| t.item.due_ms);
        Ok(out)
    }

    /// Leases up to `limit` due items whose target is none of `known` (the config changed
    /// since they were queued), so the worker can settle them.
    pub fn take_orphans(
        &self,
        now: i64,
        lease_ms: i64,
        known: &[String],
        limit: usize,
    ) -> Result<Vec<Taken>, StoreError> {
        let mut wants: Vec<(String, usize)> = Vec::new();
        match &self.backend {
            Backend::Memory(memory) => {
                let memory = lock(memory)?;
                for row in memory.rows.values() {
                    if !known.contains(&row.item.target)
                        && !wants.iter().any(|(t, _)| *t == row.item.target)
                    {
                        wants.push((row.item.target.clone(), limit));
                    }
                }
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT DISTINCT target FROM work WHERE target NOT IN (SELECT value FROM json_each(?1))",
                )?;
                let known = serde_json::to_string(known)?;
                for target in stmt.query_map(params![known], |r| r.get::<_, String>(0))? {
                    wants.push((target?, limit));
                }
                Ok(())
            })?,
        }
        self.take(now, lease_ms, &wants)
    }

    /// Removes a finished item.
    pub async fn finish(&self, id: i64) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(memory) => {
                lock(memory)?.rows.remove(&id);
                Ok(())
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => {
                db.write(|conn| {
                    conn.prepare_cached("DELETE FROM work WHERE id = ?1")?
                        .execute(params![id])?;
                    Ok(())
                })
                .await
            }
        }
    }

    /// Replaces a taken item by `item` (a later attempt, or the same one later), unleased.
    pub async fn reschedule(&self, id: i64, item: &WorkItem) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Memory(memory) => {
                lock(memory)?.rows.insert(id, Row::waiting(item));
                Ok(())
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => {
                db.write(|conn| {
                    conn.prepare_cached(
                        "UPDATE work SET due_ms = ?2, lease_until = 0, body = ?3 WHERE id = ?1",
                    )?
                    .execute(params![id, item.due_ms, item.to_text()])?;
                    Ok(())
                })
                .await
            }
        }
    }

    /// Items waiting (leased or not) and the earliest due time among them.
    pub fn depth(&self) -> Result<(usize, Option<i64>), StoreError> {
        match &self.backend {
            Backend::Memory(memory) => {
                let memory = lock(memory)?;
                let earliest = memory.rows.values().map(|r| r.due_ms).min();
                Ok((memory.rows.len(), earliest))
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.read(|conn| {
                let (count, earliest) = conn
                    .prepare_cached("SELECT COUNT(*), MIN(due_ms) FROM work")?
                    .query_row([], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
                    })?;
                Ok((usize::try_from(count).unwrap_or(0), earliest))
            }),
        }
    }

    /// When the next item not leased now is due, if any.
    pub fn next_due(&self) -> Result<Option<i64>, StoreError> {
        let now = self.clock.now_millis();
        match &self.backend {
            Backend::Memory(memory) => Ok(lock(memory)?
                .rows
                .values()
                .filter(|r| r.lease_until <= now)
                .map(|r| r.due_ms)
                .min()),
            #[cfg(feature = "sqlite")]
            // By the due index, skipping the (few) leased rows; a row whose worker died is found
            // by a later poll once its lease ends.
            Backend::Sqlite(db) => db.read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT due_ms FROM work WHERE lease_until <= ?1 ORDER BY due_ms LIMIT 1",
                )?;
                Ok(stmt
                    .query_row(params![now], |r| r.get::<_, i64>(0))
                    .optional()?)
            }),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> Result<MutexGuard<'_, T>, StoreError> {
    mutex
        .lock()
        .map_err(|_| StoreError::Poisoned("local delivery queue"))
}

#[cfg(test)]
mod tests;
