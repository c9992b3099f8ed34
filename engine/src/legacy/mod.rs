//! The first-run migration from the old Noesis server's SQLite stores into the
//! central PostgreSQL (`noesis-sync migrate` and `verify`).
//!
//! Vocabulary:
//! - *legacy folder*: the old project root; its `data/memory/memory_cards.sqlite3`
//!   and `data/documents/documents.sqlite3` are the two *stores* ([`Store`]).
//! - *snapshot*: a consistent copy of a store taken with SQLite's backup API into
//!   the data dir; the originals are only ever opened read-only.
//! - *fingerprint*: SHA-256 of a snapshot's content; with the version of the
//!   normalising rules (the *resume key*) and the table name it keys the
//!   *high-water mark*, the rowid up to which rows are merged, committed with
//!   each batch so a killed run resumes where it stopped.
//! - *importer*: one per legacy table ([`importer::Importer`]), a pure function
//!   from a raw row to a central row, or to a *reject* kept verbatim centrally.
//!
//! Flow: snapshot → per table, parse on a blocking thread → bounded channel →
//! COPY (binary) into a staging table → set-based merge (insert new, leave equal rows,
//! decide conflicts by the rows' own timestamps) → rejects and high-water mark,
//! one transaction per batch → run record → verify.

pub mod copy_format;
pub mod copy_text;
pub mod delta;
pub mod discover;
pub mod documents_store;
pub mod fields;
pub mod handle;
pub mod importer;
pub mod load;
pub mod memory_store;
pub mod merge;
pub mod next_step;
pub mod pipeline;
pub mod progress;
pub mod raw;
pub mod reader;
pub mod refs;
pub mod runs;
pub mod server_fit;
pub mod snapshot;
pub mod summary;
pub mod verify;
pub mod watch;

use std::path::{Path, PathBuf};

use sqlx::Connection;
use tracing::Instrument;
use uuid::Uuid;

pub use handle::MigrationHandle;
pub use importer::Store;
pub use pipeline::{RefusedRow, TableReport};
pub use progress::{ProgressEvent, ProgressSink};
pub use reader::BatchLimits;
pub use snapshot::Snapshot;

/// Every importer, in the order tables are migrated (a chunk's document
/// first). Declared here, the parent of the importer trait and the stores
/// that implement it, so neither needs the other.
pub fn importers() -> Vec<&'static dyn importer::Importer> {
    vec![
        &memory_store::MemoryCards,
        &memory_store::ChatSessions,
        &memory_store::MindfileEntries,
        &documents_store::Documents,
        &documents_store::DocumentChunks,
    ]
}
pub use verify::{VerifyReport, VerifyTable};

use crate::cache::DeviceIdentity;
use crate::central::{self, ServerTarget};
use crate::error::{Error, Result};
use load::BatchSource;

/// Rows per batch: large enough that per-transaction costs vanish, small enough
/// that a kill loses little work.
pub const DEFAULT_BATCH_ROWS: u64 = 5_000;

/// COPY bytes per batch: bounds memory with multi-megabyte rows (a batch is
/// closed as soon as it passes this).
pub const DEFAULT_BATCH_BYTES: usize = 8 << 20;

pub use crate::data_dir::SNAPSHOT_FOLDER;

/// What a migration run is asked to do.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// The old project root.
    pub legacy_dir: PathBuf,
    /// This device's data dir (snapshots go into it).
    pub data_dir: PathBuf,
    /// Report only; write nothing centrally and keep no snapshot.
    pub dry_run: bool,
    /// Run `verify` at the end (not in a dry run).
    pub verify: bool,
    /// Fill this device's cache from the server at the end (not in a dry run),
    /// so the app shows the data at once. Off for a machine that only
    /// migrates (a server without the app) and for the benchmark, which
    /// compares the load into Postgres with `\copy`.
    pub seed_cache: bool,
    /// Batch limits.
    pub limits: BatchLimits,
}

