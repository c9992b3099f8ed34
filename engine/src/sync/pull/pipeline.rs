//! Applying pull batches on a thread of their own, so that Postgres reads the
//! next batch while SQLite writes this one.
//!
//! The applier owns a second connection to the cache file and applies batches
//! strictly in the order they were sent, each in its own transaction with its
//! cursor, exactly as the caller would. If the caller stops early (an error, a
//! cancellation, its future dropped), the batches already sent are still
//! applied whole or not at all; nothing is applied out of order.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::batch::{apply_batch, Batch};
use super::PullReport;
use crate::cache::Cache;
use crate::error::{Error, Result};

/// Batches waiting for the applier besides the one it is applying: one is
/// enough to keep both sides busy, and bounds memory to a few batches (with
/// those applied but not yet freed by the reading task, see `spent`).
const QUEUED_BATCHES: usize = 1;

/// WAL pages the applier's connection lets accumulate before it checkpoints
/// (64 MB at SQLite's 4 KB pages; the default is 1000). A long pull then
/// copies each page it rewrote many times (index and full-text pages) into the
/// database file once per 64 MB instead of once per batch, and waits for far
/// fewer fsyncs. Commits are as durable and atomic as before; only the copy
/// into the main file is deferred, and done once more when the applier ends.
const APPLIER_WAL_AUTOCHECKPOINT: i64 = 16_384;

/// Page cache of the applier's connection, in KiB (negative: SQLite's unit
/// for a size rather than a page count): 64 MB instead of the default 2 MB.
/// A pull inserts rows in key order per batch but keys of successive batches
/// interleave, so the table, its indexes, the shadow copies and the full-text
/// index are written all over; with 2 MB most of those pages were read back
/// from the OS, and dirty ones spilled to the WAL mid-transaction. Memory is
/// only taken as pages are touched, and given back when the pull ends.
const APPLIER_CACHE_KIB: i64 = -65_536;

/// A running applier.
pub(super) struct Applier {
    batches: mpsc::Sender<Batch>,
    /// Batches the applier is done with, sent back to be freed here. A batch
    /// is some 30 small allocations per row made by this task; freeing them
    /// on the applying thread went through glibc's lock on this thread's
    /// arena for each one (a sixth of the applier's time in `perf`), on the
    /// thread that limits a pull's speed. (The mutex only makes the receiver
    /// shareable by `&self`; nothing else takes it.)
    spent: std::sync::Mutex<std::sync::mpsc::Receiver<Batch>>,
    task: JoinHandle<Result<PullReport>>,
    path: std::path::PathBuf,
}

impl Applier {
    /// Starts applying on a new connection to `cache`'s file.
    pub(super) fn start(cache: &Cache) -> Result<Applier> {
        let mut own = cache.reopen()?;
        own.connection()
            .pragma_update(None, "wal_autocheckpoint", APPLIER_WAL_AUTOCHECKPOINT)
            .map_err(|e| own.error("configuring the applying connection", e))?;
        own.connection()
            .pragma_update(None, "cache_size", APPLIER_CACHE_KIB)
            .map_err(|e| own.error("configuring the applying connection", e))?;
        let (batches, mut incoming) = mpsc::channel::<Batch>(QUEUED_BATCHES);
        let (give_back, spent) = std::sync::mpsc::channel::<Batch>();
        let task = tokio::task::spawn_blocking(move || {
            let mut report = PullReport::default();
            while let Some(batch) = incoming.blocking_recv() {
                apply_batch(&mut own, &batch, &mut report)?;
                // Freed by the task that allocated it (see `spent`). If that
                // task is gone, the batch is simply dropped here.
                let _ = give_back.send(batch);
            }
            // PASSIVE: copies what no reader still needs, never waits for them.
            // Everything is committed by now; a failure leaves the copy to the
            // next checkpoint, so it is only logged.
            if let Err(e) = own.connection().query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "checkpoint after a pull failed");
            }
            Ok(report)
        });
        Ok(Applier { batches, spent: std::sync::Mutex::new(spent), task, path: cache.path().to_path_buf() })
    }

    /// Queues a batch, waiting while the queue is full; `false` when the
    /// applier has stopped (its error comes from [`Applier::finish`]).
    pub(super) async fn send(&self, batch: Batch) -> bool {
        self.drop_spent();
        self.batches.send(batch).await.is_ok()
    }

    /// Frees the batches already applied.
    fn drop_spent(&self) {
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        while let Ok(batch) = spent.try_recv() {
            drop(batch);
        }
    }

    /// Waits until every queued batch is applied; what they did.
    pub(super) async fn finish(self) -> Result<PullReport> {
        drop(self.batches);
        self.task.await.map_err(|e| Error::Cache {
            path: self.path,
            context: "applying changes from the server".into(),
            detail: format!("the applying thread failed: {e}"),
        })?
    }
}
