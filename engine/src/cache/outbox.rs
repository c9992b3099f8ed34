//! The outbox (local changes waiting to be pushed) and the capture flag that
//! keeps engine-applied changes out of it. See `migrations/0002_sync.sql`.

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
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.error("reading the data version", e))
    }

    /// How many local changes the server refused (see `sync_rejected`).
    pub fn rejected_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM sync_rejected", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.error("counting refused changes", e))
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
    pub fn without_capture<T>(
        &mut self,
        apply: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
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