impl MigrateOptions {
    /// Default options for a legacy folder and data dir.
    pub fn new(legacy_dir: PathBuf, data_dir: PathBuf) -> Self {
        Self {
            legacy_dir,
            data_dir,
            dry_run: false,
            verify: true,
            seed_cache: true,
            limits: BatchLimits { rows: DEFAULT_BATCH_ROWS, bytes: DEFAULT_BATCH_BYTES },
        }
    }
}

/// A store as found in the legacy folder.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceReport {
    /// Which store.
    pub store: Store,
    /// Where it was looked for.
    pub path: String,
    /// Whether it exists.
    pub found: bool,
    /// Fingerprint of its snapshot.
    pub fingerprint: Option<String>,
    /// Size of its snapshot.
    pub bytes: Option<u64>,
}

/// The final report of `migrate` (`--json` prints it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrateReport {
    /// The central run record (none in a dry run).
    pub run_id: Option<Uuid>,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The stores.
    pub sources: Vec<SourceReport>,
    /// Per table.
    pub tables: Vec<TableReport>,
    /// Verification (when run).
    pub verification: Option<VerifyReport>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// The sync cycle that filled this device's cache from the server afterwards,
    /// so the app shows the data at once (none in a dry run).
    pub cache_seeded: Option<crate::sync::SyncReport>,
}

/// Snapshots the stores found in `legacy_dir` into `into`; says which are missing.
pub fn take_snapshots(legacy_dir: &Path, into: &Path, progress: &ProgressSink) -> Result<(Vec<Snapshot>, Vec<SourceReport>)> {
    if !legacy_dir.is_dir() {
        return Err(Error::LegacyDirMissing { path: legacy_dir.to_path_buf() });
    }
    let mut snapshots = Vec::new();
    let mut sources = Vec::new();
    for store in Store::ALL {
        let path = legacy_dir.join(store.relative_path());
        progress(ProgressEvent::Step { message: format!("snapshotting {}", path.display()) });
        let started = std::time::Instant::now();
        let snap = snapshot::take(legacy_dir, store, into)?;
        tracing::info!(store = ?store, seconds = started.elapsed().as_secs_f64(), "snapshot and fingerprint taken");
        if snap.is_none() {
            progress(ProgressEvent::Warning { message: format!("{} not found: going on without it", path.display()) });
        }
        sources.push(SourceReport {
            store,
            path: path.display().to_string(),
            found: snap.is_some(),
            fingerprint: snap.as_ref().map(|s| s.fingerprint.clone()),
            bytes: snap.as_ref().map(|s| s.bytes),
        });
        snapshots.extend(snap);
    }
    if snapshots.is_empty() {
        return Err(discover::stores_missing(legacy_dir));
    }
    Ok((snapshots, sources))
}

