//! One sync cycle: check the server speaks our protocol, push, then pull.

use sqlx::Connection;

use super::cancel::Cancel;
use super::pull::{pull, PullReport};
use super::push::{push, PushReport};
use crate::cache::Cache;
use crate::central::{self, ServerTarget};
use crate::error::Result;

/// What one cycle moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// The push half.
    pub push: PushReport,
    /// The pull half.
    pub pull: PullReport,
}

/// Runs one push + pull cycle on a fresh connection.
pub async fn sync_once(cache: &mut Cache, target: &ServerTarget) -> Result<SyncReport> {
    let mut conn = target.connect().await?;
    let report = sync_on(cache, &mut conn, target, &Cancel::default()).await;
    let _ = conn.close().await;
    report
}

/// Runs one cycle on an open connection (the agent keeps one).
#[tracing::instrument(name = "sync_cycle", skip_all)]
/// Stops between batches once `cancel` is set.
pub async fn sync_on(cache: &mut Cache, conn: &mut sqlx::PgConnection, target: &ServerTarget, cancel: &Cancel) -> Result<SyncReport> {
    // Refuses, with "upgrade noesis-sync", a server whose schema is newer than
    // this build: it must never write a shape the server does not expect.
    central::check_schema(conn, target).await?;
    let device = cache.device()?;
    let push = push(cache, conn, target, &device, cancel).await?;
    let pull = pull(cache, conn, target, &device, cancel).await?;
    prune_if_due(cache, conn, target).await?;
    tracing::info!(pushed = push.written, pulled = pull.applied + pull.deleted, conflicts = push.conflicts, "sync cycle done");
    Ok(SyncReport { push, pull })
}

/// How often a device prunes the changelog: pruning is a server-wide
/// housekeeping job, so once an hour from any device is plenty.
const PRUNE_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// `sync_state` key of the last prune by this device.
const LAST_PRUNE: &str = "last_prune";

/// Deletes the changes every active device has read, at most once per
/// [`PRUNE_EVERY`] from this device.
async fn prune_if_due(cache: &mut Cache, conn: &mut sqlx::PgConnection, target: &ServerTarget) -> Result<()> {
    let now = chrono::Utc::now();
    let due = cache
        .state(LAST_PRUNE)?
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .is_none_or(|last| now.signed_duration_since(last) >= PRUNE_EVERY);
    if due {
        let removed: i64 = sqlx::query_scalar("SELECT noesis_sync.prune_changelog()")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
        tracing::info!(removed, "pruned the changelog");
        cache.set_state(LAST_PRUNE, &now.to_rfc3339())?;
    }
    Ok(())
}
