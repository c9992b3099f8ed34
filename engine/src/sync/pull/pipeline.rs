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

/// Applied batches between two checkpoints of the write-ahead log. Each batch
/// adds a few thousand pages to the WAL; copying them into the database file
/// every few batches rather than after each one copies pages that several
/// batches rewrite (index and full-text pages) once.
const BATCHES_PER_CHECKPOINT: usize = 4;

/// A running applier.
pub(super) struct Applier {
    batches: mpsc::Sender<Batch>,
    task: JoinHandle<Result<PullReport>>,
    path: std::path::PathBuf,
}

impl Applier {
    /// Starts applying on a new connection to `cache`'s file.
    ///
    /// The applying thread is the slower side of a pull, so it only decides
    /// and writes: a second thread, the housekeeper, frees each applied batch
    /// and checkpoints the WAL on a connection of its own (SQLite lets a
    /// checkpoint run while another connection writes), instead of the
    /// applying connection doing both inside its commits.
    pub(super) fn start(cache: &Cache) -> Result<Applier> {
        let mut own = cache.reopen()?;
        own.connection().pragma_update(None, "wal_autocheckpoint", 0).map_err(|e| own.error("configuring the applying connection", e))?;
        let housekeeper = Housekeeper::start(cache.reopen()?);
        let (batches, mut incoming) = mpsc::channel::<Batch>(QUEUED_BATCHES);
        let task = tokio::task::spawn_blocking(move || {
            let mut report = PullReport::default();
            while let Some(batch) = incoming.blocking_recv() {
                apply_batch(&mut own, &batch, &mut report)?;
                housekeeper.applied(batch);
            }
            housekeeper.finish();
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
            source: None,
        })?
    }
}

/// The applier's second thread: frees applied batches and checkpoints.
struct Housekeeper {
    applied: std::sync::mpsc::Sender<Batch>,
    thread: std::thread::JoinHandle<()>,
}

impl Housekeeper {
    fn start(cache: Cache) -> Housekeeper {
        let (applied, incoming) = std::sync::mpsc::channel::<Batch>();
        let thread = std::thread::spawn(move || {
            let mut since_checkpoint = 0;
            while let Ok(batch) = incoming.recv() {
                drop(batch);
                since_checkpoint += 1;
                if since_checkpoint >= BATCHES_PER_CHECKPOINT {
                    since_checkpoint = 0;
                    // A failure only leaves the copy to a later checkpoint.
                    if let Err(e) = cache.connection().query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(error = %e, "checkpoint during a pull failed");
                    }
                }
            }
        });
        Housekeeper { applied, thread }
    }

    /// Hands over a batch the applier is done with.
    fn applied(&self, batch: Batch) {
        // The thread only ends after `finish`; a send cannot fail before.
        let _ = self.applied.send(batch);
    }

    /// Waits for the thread, so no checkpoint runs after the pull returns.
    fn finish(self) {
        drop(self.applied);
        let _ = self.thread.join();
    }
}
