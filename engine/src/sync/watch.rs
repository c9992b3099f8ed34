//! Noticing writes to the cache file by other processes (the app, the `sqlite3`
//! shell, another program), so the agent pushes them within a second without
//! polling. Every write lands in the WAL file, so a change event on the cache's
//! files is the signal; what changed is read from the outbox.

use std::path::Path;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::cache::CACHE_FILE;
use crate::error::{Error, Result};

/// A running watch; dropping it stops watching.
pub struct CacheWatch {
    _watcher: RecommendedWatcher,
    /// One message per burst of file events (it is a signal, not a count).
    pub events: mpsc::Receiver<()>,
}

/// Watches the cache files in `data_dir`.
pub fn watch_cache(data_dir: &Path) -> Result<CacheWatch> {
    let (tx, events) = mpsc::channel(1);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let touches_cache = event.paths.iter().any(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(CACHE_FILE)));
        if touches_cache && !event.kind.is_access() {
            // A full channel already holds a pending signal: nothing is lost.
            let _ = tx.try_send(());
        }
    })
    .map_err(|e| watch_error(data_dir, e))?;
    watcher.watch(data_dir, RecursiveMode::NonRecursive).map_err(|e| watch_error(data_dir, e))?;
    Ok(CacheWatch { _watcher: watcher, events })
}

fn watch_error(dir: &Path, e: notify::Error) -> Error {
    Error::Io { context: "cannot watch the data folder".into(), path: dir.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}
