//! Bridge mode (`migrate --watch`): while the old server still writes its
//! stores, watch them and import new and changed rows within seconds.
//!
//! A file-system watcher (`notify`) marks the stores dirty when they, their
//! journal or their WAL change; after a short quiet period a pass runs. The
//! first pass of a session is a normal migration; each later one snapshots the
//! stores and merges only the rows changed since the last successful pass (the
//! [`super::delta`] against that pass's snapshot, the *base*), so one new card
//! does not cost a whole store's COPY and merge. A slow poll of file sizes and
//! times backs the watcher up where events get lost (network folders). It
//! stops when the `stop` future completes (Ctrl-C).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::{EventKind, RecursiveMode, Watcher};

use super::importer::Store;
use super::progress::{ProgressEvent, ProgressSink};
use super::snapshot::{io_error, Snapshot};
use super::{delta, migrate_snapshots, snapshot_stores, MigrateOptions, MigrateReport, SNAPSHOT_FOLDER};
use crate::cache::DeviceIdentity;
use crate::central::ServerTarget;
use crate::error::{Error, Result};

/// Quiet time after the last change before a pass runs: the old server writes
/// a row in several steps (journal, database, journal removed).
const DEBOUNCE: Duration = Duration::from_millis(500);

/// Folder of the snapshot folder holding the last successful pass's snapshots.
const BASE_FOLDER: &str = "bridge-base";

/// Folder of the snapshot folder holding the deltas a pass merges.
const DELTA_FOLDER: &str = "bridge-delta";

/// Fallback poll of the stores' size and modification time.
const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Size and modification time of every file a store change touches.
fn stamp(legacy_dir: &Path) -> Vec<Option<(u64, SystemTime)>> {
    let mut out = Vec::new();
    for store in Store::ALL {
        let base = legacy_dir.join(store.relative_path());
        for suffix in ["", "-wal", "-journal"] {
            let path = PathBuf::from(format!("{}{suffix}", base.display()));
            out.push(std::fs::metadata(&path).ok().and_then(|m| Some((m.len(), m.modified().ok()?))));
        }
    }
    out
}

/// Whether a path is one of the store files (or their journals).
fn is_store_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Store::ALL.iter().any(|s| name.starts_with(s.snapshot_name()))
}

/// Runs a first pass, then a pass after every change, until `stop` completes.
/// `on_pass` receives each pass's report; a failing pass is reported as a
/// warning and retried on the next change.
pub async fn watch(
    target: &ServerTarget,
    device: &DeviceIdentity,
    options: &MigrateOptions,
    progress: &ProgressSink,
    mut on_pass: impl FnMut(&MigrateReport),
    stop: impl Future<Output = ()>,
) -> Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let writes = matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_));
            if writes && event.paths.iter().any(|p| is_store_file(p)) {
                let _ = tx.send(());
            }
        }
    })
    .map_err(|e| watch_error(&options.legacy_dir, e))?;
    let mut watched = false;
    for store in Store::ALL {
        if let Some(folder) = options.legacy_dir.join(store.relative_path()).parent() {
            if folder.is_dir() {
                watcher.watch(folder, RecursiveMode::NonRecursive).map_err(|e| watch_error(folder, e))?;
                watched = true;
            }
        }
    }
    if !watched {
        watcher.watch(&options.legacy_dir, RecursiveMode::Recursive).map_err(|e| watch_error(&options.legacy_dir, e))?;
    }

    // A base left by an earlier session may have been merged into another
    // server or come from another folder: each session starts with a full pass.
    let snapshots = options.data_dir.join(SNAPSHOT_FOLDER);
    let _ = std::fs::remove_dir_all(snapshots.join(BASE_FOLDER));
    tokio::pin!(stop);
    let mut last_stamp = stamp(&options.legacy_dir);
    let mut dirty = true;
    loop {
        if dirty {
            last_stamp = stamp(&options.legacy_dir);
            match pass(target, device, options, progress).await {
                Ok(report) => on_pass(&report),
                Err(e) => progress(ProgressEvent::Warning { message: format!("bridge pass failed, retrying on the next change: {e}") }),
            }
            progress(ProgressEvent::Step { message: format!("watching {} for changes (Ctrl-C stops)", options.legacy_dir.display()) });
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            got = rx.recv() => {
                if got.is_none() {
                    return Ok(());
                }
                // Let the writer finish, and fold the burst of events into one pass.
                loop {
                    tokio::select! {
                        _ = &mut stop => return Ok(()),
                        more = tokio::time::timeout(DEBOUNCE, rx.recv()) => if !matches!(more, Ok(Some(()))) { break },
                    }
                }
                dirty = true;
            }
            _ = tokio::time::sleep(POLL_INTERVAL) => {
                dirty = stamp(&options.legacy_dir) != last_stamp;
            }
        }
    }
}

/// One bridge pass: snapshots the stores, merges the rows changed since the
/// base (all of them when there is no base yet), then makes these snapshots
/// the base. A failed pass leaves the base as it was, so its rows are in the
/// next pass's delta again.
async fn pass(target: &ServerTarget, device: &DeviceIdentity, options: &MigrateOptions, progress: &ProgressSink) -> Result<MigrateReport> {
    let folder = options.data_dir.join(SNAPSHOT_FOLDER);
    let (base, deltas) = (folder.join(BASE_FOLDER), folder.join(DELTA_FOLDER));
    let (snapshots, sources) = snapshot_stores(&options.legacy_dir, &folder, progress).await?;
    let mut to_merge: Vec<Snapshot> = Vec::new();
    for snapshot in &snapshots {
        let base_file = base.join(snapshot.store.snapshot_name());
        if !base_file.is_file() {
            to_merge.push(snapshot.clone());
            continue;
        }
        progress(ProgressEvent::Step {
            message: format!("collecting the rows of {} changed since the last pass", snapshot.source.display()),
        });
        crate::private_files::create_dir(&deltas).map_err(|e| io_error("cannot create the bridge delta folder", &deltas, e))?;
        let (current, delta_file) = (snapshot.clone(), deltas.join(snapshot.store.snapshot_name()));
        let changed = tokio::task::spawn_blocking(move || delta::changed_rows(&current, &base_file, &delta_file))
            .await
            .map_err(|e| Error::Postgres { context: "collecting changed rows".into(), detail: e.to_string(), source: None })??;
        to_merge.push(changed);
    }
    let report = migrate_snapshots(target, device, options, progress, &to_merge, sources).await?;
    crate::private_files::create_dir(&base).map_err(|e| io_error("cannot create the bridge base folder", &base, e))?;
    for snapshot in &snapshots {
        let (target_file, partial) =
            (base.join(snapshot.store.snapshot_name()), base.join(format!("{}.partial", snapshot.store.snapshot_name())));
        std::fs::copy(&snapshot.path, &partial).map_err(|e| io_error("cannot keep the pass's snapshot", &partial, e))?;
        std::fs::rename(&partial, &target_file).map_err(|e| io_error("cannot keep the pass's snapshot", &target_file, e))?;
    }
    Ok(report)
}

fn watch_error(path: &Path, e: notify::Error) -> Error {
    Error::Io {
        context: "cannot watch the legacy folder for changes".into(),
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}
