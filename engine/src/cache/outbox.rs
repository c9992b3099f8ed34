//! The outbox (local changes waiting to be pushed), the changes not accepted
//! (refused by the server or held back before sending, kept in
//! `sync_rejected`), and the capture flag that keeps engine-applied changes out
//! of the outbox. See `migrations/0002_sync.sql` and `0004_sync_push.sql`.

use rusqlite::Transaction;

use super::Cache;
use crate::error::Result;

/// One captured local change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxEntry {
    /// This device's operation number, strictly increasing.
    pub op_id: i64,
    /// The synced table.
    pub table_name: String,
    /// The row's key.
    pub row_id: String,
    /// `I`, `U` or `D`.
    pub op: String,
    /// When the change was made, by this machine's clock (ISO-8601 UTC).
    pub changed_at: String,
}

/// One local change not accepted: refused by the server, or held back because
/// the server would misread a value. The row itself stays in the cache as
/// written; editing it queues it again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedChange {
    /// The synced table.
    pub table_name: String,
    /// The row's key.
    pub row_id: String,
    /// Why, as the server or the engine said it (names the column and value
    /// when the engine held it back).
    pub reason: String,
    /// When the change was last refused (ISO-8601 UTC).
    pub rejected_at: String,
}

impl Cache {
    /// How many local changes wait to be pushed.
    pub fn pending_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM sync_outbox", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.error("counting pending changes", e))
    }

    /// SQLite's `data_version`: changes whenever another connection (the app,
    /// the `sqlite3` shell, another program) commits to the file. Cheap to poll.
    pub fn data_version(&self) -> Result<i64> {
        self.conn.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(|e| self.error("reading the data version", e))
    }

    /// How many local changes were not accepted: refused by the server or held
    /// back before sending (see `sync_rejected`).
    pub fn rejected_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM sync_rejected", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.error("counting refused changes", e))
    }

    /// The changes not accepted, newest first, at most `limit` of them: what
    /// the app lists so the user can find and fix each row.
    pub fn rejected_changes(&self, limit: usize) -> Result<Vec<RejectedChange>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT table_name, row_id, reason, rejected_at FROM sync_rejected
                 ORDER BY rejected_at DESC, table_name, row_id LIMIT ?1",
            )
            .map_err(|e| self.error("reading the changes not accepted", e))?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(RejectedChange { table_name: r.get(0)?, row_id: r.get(1)?, reason: r.get(2)?, rejected_at: r.get(3)? })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error("reading the changes not accepted", e))?;
        Ok(rows)
    }

    /// Queues again the changes that wait for a row this device has since
    /// seen on the server (it holds a shadow copy of it), so a chunk pushed
    /// before its document goes once the document is there; the number queued.
    pub fn requeue_waiting(&self) -> Result<usize> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_outbox (table_name, row_id, op)
                 SELECT r.table_name, r.row_id, 'U' FROM sync_rejected r
                 WHERE r.waits_for_table IS NOT NULL
                   AND EXISTS (SELECT 1 FROM sync_shadow s WHERE s.table_name = r.waits_for_table AND s.row_id = r.waits_for_row)
                   AND NOT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.table_name = r.table_name AND o.row_id = r.row_id)",
            )
            .and_then(|mut stmt| stmt.execute([]))
            .map_err(|e| self.error("queueing again the changes that waited for another row", e))
    }

    /// Moves the queued changes whose row id cannot reach the server (a BLOB
    /// written by another program, or text holding a NUL, which PostgreSQL
    /// text cannot hold) to `sync_rejected`, named by the id's bytes in hex,
    /// with the reason; returns how many. Without this, reading the queue
    /// failed on such a row at every sync and nothing else was pushed.
    pub fn set_aside_unpushable_ids(&self) -> Result<usize> {
        const UNPUSHABLE: &str = "(typeof(row_id) <> 'text' OR instr(CAST(row_id AS BLOB), x'00') > 0)";
        let run = || -> rusqlite::Result<usize> {
            let moved = self.conn.execute(
                &format!(
                    "INSERT INTO sync_rejected (table_name, row_id, op_id, reason)
                     SELECT table_name, 'hex:' || hex(row_id), max(op_id),
                            CASE WHEN typeof(row_id) <> 'text'
                                 THEN 'its id is not text (a ' || typeof(row_id) || ' written by another program): the server''s ids are text; give the row a text id or delete it'
                                 ELSE 'its id holds a NUL character, which PostgreSQL text cannot hold: give the row another id or delete it' END
                     FROM sync_outbox WHERE {UNPUSHABLE} GROUP BY table_name, hex(row_id)
                     ON CONFLICT (table_name, row_id) DO UPDATE SET op_id = excluded.op_id, reason = excluded.reason,
                         rejected_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                ),
                [],
            )?;
            if moved > 0 {
                self.conn.execute(&format!("DELETE FROM sync_outbox WHERE {UNPUSHABLE}"), [])?;
            }
            Ok(moved)
        };
        run().map_err(|e| self.error("setting aside changes whose id cannot be sent", e))
    }

    /// The oldest `limit` pending changes, in order.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT op_id, table_name, row_id, op, changed_at FROM sync_outbox ORDER BY op_id LIMIT ?1")
            .map_err(|e| self.error("reading the outbox", e))?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(OutboxEntry { op_id: r.get(0)?, table_name: r.get(1)?, row_id: r.get(2)?, op: r.get(3)?, changed_at: r.get(4)? })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error("reading the outbox", e))?;
        Ok(rows)
    }

    /// Runs `apply` in one transaction with capture switched off, so the writes it
    /// makes (changes pulled from the server) do not land in the outbox. The flag
    /// is switched back on before commit; other connections never see it off.
    pub fn without_capture<T>(&mut self, apply: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        let path = self.path.clone();
        let run = || -> rusqlite::Result<T> {
            let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute("UPDATE sync_capture SET capturing = 0", [])?;
            let value = apply(&tx)?;
            tx.execute("UPDATE sync_capture SET capturing = 1", [])?;
            tx.commit()?;
            Ok(value)
        };
        run().map_err(|e| super::cache_error(&path, "applying changes from the server", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refuse(cache: &Cache, table: &str, id: &str, reason: &str, at: &str) {
        cache
            .conn
            .execute(
                "INSERT INTO sync_rejected (table_name, row_id, op_id, reason, data, rejected_at) VALUES (?1, ?2, 1, ?3, NULL, ?4)",
                [table, id, reason, at],
            )
            .unwrap();
    }

    #[test]
    fn changes_not_accepted_are_listed_newest_first_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.rejected_changes(10).unwrap(), [], "a new cache has nothing to show");
        refuse(&cache, "memory_cards", "old", "value too long", "2025-01-01T00:00:00.000Z");
        refuse(&cache, "chat_sessions", "new", "memory_cards.created_at holds \"yesterday\"", "2025-03-01T00:00:00.000Z");
        refuse(&cache, "documents", "mid", "a constraint refused it", "2025-02-01T00:00:00.000Z");
        assert_eq!(cache.rejected_count().unwrap(), 3);
        let listed = cache.rejected_changes(10).unwrap();
        let ids: Vec<_> = listed.iter().map(|c| c.row_id.as_str()).collect();
        assert_eq!(ids, ["new", "mid", "old"], "the latest refusal is the one the user just caused, so it comes first");
        assert_eq!(listed[0].table_name, "chat_sessions");
        assert_eq!(listed[0].reason, "memory_cards.created_at holds \"yesterday\"", "the reason is shown as the engine wrote it");
        assert_eq!(listed[0].rejected_at, "2025-03-01T00:00:00.000Z");
        let first: Vec<_> = cache.rejected_changes(2).unwrap().into_iter().map(|c| c.row_id).collect();
        assert_eq!(first, ["new", "mid"], "a long list is cut to the newest");
    }
}
