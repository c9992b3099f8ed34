//! The central record of migration runs, and the resume points.
//!
//! A run row is written when a (non-dry) run starts and completed at its end,
//! so every device and the desktop wizard can see that this device migrated
//! its legacy store, when, from which sources, with what counts. Only one
//! migration per device runs at a time (a session advisory lock, released by
//! the server when a killed run's connection drops); a run that finds an
//! earlier one of its device still `running` knows it was killed and marks it
//! `interrupted`, then resumes from the high-water marks.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::central::ServerTarget;
use crate::error::Result;

/// Takes this device's migration lock for the life of `conn`, so the CLI, the
/// wizard and a bridge-mode watcher never load the same store at once.
/// A run cancelled a moment ago may still hold the lock until the server
/// notices its connection closed, so a resume waits this long for it.
pub async fn lock_device(conn: &mut PgConnection, target: &ServerTarget, device_id: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + LOCK_PATIENCE;
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('noesis legacy migration'), hashtext($1))")
            .bind(device_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
        if locked {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(crate::Error::MigrationInProgress);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// How long [`lock_device`] waits for another run of this device to let go.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts a run record; earlier runs of this device still marked `running`
/// were killed (the caller holds the device lock), so they become
/// `interrupted`.
pub async fn start(
    conn: &mut PgConnection,
    target: &ServerTarget,
    run_id: Uuid,
    device_id: &str,
    device_name: &str,
    legacy_dir: &str,
    sources: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "UPDATE noesis_sync.legacy_runs SET status = 'interrupted', finished_at = now() WHERE device_id = $1 AND status = 'running'",
    )
    .bind(device_id)
    .execute(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    sqlx::query("INSERT INTO noesis_sync.legacy_runs (run_id, device_id, device_name, legacy_dir, sources) VALUES ($1, $2, $3, $4, $5)")
        .bind(run_id)
        .bind(device_id)
        .bind(device_name)
        .bind(legacy_dir)
        .bind(sources)
        .execute(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    Ok(())
}

/// Completes a run record with its counts and whether verification passed.
pub async fn finish(
    conn: &mut PgConnection,
    target: &ServerTarget,
    run_id: Uuid,
    counts: &serde_json::Value,
    verified: Option<bool>,
    failed: bool,
) -> Result<()> {
    sqlx::query("UPDATE noesis_sync.legacy_runs SET finished_at = now(), counts = $2, verified = $3, status = $4 WHERE run_id = $1")
        .bind(run_id)
        .bind(counts)
        .bind(verified)
        .bind(if failed { "failed" } else { "completed" })
        .execute(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    Ok(())
}

/// Version of the importers' normalising rules. Bump it whenever a change to an
/// importer makes some legacy row normalise differently (imported where it was
/// rejected, or with other values): high-water marks are keyed by it, so a
/// store whose content has not changed is merged again under the new rules
/// instead of being skipped as done, and `verify` (which applies the current
/// rules) finds it accounted for. Rows that come out the same count as
/// unchanged. 2: chat sessions without a title are imported, cards whose
/// provenance is not an object are rejected. 3: rows the Noesis server could
/// not read back (its enums, a provenance without reason) are rejected, and
/// enum values written another way take the server's spelling.
pub const NORMALISING_RULES: u32 = 3;

/// What high-water marks of a snapshot are stored under: its fingerprint under
/// the current [`NORMALISING_RULES`] (version 1 marks were the bare fingerprint).
pub fn resume_key(fingerprint: &str) -> String {
    format!("{fingerprint}+rules{NORMALISING_RULES}")
}

/// The rowid up to which `table` of the source with `resume_key` is merged (0
/// when nothing is).
pub async fn high_water(conn: &mut PgConnection, target: &ServerTarget, resume_key: &str, table: &str) -> Result<i64> {
    let mark: Option<i64> =
        sqlx::query_scalar("SELECT last_rowid FROM noesis_sync.legacy_high_water WHERE source_fingerprint = $1 AND table_name = $2")
            .bind(resume_key)
            .bind(table)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
    Ok(mark.unwrap_or(0))
}

/// Completed runs recorded centrally, newest first (for the wizard's "already
/// migrated on <device>" notice).
pub async fn completed_runs(
    conn: &mut PgConnection,
    target: &ServerTarget,
) -> Result<Vec<(String, String, chrono::DateTime<chrono::Utc>)>> {
    sqlx::query_as(
        "SELECT device_id, device_name, finished_at FROM noesis_sync.legacy_runs WHERE status = 'completed' ORDER BY finished_at DESC",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| target.classify(e))
}
