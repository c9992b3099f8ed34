//! Listing and resolving the conflicts sync recorded. A conflict keeps the
//! losing version of a row; resolving it by keeping that version, or by a
//! version the user merged by hand, writes it to the local cache as an
//! ordinary edit, so it syncs like any other.
//!
//! Vocabulary: the **winning** version is the one sync put in place, the
//! **losing** one the one it set aside; **mine** is whichever of the two this
//! device wrote, **theirs** the other.

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
            winning: r.get::<Option<crate::deep_json::PgJson>, _>(4).map(|j| j.0),
            losing: r.get::<Option<crate::deep_json::PgJson>, _>(5).map(|j| j.0),
            winning_device: r.get(6),
            losing_device: r.get(7),
            created_at: r.get(8),
        })
        .collect())
}

/// One column of a conflicted row, both versions side by side.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldSides {
    /// The column.
    pub field: String,
    /// Its value in the version sync kept (`Null` when that side deleted the row).
    pub winning: serde_json::Value,
    /// Its value in the version sync set aside.
    pub losing: serde_json::Value,
    /// Whether the two differ: the fields the user has to look at.
    pub differs: bool,
}

/// The columns of a conflicted row in the table's order, each with both
/// versions; unknown tables list the union of the versions' keys.
pub fn field_sides(record: &ConflictRecord) -> Vec<FieldSides> {
    let empty = Row::new();
    let side = |v: &Option<serde_json::Value>| match v {
        Some(serde_json::Value::Object(row)) => row.clone(),
        _ => empty.clone(),
    };
    let (winning, losing) = (side(&record.winning), side(&record.losing));
    let names: Vec<String> = match tables::by_name(&record.table) {
        Some(spec) => spec.columns.iter().map(|c| c.name.to_string()).collect(),
        None => {
            let mut names: Vec<String> = winning.keys().chain(losing.keys()).cloned().collect();
            names.sort();
            names.dedup();
            names
        }
    };
    names
        .into_iter()
        .map(|field| {
            let w = winning.get(&field).cloned().unwrap_or(serde_json::Value::Null);
            let l = losing.get(&field).cloned().unwrap_or(serde_json::Value::Null);
            FieldSides { differs: w != l, winning: w, losing: l, field }
        })
        .collect()
}

/// The row to write when the user resolves with a version of their own:
/// `edits` (column → value) over the version in place (or the set-aside one
/// when the row ended deleted). Refuses unknown columns and a changed key, so
/// a merged version can only change what the row already has.
pub fn merged_row(record: &ConflictRecord, edits: &Row) -> Result<Row> {
    let spec = table_of(record)?;
    let base = match (&record.winning, &record.losing) {
        (Some(serde_json::Value::Object(row)), _) | (_, Some(serde_json::Value::Object(row))) => row.clone(),
        _ => return Err(Error::Invalid { detail: "both versions of this row are deletions: there is nothing to merge".into() }),
    };
    let mut row = base;
    for (field, value) in edits {
        if spec.column(field).is_none() {
            return Err(Error::Invalid {
                detail: format!("`{field}` is not a column of {}: a merged version may only change its columns", spec.name),
            });
        }
        if field == spec.key && value.as_str() != Some(record.row_id.as_str()) {
            return Err(Error::Invalid { detail: format!("a merged version cannot change the row's key `{}`", spec.key) });
        }
        row.insert(field.clone(), value.clone());
    }
    Ok(row)
}

fn table_of(record: &ConflictRecord) -> Result<&'static tables::TableSpec> {
    tables::by_name(&record.table).ok_or_else(|| Error::Postgres {
        context: "resolving a conflict".into(),
        detail: format!("the conflict is on `{}`, a table this version does not sync", record.table),
        source: None,
    })
}

/// Resolves conflict `id` by keeping one version. Keeping the losing version
/// writes it into the cache as a local edit (the caller then syncs); either way
/// the conflict is marked resolved on the server.
pub async fn resolve(cache: &Cache, conn: &mut PgConnection, target: &ServerTarget, id: Uuid, keep: Keep) -> Result<ConflictRecord> {
    let record = find_open(conn, target, id).await?;
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
                source: None,
            })
        }
        Keep::Local => record.losing_device == me,
        Keep::Remote => record.losing_device != me,
    };
    if keep_losing {
        let spec = table_of(&record)?;
        match &record.losing {
            Some(serde_json::Value::Object(row)) => cache::write_row(cache.connection(), spec, row),
            _ => cache::delete_row(cache.connection(), spec, &record.row_id),
        }
        .map_err(|e| cache.error("restoring the losing version", e))?;
    }
    mark_resolved(conn, target, id, if keep_losing { "keep_losing" } else { "keep_winning" }, &me).await?;
    Ok(record)
}

