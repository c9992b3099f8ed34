//! Bridge mode's *delta*: the rows of a fresh snapshot that are new or changed
//! since the snapshot its last successful pass merged (the *base*).
//!
//! While the old server keeps writing, each bridge pass would otherwise read,
//! COPY and merge the whole store again for one new card. The delta is a small
//! SQLite file with the store's own tables holding only the rows whose rowid is
//! new or whose cells differ from the base (`EXCEPT` over rowid and every
//! column), at their original rowids, so the normal pipeline merges just those
//! and the rejects point at the right rows. Rows the old server deleted are not
//! in it: a migration never deletes centrally. A table whose columns changed
//! (the old server migrated its schema) is taken whole.

use std::path::Path;

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::snapshot::{self, sqlite_error, Snapshot};
use crate::error::Result;

/// Writes into `into` (replaced) the rows of `current` that are not in `base`
/// with the same rowid and cells, and returns it as a snapshot of the same
/// store. Its fingerprint covers the base's too, so the same change on top of
/// different bases gets its own high-water marks.
pub fn changed_rows(current: &Snapshot, base: &Path, into: &Path) -> Result<Snapshot> {
    let _ = std::fs::remove_file(into);
    let conn = Connection::open(into).map_err(|e| sqlite_error(into, "creating the bridge delta", e))?;
    let fail = |context: &str| {
        let context = context.to_string();
        move |e| sqlite_error(into, &context, e)
    };
    conn.execute("ATTACH DATABASE ?1 AS cur", [current.path.display().to_string()]).map_err(fail("attaching the snapshot"))?;
    conn.execute("ATTACH DATABASE ?1 AS base", [base.display().to_string()]).map_err(fail("attaching the last pass's snapshot"))?;
    // Only the tables the importers read (a store may also hold full-text
    // indexes and the like, whose shadow tables cannot be copied this way).
    let wanted: Vec<&str> = super::importers().into_iter().filter(|i| i.store() == current.store).map(|i| i.spec().name).collect();
    let tables: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM cur.sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE TABLE%' ORDER BY name")
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<(String, String)>>>())
        .map_err(fail("listing the snapshot's tables"))?
        .into_iter()
        .filter(|(name, _)| wanted.contains(&name.as_str()))
        .collect();
    let tx = conn.unchecked_transaction().map_err(fail("writing the bridge delta"))?;
    for (name, create) in &tables {
        // The store's own statement creates the table in the delta (main).
        tx.execute_batch(create).map_err(fail("creating a table of the bridge delta"))?;
        let columns = column_list(&tx, "cur", name)?;
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let comparable = column_list(&tx, "base", name)? == columns;
        let sql = if comparable {
            format!(
                "INSERT INTO main.{quoted} (rowid, {columns}) SELECT rowid, {columns} FROM cur.{quoted}
                 WHERE rowid IN (SELECT rowid FROM (SELECT rowid, {columns} FROM cur.{quoted} EXCEPT SELECT rowid, {columns} FROM base.{quoted}))"
            )
        } else {
            format!("INSERT INTO main.{quoted} (rowid, {columns}) SELECT rowid, {columns} FROM cur.{quoted}")
        };
        tx.execute(&sql, []).map_err(fail("collecting the changed rows"))?;
    }
    tx.commit().map_err(fail("writing the bridge delta"))?;
    drop(conn);
    let (delta_fingerprint, bytes) = snapshot::fingerprint(into)?;
    let (base_fingerprint, _) = snapshot::fingerprint(base)?;
    Ok(Snapshot {
        store: current.store,
        source: current.source.clone(),
        path: into.to_path_buf(),
        fingerprint: format!("delta-{}", hex::encode(Sha256::digest(format!("{base_fingerprint}{delta_fingerprint}")))),
        bytes,
    })
}

/// The quoted, comma-separated columns of `schema.table` in table order
/// (empty when the table does not exist there).
fn column_list(conn: &Connection, schema: &str, table: &str) -> Result<String> {
    let mut st = conn
        .prepare(&format!("SELECT name FROM pragma_table_info(?1, '{schema}') ORDER BY cid"))
        .map_err(|e| sqlite_error(Path::new(schema), "reading a table's columns", e))?;
    let names: Vec<String> = st
        .query_map([table], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| sqlite_error(Path::new(schema), "reading a table's columns", e))?;
    Ok(names.iter().map(|n| format!("\"{}\"", n.replace('"', "\"\""))).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::importer::Store;

    fn store(dir: &Path, name: &str, sql: &str) -> Snapshot {
        let path = dir.join(name);
        Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        let (fingerprint, bytes) = snapshot::fingerprint(&path).unwrap();
        Snapshot { store: Store::Memory, source: path.clone(), path, fingerprint, bytes }
    }

    const SCHEMA: &str = "CREATE TABLE memory_cards (id TEXT PRIMARY KEY, created_at TEXT, approval TEXT, json TEXT);";

    #[test]
    fn only_new_and_changed_rows_are_in_the_delta_at_their_rowids() {
        let dir = tempfile::tempdir().unwrap();
        let base = store(dir.path(), "base.sqlite3", &format!("{SCHEMA} INSERT INTO memory_cards VALUES ('a', 't', 'pending', '{{}}'), ('b', 't', 'pending', '{{}}'), ('c', 't', NULL, '{{}}');"));
        let current = store(
            dir.path(),
            "current.sqlite3",
            &format!("{SCHEMA} INSERT INTO memory_cards VALUES ('a', 't', 'pending', '{{}}'), ('b', 't', 'approved', '{{}}'), ('c', 't', NULL, '{{}}'), ('d', 't', 'pending', '{{}}');"),
        );
        let delta = changed_rows(&current, &base.path, &dir.path().join("delta.sqlite3")).unwrap();
        let conn = Connection::open(&delta.path).unwrap();
        let rows: Vec<(i64, String)> = conn
            .prepare("SELECT rowid, id FROM memory_cards ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![(2, "b".to_string()), (4, "d".to_string())],
            "the approved card and the new one, nothing unchanged (NULLs compare equal)"
        );
        assert_ne!(delta.fingerprint, current.fingerprint);
    }

    #[test]
    fn a_table_new_or_reshaped_since_the_base_is_taken_whole() {
        let dir = tempfile::tempdir().unwrap();
        let base = store(dir.path(), "base.sqlite3", &format!("{SCHEMA} INSERT INTO memory_cards VALUES ('a', 't', 'pending', '{{}}');"));
        let current = store(
            dir.path(),
            "current.sqlite3",
            "CREATE TABLE memory_cards (id TEXT PRIMARY KEY, created_at TEXT, approval TEXT, json TEXT, extra TEXT);
             INSERT INTO memory_cards VALUES ('a', 't', 'pending', '{}', NULL);
             CREATE TABLE mindfile_entries (id TEXT PRIMARY KEY, created_at TEXT, category TEXT, json TEXT);
             INSERT INTO mindfile_entries VALUES ('m', 't', 'values', '{}');
             CREATE VIRTUAL TABLE cards_fts USING fts5(text);
             INSERT INTO cards_fts VALUES ('an index the old server kept');",
        );
        let delta = changed_rows(&current, &base.path, &dir.path().join("delta.sqlite3")).unwrap();
        let conn = Connection::open(&delta.path).unwrap();
        let count = |t: &str| conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!((count("memory_cards"), count("mindfile_entries")), (1, 1));
        let others: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE name LIKE 'cards_fts%'", [], |r| r.get(0)).unwrap();
        assert_eq!(others, 0, "tables no importer reads stay out of the delta");
    }
}
