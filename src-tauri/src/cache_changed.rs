//! The `cache://changed` event: tells the window that the local cache's data
//! changed underneath it, so the views reload what they show.
//!
//! The app reads everything from the cache, and other connections write to it:
//! the sync agent applying a pull (another device's edit, the Python server,
//! psql), or another program such as the `sqlite3` shell. SQLite's
//! `PRAGMA data_version` on the app's own connection moves exactly when another
//! connection commits, and not for the app's own writes, which the view that
//! made them already shows. [`CacheWatch`] remembers the last version seen;
//! the shell checks it after each sync agent report (every cycle ends with
//! one) and on a light timer ([`CHECK_EVERY`]) for writes made while no agent
//! runs (local only, or paused). The agent's own pushes move the version too;
//! the refresh they cause shows the same data again, which is harmless.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri_specta::Event;

use noesis_engine::cache::Cache;

/// How often the shell looks for writes by other programs when no agent report
/// would reveal them: once a second, the agent's own local check interval, so
/// a row written with `sqlite3` shows within about a second; one
/// `PRAGMA data_version` costs microseconds.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// One change of the cache's data by another connection, sent as the
/// `cache://changed` event; views reload what they show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[tauri_specta(event_name = "cache://changed")]
pub struct CacheChanged {
    /// Counts the changes seen since the app started (1, 2, …), so a listener
    /// can tell two events apart; views only need to know that one came.
    pub revision: u32,
}

/// The cache's data version as last seen on the app's connection.
#[derive(Debug)]
pub struct CacheWatch {
    seen: Mutex<Option<i64>>,
    revision: AtomicU32,
}

impl CacheWatch {
    /// A watch that has seen nothing yet: the first [`CacheWatch::check`] only
    /// records the version (the views load fresh data when they open).
    pub fn new() -> Self {
        Self { seen: Mutex::new(None), revision: AtomicU32::new(0) }
    }

    /// The event to send when another connection committed to `cache` since
    /// the last check, else `None`. `cache` must be the app's own connection:
    /// its writes do not move its own data version.
    pub fn check(&self, cache: &Cache) -> Option<CacheChanged> {
        let version = match cache.data_version() {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("cannot read the cache's data version: {e}");
                return None;
            }
        };
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let moved = seen.is_some_and(|s| s != version);
        *seen = Some(version);
        moved.then(|| CacheChanged { revision: self.revision.fetch_add(1, Ordering::SeqCst) + 1 })
    }
}

impl Default for CacheWatch {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite3(dir: &std::path::Path, sql: &str) {
        let out = std::process::Command::new("sqlite3").arg(dir.join("cache.sqlite3")).arg(sql).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    const INSERT: &str = r#"INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
                          VALUES ('c1', '2025-01-01T00:00:00Z', 'preferences', 'global', 'Miso is the cat', 'pending', '{"reason": "written by a test"}')"#;

    #[test]
    fn another_programs_write_is_seen_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let watch = CacheWatch::new();
        assert_eq!(watch.check(&cache), None, "the first check only records the version");
        sqlite3(dir.path(), INSERT);
        assert_eq!(watch.check(&cache), Some(CacheChanged { revision: 1 }), "a card written by sqlite3 refreshes the views");
        assert_eq!(watch.check(&cache), None, "one write refreshes the views once, not every second");
        sqlite3(dir.path(), "UPDATE memory_cards SET text = 'Miso is a cat' WHERE id = 'c1'");
        assert_eq!(watch.check(&cache), Some(CacheChanged { revision: 2 }), "a second write refreshes them again");
    }

    #[test]
    fn the_apps_own_write_is_not_a_change_underneath_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let watch = CacheWatch::new();
        watch.check(&cache);
        cache
            .create_card(&noesis_engine::cache::CardDraft { category: "preferences".into(), scope: "global".into(), text: "Miso".into() })
            .unwrap();
        assert_eq!(watch.check(&cache), None, "the view that saved the card already shows it; a reload would be wasted");
    }
}
