//! The sync status the indicator shows, and the `sync://status` event that
//! carries it to the front end.
//!
//! Today the shell knows only local facts (pending outbox entries, whether a
//! server is configured); the sync agent (issue 4) will report the rest
//! through its handle, and the shell will forward each report as this event.

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
}

impl SyncStatus {
    /// What can be known without the sync agent: local-only or, with a server
    /// configured, offline until the agent reports otherwise.
    pub fn from_cache(cache: &Cache) -> CommandResult<Self> {
        let pending = u32::try_from(cache.pending_count()?).unwrap_or(u32::MAX);
        let state = match cache.server_url()? {
            None => SyncState::LocalOnly,
            // TODO(issue 4): the sync agent's reports replace this guess once it
            // runs inside the app; until then a configured server is not synced.
            Some(_) => SyncState::Offline,
        };
        Ok(Self { state, pending, last_sync: None, conflicts: 0, error_message: None })
    }
}
