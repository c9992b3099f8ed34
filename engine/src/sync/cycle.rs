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

impl SyncReport {
    /// This cycle's report with `earlier`'s counts folded in, for a caller
    /// that ran two cycles and reports them as one.
    pub fn after(self, mut earlier: SyncReport) -> SyncReport {
        earlier.absorb(self);
        earlier
    }

    /// Folds a later cycle into this one, so a caller that cycled until the
    /// server settled reports the total that moved.
    fn absorb(&mut self, later: SyncReport) {
        self.push.absorb(later.push);
        let (p, q) = (&mut self.pull, later.pull);
        p.applied += q.applied;
        p.deleted += q.deleted;
        p.deferred += q.deferred;
        p.acknowledged += q.acknowledged;
        p.held += q.held;
        p.unreadable += q.unreadable;
        p.snapshot |= q.snapshot;
        p.resynced |= q.resynced;
        p.waiting = q.waiting;
    }
}

/// Runs one push + pull cycle on a fresh connection. While changes wait
/// behind an older transaction still running on the server (the pull horizon
/// is cluster-wide), cycles again for up to `wait`, so that a script that
/// runs `sync` sees the changes committed before it started; the report then
/// still says `waiting` if they did not become readable in time.
pub async fn sync_once(cache: &mut Cache, target: &ServerTarget, wait: std::time::Duration) -> Result<SyncReport> {
    let mut conn = target.connect().await?;
    let report = sync_settled(cache, &mut conn, target, wait).await;
    let _ = conn.close().await;
    report
}

/// How long a one-shot sync waits, by default, for changes held back by an
/// older server transaction: long enough for an ordinary write to commit,
/// short enough that a script is not stalled by a stuck one.
pub const DEFAULT_SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// First pause before cycling again while changes wait; doubles up to 1 s.
const SETTLE_FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

async fn sync_settled(
    cache: &mut Cache,
    conn: &mut sqlx::PgConnection,
    target: &ServerTarget,
    wait: std::time::Duration,
) -> Result<SyncReport> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut pause = SETTLE_FIRST_PAUSE;
    let mut report = sync_on(cache, conn, target, &Cancel::default()).await?;
    while report.pull.waiting && tokio::time::Instant::now() + pause <= deadline {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(1));
        let later = sync_on(cache, conn, target, &Cancel::default()).await?;
        report.absorb(later);
    }
    Ok(report)
}

/// Runs one cycle on an open connection (the agent keeps one).
#[tracing::instrument(name = "sync_cycle", skip_all)]
/// Stops between batches once `cancel` is set.
pub async fn sync_on(cache: &mut Cache, conn: &mut sqlx::PgConnection, target: &ServerTarget, cancel: &Cancel) -> Result<SyncReport> {
    // Refuses, with "upgrade noesis-sync", a server whose schema is newer than
    // this build: it must never write a shape the server does not expect.
    central::check_schema(conn, target).await?;
    let device = cache.device()?;
    let mut pushed = push(cache, conn, target, &device, cancel).await?;
    // The push may have given this data folder a new identity.
    let device = if pushed.identity_renewed.is_some() { cache.device()? } else { device };
    let pull = pull(cache, conn, target, &device, cancel).await?;
    // A change that waited for a row the pull just brought (a chunk's
    // document written on another device) goes now, not a cycle later.
    if cache.requeue_waiting()? > 0 {
        pushed.absorb(push(cache, conn, target, &device, cancel).await?);
    }
    let push = pushed;
    // A device whose cursor is held back by an older server transaction would
    // prune less than it could and then not again for an hour: prune once
    // its pull has settled.
    if !pull.waiting {
        prune_if_due(cache, conn, target).await?;
    }
    tracing::info!(pushed = push.written, pulled = pull.applied + pull.deleted, conflicts = push.conflicts, "sync cycle done");
    cache.record_sync_finished(chrono::Utc::now(), push.written + pull.applied + pull.deleted > 0)?;
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
        let removed: i64 =
            sqlx::query_scalar("SELECT noesis_sync.prune_changelog()").fetch_one(&mut *conn).await.map_err(|e| target.classify(e))?;
        tracing::info!(removed, "pruned the changelog");
        // History's retention (schema 7; an older server has no history).
        let has_history: bool = sqlx::query_scalar("SELECT to_regprocedure('noesis_sync.prune_history()') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
        if has_history {
            let removed: i64 =
                sqlx::query_scalar("SELECT noesis_sync.prune_history()").fetch_one(&mut *conn).await.map_err(|e| target.classify(e))?;
            tracing::info!(removed, "pruned the history");
        }
        cache.set_state(LAST_PRUNE, &now.to_rfc3339())?;
    }
    Ok(())
}
