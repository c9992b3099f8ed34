//! Full-text search over the cache (FTS5), for results as the user types.

use super::{triggers, Cache};
use crate::error::Result;
use crate::tables::{self, Search, TableSpec};

/// One match.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SearchHit {
    /// The synced table the row is in.
    pub table: String,
    /// The row's key.
    pub row_id: String,
    /// The matching passage, with the matched words between `[` and `]`.
    pub snippet: String,
    /// FTS5's bm25 rank: lower is better.
    pub rank: f64,
}

/// Each searchable table (its declaration says what its index holds); the
/// index rowid is the table's rowid.
fn indexed_tables() -> impl Iterator<Item = &'static TableSpec> {
    tables::EDITABLE.into_iter().filter(|spec| spec.search != Search::None)
}

/// Words of context around a match in a snippet.
const SNIPPET_WORDS: i64 = 12;

impl Cache {
    /// Rebuilds every full-text index from its table: needed after a VACUUM,
    /// which may renumber the rowids the indexes point at.
    pub fn rebuild_search_index(&self) -> Result<()> {
        let rebuild = || -> rusqlite::Result<()> {
            let tx = self.conn.unchecked_transaction()?;
            for spec in indexed_tables() {
                triggers::rebuild_index(&tx, spec)?;
            }
            tx.commit()
        };
        rebuild().map_err(|e| self.error("rebuilding the search index", e))
    }

    /// Finds rows whose indexed text contains every word of `text` (the last word
    /// as a prefix, since the user may still be typing), best first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(text) else { return Ok(Vec::new()) };
        let mut hits = Vec::new();
        for spec in indexed_tables() {
            let (table, index) = (spec.name, triggers::index_name(spec));
            let sql = format!(
                "SELECT t.id, snippet({index}, -1, '[', ']', '…', {SNIPPET_WORDS}), bm25({index}) \
                 FROM {index} JOIN {table} t ON t.rowid = {index}.rowid \
                 WHERE {index} MATCH ?1 ORDER BY bm25({index}) LIMIT ?2"
            );
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.error("searching", e))?;
            let found = stmt
                .query_map(rusqlite::params![query, limit as i64], |r| {
                    Ok(SearchHit { table: table.to_string(), row_id: r.get(0)?, snippet: r.get(1)?, rank: r.get(2)? })
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| self.error("searching", e))?;
            hits.extend(found);
        }
        hits.sort_by(|a, b| a.rank.total_cmp(&b.rank));
        hits.truncate(limit);
        Ok(hits)
    }
}

/// Turns what the user typed into an FTS5 query that cannot be a syntax error:
/// every word quoted, the last one a prefix.
pub(super) fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text.split_whitespace().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect();
    let last = words.len().checked_sub(1)?;
    Some(words.iter().enumerate().map(|(i, w)| if i == last { format!("{w}*") } else { w.clone() }).collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn user_text_becomes_a_safe_prefix_query() {
        assert_eq!(fts_query("  quantum grav ").as_deref(), Some("\"quantum\" \"grav\"*"));
        assert_eq!(fts_query("say \"hi\" OR").as_deref(), Some("\"say\" \"\"\"hi\"\"\" \"OR\"*"));
        assert_eq!(fts_query("   "), None);
    }
}
