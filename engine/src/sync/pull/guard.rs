//! The pull half of the mass-deletion guard (see the cache's
//! `held_deletions` module): before reading the changelog, count per table
//! the rows this device has that the changes ahead end by deleting. A table
//! where that is a mass deletion has all its deletions held during this pull.

use std::collections::{HashMap, HashSet};

use rusqlite::OptionalExtension;
use sqlx::PgConnection;

use crate::cache::{self, Cache};
use crate::central::{Cursor, ServerTarget};
use crate::error::Result;
use crate::tables::{self, TableSpec};

/// Rows whose last change after `cursor` is a delete, by table, for tables
/// with more such rows than [`cache::MASS_DELETE_MIN`].
pub(super) type DeletionsAhead = HashMap<&'static str, (&'static TableSpec, Vec<String>)>;

/// Reads [`DeletionsAhead`] from the server's changelog.
pub(super) async fn deletions_ahead(
    conn: &mut PgConnection,
    target: &ServerTarget,
    cursor: Cursor,
    wanted: impl Fn(&TableSpec) -> bool,
) -> Result<DeletionsAhead> {
    // Rows whose last change ahead is a delete, for tables with more deletes
    // than the guard lets through without looking.
    let deleted: Vec<(String, String)> = sqlx::query_as(
        "WITH last AS (
             SELECT DISTINCT ON (table_name, row_id) table_name, row_id, op FROM noesis_sync.changelog
             WHERE (xid, change_id) > ($1::text::xid8, $2) ORDER BY table_name, row_id, change_id DESC
         ), gone AS (SELECT table_name, row_id FROM last WHERE op = 'D')
         SELECT table_name, row_id FROM gone
         WHERE table_name IN (SELECT table_name FROM gone GROUP BY table_name HAVING count(*) > $3)",
    )
    .bind(cursor.xid.to_string())
    .bind(cursor.change_id)
    .bind(cache::MASS_DELETE_MIN as i64)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    let mut by_table = DeletionsAhead::new();
    for (table, id) in deleted {
        if let Some(spec) = tables::by_name(&table).filter(|s| wanted(s)) {
            by_table.entry(spec.name).or_insert((spec, Vec::new())).1.push(id);
        }
    }
    Ok(by_table)
}

/// The tables where those deletions would remove most of the rows this
/// device has: their deletions are held during this pull.
pub(super) fn mass_deletions(cache: &Cache, ahead: DeletionsAhead) -> Result<HashSet<&'static str>> {
    let mut hold = HashSet::new();
    let conn = cache.connection();
    let count = |spec: &TableSpec, ids: &[String]| -> rusqlite::Result<(u64, u64)> {
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM {}", spec.name), [], |r| r.get(0))?;
        let mut here = conn.prepare_cached(&format!("SELECT 1 FROM {} WHERE {} = ?1", spec.name, spec.key))?;
        let mut present = 0;
        for id in ids {
            if here.query_row([id], |_| Ok(())).optional()?.is_some() {
                present += 1;
            }
        }
        Ok((present, rows as u64))
    };
    for (spec, ids) in ahead.into_values() {
        let (present, rows) = count(spec, &ids).map_err(|e| cache.error("counting rows the server deleted", e))?;
        if cache::is_mass_deletion(present, rows) {
            tracing::warn!(
                table = spec.name,
                rows = present,
                of = rows,
                "the server deleted most of this table's rows: holding their deletion"
            );
            hold.insert(spec.name);
        }
    }
    Ok(hold)
}
