//! Checkpoints off the request path.
//!
//! In WAL mode SQLite copies the log back into the database file (and syncs it) every 1,000
//! pages, inside whichever commit crosses the mark: one request in a few hundred waited 10–20 ms
//! for it, and the whole runtime with it. The store's own connection therefore never
//! checkpoints; a thread of its own does, on a second connection, every [`EVERY`], in `PASSIVE`
//! mode (it never blocks a writer), and once more when the store is dropped.

use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

/// How often the log is copied back.
const EVERY: Duration = Duration::from_millis(50);

/// Stops the checkpoint thread (after a last checkpoint) when dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`, whose writers have autocheckpoint off. If the
    /// thread cannot start, the connection's own automatic checkpoints are turned back on.
    pub(crate) fn start(path: &str, writer: &Connection) -> Option<Self> {
        let conn = super::connect(path).ok()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("regrelay-checkpoint".into())
            .spawn(move || {
                loop {
                    let last = matches!(
                        stopped.recv_timeout(EVERY),
                        Err(mpsc::RecvTimeoutError::Disconnected) | Ok(())
                    );
                    if let Err(error) =
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::debug!(%error, "A background checkpoint did not run.");
                    }
                    if last {
                        return;
                    }
                }
            });
        match spawned {
            Ok(_) => {
                let _ = writer.pragma_update(None, "wal_autocheckpoint", 0);
                Some(Checkpointer { _stop: stop })
            }
            Err(error) => {
                tracing::warn!(%error, "No checkpoint thread; SQLite checkpoints inline.");
                None
            }
        }
    }
}
