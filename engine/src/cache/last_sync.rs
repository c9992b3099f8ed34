//! When this device last finished a sync cycle, kept in the cache so "Last
//! sync" survives a restart of the app (issue 16: it said "Never" although
//! the cache had synced minutes before).

use chrono::{DateTime, Utc};

use super::Cache;
use crate::error::Result;

/// `sync_state` key of the last finished cycle (RFC 3339).
const LAST_SYNC: &str = "last_sync";

/// A cycle that changed nothing rewrites the time only this much later: a
/// write per idle cycle would wake every open view of the app for nothing.
const REWRITE_AFTER: chrono::Duration = chrono::Duration::minutes(5);

impl Cache {
    /// When a sync cycle last finished on this data folder (by any program:
    /// the app's agent or the CLI).
    pub fn last_sync(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self.state(LAST_SYNC)?.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.with_timezone(&Utc)))
    }

    /// Records a cycle finished at `at`; one that moved rows always, an idle
    /// one only when the stored time is older than a few minutes.
    pub fn record_sync_finished(&self, at: DateTime<Utc>, moved_rows: bool) -> Result<()> {
        let stale = self.last_sync()?.is_none_or(|last| at.signed_duration_since(last) >= REWRITE_AFTER);
        if moved_rows || stale {
            self.set_state(LAST_SYNC, &at.to_rfc3339())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_sync_is_kept_and_idle_cycles_do_not_rewrite_it_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let t0: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        {
            let cache = Cache::open(dir.path()).unwrap();
            assert_eq!(cache.last_sync().unwrap(), None);
            cache.record_sync_finished(t0, false).unwrap();
            cache.record_sync_finished(t0 + chrono::Duration::minutes(1), false).unwrap();
        }
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.last_sync().unwrap(), Some(t0), "kept across a reopen; an idle minute later is not written");
        cache.record_sync_finished(t0 + chrono::Duration::minutes(2), true).unwrap();
        assert_eq!(cache.last_sync().unwrap(), Some(t0 + chrono::Duration::minutes(2)), "a cycle that moved rows is");
        cache.record_sync_finished(t0 + chrono::Duration::minutes(8), false).unwrap();
        assert_eq!(cache.last_sync().unwrap(), Some(t0 + chrono::Duration::minutes(8)), "an idle one once the time is stale");
    }
}
