//! The one SQLite connection a process holds on its file, shared by the store and the local
//! queue, with group commit.
//!
//! A commit in WAL mode writes every page the transaction touched, so one transaction per write
//! cost more than the writes themselves (about 30 µs each, most of it in the kernel). Writes
//! are therefore *staged* in a shared open transaction, each inside a savepoint of its own (a
//! failed write is rolled back alone), and committed together: an async writer yields once, so
//! the other requests that are ready run their writes into the same transaction, and then the
//! first writer to come back commits the batch for all. Nobody is answered before the commit that
//! holds their write: a write returns only once its batch is durable, and a failed commit fails
//! every write of the batch. Reads run on the same connection and may see staged writes.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use rusqlite::Connection;

use crate::store::StoreError;

/// How long a write waits for the file's write lock, held by another connection, before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Yields to other tasks while another connection holds the lock, before waiting on it.
const BUSY_YIELDS: usize = 8;

/// The shared connection and the batch open on it.
#[derive(Debug)]
pub(crate) struct Db {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    conn: Connection,
    /// The open transaction's batch, if one is open.
    open: Option<Arc<Batch>>,
}

/// One group commit: its outcome, once known.
#[derive(Debug, Default)]
struct Batch {
    committed: OnceLock<Result<(), String>>,
}

impl Batch {
    fn outcome(&self) -> Result<(), StoreError> {
        match self.committed.get() {
            Some(Ok(())) => Ok(()),
            Some(Err(error)) => Err(StoreError::Backend(format!("commit failed: {error}"))),
            None => Err(StoreError::Backend("commit still pending".into())),
        }
    }
}

impl Db {
    /// Wraps an open, configured connection (its busy timeout: [`BUSY_TIMEOUT`]).
    pub(crate) fn new(conn: Connection) -> Arc<Self> {
        let _ = conn.busy_timeout(BUSY_TIMEOUT);
        Arc::new(Db {
            inner: Mutex::new(Inner { conn, open: None }),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Poisoned("sqlite connection"))
    }

    /// Reads (or runs setup) on the connection now.
    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        f(&self.lock()?.conn)
    }

    /// Writes, atomically, and returns once the write is committed together with the other
    /// writes staged meanwhile.
    pub(crate) async fn write<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        // Another connection to the file (another process, or a second store in this one) may
        // hold its batch's write lock across its own yield: yield to it a few times before
        // waiting on SQLite's busy timeout, which would block this thread (and, on one thread,
        // the very task that would release the lock).
        for _ in 0..BUSY_YIELDS {
            if self.try_begin()? {
                break;
            }
            tokio::task::yield_now().await;
        }
        let (value, batch) = self.stage(f)?;
        if batch.committed.get().is_none() {
            // Commits even if this future is dropped while it waits (a sender that hung up):
            // a batch is never left open holding the file's write lock.
            let flush = FlushOnDrop {
                db: self,
                batch: &batch,
            };
            // Let the other ready tasks stage their writes into this batch first.
            tokio::task::yield_now().await;
            drop(flush);
        }
        batch.outcome().map(|()| value)
    }

    /// Writes, atomically, and commits at once (with whatever else is staged): for callers
    /// outside the request path that do not batch.
    pub(crate) fn write_now<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let (value, batch) = self.stage(f)?;
        self.flush(&batch);
        batch.outcome().map(|()| value)
    }

    /// Opens a batch unless one is open, without waiting for the file's write lock: `false` when
    /// another connection holds it.
    fn try_begin(&self) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        if inner.open.is_some() {
            return Ok(true);
        }
        inner.conn.busy_timeout(Duration::ZERO)?;
        let began = exec(&inner.conn, "BEGIN IMMEDIATE");
        inner.conn.busy_timeout(BUSY_TIMEOUT)?;
        match began {
            Ok(()) => {
                inner.open = Some(Arc::new(Batch::default()));
                Ok(true)
            }
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    /// Runs `f` in a savepoint of the open batch (opening one if needed).
    fn stage<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<(R, Arc<Batch>), StoreError> {
        let mut inner = self.lock()?;
        let batch = match &inner.open {
            Some(batch) => Arc::clone(batch),
            None => {
                // IMMEDIATE: the write lock is taken now, so reads and writes staged in the
                // batch are never interleaved with another process's.
                exec(&inner.conn, "BEGIN IMMEDIATE")?;
                let batch = Arc::new(Batch::default());
                inner.open = Some(Arc::clone(&batch));
                batch
            }
        };
        exec(&inner.conn, "SAVEPOINT write")?;
        match f(&inner.conn) {
            Ok(value) => {
                exec(&inner.conn, "RELEASE write")?;
                Ok((value, batch))
            }
            Err(error) => {
                let _ = exec(&inner.conn, "ROLLBACK TO write");
                let _ = exec(&inner.conn, "RELEASE write");
                Err(error)
            }
        }
    }

    /// Commits `batch` if it is still the open one; afterwards its outcome is known.
    fn flush(&self, batch: &Arc<Batch>) {
        let Ok(mut inner) = self.lock() else {
            let _ = batch
                .committed
                .set(Err("the connection's lock is poisoned".into()));
            return;
        };
        if !inner
            .open
            .as_ref()
            .is_some_and(|open| Arc::ptr_eq(open, batch))
        {
            return;
        }
        inner.open = None;
        let result = exec(&inner.conn, "COMMIT").map_err(|error| {
            let _ = exec(&inner.conn, "ROLLBACK");
            error.to_string()
        });
        let _ = batch.committed.set(result);
    }
}

