//! The last history and trash this device read from the server, kept so the
//! app shows them offline (issue 14: "offline, the app still shows the
//! versions this device has seen"). Stored as the JSON the app received;
//! replaced at every successful read.

use rusqlite::OptionalExtension;

use super::Cache;
use crate::error::Result;

/// The `history_seen` key of the trash listing.
const TRASH: (&str, &str) = ("", "trash");

impl Cache {
    /// Keeps `view` (JSON) as the last history read of row `id` of `table`.
    pub fn remember_history(&self, table: &str, id: &str, view: &str) -> Result<()> {
        self.connection()
            .execute(
                "INSERT OR REPLACE INTO history_seen (table_name, row_id, view, seen_at)
                 VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                (table, id, view),
            )
            .map_err(|e| self.error("keeping the history read", e))?;
        Ok(())
    }

    /// The last history read of a row, with when (ISO-8601 UTC).
    pub fn seen_history(&self, table: &str, id: &str) -> Result<Option<(String, String)>> {
        self.connection()
            .query_row("SELECT view, seen_at FROM history_seen WHERE table_name = ?1 AND row_id = ?2", (table, id), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.error("reading the history seen", e))
    }

    /// Keeps `view` (JSON) as the last trash listing read.
    pub fn remember_trash(&self, view: &str) -> Result<()> {
        self.remember_history(TRASH.0, TRASH.1, view)
    }

    /// The last trash listing read, with when.
    pub fn seen_trash(&self) -> Result<Option<(String, String)>> {
        self.seen_history(TRASH.0, TRASH.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_history_read_is_kept_per_row_and_replaced_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.seen_history("memory_cards", "c1").unwrap(), None);
        cache.remember_history("memory_cards", "c1", "{\"a\":1}").unwrap();
        cache.remember_history("memory_cards", "c1", "{\"a\":2}").unwrap();
        cache.remember_trash("[]").unwrap();
        assert_eq!(cache.seen_history("memory_cards", "c1").unwrap().unwrap().0, "{\"a\":2}");
        assert_eq!(cache.seen_trash().unwrap().unwrap().0, "[]");
        drop(cache);
        let reopened = Cache::open(dir.path()).unwrap();
        assert!(reopened.seen_history("memory_cards", "c1").unwrap().is_some(), "kept across restarts");
    }
}
