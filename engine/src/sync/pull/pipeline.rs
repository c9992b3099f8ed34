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
/// enough to keep both sides busy, and bounds memory to three batches.
const QUEUED_BATCHES: usize = 1;

/// WAL pages the applier's connection lets accumulate before it checkpoints
/// (64 MB at SQLite's 4 KB pages; the default is 1000). A long pull then
/// copies each page it rewrote many times (index and full-text pages) into the
/// database file once per 64 MB instead of once per batch, and waits for far
/// fewer fsyncs. Commits are as durable and atomic as before; only the copy
/// into the main file is deferred, and done once more when the applier ends.
const APPLIER_WAL_AUTOCHECKPOINT: i64 = 16_384;

/// A running applier.
pub(super) struct Applier {
    batches: mpsc::Sender<Batch>,
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
        let (batches, mut incoming) = mpsc::channel::<Batch>(QUEUED_BATCHES);
        let task = tokio::task::spawn_blocking(move || {
            let mut report = PullReport::default();
            while let Some(batch) = incoming.blocking_recv() {
                apply_batch(&mut own, &batch, &mut report)?;
            }
            // PASSIVE: copies what no reader still needs, never waits for them.
            // Everything is committed by now; a failure leaves the copy to the
            // next checkpoint, so it is only logged.
            if let Err(e) = own.connection().query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "checkpoint after a pull failed");
            }
            Ok(report)
        });
        Ok(Applier { batches, task, path: cache.path().to_path_buf() })
    }

    /// Queues a batch, waiting while the queue is full; `false` when the
    /// applier has stopped (its error comes from [`Applier::finish`]).
    pub(super) async fn send(&self, batch: Batch) -> bool {
        self.batches.send(batch).await.is_ok()
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