/// Flushes its batch when dropped: after the wait, or when the waiting future is dropped.
struct FlushOnDrop<'a> {
    db: &'a Db,
    batch: &'a Arc<Batch>,
}

impl Drop for FlushOnDrop<'_> {
    fn drop(&mut self) {
        self.db.flush(self.batch);
    }
}

/// One parameterless statement through the statement cache.
fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    fn db() -> (Arc<Db>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            crate::store::sqlite::connect(dir.path().join("t.db").to_str().unwrap()).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER UNIQUE);")
            .unwrap();
        (Db::new(conn), dir)
    }

    fn insert(conn: &Connection, v: i64) -> Result<(), StoreError> {
        conn.prepare_cached("INSERT INTO t (v) VALUES (?1)")?
            .execute([v])?;
        Ok(())
    }

    /// Rows visible to another connection: what is committed.
    fn committed(dir: &tempfile::TempDir) -> Vec<i64> {
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        let mut stmt = other.prepare("SELECT v FROM t ORDER BY v").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Concurrent writers share one commit; each returns only once its write is durable, and a
    /// failing write is rolled back alone.
    #[tokio::test]
    async fn concurrent_writes_share_a_commit_and_fail_alone() {
        let (db, dir) = db();
        let writes: Vec<_> = [1, 2, 2, 3]
            .into_iter()
            .map(|v| {
                let db = Arc::clone(&db);
                tokio::spawn(async move { db.write(|c| insert(c, v)).await })
            })
            .collect();
        let mut results = Vec::new();
        for write in writes {
            results.push(write.await.unwrap().is_ok());
        }
        // The second 2 breaks the UNIQUE constraint: only it fails.
        assert_eq!(results, [true, true, false, true]);
        assert_eq!(committed(&dir), [1, 2, 3]);
    }

    /// A writer dropped while it waits for the batch (a sender that hung up) still commits it:
    /// the batch never stays open holding the file's write lock.
    #[tokio::test]
    async fn a_dropped_writer_commits_its_batch() {
        let (db, dir) = db();
        {
            let write = db.write(|c| insert(c, 7));
            tokio::pin!(write);
            // Polled once: staged, then dropped while it yields.
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            assert!(write.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(committed(&dir), [7]);
        db.write_now(|c| insert(c, 8)).unwrap();
        assert_eq!(committed(&dir), [7, 8]);
    }
}
