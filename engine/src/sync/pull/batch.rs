//! One pull batch: the rows a run of changelog entries touched, read from the
//! server in canonical form, and applied to the cache in one transaction.
//!
//! Vocabulary: a **pulled row** is the server's current version of a row,
//! already in the two forms the cache needs (its values as SQLite stores them,
//! and its canonical text, the new shadow copy), so the thread that applies a
//! batch only decides and writes. A row's **fate** is what the pull does with
//! it: defer it (it has unpushed local edits), acknowledge it (the cache
//! already holds it), write it or delete it.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use sqlx::PgConnection;

use super::PullReport;
use crate::cache::{self, Cache};
use crate::canonical;
use crate::central::{self, CanonicalValues, Cursor, ServerTarget};
use crate::error::Result;
use crate::tables::{self, TableSpec};

/// The server's current version of one row, ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PulledRow {
    /// Values as SQLite stores them, in column order.
    values: Vec<SqlValue>,
    /// Canonical text: what the shadow copy holds once the row is applied.
    text: String,
    /// Why the Noesis server could not read this version, if it could not.
    unreadable: Option<String>,
}

impl PulledRow {
    /// Both forms of a row given as canonical values.
    pub(super) fn new(spec: &TableSpec, values: CanonicalValues) -> Self {
        let text = canonical::row_text(spec, &values);
        let unreadable = spec.breach_summary_of_values(&values);
        Self { values: spec.columns.iter().zip(values).map(|(c, v)| cache::sqlite_value_owned(c.kind, v)).collect(), text, unreadable }
    }
}

/// The changed rows of one table in a batch.
#[derive(Debug, Default)]
pub(super) struct TableRows {
    /// Keys of the changed rows, sorted, each once.
    pub(super) ids: Vec<String>,
    /// The server's version of those that still exist.
    pub(super) rows: HashMap<String, PulledRow>,
    /// Those whose server version this app cannot read, with why: set aside
    /// (the local copy stays as it was), noted, and the pull goes on.
    pub(super) unreadable: HashMap<String, String>,
}

/// A batch: changed rows by table and, for changelog batches, the cursor to
/// store once they are applied.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Tables in the order they are applied.
    pub(super) tables: Vec<(&'static TableSpec, TableRows)>,
    /// Where the changelog read ended; `None` for snapshot batches.
    pub(super) cursor: Option<Cursor>,
    /// Changelog entries read (up to [`super::PULL_BATCH`]).
    pub(super) changes: usize,
    /// Tables whose deletions this pull holds instead of applying: the
    /// mass-deletion guard tripped for them (see [`super::guard`]).
    pub(super) hold_deletions: HashSet<&'static str>,
}

/// What happens to one changed row; see the module comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Deferred,
    Acknowledged,
    Write,
    Delete,
}

/// Decides a row's fate from whether it has unpushed local edits, its shadow
/// copy's text, and the server's version's text (`None`: no such row).
///
/// A row without pending changes holds exactly its shadow copy, so equal texts
/// mean the cache already has the server's version, without reading the row.
pub(super) fn decide(pending: bool, shadow: Option<&str>, remote: Option<&str>) -> Fate {
    if pending {
        Fate::Deferred
    } else if shadow == remote {
        Fate::Acknowledged
    } else if remote.is_some() {
        Fate::Write
    } else {
        Fate::Delete
    }
}

/// Reads the next batch of changes after `after` and the current versions of
/// the rows they touched; `None` when there are none below the horizon.
pub(super) async fn fetch_batch(
    conn: &mut PgConnection,
    target: &ServerTarget,
    after: Cursor,
    limit: i64,
    wanted: impl Fn(&TableSpec) -> bool,
) -> Result<Option<Batch>> {
    let changes = central::fetch_changed_rows(conn, target, after, limit).await?;
    let Some(last) = changes.last().map(|c| c.cursor) else { return Ok(None) };
    let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in &changes {
        if tables::by_name(&c.table_name).is_some_and(&wanted) {
            ids.entry(c.table_name.as_str()).or_default().push(c.row_id.clone());
        }
    }
    let mut batch = Batch { tables: Vec::with_capacity(ids.len()), cursor: Some(last), changes: changes.len(), ..Batch::default() };
    for (table, mut row_ids) in ids {
        row_ids.sort();
        row_ids.dedup();
        let spec = tables::by_name(table).expect("filtered above");
        let (found, unreadable) = central::fetch_canonical_rows(conn, spec, &row_ids).await.map_err(|e| target.classify(e))?;
        for (id, reason) in &unreadable {
            tracing::warn!(table = spec.name, id = %id.escape_debug(), "set aside a server row this app cannot read: {reason}");
        }
        let rows = found.into_iter().map(|(id, values)| (id, PulledRow::new(spec, values))).collect();
        batch.tables.push((spec, TableRows { ids: row_ids, rows, unreadable }));
    }
    Ok(Some(batch))
}

