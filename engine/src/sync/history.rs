//! History and trash: the versions the server kept of a row (migration 20),
//! the rows deleted and not back, and restoring either.
//!
//! Restoring writes the chosen version into the local cache as an ordinary
//! edit, exactly as keeping a conflict's losing version does
//! ([`super::conflicts`]): it syncs, merges and conflicts like any edit, and
//! once pushed, the version it replaced becomes history in turn.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, Row as _};

use crate::cache::{self, Cache};
use crate::central::{row_from_json, ServerTarget};
use crate::deep_json::PgJson;
use crate::error::{Error, Result};
use crate::tables::TableSpec;

/// Who replaced a version when no device named itself: the Noesis server,
/// psql, any other program writing the tables.
pub const NO_DEVICE: &str = "Noesis server / another program";

/// The schema version that brought history (`noesis_sync.row_versions`).
pub const HISTORY_SCHEMA_VERSION: i64 = 7;

/// What became of a kept version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Replaced {
    /// An edit replaced it; the row lives on.
    Edited,
    /// The row was deleted as it was in this version.
    Deleted,
    /// This version lost a conflict (the same field changed on two sides):
    /// it never reached the server's table, the conflict kept it.
    LostConflict,
}

/// Which earlier version to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRef {
    /// A version the server kept (`row_versions`).
    Kept(i64),
    /// The losing version of a conflict.
    ConflictLoser(uuid::Uuid),
}

impl VersionRef {
    /// Reads `N` or `conflict:UUID`, as `history` prints them.
    pub fn parse(text: &str) -> Option<Self> {
        match text.strip_prefix("conflict:") {
            Some(id) => uuid::Uuid::parse_str(id).ok().map(VersionRef::ConflictLoser),
            None => text.parse().ok().map(VersionRef::Kept),
        }
    }
}

impl std::fmt::Display for VersionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionRef::Kept(n) => write!(f, "{n}"),
            VersionRef::ConflictLoser(id) => write!(f, "conflict:{id}"),
        }
    }
}

/// One earlier version of a row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowVersion {
    /// Its number, for `restore --version` (grows with time, across rows);
    /// 0 for a conflict's losing version, named by `conflict`.
    pub version: i64,
    /// The conflict whose losing version this is (`restore --version
    /// conflict:ID`).
    pub conflict: Option<uuid::Uuid>,
    /// The table.
    pub table: String,
    /// The row's key.
    pub row_id: String,
    /// Whether an edit or a deletion replaced it.
    pub replaced: Replaced,
    /// When.
    pub replaced_at: DateTime<Utc>,
    /// The device that did it ("" when none named itself).
    pub device_id: String,
    /// That device's name, or [`NO_DEVICE`].
    pub by: String,
    /// The row as it was, in canonical form (embeddings left out).
    pub row: serde_json::Map<String, Value>,
    /// The columns in which this version differs from the one that replaced
    /// it (all of them for a deletion; for a conflict's loser, from the
    /// version that won), in the table's column order.
    pub changed: Vec<String>,
}

/// A row's story: what it is now and what it was, newest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowHistory {
    /// The table.
    pub table: String,
    /// The row's key.
    pub row_id: String,
    /// The row on the server now (`None`: deleted, see the trash).
    pub current: Option<serde_json::Map<String, Value>>,
    /// Earlier versions, newest first.
    pub versions: Vec<RowVersion>,
    /// The row's open conflicts (their losing versions are among
    /// `versions`, as [`Replaced::LostConflict`]).
    pub conflicts: Vec<uuid::Uuid>,
}

/// The table called `name`, if the server keeps its history; otherwise a
/// message naming the tables that do (the CLI's and the app's one rule).
pub fn spec_of(name: &str) -> Result<&'static TableSpec> {
    match crate::tables::by_name(name) {
        Some(spec) if spec.keeps_history => Ok(spec),
        _ => Err(not_kept(name)),
    }
}

fn not_kept(name: &str) -> Error {
    let names: Vec<&str> = crate::tables::with_history().iter().map(|t| t.name).collect();
    Error::Invalid { detail: format!("`{name}` is not a table with history: choose {}", names.join(", ")) }
}

