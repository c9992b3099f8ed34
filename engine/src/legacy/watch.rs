//! Bridge mode (`migrate --watch`): while the old server still writes its
//! stores, watch them and import new and changed rows within seconds.
//!
//! A file-system watcher (`notify`) marks the stores dirty when they, their
//! journal or their WAL change; after a short quiet period a normal migration
//! pass runs (snapshot, merge; rows already there count as unchanged). A slow
//! poll of file sizes and times backs the watcher up where events get lost
//! (network folders). It stops when the `stop` future completes (Ctrl-C).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use notify::{EventKind, RecursiveMode, Watcher};

use super::importer::Store;
use super::progress::{ProgressEvent, ProgressSink};
use super::{migrate, MigrateOptions, MigrateReport};
use crate::cache::DeviceIdentity;
use crate::central::ServerTarget;
use crate::error::{Error, Result};

/// Quiet time after the last change before a pass runs: the old server writes
/// a row in several steps (journal, database, journal removed).
const DEBOUNCE: Duration = Duration::from_millis(500);

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

    tokio::pin!(stop);
    let mut last_stamp = stamp(&options.legacy_dir);
    let mut dirty = true;
    loop {
        if dirty {
            last_stamp = stamp(&options.legacy_dir);
            match migrate(target, device, options, progress).await {
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

fn watch_error(path: &Path, e: notify::Error) -> Error {
    Error::Io {
        context: "cannot watch the legacy folder for changes".into(),
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}
