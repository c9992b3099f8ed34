//! Migrating one table: the parse→COPY pipeline.
//!
//! A blocking thread reads the snapshot in rowid order after the high-water mark,
//! normalises rows and cuts them into batches; a bounded channel hands them to
//! the loader, which COPYs and merges each in its own transaction. While one
//! batch loads the next is parsed; the channel's capacity bounds memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::PgConnection;

use super::fields::Note;
use super::importer::{Importer, Refs};
use super::load::{self, BatchCounts, BatchSource, LoadFailure};
use super::progress::{ProgressEvent, ProgressSink, Rate};
use super::reader::{self, Batch, BatchLimits, ChangedRow};
use super::runs;
use super::snapshot::Snapshot;
use crate::central::ServerTarget;
use crate::error::{Error, Result};

/// Batches parsed ahead of the loader: one loading, two waiting keeps both
/// cores busy without holding more than three batches in memory.
const CHANNEL_CAPACITY: usize = 2;

/// The outcome of one table in one run.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct TableReport {
    /// Central table name.
    pub table: String,
    /// Legacy rows read in this run.
    pub read: u64,
    /// Rowid up to which an earlier, interrupted run had already merged.
    pub resumed_after: i64,
    /// Counts by outcome.
    #[serde(flatten)]
    pub counts: BatchCounts,
    /// Rows imported with a change, by kind of change.
    pub changes: BTreeMap<Note, u64>,
    /// Every row imported with a change, with what changed (also recorded on
    /// the server, in `noesis_sync.legacy_changes`).
    pub changed_rows: Vec<ChangedRow>,
    /// Of the rejected, rows that parsed but that the server itself refused (a
    /// constraint, a trigger, a limit): in a dry run, those it would refuse.
    pub refused_by_server: u64,
    /// The first of them, with Postgres's reason.
    pub refused_samples: Vec<RefusedRow>,
}

/// A legacy row the server refused, as the report names it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RefusedRow {
    /// Its id (or `rowid:N`).
    pub id: String,
    /// Why, in Postgres's words.
    pub reason: String,
}

/// Refused rows a table report names: enough to see what the constraint is,
/// without the report growing with the store if it refuses every row.
const REFUSED_SAMPLES: usize = 20;

impl TableReport {
    fn add(&mut self, batch: &Batch, counts: BatchCounts) {
        self.read += batch.rows();
        let c = &mut self.counts;
        c.inserted += counts.inserted;
        c.unchanged += counts.unchanged;
        c.conflicted += counts.conflicted;
        c.legacy_won += counts.legacy_won;
        c.conflicts_recorded += counts.conflicts_recorded;
        c.rejected += counts.rejected;
        for changed in &batch.changed {
            *self.changes.entry(changed.note).or_default() += 1;
        }
        self.changed_rows.extend(batch.changed.iter().cloned());
        for reject in batch.rejects.iter().filter(|r| r.refused_by_server) {
            self.refused_by_server += 1;
            if self.refused_samples.len() < REFUSED_SAMPLES {
                self.refused_samples.push(RefusedRow { id: reject.key.clone(), reason: reject.reason.clone() });
            }
        }
    }

    fn warnings(&self) -> u64 {
        self.counts.rejected + self.changes.values().sum::<u64>()
    }
}

/// Runs the pipeline for one table of one snapshot.
#[allow(clippy::too_many_arguments)]
pub async fn migrate_table(
    conn: &mut PgConnection,
    target: &ServerTarget,
    importer: &'static dyn Importer,
    snapshot: &Snapshot,
    refs: Arc<Refs>,
    source: &BatchSource<'_>,
    dry_run: bool,
    limits: BatchLimits,
    progress: &ProgressSink,
) -> Result<TableReport> {
    let spec = importer.spec();
    let after = runs::high_water(conn, target, source.resume_key, spec.name).await?;
    let path = snapshot.path.clone();
    let snapshot_path = path.clone();
    let total = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || reader::count(&path, importer, after)).await.map_err(join_error)??
    };
    progress(ProgressEvent::TableStarted { table: spec.name.into(), total, resumed_after: after });
    let mut report = TableReport { table: spec.name.into(), resumed_after: after, ..Default::default() };
    if total == 0 {
        progress(ProgressEvent::TableFinished { table: spec.name.into() });
        return Ok(report);
    }
    let format = load::prepare(conn, target, spec).await?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(CHANNEL_CAPACITY);
    let parser = tokio::task::spawn_blocking(move || {
        reader::read_batches(&snapshot_path, importer, &refs, after, limits, format, |batch| tx.blocking_send(batch).is_ok())
    });
    let rate = Rate::start(total);
    let mut failure = None;
    // Batches to load, last first: a batch Postgres refuses is replaced by its
    // two halves until the refused row is alone, which then becomes a reject.
    let mut pending: Vec<Batch> = Vec::new();
    while let Some(batch) = match pending.pop() {
        Some(b) => Some(b),
        None => rx.recv().await,
    } {
        match load::load_batch(conn, target, spec, source, &batch, format, dry_run).await {
            Err(LoadFailure::Refused(_)) if batch.importable > 1 => {
                let (first, second) = batch.split();
                pending.push(second);
                pending.push(first);
            }
            Err(LoadFailure::Refused(reason)) => match refused_row(&path, importer, &batch).await {
                Ok(row) => {
                    // The reason quotes the row's values: kept in the rejects, not the log.
                    tracing::warn!(table = spec.name, row = %row.key().escape_debug(), "Postgres refused a legacy row; kept in the rejects");
                    pending.push(batch.refuse_only_row(format!("Postgres refused the row: {reason}"), &row));
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            },
            Err(LoadFailure::Failed(e)) => {
                failure = Some(e);
                break;
            }
            Ok(counts) => {
                report.add(&batch, counts);
                let (rows_per_sec, eta_secs) = rate.at(report.read);
                progress(ProgressEvent::Rows {
                    table: spec.name.into(),
                    done: report.read,
                    total,
                    rows_per_sec,
                    eta_secs,
                    warnings: report.warnings(),
                });
            }
        }
    }
    drop(rx);
    let parsed = parser.await.map_err(join_error)?;
    if let Some(e) = failure {
        return Err(e);
    }
    parsed?;
    let (rows_per_sec, _) = rate.at(report.read);
    tracing::info!(table = spec.name, rows = report.read, rows_per_sec, "table migrated");
    progress(ProgressEvent::TableFinished { table: spec.name.into() });
    Ok(report)
}

/// Re-reads the one importable row of `batch` from the snapshot, verbatim.
async fn refused_row(path: &std::path::Path, importer: &'static dyn Importer, batch: &Batch) -> Result<super::raw::RawRow> {
    let (path, rowid) = (path.to_path_buf(), batch.rowids[0]);
    let found = tokio::task::spawn_blocking(move || reader::read_row(&path, importer, rowid)).await.map_err(join_error)??;
    found.ok_or_else(|| Error::Postgres {
        context: "keeping a refused row".into(),
        detail: format!("row {rowid} is no longer in the snapshot"),
        source: None,
    })
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Postgres { context: "migrating a table".into(), detail: format!("the reader thread failed: {e}"), source: None }
}
