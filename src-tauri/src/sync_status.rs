//! The sync status the indicator shows, and the `sync://status` event that
//! carries it to the front end.
//!
//! With a server configured the engine's sync agent runs inside the app and
//! each of its reports is forwarded as this event ([`SyncStatus::from_agent`]);
//! without one the status says so ([`SyncStatus::from_cache`]).

use serde::{Deserialize, Serialize};
use tauri_specta::Event;

use noesis_engine::cache::Cache;

use crate::error::CommandResult;

/// The state of sync as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// The agent is starting and has not reached the server yet.
    Connecting,
    /// Connected and up to date.
    Online,
    /// A server is configured but cannot be reached; edits wait in the outbox.
    Offline,
    /// Pushing or pulling right now.
    Syncing,
    /// The last cycle failed (see `error_message`).
    Error,
    /// Paused by the user; local edits keep queueing.
    Paused,
    /// No server is configured: the app runs on the local cache alone.
    LocalOnly,
}

/// One report of the sync status, sent as the `sync://status` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[tauri_specta(event_name = "sync://status")]
pub struct SyncStatus {
    /// Overall state.
    pub state: SyncState,
    /// Local changes waiting to be pushed.
    pub pending: u32,
    /// When the last successful sync finished (ISO-8601 UTC), if ever.
    pub last_sync: Option<String>,
    /// Conflicts waiting for the user.
    pub conflicts: u32,
    /// Why sync failed, in words, when `state` is `error` or `offline`.
    pub error_message: Option<String>,
    /// Local changes not accepted (refused by the server or held back), which
    /// wait for the user to edit them: without it "Synced" would hide an edit
    /// that never reached the server.
    pub not_accepted: u32,
    /// Rows whose deletion is held by the mass-deletion guard: nothing of them
    /// is deleted until the user says "Delete them" or "Keep them", so the
    /// indicator must ask rather than say "Synced".
    pub held_deletions: u32,
    /// Rows on the central server that the Noesis server cannot read (a
    /// value outside its vocabulary, a missing field, written by psql or an
    /// older tool): one such row stops its listing and its start-up, so the
    /// app says so even when this device's own sync is fine.
    pub unreadable_central: u32,
}

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Rows held by the mass-deletion guard, all tables.
fn held_count(cache: &Cache) -> CommandResult<u32> {
    Ok(count(cache.held_deletions()?.iter().map(|h| h.rows).sum()))
}

impl SyncStatus {
    /// What can be known without the sync agent: local-only or, with a server
    /// configured, connecting until the agent's first report.
    pub fn from_cache(cache: &Cache) -> CommandResult<Self> {
        let state = match cache.server_url()? {
            None => SyncState::LocalOnly,
            Some(_) => SyncState::Connecting,
        };
        Ok(Self {
            state,
            pending: count(cache.pending_count()?),
            last_sync: cache.last_sync()?.map(|t| t.to_rfc3339()),
            conflicts: 0,
            error_message: None,
            not_accepted: count(cache.rejected_count()?),
            held_deletions: held_count(cache)?,
            unreadable_central: count(cache.unreadable_central_count()?),
        })
    }

    /// The agent's report, in the UI's terms.
    pub fn from_agent(status: &noesis_engine::sync::SyncStatus) -> Self {
        use noesis_engine::sync::SyncState as Engine;
        let state = match status.state {
            Engine::Connecting => SyncState::Connecting,
            Engine::Online => SyncState::Online,
            Engine::Syncing => SyncState::Syncing,
            Engine::Offline => SyncState::Offline,
            Engine::Error => SyncState::Error,
            Engine::Paused => SyncState::Paused,
        };
        Self {
            state,
            pending: count(status.pending),
            last_sync: status.last_sync.map(|t| t.to_rfc3339()),
            conflicts: count(status.open_conflicts),
            error_message: status.error.as_ref().map(|e| e.message.clone()),
            not_accepted: count(status.rejected_changes),
            // Counted from the cache by `with_pending`, which follows.
            held_deletions: 0,
            unreadable_central: 0,
        }
    }

    /// This status with the pending and not-accepted counts as the cache has
    /// them now (edits in the app move them before the agent's next report).
    pub fn with_pending(mut self, cache: &Cache) -> CommandResult<Self> {
        self.pending = count(cache.pending_count()?);
        self.not_accepted = count(cache.rejected_count()?);
        self.held_deletions = held_count(cache)?;
        self.unreadable_central = count(cache.unreadable_central_count()?);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use noesis_engine::status::ErrorReport;
    use noesis_engine::sync::{SyncState as Engine, SyncStatus as Report};

    fn report(state: Engine) -> Report {
        Report { state, error: None, pending: 3, last_sync: None, open_conflicts: 2, retry_at: None, rejected_changes: 4 }
    }

    #[test]
    fn every_agent_state_reaches_the_indicator() {
        let cases = [
            (Engine::Connecting, SyncState::Connecting),
            (Engine::Online, SyncState::Online),
            (Engine::Syncing, SyncState::Syncing),
            (Engine::Offline, SyncState::Offline),
            (Engine::Error, SyncState::Error),
            (Engine::Paused, SyncState::Paused),
        ];
        for (engine, ui) in cases {
            let status = SyncStatus::from_agent(&report(engine));
            assert_eq!((status.state, status.pending, status.conflicts, status.not_accepted), (ui, 3, 2, 4), "{engine:?}");
        }
    }

    #[test]
    fn an_offline_report_carries_its_reason_and_last_sync_time() {
        let mut r = report(Engine::Offline);
        r.error = Some(ErrorReport { code: noesis_engine::ErrorCode::Unreachable, message: "cannot reach PostgreSQL".into() });
        r.last_sync = Some("2025-01-02T03:04:05Z".parse().unwrap());
        let status = SyncStatus::from_agent(&r);
        assert_eq!(status.error_message.as_deref(), Some("cannot reach PostgreSQL"));
        assert_eq!(status.last_sync.as_deref(), Some("2025-01-02T03:04:05+00:00"));
    }

    #[test]
    fn the_cache_corrects_the_counts_of_an_older_agent_report() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        // Another program (or a push since the report) left one change not accepted.
        let out = std::process::Command::new("sqlite3")
            .arg(dir.path().join("cache.sqlite3"))
            .arg("INSERT INTO sync_rejected (table_name, row_id, op_id, reason) VALUES ('memory_cards', 'c1', 1, 'value too long')")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let now = SyncStatus::from_agent(&report(Engine::Online)).with_pending(&cache).unwrap();
        assert_eq!((now.pending, now.not_accepted), (0, 1), "the indicator shows the cache's counts, not the report's 3 and 4");
    }

    #[test]
    fn the_last_sync_before_a_restart_shows_until_the_agent_reports() {
        let dir = tempfile::tempdir().unwrap();
        let cache = noesis_engine::cache::Cache::open(dir.path()).unwrap();
        assert_eq!(SyncStatus::from_cache(&cache).unwrap().last_sync, None);
        let at: chrono::DateTime<chrono::Utc> = "2026-01-02T03:04:05Z".parse().unwrap();
        cache.record_sync_finished(at, true).unwrap();
        let status = SyncStatus::from_cache(&cache).unwrap();
        assert_eq!(status.last_sync.as_deref(), Some("2026-01-02T03:04:05+00:00"), "not 'Never' after a restart");
    }
}