/// Migrates the legacy stores into the central database.
pub async fn migrate(
    target: &ServerTarget,
    device: &DeviceIdentity,
    options: &MigrateOptions,
    progress: &ProgressSink,
) -> Result<MigrateReport> {
    let started = std::time::Instant::now();
    let scratch = if options.dry_run {
        std::env::temp_dir().join(format!("noesis-dry-run-{}", Uuid::new_v4().simple()))
    } else {
        options.data_dir.join(SNAPSHOT_FOLDER)
    };
    let taken = snapshot_stores(&options.legacy_dir, &scratch, progress).await;
    let result = match taken {
        Ok((snapshots, sources)) => migrate_snapshots(target, device, options, progress, &snapshots, sources).await,
        Err(e) => Err(e),
    };
    if options.dry_run {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let mut report = result?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// [`take_snapshots`] on a blocking thread.
pub async fn snapshot_stores(legacy_dir: &Path, into: &Path, progress: &ProgressSink) -> Result<(Vec<Snapshot>, Vec<SourceReport>)> {
    let (legacy, into, progress) = (legacy_dir.to_path_buf(), into.to_path_buf(), progress.clone());
    tokio::task::spawn_blocking(move || take_snapshots(&legacy, &into, &progress)).await.map_err(|e| Error::Postgres {
        context: "snapshotting".into(),
        detail: e.to_string(),
        source: None,
    })?
}

/// Migrates snapshots already taken (bridge mode passes the rows changed since
/// its last pass), then fills this device's cache when asked.
pub async fn migrate_snapshots(
    target: &ServerTarget,
    device: &DeviceIdentity,
    options: &MigrateOptions,
    progress: &ProgressSink,
    snapshots: &[Snapshot],
    sources: Vec<SourceReport>,
) -> Result<MigrateReport> {
    let started = std::time::Instant::now();
    let mut conn = target.connect().await?;
    central::check_schema(&mut conn, target).await?;
    let device_id = device.id.to_string();
    let run_id = (!options.dry_run).then(Uuid::new_v4);
    if !options.dry_run {
        runs::lock_device(&mut conn, target, &device_id).await?;
    }
    if let Some(run_id) = run_id {
        let legacy_dir = options.legacy_dir.display().to_string();
        let sources_json = serde_json::to_value(&sources).unwrap_or_default();
        runs::start(&mut conn, target, run_id, &device_id, &device.name, &legacy_dir, &sources_json).await?;
    }
    let outcome = migrate_tables(&mut conn, target, &device_id, options, progress, snapshots).await;
    let tables = match outcome {
        Ok(tables) => tables,
        Err(e) => {
            if let Some(run_id) = run_id {
                let _ = runs::finish(&mut conn, target, run_id, &serde_json::json!({}), None, true).await;
            }
            return Err(e);
        }
    };
    let verification = if options.verify && !options.dry_run {
        progress(ProgressEvent::Step { message: "verifying every legacy row".into() });
        Some(verify::verify_snapshots(target, snapshots, progress).await?)
    } else {
        None
    };
    if let Some(run_id) = run_id {
        let counts = serde_json::to_value(&tables).unwrap_or_default();
        runs::finish(&mut conn, target, run_id, &counts, verification.as_ref().map(|v| v.ok), false).await?;
    }
    let _ = conn.close().await;
    let mut report = MigrateReport { run_id, dry_run: options.dry_run, sources, tables, verification, seconds: 0.0, cache_seeded: None };
    if !options.dry_run && options.seed_cache {
        progress(ProgressEvent::Step { message: "filling this device's cache from the server".into() });
        let mut cache = crate::cache::Cache::open(&options.data_dir)?;
        report.cache_seeded = Some(crate::sync::sync_once(&mut cache, target, crate::sync::DEFAULT_SETTLE_WAIT).await?);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn migrate_tables(
    conn: &mut sqlx::PgConnection,
    target: &ServerTarget,
    device_id: &str,
    options: &MigrateOptions,
    progress: &ProgressSink,
    snapshots: &[Snapshot],
) -> Result<Vec<TableReport>> {
    let mut tables = Vec::new();
    let mut refs = None;
    for imp in importers() {
        let Some(snapshot) = snapshots.iter().find(|s| s.store == imp.store()) else { continue };
        if refs.is_none() && imp.spec().name == "document_chunks" {
            let documents = snapshots.iter().find(|s| s.store == Store::Documents);
            refs = Some(std::sync::Arc::new(refs::collect(conn, target, documents).await?));
        }
        let table_refs = refs.clone().unwrap_or_default();
        let source_file = snapshot.source.display().to_string();
        let resume_key = runs::resume_key(&snapshot.fingerprint);
        let source = BatchSource { device_id, source_file: &source_file, resume_key: &resume_key };
        let span = tracing::info_span!("migrate_table", table = imp.spec().name);
        let table = pipeline::migrate_table(conn, target, imp, snapshot, table_refs, &source, options.dry_run, options.limits, progress)
            .instrument(span)
            .await?;
        tables.push(table);
    }
    Ok(tables)
}

/// `verify`: snapshots the stores afresh into a scratch folder and accounts for
/// every row.
pub async fn verify(target: &ServerTarget, legacy_dir: &Path, progress: &ProgressSink) -> Result<VerifyReport> {
    let scratch = std::env::temp_dir().join(format!("noesis-verify-{}", Uuid::new_v4().simple()));
    let result = match snapshot_stores(legacy_dir, &scratch, progress).await {
        Ok((snapshots, _)) => verify::verify_snapshots(target, &snapshots, progress).await,
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    result
}
