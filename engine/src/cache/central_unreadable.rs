//! Central rows the Noesis Python server could not read back, as this device
//! last pulled them (`central_unreadable`, see `migrations/0006_central_unreadable.sql`).
//!
//! The pull never stops on such a row: it arrives like any other, and is
//! noted here with the reason, so the app can mark it and `status` can list
//! it. The note follows the server's version of the row: a later pull or push
//! of a readable version (or a delete) clears it.

use rusqlite::{Connection, OptionalExtension};

use super::Cache;
use crate::error::Result;
use crate::tables::{self, TableSpec};

/// One central row the server could not read, for `status` and the app.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnreadableRow {
    /// Its table.
    pub table_name: String,
    /// Its key.
    pub row_id: String,
    /// Which fields break the server's contract, with what is allowed.
    pub reason: String,
}

/// `sync_state` key set while rows pulled before the table existed are unchecked.
const SCAN_DUE: &str = "central_unreadable_scan";

/// Records what the server's version of a row is: `reason` when the server
/// could not read it, `None` (readable, or deleted) to clear the note.
pub(crate) fn note(conn: &Connection, table: &str, id: &str, reason: Option<&str>) -> rusqlite::Result<()> {
    match reason {
        Some(reason) => conn
            .prepare_cached(
                "INSERT INTO central_unreadable (table_name, row_id, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT (table_name, row_id) DO UPDATE SET reason = excluded.reason",
            )?
            .execute([table, id, reason])?,
        None => conn.prepare_cached("DELETE FROM central_unreadable WHERE table_name = ?1 AND row_id = ?2")?.execute([table, id])?,
    };
    Ok(())
}

/// Why the server could not read `row` (canonical form), or `None`.
pub(crate) fn reason_of(spec: &TableSpec, row: Option<&serde_json::Map<String, serde_json::Value>>) -> Option<String> {
    spec.breach_summary(row?)
}

/// Checks once, after the upgrade that added the table, the rows already
/// pulled: their shadow copies are the server's versions.
pub(super) fn scan_if_due(cache: &mut Cache) -> Result<()> {
    let path = cache.path.clone();
    let scan = |tx: &rusqlite::Transaction<'_>| -> rusqlite::Result<()> {
        let due = tx.query_row("SELECT 1 FROM sync_state WHERE key = ?1", [SCAN_DUE], |_| Ok(())).optional()?.is_some();
        if !due {
            return Ok(());
        }
        let mut found = Vec::new();
        {
            let mut stmt = tx.prepare("SELECT table_name, row_id, data FROM sync_shadow")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (table, id, data): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let Some(spec) = tables::by_name(&table) else { continue };
                let row = crate::deep_json::parse_row(&data).ok();
                if let Some(reason) = reason_of(spec, row.as_ref().and_then(|v| v.as_object())) {
                    found.push((table, id, reason));
                }
            }
        }
        for (table, id, reason) in &found {
            note(tx, table, id, Some(reason))?;
        }
        tx.execute("DELETE FROM sync_state WHERE key = ?1", [SCAN_DUE])?;
        Ok(())
    };
    let mut run = || -> rusqlite::Result<()> {
        let tx = cache.conn.transaction()?;
        scan(&tx)?;
        tx.commit()
    };
    run().map_err(|e| super::cache_error(&path, "checking the rows pulled before against the Noesis server's contract", e))
}

impl Cache {
    /// How many central rows the Noesis server could not read, as last pulled.
    pub fn unreadable_central_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM central_unreadable", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.error("counting the server rows the Noesis server cannot read", e))
    }

    /// Those rows, by table and key, at most `limit`.
    pub fn unreadable_central_rows(&self, limit: usize) -> Result<Vec<UnreadableRow>> {
        let read = || -> rusqlite::Result<Vec<UnreadableRow>> {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT table_name, row_id, reason FROM central_unreadable ORDER BY table_name, row_id LIMIT ?1")?;
            let rows =
                stmt.query_map([limit as i64], |r| Ok(UnreadableRow { table_name: r.get(0)?, row_id: r.get(1)?, reason: r.get(2)? }))?;
            rows.collect()
        };
        read().map_err(|e| self.error("reading the server rows the Noesis server cannot read", e))
    }

    /// Why the server could not read its version of one row (the app's marker).
    pub fn unreadable_reason(&self, table: &str, id: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT reason FROM central_unreadable WHERE table_name = ?1 AND row_id = ?2", [table, id], |r| r.get(0))
            .optional()
            .map_err(|e| self.error("reading a server row's note", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_pulled_before_the_upgrade_are_checked_once_from_their_shadows() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.unreadable_central_count().unwrap(), 0);
        // As an older version left it: a shadow of a card the server cannot read, and the upgrade's mark.
        cache
            .conn
            .execute_batch(
                r#"INSERT INTO sync_shadow (table_name, row_id, data) VALUES
                     ('memory_cards', 'old', '{"approval":"archived","approved_at":null,"category":"preferences","created_at":"2025-01-01T00:00:00.000000Z","id":"old","provenance":{"reason":"x"},"rejected_at":null,"scope":"global","text":"t"}'),
                     ('memory_cards', 'good', '{"approval":"pending","approved_at":null,"category":"preferences","created_at":"2025-01-01T00:00:00.000000Z","id":"good","provenance":{"reason":"x"},"rejected_at":null,"scope":"global","text":"t"}');
                   INSERT INTO sync_state (key, value) VALUES ('central_unreadable_scan', 'due');"#,
            )
            .unwrap();
        scan_if_due(&mut cache).unwrap();
        let rows = cache.unreadable_central_rows(10).unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].row_id, "old");
        assert!(rows[0].reason.contains(r#"approval is "archived""#), "{rows:?}");
        assert_eq!(cache.unreadable_reason("memory_cards", "old").unwrap(), Some(rows[0].reason.clone()));
        cache.conn.execute("DELETE FROM central_unreadable", []).unwrap();
        scan_if_due(&mut cache).unwrap();
        assert_eq!(cache.unreadable_central_count().unwrap(), 0, "the check runs once, not at every start");
    }
}
