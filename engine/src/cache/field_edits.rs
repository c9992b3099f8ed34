//! When this device last changed each field of a row (`sync_field_edits`, see
//! `migrations/0008_field_edits.sql`, triggers from each table's declaration
//! in `triggers.rs`): the clocks the push compares field by
//! field with the server's, so the later edit of each field wins.

use rusqlite::Connection;

use super::Cache;
use crate::error::Result;
use crate::hlc::{FieldClocks, Hlc};
use crate::tables::TableSpec;
use crate::timestamp;

impl Cache {
    /// This device's clocks of its own edits of `id`'s fields since the row
    /// was last pushed, as `device` issues them.
    pub(crate) fn field_edit_clocks(&self, spec: &TableSpec, id: &str, device: &str) -> Result<FieldClocks> {
        let read = || -> rusqlite::Result<FieldClocks> {
            self.conn
                .prepare_cached("SELECT field, changed_at FROM sync_field_edits WHERE table_name = ?1 AND row_id = ?2")?
                .query_map([spec.name, id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .map(|row| {
                    let (field, at) = row?;
                    let millis = timestamp::parse(&at).map(|t| t.and_utc().timestamp_millis().max(0) as u64).unwrap_or(0);
                    Ok((field, Hlc::new(millis, 0, device)))
                })
                .collect()
        };
        read().map_err(|e| self.error("reading when fields were edited", e))
    }
}

/// Forgets a row's field edit times once its push has settled.
pub(crate) fn forget(conn: &Connection, table: &str, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sync_field_edits WHERE table_name = ?1 AND row_id = ?2")?.execute([table, id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tables;

    #[test]
    fn an_update_records_the_fields_it_changed_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let cache = crate::cache::Cache::open(dir.path()).unwrap();
        let conn = cache.connection();
        conn.execute_batch(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
             VALUES ('c1', '2025-01-01T00:00:00Z', 'preferences', 'global', 't0', 'pending', '{\"reason\": \"test\"}');
             UPDATE memory_cards SET text = 't1', scope = 'global' WHERE id = 'c1';",
        )
        .unwrap();
        let clocks = cache.field_edit_clocks(tables::by_name("memory_cards").unwrap(), "c1", "me").unwrap();
        assert_eq!(clocks.keys().collect::<Vec<_>>(), ["text"], "scope was set to what it was");
    }
}
