//! Reading the central changelog in an order that never skips a change.
//!
//! Transactions can commit out of order: one that started (and got its xid)
//! earlier may commit after a later one. Reading "everything after the last
//! change id seen" would then skip the late committer's rows for good. So a pull
//! reads only rows whose xid is below the horizon (`pg_snapshot_xmin` of the
//! current snapshot: every transaction below it has finished), ordered by
//! (xid, change_id), and the cursor is the last such pair. A transaction still
//! running holds the horizon back, so its rows are read after it commits.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::ServerTarget;
use crate::error::Result;

/// Where a device is in the changelog: the last (xid, change_id) it has read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    /// Transaction id (xid8) of the last change read.
    pub xid: u64,
    /// Its change id.
    pub change_id: i64,
}

/// One changelog row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// Position of this change, for the cursor.
    pub cursor: Cursor,
    /// The synced table.
    pub table_name: String,
    /// The row's key.
    pub row_id: String,
    /// `I`, `U` or `D`.
    pub op: String,
    /// The device that wrote it; empty for other programs (the Python server, psql).
    pub device_id: String,
    /// The writing device's operation number, when a device wrote it.
    pub op_id: Option<i64>,
    /// The edit's hybrid logical clock, when a device wrote it.
    pub hlc: Option<String>,
    /// When the row changed, by the server's clock.
    pub changed_at: DateTime<Utc>,
    /// For deletes, the row as it was.
    pub tombstone: Option<serde_json::Value>,
}

/// The one rule both changelog readers follow: changes after the cursor
/// (`$1` xid as text, `$2` change id), only below the xid8 horizon, in
/// (xid, change id) order, at most `$3`. The horizon is computed once per
/// query (an init plan), not once per row.
macro_rules! after_cursor_below_horizon {
    () => {
        "
         FROM noesis_sync.changelog c
         WHERE (c.xid, c.change_id) > ($1::text::xid8, $2)
           AND c.xid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
         ORDER BY c.xid, c.change_id
         LIMIT $3"
    };
}

/// Up to `limit` changes after `after`, oldest first, all below the horizon
/// (computed once per query, as an init plan, not once per row).
pub async fn fetch_changes(conn: &mut PgConnection, target: &ServerTarget, after: Cursor, limit: i64) -> Result<Vec<Change>> {
    let rows = sqlx::query(
        // The xid is returned as text under another name: `ORDER BY xid` would
        // otherwise sort by the text output column ("1000" before "999").
        concat!(
            "SELECT c.change_id, c.xid::text AS xid_text, c.table_name, c.row_id, c.op::text, c.device_id, c.op_id, c.hlc, c.changed_at, c.tombstone",
            after_cursor_below_horizon!()
        ),
    )
    .bind(after.xid.to_string())
    .bind(after.change_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(rows
        .into_iter()
        .map(|r| Change {
            cursor: Cursor { xid: r.get::<String, _>(1).parse().unwrap_or(0), change_id: r.get(0) },
            table_name: r.get(2),
            row_id: r.get(3),
            op: r.get(4),
            device_id: r.get(5),
            op_id: r.get(6),
            hlc: r.get(7),
            changed_at: r.get(8),
            tombstone: r.get::<Option<crate::deep_json::PgJson>, _>(9).map(|j| j.0),
        })
        .collect())
}

/// Which row one change touched, and where the change sits in the changelog:
/// all a pull needs (it reads the rows' current versions, not the changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRow {
    /// Position of this change, for the cursor.
    pub cursor: Cursor,
    /// The synced table.
    pub table_name: String,
    /// The row's key.
    pub row_id: String,
}

/// Up to `limit` changed rows after `after`, in the order and below the horizon
/// of [`fetch_changes`], without the columns a pull does not use (a mass
/// delete's tombstones would otherwise travel in full).
pub async fn fetch_changed_rows(conn: &mut PgConnection, target: &ServerTarget, after: Cursor, limit: i64) -> Result<Vec<ChangedRow>> {
    let rows = sqlx::query(concat!("SELECT c.change_id, c.xid::text AS xid_text, c.table_name, c.row_id", after_cursor_below_horizon!()))
        .bind(after.xid.to_string())
        .bind(after.change_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    rows.into_iter()
        .map(|r| {
            Ok(ChangedRow {
                cursor: Cursor { xid: r.try_get::<String, _>(1)?.parse().unwrap_or(0), change_id: r.try_get(0)? },
                table_name: r.try_get(2)?,
                row_id: r.try_get(3)?,
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(|e| target.classify(e))
}
