//! The SQLite store: one file, WAL mode, records as JSON beside the columns we query by.
//!
//! Writes are small and synchronous (tens of microseconds); the connection sits behind a mutex
//! because one process owns the file. The primary key on (event, target) makes the ledger exact
//! within one process; several processes sharing one file are serialized by SQLite's own lock.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Claim, DeliveryState, EventRecord, ListFilter, PairState, Reception, StoreError, Trace,
    decide_claim,
};
use crate::common::Attempt;

mod checkpoint;
pub(crate) mod db;
mod health;
mod read;
mod slots;

use db::Db;
use read::{list_of, trace_of};

/// The small link and ledger tables are clustered on their keys (`WITHOUT ROWID`: one b-tree
/// each, not a table and an index), and attempts take plain rowids (no `sqlite_sequence` row
/// rewritten per insert): fewer pages written per commit. Files created before keep their
/// tables; the statements are the same.
const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS receptions (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, repository TEXT, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE TABLE IF NOT EXISTS event_receptions (event_id TEXT NOT NULL, reception_id TEXT NOT NULL, PRIMARY KEY (event_id, reception_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pairs (event_id TEXT NOT NULL, target TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, lease_until INTEGER, PRIMARY KEY (event_id, target)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attempts (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_event ON attempts (event_id);
CREATE TABLE IF NOT EXISTS rate_slots (key TEXT NOT NULL, slot INTEGER NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (key, slot));
CREATE TABLE IF NOT EXISTS target_health (target TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
";

/// A SQLite-backed store.
#[derive(Debug)]
pub struct SqliteStore {
    /// Shared with the local delivery queue on the same file: one connection, so the two never
    /// wait on each other's file lock, and their writes share group commits.
    db: Arc<Db>,
    /// Copies the log back into the file off the request path (dropped after `db`).
    _checkpoints: Option<checkpoint::Checkpointer>,
}

fn backend(error: impl Into<StoreError>) -> StoreError {
    error.into()
}

fn to_json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(backend)
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(backend)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &str) -> Result<Self, StoreError> {
        let conn = connect(path)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        // Files created before claims existed lack the column; adding it twice is harmless.
        let _ = run(
            &conn,
            "ALTER TABLE pairs ADD COLUMN lease_until INTEGER",
            [],
        );
        let checkpoints = checkpoint::Checkpointer::start(path, &conn);
        Ok(SqliteStore {
            db: Db::new(conn),
            _checkpoints: checkpoints,
        })
    }

    /// The connection, for the local delivery queue kept in the same file.
    pub(crate) fn db(&self) -> Arc<Db> {
        Arc::clone(&self.db)
    }

    pub(crate) async fn record_reception(&self, reception: &Reception) -> Result<(), StoreError> {
        let json = to_json(reception)?;
        self.db
            .write(|conn| {
                run(
                    conn,
                    "INSERT OR REPLACE INTO receptions (id, received_at, json) VALUES (?1, ?2, ?3)",
                    params![reception.id, reception.received_at, json],
                )?;
                for event_id in &reception.event_ids {
                    link(conn, event_id, &reception.id)?;
                }
                Ok(())
            })
            .await
    }

    pub(crate) async fn record_event(&self, record: &EventRecord) -> Result<(), StoreError> {
        self.record_events(std::slice::from_ref(record)).await
    }

    /// The events of one request, in one write.
    pub(crate) async fn record_events(&self, records: &[EventRecord]) -> Result<(), StoreError> {
        let json = records.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
        self.db
            .write(|conn| {
                for (record, json) in records.iter().zip(&json) {
                    run(
                        conn,
                        "INSERT OR IGNORE INTO events (id, received_at, repository, json) VALUES (?1, ?2, ?3, ?4)",
                        params![record.event.id, record.received_at, record.event.repository, json],
                    )?;
                    link(conn, &record.event.id, &record.reception_id)?;
                    for target in &record.targets {
                        run(
                            conn,
                            "INSERT OR IGNORE INTO pairs (event_id, target, state) VALUES (?1, ?2, 'pending')",
                            params![record.event.id, target],
                        )?;
                    }
                }
                Ok(())
            })
            .await
    }

    pub(crate) async fn pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<PairState>, StoreError> {
        self.db.read(|conn| {
            row(
                conn,
                "SELECT target, state, attempts, reason FROM pairs WHERE event_id = ?1 AND target = ?2",
                params![event_id, target],
                row_to_pair,
            )
            .optional()
            .map_err(backend)
        })
    }

    pub(crate) async fn record_and_pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<(EventRecord, Option<PairState>)>, StoreError> {
        let found = self.db.read(|conn| {
            let json = row(
                conn,
                "SELECT json FROM events WHERE id = ?1",
                params![event_id],
                |r| r.get::<_, String>(0),
            )
            .optional()?;
            let Some(json) = json else {
                return Ok(None);
            };
            let pair = row(
                conn,
                "SELECT target, state, attempts, reason FROM pairs WHERE event_id = ?1 AND target = ?2",
                params![event_id, target],
                row_to_pair,
            )
            .optional()?;
            Ok(Some((json, pair)))
        })?;
        found
            .map(|(json, pair)| Ok((from_json(&json)?, pair)))
            .transpose()
    }

    pub(crate) async fn claim(
        &self,
        event_id: &str,
        target: &str,
        now: i64,
        until: i64,
    ) -> Result<Claim, StoreError> {
        self.db
            .write(|conn| {
                let row = row(
                    conn,
                    "SELECT target, state, attempts, reason, lease_until FROM pairs WHERE event_id = ?1 AND target = ?2",
                    params![event_id, target],
                    |r| Ok((row_to_pair(r)?, r.get::<_, Option<i64>>(4)?)),
                )
                .optional()?;
                let (existing, lease) = match &row {
                    Some((pair, lease)) => (Some(pair), *lease),
                    None => (None, None),
                };
                if let Some(claim) = decide_claim(existing, lease, now) {
                    return Ok(claim);
                }
                run(
                    conn,
                    "INSERT INTO pairs (event_id, target, state, lease_until) VALUES (?1, ?2, 'pending', ?3)
                     ON CONFLICT (event_id, target) DO UPDATE SET lease_until = ?3",
                    params![event_id, target, until],
                )?;
                Ok(Claim::Acquired {
                    attempts: existing.map_or(0, |p| p.attempts),
                    token: until,
                })
            })
            .await
    }

    pub(crate) async fn record_attempt(
        &self,
        event_id: &str,
        attempt: &Attempt,
        state: DeliveryState,
        release: bool,
        fence: Option<i64>,
    ) -> Result<bool, StoreError> {
        let json = to_json(attempt)?;
        self.db
            .write(|conn| {
                run(
                    conn,
                    "INSERT INTO attempts (event_id, json) VALUES (?1, ?2)",
                    params![event_id, json],
                )?;
                let changed = run(
                    conn,
                    "INSERT INTO pairs (event_id, target, state, attempts, reason) VALUES (?1, ?2, ?3, 1, ?4)
                     ON CONFLICT (event_id, target) DO UPDATE SET state = ?3, attempts = attempts + 1, reason = ?4,
                     lease_until = CASE WHEN ?5 THEN NULL ELSE lease_until END
                     WHERE ?6 IS NULL OR lease_until = ?6",
                    params![event_id, attempt.target, state.as_str(), attempt.error, release, fence],
                )?;
                Ok(changed == 1)
            })
            .await
    }

    pub(crate) async fn set_state(
        &self,
        event_id: &str,
        target: &str,
        state: DeliveryState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.db
            .write(|conn| {
                run(
                    conn,
                    "INSERT INTO pairs (event_id, target, state, reason) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (event_id, target) DO UPDATE SET state = ?3, reason = ?4, lease_until = NULL",
                    params![event_id, target, state.as_str(), reason],
                )?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn trace(&self, event_id: &str) -> Result<Option<Trace>, StoreError> {
        self.db.read(|conn| trace_of(conn, event_id))
    }

    pub(crate) async fn list_records(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<crate::store::Listed>, StoreError> {
        self.db.read(|conn| list_of(conn, filter))
    }

    pub(crate) async fn purge_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        self.db
            .write(|conn| {
                let old = "SELECT id FROM events WHERE received_at < ?1";
                for table in ["attempts", "pairs", "event_receptions"] {
                    run(
                        conn,
                        &format!("DELETE FROM {table} WHERE event_id IN ({old})"),
                        params![cutoff],
                    )?;
                }
                let gone = run(
                    conn,
                    "DELETE FROM events WHERE received_at < ?1",
                    params![cutoff],
                )?;
                run(
                    conn,
                    "DELETE FROM receptions WHERE received_at < ?1",
                    params![cutoff],
                )?;
                Ok(gone)
            })
            .await
    }
}

/// Opens (creating if needed) a database file, tuned for the request path: every statement of
/// the store and the queue stays prepared (parsing SQL cost more than running it), and a cached
/// statement is not re-planned for each new parameter value (SQLite otherwise re-prepares, for
/// example, the queue's `LIMIT ?` query on every call).
pub(crate) fn connect(path: &str) -> Result<Connection, StoreError> {
    let conn =
        Connection::open(path).map_err(|e| StoreError::Open(format!("cannot open {path}: {e}")))?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(backend)?;
    Ok(conn)
}

/// Links an event to a reception that carried it.
fn link(conn: &Connection, event_id: &str, reception_id: &str) -> Result<usize, StoreError> {
    run(
        conn,
        "INSERT OR IGNORE INTO event_receptions (event_id, reception_id) VALUES (?1, ?2)",
        params![event_id, reception_id],
    )
}

/// Runs one statement through the connection's statement cache.
fn run(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .map_err(backend)
}

/// One row of a cached statement.
fn row<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

fn strings(conn: &Connection, sql: &str, key: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params![key], |r| r.get::<_, String>(0))
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

fn pairs_of(conn: &Connection, event_id: &str) -> Result<Vec<PairState>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT target, state, attempts, reason FROM pairs WHERE event_id = ?1 ORDER BY target",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![event_id], row_to_pair)
        .map_err(backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend)
}

fn row_to_pair(row: &rusqlite::Row<'_>) -> rusqlite::Result<PairState> {
    let state: String = row.get(1)?;
    Ok(PairState {
        target: row.get(0)?,
        state: DeliveryState::parse(&state).unwrap_or(DeliveryState::Pending),
        attempts: row.get(2)?,
        reason: row.get(3)?,
    })
}