/// Applies a batch in one transaction with capture off, shadow copies and (for
/// changelog batches) the cursor included, and counts what happened in `report`.
pub(super) fn apply_batch(cache: &mut Cache, batch: &Batch, report: &mut PullReport) -> Result<()> {
    let mut counts = PullReport::default();
    cache.without_capture(|tx| {
        let pending = pending_rows(tx)?;
        // Clearing notes costs a statement per row: skipped while there are none.
        let has_notes: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM central_unreadable)", [], |r| r.get(0))?;
        let has_held = cache::any_held_deletion(tx)?;
        for (spec, table) in &batch.tables {
            let mut staged = cache::stage_begin(tx, spec)?;
            for id in &table.ids {
                if let Some(reason) = table.unreadable.get(id) {
                    cache::note_central(tx, spec.name, id, Some(reason))?;
                    counts.unreadable += 1;
                    continue;
                }
                let is_pending = !pending.is_empty() && pending.contains(&(spec.name.to_string(), id.clone()));
                let remote = table.rows.get(id);
                let remote_text = remote.map(|r| r.text.as_str());
                // The server's version is what it is, whatever this device does with it.
                let unreadable = remote.and_then(|r| r.unreadable.as_deref());
                if unreadable.is_some() || has_notes {
                    cache::note_central(tx, spec.name, id, unreadable)?;
                }
                let fate = if is_pending {
                    decide(true, None, remote_text)
                } else {
                    staged.with_shadow(id, |shadow| decide(false, shadow, remote_text))?
                };
                match fate {
                    Fate::Deferred => counts.deferred += 1,
                    Fate::Acknowledged => counts.acknowledged += 1,
                    Fate::Write => {
                        let row = remote.expect("a write has a remote row");
                        staged.write(&row.values, &row.text)?;
                        if has_held {
                            cache::release_held_deletion(tx, spec.name, id)?;
                        }
                        counts.applied += 1;
                    }
                    // Held (now, or already by an earlier pull): the row stays
                    // until the user decides.
                    Fate::Delete
                        if batch.hold_deletions.contains(spec.name) || (has_held && cache::is_held_deletion(tx, spec.name, id)?) =>
                    {
                        cache::hold_deletion(tx, spec.name, id, cache::HeldDirection::Pull)?;
                        counts.held += 1;
                    }
                    Fate::Delete => {
                        staged.delete(id)?;
                        counts.deleted += 1;
                    }
                }
            }
            cache::write_staged(tx, spec, staged)?;
        }
        if let Some(cursor) = batch.cursor {
            super::set_cursor(tx, &serde_json::to_string(&cursor).expect("a cursor serialises"))?;
        }
        Ok(())
    })?;
    report.add_counts(&counts);
    Ok(())
}

/// Rows with local changes not yet pushed: a pull leaves them to the next
/// push, which merges them with the server's version.
fn pending_rows(tx: &Connection) -> rusqlite::Result<HashSet<(String, String)>> {
    tx.prepare_cached("SELECT DISTINCT table_name, row_id FROM sync_outbox")?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fates_follow_pending_edits_then_shadow_equality() {
        let cases = [
            // (pending, shadow, remote, fate, what a user would see otherwise)
            (true, Some("a"), Some("b"), Fate::Deferred, "an unpushed edit overwritten by the server"),
            (true, None, None, Fate::Deferred, "an unpushed new row deleted"),
            (false, Some("a"), Some("a"), Fate::Acknowledged, "own changes rewritten (and re-indexed) for nothing"),
            (false, None, None, Fate::Acknowledged, "a delete of a row never held counted as a delete"),
            (false, Some("a"), Some("b"), Fate::Write, "a server edit missing"),
            (false, None, Some("b"), Fate::Write, "a server row missing"),
            (false, Some("a"), None, Fate::Delete, "a row deleted elsewhere still shown"),
        ];
        for (pending, shadow, remote, fate, failure) in cases {
            assert_eq!(decide(pending, shadow, remote), fate, "{failure}");
        }
    }

    #[test]
    fn a_pulled_row_holds_the_shadow_text_and_sqlite_values() {
        let spec = tables::by_name("memory_cards").unwrap();
        let values: CanonicalValues = vec![
            "c1".into(),
            "2024-01-02T03:04:05.000000Z".into(),
            "fact".into(),
            "global".into(),
            "hello".into(),
            "pending".into(),
            serde_json::Value::Null,
            serde_json::Value::Null,
            serde_json::json!({"b": 1, "a": [true]}),
        ];
        let row = PulledRow::new(spec, values.clone());
        let object = spec.columns.iter().map(|c| c.name.to_string()).zip(values.iter().cloned()).collect();
        assert_eq!(row.text, canonical::object_text(&object));
        assert_eq!(row.values[8], SqlValue::Text(r#"{"a":[true],"b":1}"#.into()));
        assert_eq!(row.values[6], SqlValue::Null);
    }
}
