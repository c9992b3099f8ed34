//! A migration running in the background behind a handle, for the desktop
//! wizard: progress goes to the sink, the outcome to a callback, and `cancel`
//! (or dropping the handle) stops it.
//!
//! Stopping is safe at any point: each batch commits in its own transaction
//! together with its resume point, so an interrupted batch rolls back when its
//! connection drops, and the next run (this session or after a restart)
//! continues after the last committed batch. The run record stays `running`
//! (the next run marks it `interrupted`), which is how the wizard knows there
//! is something to resume.

use tokio::task::JoinHandle;

use super::{migrate, MigrateOptions, MigrateReport, ProgressSink};
use crate::cache::DeviceIdentity;
use crate::central::ServerTarget;
use crate::error::Result;

/// A running migration; stops when cancelled or dropped.
pub struct MigrationHandle {
    task: JoinHandle<()>,
}

impl MigrationHandle {
    /// Starts [`migrate`] on the current Tokio runtime; `done` receives its
    /// outcome unless the run is cancelled first.
    pub fn start(
        target: ServerTarget,
        device: DeviceIdentity,
        options: MigrateOptions,
        progress: ProgressSink,
        done: impl FnOnce(Result<MigrateReport>) + Send + 'static,
    ) -> Self {
        let task = tokio::spawn(async move {
            let outcome = migrate(&target, &device, &options, &progress).await;
            done(outcome);
        });
        Self { task }
    }

    /// Stops the run at its next await point; committed batches stay.
    pub fn cancel(&self) {
        self.task.abort();
    }

    /// Whether the run has ended (finished, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for MigrationHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
