//! One sync cycle: check the server speaks our protocol, push, then pull.

use sqlx::Connection;

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
    let report = sync_on(cache, &mut conn, target).await;
    let _ = conn.close().await;
    report
}

/// Runs one cycle on an open connection (the agent keeps one).
#[tracing::instrument(name = "sync_cycle", skip_all)]
pub async fn sync_on(cache: &mut Cache, conn: &mut sqlx::PgConnection, target: &ServerTarget) -> Result<SyncReport> {
    // Refuses, with "upgrade noesis-sync", a server whose schema is newer than
    // this build: it must never write a shape the server does not expect.
    central::check_schema(conn, target).await?;
    let device = cache.device()?;
    let push = push(cache, conn, target, &device).await?;
    let pull = pull(cache, conn, target, &device).await?;
    tracing::info!(pushed = push.written, pulled = pull.applied + pull.deleted, conflicts = push.conflicts, "sync cycle done");
    Ok(SyncReport { push, pull })
}
