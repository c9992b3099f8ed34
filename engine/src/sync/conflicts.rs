//! Listing and resolving the conflicts sync recorded. A conflict keeps the
//! losing version of a row; resolving it by keeping that version writes it to
//! the local cache as an ordinary edit, so it syncs like any other.

use sqlx::{PgConnection, Row as _};
use uuid::Uuid;

use super::merge::Row;
use crate::cache::{self, Cache};
use crate::central::ServerTarget;
use crate::error::{Error, Result};
use crate::tables;

/// A recorded conflict.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConflictRecord {
    /// Its id, for `conflicts resolve`.
    pub id: Uuid,
    /// The table.
    pub table: String,
    /// The row's key.
    pub row_id: String,
    /// `concurrent_edit` or `edit_vs_delete`.
    pub reason: String,
    /// The version now in place (`None`: the row ended deleted).
    pub winning: Option<serde_json::Value>,
    /// The version that lost (`None`: the losing side had deleted the row).
    pub losing: Option<serde_json::Value>,
    /// Device whose version won ("" for another program).
    pub winning_device: String,
    /// Device whose version lost.
    pub losing_device: String,
    /// When it was recorded.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Which version to keep when resolving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The version this device wrote.
    Local,
    /// The version that came from elsewhere.
    Remote,
    /// The version that won automatically.
    Winning,
    /// The version that lost.
    Losing,
}

/// Open (unresolved) conflicts, oldest first.
pub async fn open_conflicts(conn: &mut PgConnection, target: &ServerTarget) -> Result<Vec<ConflictRecord>> {
    let rows = sqlx::query(
        "SELECT conflict_id, table_name, row_id, reason, winning_version, losing_version, winning_device, losing_device, created_at
         FROM noesis_sync.conflicts WHERE resolution IS NULL ORDER BY created_at, conflict_id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(rows
        .into_iter()
        .map(|r| ConflictRecord {
            id: r.get(0),
            table: r.get(1),
            row_id: r.get(2),
            reason: r.get(3),
            winning: r.get(4),
            losing: r.get(5),
            winning_device: r.get(6),
            losing_device: r.get(7),
            created_at: r.get(8),
        })
        .collect())
}

/// Resolves conflict `id` by keeping one version. Keeping the losing version
/// writes it into the cache as a local edit (the caller then syncs); either way
/// the conflict is marked resolved on the server.
pub async fn resolve(cache: &Cache, conn: &mut PgConnection, target: &ServerTarget, id: Uuid, keep: Keep) -> Result<ConflictRecord> {
    let record = open_conflicts(conn, target)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| Error::Postgres {
            context: "resolving a conflict".into(),
            detail: format!("no open conflict has the id {id}: list them with `noesis-sync conflicts`"),
        })?;
    let me = cache.device()?.id.to_string();
    let keep_losing = match keep {
        Keep::Winning => false,
        Keep::Losing => true,
        Keep::Local | Keep::Remote if record.losing_device != me && record.winning_device != me => {
            return Err(Error::Postgres {
                context: "resolving a conflict".into(),
                detail: format!(
                    "this conflict is between devices `{}` and `{}`, not this one: say --keep winning or --keep losing",
                    record.winning_device, record.losing_device
                ),
            })
        }
        Keep::Local => record.losing_device == me,
        Keep::Remote => record.losing_device != me,
    };
    if keep_losing {
        let spec = tables::by_name(&record.table).ok_or_else(|| Error::Postgres {
            context: "resolving a conflict".into(),
            detail: format!("the conflict is on `{}`, a table this version does not sync", record.table),
        })?;
        let restore = |row: &Row| cache::write_row(cache.connection(), spec, row);
        match &record.losing {
            Some(serde_json::Value::Object(row)) => restore(row),
            _ => cache::delete_row(cache.connection(), spec, &record.row_id),
        }
        .map_err(|e| cache.error("restoring the losing version", e))?;
    }
    sqlx::query("UPDATE noesis_sync.conflicts SET resolution = $2, resolved_at = now(), resolved_by = $3 WHERE conflict_id = $1")
        .bind(id)
        .bind(if keep_losing { "keep_losing" } else { "keep_winning" })
        .bind(&me)
        .execute(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    Ok(record)
}
