//! The status the agent publishes: what the app's indicator and the CLI show.

use chrono::{DateTime, Utc};

use crate::status::ErrorReport;

/// Where sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Starting, not yet connected.
    Connecting,
    /// Connected and up to date; listening for changes.
    Online,
    /// Pushing or pulling.
    Syncing,
    /// The server cannot be reached; working locally, retrying.
    Offline,
    /// The server answered but sync failed; retrying (see `error`).
    Error,
    /// Paused by the user; local edits keep queueing.
    Paused,
}

/// One status update.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SyncStatus {
    /// The state.
    pub state: SyncState,
    /// Why, when offline or in error.
    pub error: Option<ErrorReport>,
    /// Local changes not yet pushed.
    pub pending: u64,
    /// When the last cycle finished successfully.
    pub last_sync: Option<DateTime<Utc>>,
    /// Conflicts recorded and not yet resolved (as of the last cycle).
    pub open_conflicts: u64,
    /// When the next retry is due, when offline or in error.
    pub retry_at: Option<DateTime<Utc>>,
    /// Local changes not accepted (refused by the server or held back), kept
    /// in the cache's `sync_rejected`: "synced" must not hide an edit that
    /// never reached the server. Named as in `noesis-sync status --json`.
    pub rejected_changes: u64,
}

impl SyncStatus {
    /// The status before anything happened, with the cache's counts.
    pub fn starting(pending: u64, rejected_changes: u64) -> Self {
        Self { state: SyncState::Connecting, error: None, pending, last_sync: None, open_conflicts: 0, retry_at: None, rejected_changes }
    }
}