/// The versions the server kept of row `id` of `spec`, newest first, with
/// the current row.
pub async fn history(conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec, id: &str) -> Result<RowHistory> {
    require_history(conn, target, spec).await?;
    let current = crate::central::fetch_rows(conn, spec, &[id.to_string()]).await.map_err(|e| target.classify(e))?.remove(id);
    let rows = sqlx::query(sqlx::AssertSqlSafe(version_sql("v.table_name = $1 AND v.row_id = $2 ORDER BY v.version_id DESC")))
        .bind(spec.name)
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    let mut versions = Vec::with_capacity(rows.len());
    // Each version against the one after it: the current row for the newest.
    let mut newer = current.clone();
    for r in &rows {
        let mut version = decode(spec, r, target)?;
        version.changed = match (version.replaced, &newer) {
            (Replaced::Edited, Some(after)) => changed_columns(spec, &version.row, after),
            _ => spec.columns.iter().map(|c| c.name.to_string()).collect(),
        };
        newer = Some(version.row.clone());
        versions.push(version);
    }
    let mut conflicts = Vec::new();
    for loser in conflict_losers(conn, target, spec, id).await? {
        if loser.open {
            conflicts.push(loser.version.conflict.unwrap_or_default());
        }
        versions.push(loser.version);
    }
    // One story, newest first: kept versions and conflict losers by time.
    versions.sort_by(|a, b| b.replaced_at.cmp(&a.replaced_at).then(b.version.cmp(&a.version)));
    Ok(RowHistory { table: spec.name.into(), row_id: id.into(), current, versions, conflicts })
}

/// Rows of `specs` deleted on the server and not back since, newest deletion
/// first, each as it was when deleted (at most `limit`).
pub async fn trash(conn: &mut PgConnection, target: &ServerTarget, specs: &[&TableSpec], limit: i64) -> Result<Vec<RowVersion>> {
    require_history_schema(conn, target).await?;
    let mut out = Vec::new();
    for spec in specs.iter().filter(|s| s.keeps_history) {
        let condition = format!(
            "v.table_name = $1 AND v.op = 'D'
               AND v.version_id = (SELECT max(l.version_id) FROM noesis_sync.row_versions l
                                   WHERE l.table_name = v.table_name AND l.row_id = v.row_id)
               AND NOT EXISTS (SELECT 1 FROM public.{} t WHERE t.{} = v.row_id)
             ORDER BY v.version_id DESC LIMIT $2",
            spec.name, spec.key
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(version_sql(&condition)))
            .bind(spec.name)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
        for r in &rows {
            out.push(decode(spec, r, target)?);
        }
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.version));
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}

/// Puts version `version` of row `id` back, as a local edit of this device
/// (the caller then syncs). A deleted row comes back as it was deleted; a
/// conflict's losing version resolves the conflict if it is still open.
pub async fn restore(
    cache: &Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    spec: &TableSpec,
    id: &str,
    version: VersionRef,
) -> Result<RowVersion> {
    require_history(conn, target, spec).await?;
    let no_such = || {
        Error::Invalid {
        detail: format!(
            "{} {id} has no version {version}: list its versions with `noesis-sync history {} {id}` (versions older than the server's history_days are pruned)",
            spec.name, spec.name
        ),
    }
    };
    let number = match version {
        VersionRef::Kept(n) => n,
        VersionRef::ConflictLoser(conflict) => {
            let loser = conflict_losers(conn, target, spec, id).await?.into_iter().find(|l| l.version.conflict == Some(conflict));
            let loser = loser.ok_or_else(no_such)?;
            if loser.open {
                super::conflicts::resolve(cache, conn, target, conflict, super::conflicts::Keep::Losing).await?;
            } else {
                cache::write_row(cache.connection(), spec, &loser.version.row)
                    .map_err(|e| cache.error("restoring a conflict's losing version", e))?;
            }
            return Ok(loser.version);
        }
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(version_sql("v.table_name = $1 AND v.row_id = $2 AND v.version_id = $3")))
        .bind(spec.name)
        .bind(id)
        .bind(number)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?
        .ok_or_else(no_such)?;
    let version = decode(spec, &row, target)?;
    cache::write_row(cache.connection(), spec, &version.row).map_err(|e| cache.error("restoring an earlier version", e))?;
    Ok(version)
}

/// A conflict's losing version, and whether the conflict is still open.
struct ConflictLoser {
    version: RowVersion,
    open: bool,
}

/// The losing versions the conflicts of row `id` kept (deletions that lost
/// have no version to show).
async fn conflict_losers(conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec, id: &str) -> Result<Vec<ConflictLoser>> {
    let rows = sqlx::query(
        "SELECT c.conflict_id, c.losing_version, c.winning_version, c.losing_device, c.created_at, c.resolution IS NULL AS open,
                coalesce(nullif(d.name, ''), c.losing_device) AS name
         FROM noesis_sync.conflicts c LEFT JOIN noesis_sync.devices d ON d.device_id = c.losing_device
         WHERE c.table_name = $1 AND c.row_id = $2 AND c.losing_version IS NOT NULL",
    )
    .bind(spec.name)
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let get_err = |e| target.classify(e);
        let losing: PgJson = r.try_get("losing_version").map_err(get_err)?;
        let winning: Option<PgJson> = r.try_get("winning_version").map_err(get_err)?;
        let device_id: String = r.try_get("losing_device").map_err(get_err)?;
        let name: String = r.try_get("name").map_err(get_err)?;
        let row = row_from_json(spec, losing.0).unwrap_or_default();
        let winner = winning.and_then(|w| row_from_json(spec, w.0));
        let changed = match &winner {
            Some(w) => changed_columns(spec, &row, w),
            None => spec.columns.iter().map(|c| c.name.to_string()).collect(),
        };
        out.push(ConflictLoser {
            version: RowVersion {
                version: 0,
                conflict: Some(r.try_get("conflict_id").map_err(get_err)?),
                table: spec.name.into(),
                row_id: id.into(),
                replaced: Replaced::LostConflict,
                replaced_at: r.try_get("created_at").map_err(get_err)?,
                by: if device_id.is_empty() { NO_DEVICE.to_string() } else { name },
                device_id,
                row,
                changed,
            },
            open: r.try_get("open").map_err(get_err)?,
        });
    }
    Ok(out)
}