/// Resolves conflict `id` with a version the user merged by hand: `edits`
/// over the version in place (see [`merged_row`]), written into the cache as a
/// local edit (the caller then syncs), and the conflict marked `merged`.
pub async fn resolve_merged(
    cache: &Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    id: Uuid,
    edits: &Row,
) -> Result<ConflictRecord> {
    let record = find_open(conn, target, id).await?;
    let row = merged_row(&record, edits)?;
    let spec = table_of(&record)?;
    cache::write_row(cache.connection(), spec, &row).map_err(|e| cache.error("writing the merged version", e))?;
    let me = cache.device()?.id.to_string();
    mark_resolved(conn, target, id, "merged", &me).await?;
    Ok(record)
}

async fn find_open(conn: &mut PgConnection, target: &ServerTarget, id: Uuid) -> Result<ConflictRecord> {
    open_conflicts(conn, target).await?.into_iter().find(|c| c.id == id).ok_or_else(|| Error::Postgres {
        context: "resolving a conflict".into(),
        detail: format!("no open conflict has the id {id}: it was resolved meanwhile, perhaps on another device; list them with `noesis-sync conflicts`"), source: None,
    })
}

async fn mark_resolved(conn: &mut PgConnection, target: &ServerTarget, id: Uuid, resolution: &str, me: &str) -> Result<()> {
    sqlx::query("UPDATE noesis_sync.conflicts SET resolution = $2, resolved_at = now(), resolved_by = $3 WHERE conflict_id = $1")
        .bind(id)
        .bind(resolution)
        .bind(me)
        .execute(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(winning: serde_json::Value, losing: serde_json::Value) -> ConflictRecord {
        ConflictRecord {
            id: Uuid::nil(),
            table: "memory_cards".into(),
            row_id: "c1".into(),
            reason: "concurrent_edit".into(),
            winning: (!winning.is_null()).then_some(winning),
            losing: (!losing.is_null()).then_some(losing),
            winning_device: "a".into(),
            losing_device: "b".into(),
            created_at: chrono::Utc::now(),
        }
    }

    fn card(text: &str, scope: &str) -> serde_json::Value {
        json!({"id": "c1", "created_at": "2025-01-01T00:00:00Z", "category": "fact", "scope": scope, "text": text,
               "approval": "pending", "approved_at": null, "rejected_at": null, "provenance": {}})
    }

    #[test]
    fn sides_follow_the_table_order_and_mark_the_fields_that_differ() {
        let sides = field_sides(&record(card("kept", "global"), card("lost", "global")));
        let names: Vec<&str> = sides.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["id", "created_at", "category", "scope", "text", "approval", "approved_at", "rejected_at", "provenance"]);
        let differing: Vec<&str> = sides.iter().filter(|f| f.differs).map(|f| f.field.as_str()).collect();
        assert_eq!(differing, ["text"], "only the field both sides changed needs the user's eye");
        let text = sides.iter().find(|f| f.field == "text").unwrap();
        assert_eq!((text.winning.clone(), text.losing.clone()), (json!("kept"), json!("lost")));
    }

    #[test]
    fn a_deleted_side_shows_as_empty_fields() {
        let sides = field_sides(&record(card("kept", "global"), serde_json::Value::Null));
        assert!(sides.iter().all(|f| f.losing.is_null()));
        assert!(sides.iter().filter(|f| f.field != "approved_at" && f.field != "rejected_at").all(|f| f.differs));
    }

    #[test]
    fn a_merged_version_changes_only_the_fields_given() {
        let r = record(card("kept", "global"), card("lost", "project"));
        let edits = json!({"text": "kept and lost, merged"}).as_object().unwrap().clone();
        let row = merged_row(&r, &edits).unwrap();
        assert_eq!(row["text"], "kept and lost, merged");
        assert_eq!(row["scope"], "global", "fields not edited keep the version in place");
        assert_eq!(row["id"], "c1");
    }

    #[test]
    fn a_merged_version_of_a_deleted_row_starts_from_the_surviving_side() {
        let r = record(serde_json::Value::Null, card("lost", "project"));
        let row = merged_row(&r, &Row::new()).unwrap();
        assert_eq!(row["text"], "lost");
    }

    #[test]
    fn a_merged_version_cannot_add_columns_or_change_the_key() {
        let r = record(card("kept", "global"), card("lost", "global"));
        for edits in [json!({"colour": "red"}), json!({"id": "c2"})] {
            let err = merged_row(&r, edits.as_object().unwrap()).unwrap_err();
            assert_eq!(err.code(), crate::error::ErrorCode::Invalid, "{edits}");
        }
        let both_deleted = record(serde_json::Value::Null, serde_json::Value::Null);
        assert_eq!(merged_row(&both_deleted, &Row::new()).unwrap_err().code(), crate::error::ErrorCode::Invalid);
    }
}
