//! The SQLite store: one file, WAL mode, records as JSON beside the columns we query by.
//!
//! Writes are small and synchronous (tens of microseconds); the connection sits behind a mutex
//! because one process owns the file. The primary key on (event, target) makes the ledger exact
//! within one process; several processes sharing one file are serialized by SQLite's own lock.

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use super::memory::summary;
use super::{
    Claim, DeliveryState, EventRecord, EventSummary, ListFilter, PairState, Reception, StoreError,
    Trace, decide_claim,
};
use crate::common::Attempt;

mod slots;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS receptions (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, repository TEXT, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE TABLE IF NOT EXISTS event_receptions (event_id TEXT NOT NULL, reception_id TEXT NOT NULL, PRIMARY KEY (event_id, reception_id));
CREATE TABLE IF NOT EXISTS pairs (event_id TEXT NOT NULL, target TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, lease_until INTEGER, PRIMARY KEY (event_id, target));
CREATE TABLE IF NOT EXISTS attempts (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_event ON attempts (event_id);
CREATE TABLE IF NOT EXISTS rate_slots (key TEXT NOT NULL, slot INTEGER NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (key, slot));
";

/// A SQLite-backed store.
#[derive(Debug)]
pub struct SqliteStore {
    /// Shared with the local delivery queue on the same file: one connection, so the two never
    /// wait on each other's file lock.
    conn: Arc<Mutex<Connection>>,
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
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Open(format!("cannot open {path}: {e}")))?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        // Files created before claims existed lack the column; adding it twice is harmless.
        let _ = conn.execute("ALTER TABLE pairs ADD COLUMN lease_until INTEGER", []);
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The connection, for the local delivery queue kept in the same file.
    pub(crate) fn connection(&self) -> Arc<Mutex<Connection>> {
        Arc::clone(&self.conn)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Poisoned("sqlite store"))
    }

    pub(crate) fn record_reception(&self, reception: &Reception) -> Result<(), StoreError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT OR REPLACE INTO receptions (id, received_at, json) VALUES (?1, ?2, ?3)",
            params![reception.id, reception.received_at, to_json(reception)?],
        )
        .map_err(backend)?;
        for event_id in &reception.event_ids {
            conn.execute(
                "INSERT OR IGNORE INTO event_receptions (event_id, reception_id) VALUES (?1, ?2)",
                params![event_id, reception.id],
            )
            .map_err(backend)?;
        }
        Ok(())
    }

    pub(crate) fn record_event(&self, record: &EventRecord) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT OR IGNORE INTO events (id, received_at, repository, json) VALUES (?1, ?2, ?3, ?4)",
            params![record.event.id, record.received_at, record.event.repository, to_json(record)?],
        )
        .map_err(backend)?;
        tx.execute(
            "INSERT OR IGNORE INTO event_receptions (event_id, reception_id) VALUES (?1, ?2)",
            params![record.event.id, record.reception_id],
        )
        .map_err(backend)?;
        for target in &record.targets {
            tx.execute(
                "INSERT OR IGNORE INTO pairs (event_id, target, state) VALUES (?1, ?2, 'pending')",
                params![record.event.id, target],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    pub(crate) fn pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<PairState>, StoreError> {
        let conn = self.lock()?;
        conn.query_row(
            "SELECT target, state, attempts, reason FROM pairs WHERE event_id = ?1 AND target = ?2",
            params![event_id, target],
            row_to_pair,
        )
        .optional()
        .map_err(backend)
    }

    pub(crate) fn record_and_pair(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<(EventRecord, Option<PairState>)>, StoreError> {
        let conn = self.lock()?;
        let Some(json) = conn
            .prepare_cached("SELECT json FROM events WHERE id = ?1")
            .map_err(backend)?
            .query_row(params![event_id], |r| r.get::<_, String>(0))
            .optional()
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let pair = conn
            .prepare_cached(
                "SELECT target, state, attempts, reason FROM pairs WHERE event_id = ?1 AND target = ?2",
            )
            .map_err(backend)?
            .query_row(params![event_id, target], row_to_pair)
            .optional()
            .map_err(backend)?;
        Ok(Some((from_json(&json)?, pair)))
    }

    pub(crate) fn claim(
        &self,
        event_id: &str,
        target: &str,
        now: i64,
        until: i64,
    ) -> Result<Claim, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let row = tx
            .query_row(
                "SELECT target, state, attempts, reason, lease_until FROM pairs WHERE event_id = ?1 AND target = ?2",
                params![event_id, target],
                |r| Ok((row_to_pair(r)?, r.get::<_, Option<i64>>(4)?)),
            )
            .optional()
            .map_err(backend)?;
        let (existing, lease) = match &row {
            Some((pair, lease)) => (Some(pair), *lease),
            None => (None, None),
        };
        if let Some(claim) = decide_claim(existing, lease, now) {
            return Ok(claim);
        }
        tx.execute(
            "INSERT INTO pairs (event_id, target, state, lease_until) VALUES (?1, ?2, 'pending', ?3)
             ON CONFLICT (event_id, target) DO UPDATE SET lease_until = ?3",
            params![event_id, target, until],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(Claim::Acquired {
            attempts: existing.map_or(0, |p| p.attempts),
            token: until,
        })
    }

    pub(crate) fn record_attempt(
        &self,
        event_id: &str,
        attempt: &Attempt,
        state: DeliveryState,
        release: bool,
        fence: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO attempts (event_id, json) VALUES (?1, ?2)",
            params![event_id, to_json(attempt)?],
        )
        .map_err(backend)?;
        let changed = tx
            .execute(
                "INSERT INTO pairs (event_id, target, state, attempts, reason) VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT (event_id, target) DO UPDATE SET state = ?3, attempts = attempts + 1, reason = ?4,
                 lease_until = CASE WHEN ?5 THEN NULL ELSE lease_until END
                 WHERE ?6 IS NULL OR lease_until = ?6",
                params![event_id, attempt.target, state.as_str(), attempt.error, release, fence],
            )
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(changed == 1)
    }

    pub(crate) fn set_state(
        &self,
        event_id: &str,
        target: &str,
        state: DeliveryState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO pairs (event_id, target, state, reason) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (event_id, target) DO UPDATE SET state = ?3, reason = ?4, lease_until = NULL",
            params![event_id, target, state.as_str(), reason],
        )
        .map_err(backend)?;
        Ok(())
    }

    pub(crate) fn trace(&self, event_id: &str) -> Result<Option<Trace>, StoreError> {
        let conn = self.lock()?;
        let Some(json) = conn
            .query_row(
                "SELECT json FROM events WHERE id = ?1",
                params![event_id],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let record: EventRecord = from_json(&json)?;
        let receptions = strings(&conn, "SELECT r.json FROM receptions r JOIN event_receptions e ON e.reception_id = r.id WHERE e.event_id = ?1 ORDER BY r.received_at", event_id)?
            .iter()
            .map(|j| from_json(j))
            .collect::<Result<_, _>>()?;
        let attempts = strings(
            &conn,
            "SELECT json FROM attempts WHERE event_id = ?1 ORDER BY seq",
            event_id,
        )?
        .iter()
        .map(|j| from_json(j))
        .collect::<Result<_, _>>()?;
        let pairs = pairs_of(&conn, event_id)?;
        Ok(Some(Trace {
            record,
            receptions,
            pairs,
            attempts,
        }))
    }

    pub(crate) fn list(&self, filter: &ListFilter) -> Result<Vec<EventSummary>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare(
                "SELECT json FROM events WHERE (?1 IS NULL OR received_at >= ?1) AND (?2 IS NULL OR repository = ?2)
                 AND (?3 IS NULL OR id IN (SELECT event_id FROM pairs WHERE state = ?3))
                 ORDER BY received_at DESC, id LIMIT ?4",
            )
            .map_err(backend)?;
        let limit = i64::try_from(filter.limit.max(1)).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                params![
                    filter.since,
                    filter.repository,
                    filter.state.map(DeliveryState::as_str),
                    limit
                ],
                |r| r.get::<_, String>(0),
            )
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        rows.iter()
            .map(|json| {
                let record: EventRecord = from_json(json)?;
                let pairs = pairs_of(&conn, &record.event.id)?;
                Ok(summary(&record, &pairs))
            })
            .collect()
    }

    pub(crate) fn purge_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(backend)?;
        let old = "SELECT id FROM events WHERE received_at < ?1";
        for table in ["attempts", "pairs", "event_receptions"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE event_id IN ({old})"),
                params![cutoff],
            )
            .map_err(backend)?;
        }
        let gone = tx
            .execute("DELETE FROM events WHERE received_at < ?1", params![cutoff])
            .map_err(backend)?;
        tx.execute(
            "DELETE FROM receptions WHERE received_at < ?1",
            params![cutoff],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(gone)
    }
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
