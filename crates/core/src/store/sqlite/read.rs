//! The store's reads that assemble several tables: one event's whole trace, and lists.

use rusqlite::{Connection, OptionalExtension, params};

use super::{backend, from_json, pairs_of, row, strings};
use crate::store::memory::summary;
use crate::store::{DeliveryState, EventRecord, EventSummary, ListFilter, StoreError, Trace};

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

pub(super) fn list_of(
    conn: &Connection,
    filter: &ListFilter,
) -> Result<Vec<EventSummary>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
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
            let pairs = pairs_of(conn, &record.event.id)?;
            Ok(summary(&record, &pairs))
        })
        .collect()
}
