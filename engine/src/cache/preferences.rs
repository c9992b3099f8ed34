//! This device's own preferences, kept in the cache's `sync_state` beside its
//! identity so they survive restarts and travel with the data folder (they are
//! never synced): whether sync is paused, the log level, and whether closing
//! the window keeps the app syncing from the tray.

use super::Cache;
use crate::error::{Error, Result};

const SYNC_PAUSED: &str = "sync_paused";
const LOG_LEVEL: &str = "log_level";
const CLOSE_TO_TRAY: &str = "close_to_tray";

/// Log levels the app accepts, least to most verbose; the default is `info`.
pub const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// The log level when none was chosen: enough to see each sync cycle and
/// failure without row-level detail.
pub const DEFAULT_LOG_LEVEL: &str = "info";

impl Cache {
    /// Whether the user paused sync on this device (it then stays paused
    /// across restarts until resumed).
    pub fn sync_paused(&self) -> Result<bool> {
        Ok(self.state(SYNC_PAUSED)?.as_deref() == Some("true"))
    }

    /// Pauses or resumes sync on this device.
    pub fn set_sync_paused(&self, paused: bool) -> Result<()> {
        self.set_state(SYNC_PAUSED, if paused { "true" } else { "false" })
    }

    /// Whether closing the window keeps the app running (and syncing) from
    /// its tray icon; on by default, since sync should not stop when the
    /// window goes away.
    pub fn close_to_tray(&self) -> Result<bool> {
        Ok(self.state(CLOSE_TO_TRAY)?.as_deref() != Some("false"))
    }

    /// Chooses what closing the window does.
    pub fn set_close_to_tray(&self, keep_running: bool) -> Result<()> {
        self.set_state(CLOSE_TO_TRAY, if keep_running { "true" } else { "false" })
    }

    /// The chosen log level (one of [`LOG_LEVELS`]).
    pub fn log_level(&self) -> Result<String> {
        Ok(self.state(LOG_LEVEL)?.filter(|l| LOG_LEVELS.contains(&l.as_str())).unwrap_or_else(|| DEFAULT_LOG_LEVEL.into()))
    }

    /// Chooses the log level; anything but one of [`LOG_LEVELS`] is refused.
    pub fn set_log_level(&self, level: &str) -> Result<()> {
        if !LOG_LEVELS.contains(&level) {
            return Err(Error::Invalid { detail: format!("`{level}` is not a log level: use one of {}", LOG_LEVELS.join(", ")) });
        }
        self.set_state(LOG_LEVEL, level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_is_off_by_default_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert!(!cache.sync_paused().unwrap(), "a new device syncs");
        cache.set_sync_paused(true).unwrap();
        drop(cache);
        let cache = Cache::open(dir.path()).unwrap();
        assert!(cache.sync_paused().unwrap(), "a paused device must stay paused after a restart");
        cache.set_sync_paused(false).unwrap();
        assert!(!cache.sync_paused().unwrap());
    }

    #[test]
    fn closing_the_window_keeps_syncing_unless_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert!(cache.close_to_tray().unwrap(), "by default sync goes on from the tray");
        cache.set_close_to_tray(false).unwrap();
        assert!(!cache.close_to_tray().unwrap());
    }

    #[test]
    fn log_level_defaults_to_info_and_refuses_unknown_levels() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.log_level().unwrap(), "info");
        cache.set_log_level("debug").unwrap();
        assert_eq!(cache.log_level().unwrap(), "debug");
        assert_eq!(cache.set_log_level("loud").unwrap_err().code(), crate::error::ErrorCode::Invalid);
        assert_eq!(cache.log_level().unwrap(), "debug", "a refused level changes nothing");
    }
}
