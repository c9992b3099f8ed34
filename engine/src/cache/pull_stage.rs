//! Writing a pull batch's rows in bulk.
//!
//! Vocabulary: the **stage** is a temporary table per synced table
//! (`temp.noesis_pull_<table>`: the table's columns plus the row's shadow text)
//! and one for keys to delete (`temp.noesis_pull_gone`). A batch's decided
//! writes are staged row by row, then moved into the table and the shadow
//! copies with one statement each.
//!
//! Why: FTS5 flushes its pending index data at the start of every statement
//! that opens a statement journal, which every upsert into a table with
//! triggers does. Row-by-row upserts therefore wrote one tiny index segment per
//! row, and merged them, which took most of a pull's time. One statement per
//! table writes one segment per batch. The stage lives in this connection's
//! temporary database: other connections never see it, and it holds no data
//! between batches.

use rusqlite::types::Value as SqlValue;
use rusqlite::{CachedStatement, Connection, OptionalExtension};

use crate::tables::TableSpec;

/// The stage of one table for one batch, with the statements a batch runs for
/// every row prepared once (looking a statement up in the connection's cache
/// for every row cost more than running it).
pub(crate) struct Staged<'tx> {
    shadow: CachedStatement<'tx>,
    insert: CachedStatement<'tx>,
    gone: CachedStatement<'tx>,
    table: &'static str,
    writes: usize,
    deletes: usize,
}

/// Creates the stage of `spec` on this connection if needed; call once per
/// table per batch, before staging.
pub(crate) fn stage_begin<'tx>(tx: &'tx Connection, spec: &'static TableSpec) -> rusqlite::Result<Staged<'tx>> {
    tx.execute_batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS noesis_pull_{} ({}, noesis_shadow);
         CREATE TEMP TABLE IF NOT EXISTS noesis_pull_gone (row_id);",
        spec.name,
        spec.column_list()
    ))?;
    let placeholders = vec!["?"; spec.columns.len() + 1].join(", ");
    Ok(Staged {
        shadow: tx.prepare_cached("SELECT data FROM main.sync_shadow WHERE table_name = ?1 AND row_id = ?2")?,
        insert: tx.prepare_cached(&format!("INSERT INTO temp.noesis_pull_{} VALUES ({placeholders})", spec.name))?,
        gone: tx.prepare_cached("INSERT INTO temp.noesis_pull_gone (row_id) VALUES (?1)")?,
        table: spec.name,
        writes: 0,
        deletes: 0,
    })
}

impl Staged<'_> {
    /// Calls `decide` with the shadow copy of row `id` (`None`: there is none),
    /// borrowed from SQLite: comparing it needs no copy.
    pub(crate) fn with_shadow<T>(&mut self, id: &str, decide: impl FnOnce(Option<&str>) -> T) -> rusqlite::Result<T> {
        let mut decide = Some(decide);
        let found = self
            .shadow
            .query_row([self.table, id], |r| {
                let text = r.get_ref(0)?.as_str()?;
                Ok(decide.take().expect("one row per key")(Some(text)))
            })
            .optional()?;
        Ok(match found {
            Some(value) => value,
            None => decide.take().expect("not called without a row")(None),
        })
    }

    /// Stages a row to write: its values as SQLite stores them, in column
    /// order, and its canonical text (the new shadow copy).
    pub(crate) fn write(&mut self, values: &[SqlValue], text: &str) -> rusqlite::Result<()> {
        for (i, value) in values.iter().enumerate() {
            self.insert.raw_bind_parameter(i + 1, value)?;
        }
        self.insert.raw_bind_parameter(values.len() + 1, text)?;
        self.insert.raw_execute()?;
        self.writes += 1;
        Ok(())
    }

    /// Stages a row to delete, with its shadow copy.
    pub(crate) fn delete(&mut self, id: &str) -> rusqlite::Result<()> {
        self.gone.execute([id])?;
        self.deletes += 1;
        Ok(())
    }
}

/// Moves the staged rows of `spec` into the table and the shadow copies, and
/// empties the stage. Deletes go first, so a key or unique value freed by one
/// row can be taken by another in the same batch.
pub(crate) fn write_staged(tx: &Connection, spec: &TableSpec, staged: Staged<'_>) -> rusqlite::Result<()> {
    let (table, key) = (spec.name, spec.key);
    let (writes, deletes) = (staged.writes, staged.deletes);
    drop(staged);
    if deletes > 0 {
        tx.prepare_cached(&format!("DELETE FROM main.{table} WHERE {key} IN (SELECT row_id FROM temp.noesis_pull_gone)"))?.execute([])?;
        tx.prepare_cached("DELETE FROM main.sync_shadow WHERE table_name = ?1 AND row_id IN (SELECT row_id FROM temp.noesis_pull_gone)")?
            .execute([table])?;
        tx.prepare_cached("DELETE FROM temp.noesis_pull_gone")?.execute([])?;
    }
    if writes > 0 {
        let columns = spec.column_list();
        let updates: Vec<String> = spec.columns.iter().filter(|c| c.name != key).map(|c| format!("{0} = excluded.{0}", c.name)).collect();
        // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the
        // INSERT, not to a join in the SELECT.
        tx.prepare_cached(&format!(
            "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM temp.noesis_pull_{table} WHERE true
             ON CONFLICT ({key}) DO UPDATE SET {}",
            updates.join(", ")
        ))?
        .execute([])?;
        tx.prepare_cached(&format!(
            "INSERT INTO main.sync_shadow (table_name, row_id, data) SELECT ?1, {key}, noesis_shadow FROM temp.noesis_pull_{table} WHERE true
             ON CONFLICT (table_name, row_id) DO UPDATE SET data = excluded.data"
        ))?
        .execute([table])?;
        tx.prepare_cached(&format!("DELETE FROM temp.noesis_pull_{table}"))?.execute([])?;
    }
    Ok(())
}
