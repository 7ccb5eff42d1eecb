//! The store's reads that assemble several tables: one event's whole trace, and lists.

use rusqlite::{Connection, OptionalExtension, params};

use super::{backend, from_json, pairs_of, row, strings};
use crate::store::{EventRecord, ListFilter, Listed, StoreError, Trace};

pub(super) fn trace_of(conn: &Connection, event_id: &str) -> Result<Option<Trace>, StoreError> {
    let json = row(
        conn,
        "SELECT json FROM events WHERE id = ?1",
        params![event_id],
        |r| r.get::<_, String>(0),
    )
    .optional()
    .map_err(backend)?;
    let Some(json) = json else {
        return Ok(None);
    };
    let record: EventRecord = from_json(&json)?;
    let receptions = strings(conn, "SELECT r.json FROM receptions r JOIN event_receptions e ON e.reception_id = r.id WHERE e.event_id = ?1 ORDER BY r.received_at", event_id)?
        .iter()
        .map(|j| from_json(j))
        .collect::<Result<_, _>>()?;
    let attempts = strings(
        conn,
        "SELECT json FROM attempts WHERE event_id = ?1 ORDER BY seq",
        event_id,
    )?
    .iter()
    .map(|j| from_json(j))
    .collect::<Result<_, _>>()?;
    let pairs = pairs_of(conn, event_id)?;
    Ok(Some(Trace {
        record,
        receptions,
        pairs,
        attempts,
    }))
}

/// Newest first, narrowed by time and repository in SQL; the other fields of the filter are
/// applied row by row until `limit` rows pass.
pub(super) fn list_of(conn: &Connection, filter: &ListFilter) -> Result<Vec<Listed>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT json FROM events WHERE (?1 IS NULL OR received_at >= ?1)
             AND (?2 IS NULL OR received_at < ?2) AND (?3 IS NULL OR repository = ?3)
             ORDER BY received_at DESC, id",
        )
        .map_err(backend)?;
    let mut rows = stmt
        .query(params![filter.since, filter.until, filter.repository])
        .map_err(backend)?;
    let limit = filter.limit.max(1);
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(row) = rows.next().map_err(backend)? else {
            break;
        };
        let json: String = row.get(0).map_err(backend)?;
        let record: EventRecord = from_json(&json)?;
        let pairs = pairs_of(conn, &record.event.id)?;
        if filter.admits(&record, &pairs) {
            out.push((record, pairs));
        }
    }
    Ok(out)
}
