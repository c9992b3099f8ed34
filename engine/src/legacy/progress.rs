//! Progress of a migration as a stream of events, for the CLI's progress bars
//! and later the desktop wizard. The engine only emits; callers decide how to
//! show them.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// One progress event.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// A step that has no row count (snapshot, verification).
    Step {
        /// What is happening, for people.
        message: String,
    },
    /// A table starts: `total` rows to read (after the resume point).
    TableStarted {
        /// Central table name.
        table: String,
        /// Rows to read in this run.
        total: u64,
        /// Rows skipped because an earlier, interrupted run committed them.
        resumed_after: i64,
    },
    /// A batch is committed.
    Rows {
        /// Central table name.
        table: String,
        /// Rows read so far in this run.
        done: u64,
        /// Rows to read in this run.
        total: u64,
        /// Throughput so far.
        rows_per_sec: f64,
        /// Estimated time left.
        eta_secs: Option<f64>,
        /// Rows imported with a change or rejected so far.
        warnings: u64,
    },
    /// A table is done.
    TableFinished {
        /// Central table name.
        table: String,
    },
    /// Something a user should know that does not stop the run.
    Warning {
        /// What, without any row content.
        message: String,
    },
}

/// Where events go: a callback, shared with the pipeline.
pub type ProgressSink = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// A sink that drops everything.
pub fn ignore() -> ProgressSink {
    Arc::new(|_| {})
}

/// Throughput and ETA of one table.
pub struct Rate {
    started: Instant,
    total: u64,
}

impl Rate {
    /// Starts timing a table of `total` rows.
    pub fn start(total: u64) -> Self {
        Self { started: Instant::now(), total }
    }

    /// Rows per second and time left after `done` rows.
    pub fn at(&self, done: u64) -> (f64, Option<f64>) {
        let secs = self.started.elapsed().max(Duration::from_millis(1)).as_secs_f64();
        let rate = done as f64 / secs;
        let eta = (rate > 0.0).then(|| self.total.saturating_sub(done) as f64 / rate);
        (rate, eta)
    }
}