/// Restores a deleted row as it was when deleted (its latest version).
pub async fn undelete(cache: &Cache, conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec, id: &str) -> Result<RowVersion> {
    let story = history(conn, target, spec, id).await?;
    if story.current.is_some() {
        return Err(Error::Invalid {
            detail: format!(
                "{} {id} is not deleted on the server: to bring back an earlier version, use `noesis-sync restore {} {id} --version N`",
                spec.name, spec.name
            ),
        });
    }
    let Some(deleted) = story.versions.iter().find(|v| v.replaced == Replaced::Deleted) else {
        return Err(Error::Invalid {
            detail: format!(
                "{} {id} is not in the trash: it never existed on the server, or was purged by its history retention",
                spec.name
            ),
        });
    };
    restore(cache, conn, target, spec, id, VersionRef::Kept(deleted.version)).await
}

/// The SELECT of versions with the replacing device's name, for a condition
/// on `v` (binds `$1` = table name onwards).
fn version_sql(condition: &str) -> String {
    format!(
        "SELECT v.version_id, v.row_id, v.op, v.row_data, v.replaced_at, v.device_id, coalesce(nullif(d.name, ''), v.device_id) AS name
         FROM noesis_sync.row_versions v LEFT JOIN noesis_sync.devices d ON d.device_id = v.device_id
         WHERE {condition}"
    )
}

fn decode(spec: &TableSpec, r: &sqlx::postgres::PgRow, target: &ServerTarget) -> Result<RowVersion> {
    let get_err = |e| target.classify(e);
    let device_id: String = r.try_get("device_id").map_err(get_err)?;
    let name: String = r.try_get("name").map_err(get_err)?;
    let op: String = r.try_get("op").map_err(get_err)?;
    let data: PgJson = r.try_get("row_data").map_err(get_err)?;
    Ok(RowVersion {
        version: r.try_get("version_id").map_err(get_err)?,
        conflict: None,
        table: spec.name.into(),
        row_id: r.try_get("row_id").map_err(get_err)?,
        replaced: if op == "D" { Replaced::Deleted } else { Replaced::Edited },
        replaced_at: r.try_get("replaced_at").map_err(get_err)?,
        by: if device_id.is_empty() { NO_DEVICE.to_string() } else { name },
        device_id,
        row: row_from_json(spec, data.0).unwrap_or_default(),
        changed: Vec::new(),
    })
}

/// The columns of `spec` whose values differ between two versions.
fn changed_columns(spec: &TableSpec, older: &serde_json::Map<String, Value>, newer: &serde_json::Map<String, Value>) -> Vec<String> {
    spec.columns.iter().filter(|c| older.get(c.name) != newer.get(c.name)).map(|c| c.name.to_string()).collect()
}

/// Fails with "run setup" on a server without history, or for a table that
/// keeps none.
async fn require_history(conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec) -> Result<()> {
    if !spec.keeps_history {
        return Err(not_kept(spec.name));
    }
    require_history_schema(conn, target).await
}

/// Fails with "run setup" on a server that predates history (schema 7).
async fn require_history_schema(conn: &mut PgConnection, target: &ServerTarget) -> Result<()> {
    let present: bool = sqlx::query_scalar("SELECT to_regclass('noesis_sync.row_versions') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    if present {
        return Ok(());
    }
    Err(Error::SchemaOutdated {
        host: target.url().host().into(),
        port: target.url().port(),
        server: HISTORY_SCHEMA_VERSION - 1,
        required: HISTORY_SCHEMA_VERSION,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_version_names_the_fields_its_replacement_changed() {
        let spec = crate::tables::by_name("memory_cards").unwrap();
        let older = json!({"id": "c1", "text": "old", "approval": "pending"}).as_object().unwrap().clone();
        let newer = json!({"id": "c1", "text": "new", "approval": "pending"}).as_object().unwrap().clone();
        assert_eq!(changed_columns(spec, &older, &newer), vec!["text".to_string()]);
    }
}
