//! The cache's triggers, derived from each table's declaration
//! ([`crate::tables::TableSpec`]) and installed whenever a cache opens.
//!
//! A synced table needs three kinds of triggers, whoever writes (the app, the
//! `sqlite3` shell, another program): capture into the outbox (every pushed
//! table), the per-field edit times (every table merged field by field) and
//! its full-text index (every table that declares one). Written by hand per
//! table, a forgotten one lost changes silently with every test green; here
//! they follow from the declaration, so a new table gets all of them.
//!
//! Installing compares each trigger's SQL with what the file holds and
//! replaces only those that differ (the first open after an upgrade), inside
//! one immediate transaction, so two processes opening at once agree and an
//! unchanged cache is not written to.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::tables::{self, Search, TableSpec};

/// The text of a session's messages that its index holds, for `row` (`NEW`,
/// or a table alias): each message's `text`, one per line; nothing for a
/// `messages` value that is not a JSON list.
pub(super) fn chat_text(row: &str) -> String {
    format!(
        "(SELECT group_concat(json_extract(m.value, '$.text'), char(10)) FROM json_each(CASE WHEN json_valid({row}messages) AND json_type({row}messages) = 'array' THEN {row}messages ELSE '[]' END) AS m)"
    )
}

/// The full-text index of a table.
pub(super) fn index_name(spec: &TableSpec) -> String {
    format!("{}_fts", spec.name)
}

/// A trigger: its name and its whole `CREATE TRIGGER` statement.
struct Trigger {
    name: String,
    sql: String,
}

/// Every trigger `spec` declares, in a fixed order.
fn triggers(spec: &TableSpec) -> Vec<Trigger> {
    let mut out = Vec::new();
    if spec.pushed {
        out.extend(capture(spec));
        if spec.merges_by_field() {
            out.push(field_edits(spec));
        }
    }
    out.extend(search(spec));
    out
}

/// The outbox capture: an insert, an update (a changed key is a delete and an
/// insert) and a delete each queue the row, unless a pull is applying it.
fn capture(spec: &TableSpec) -> [Trigger; 3] {
    let (t, k) = (spec.name, spec.key);
    let when = "WHEN (SELECT capturing FROM sync_capture) = 1";
    [
        Trigger {
            name: format!("{t}_capture_insert"),
            sql: format!(
                "CREATE TRIGGER {t}_capture_insert AFTER INSERT ON {t}\n{when}\nBEGIN\n    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('{t}', NEW.{k}, 'I');\nEND"
            ),
        },
        Trigger {
            name: format!("{t}_capture_update"),
            sql: format!(
                "CREATE TRIGGER {t}_capture_update AFTER UPDATE ON {t}\n{when}\nBEGIN\n    INSERT INTO sync_outbox (table_name, row_id, op) SELECT '{t}', OLD.{k}, 'D' WHERE OLD.{k} IS NOT NEW.{k};\n    INSERT INTO sync_outbox (table_name, row_id, op)\n    VALUES ('{t}', NEW.{k}, CASE WHEN OLD.{k} IS NOT NEW.{k} THEN 'I' ELSE 'U' END);\nEND"
            ),
        },
        Trigger {
            name: format!("{t}_capture_delete"),
            sql: format!(
                "CREATE TRIGGER {t}_capture_delete AFTER DELETE ON {t}\n{when}\nBEGIN\n    INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('{t}', OLD.{k}, 'D');\nEND"
            ),
        },
    ]
}

/// When this device last changed each field of a row (`sync_field_edits`):
/// one line per column but the key.
fn field_edits(spec: &TableSpec) -> Trigger {
    let (t, k) = (spec.name, spec.key);
    let lines: String = spec
        .columns
        .iter()
        .filter(|c| c.name != k)
        .map(|c| {
            format!(
                "    INSERT OR REPLACE INTO sync_field_edits (table_name, row_id, field) SELECT '{t}', NEW.{k}, '{0}' WHERE OLD.{0} IS NOT NEW.{0};\n",
                c.name
            )
        })
        .collect();
    Trigger {
        name: format!("{t}_field_edits"),
        sql: format!(
            "CREATE TRIGGER {t}_field_edits AFTER UPDATE ON {t}\nWHEN (SELECT capturing FROM sync_capture) = 1 AND OLD.{k} IS NEW.{k}\nBEGIN\n{lines}END"
        ),
    }
}

/// The index's own table, created with the triggers when missing.
fn index_table(spec: &TableSpec) -> Option<String> {
    let (t, index) = (spec.name, index_name(spec));
    let tokenize = "tokenize='unicode61 remove_diacritics 2'";
    match spec.search {
        Search::None => None,
        Search::Columns(columns) => Some(format!(
            "CREATE VIRTUAL TABLE {index} USING fts5({}, content='{t}', content_rowid='rowid', {tokenize})",
            columns.join(", ")
        )),
        Search::ChatMessages => Some(format!("CREATE VIRTUAL TABLE {index} USING fts5(title, messages, {tokenize})")),
    }
}

/// The triggers that keep the index in step with its table.
fn search(spec: &TableSpec) -> Vec<Trigger> {
    let (t, index) = (spec.name, index_name(spec));
    let (insert, delete) = match spec.search {
        Search::None => return Vec::new(),
        Search::Columns(columns) => {
            let list = columns.join(", ");
            let of = |row: &str| columns.iter().map(|c| format!("{row}.{c}")).collect::<Vec<_>>().join(", ");
            (
                format!("INSERT INTO {index} (rowid, {list}) VALUES (NEW.rowid, {});", of("NEW")),
                format!("INSERT INTO {index} ({index}, rowid, {list}) VALUES ('delete', OLD.rowid, {});", of("OLD")),
            )
        }
        Search::ChatMessages => (
            format!("INSERT INTO {index} (rowid, title, messages) VALUES (NEW.rowid, NEW.title, {});", chat_text("NEW.")),
            format!("DELETE FROM {index} WHERE rowid = OLD.rowid;"),
        ),
    };
    let trigger = |event: &str, body: String| Trigger {
        name: format!("{index}_{}", event.to_lowercase()),
        sql: format!("CREATE TRIGGER {index}_{} AFTER {event} ON {t} BEGIN\n{body}\nEND", event.to_lowercase()),
    };
    vec![
        trigger("INSERT", format!("    {insert}")),
        trigger("DELETE", format!("    {delete}")),
        trigger("UPDATE", format!("    {delete}\n    {insert}")),
    ]
}

/// Installs every trigger (and missing full-text index) of the cache's
/// tables; see the module comment.
pub(super) fn install_all(conn: &mut Connection) -> rusqlite::Result<()> {
    install(conn, &tables::EDITABLE)
}

/// Installs the triggers of `specs`, each table already created by a
/// migration. Public to the crate for the test that declares a new table.
pub(crate) fn install(conn: &mut Connection, specs: &[&TableSpec]) -> rusqlite::Result<()> {
    if up_to_date(conn, specs)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for spec in specs {
        if let Some(create) = index_table(spec) {
            if stored_sql(&tx, "table", &index_name(spec))?.is_none() {
                tx.execute_batch(&create)?;
                rebuild_index(&tx, spec)?;
            }
        }
        for trigger in triggers(spec) {
            if stored_sql(&tx, "trigger", &trigger.name)?.as_deref() != Some(trigger.sql.as_str()) {
                tx.execute_batch(&format!("DROP TRIGGER IF EXISTS {}; {};", trigger.name, trigger.sql))?;
                tracing::debug!(trigger = trigger.name, "installed a cache trigger");
            }
        }
    }
    tx.commit()
}

/// Whether every trigger and index of `specs` is already as declared (read
/// without a write lock, so an unchanged cache opens without writing).
fn up_to_date(conn: &Connection, specs: &[&TableSpec]) -> rusqlite::Result<bool> {
    for spec in specs {
        if index_table(spec).is_some() && stored_sql(conn, "table", &index_name(spec))?.is_none() {
            return Ok(false);
        }
        for trigger in triggers(spec) {
            if stored_sql(conn, "trigger", &trigger.name)?.as_deref() != Some(trigger.sql.as_str()) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Fills a table's full-text index from the table.
pub(super) fn rebuild_index(conn: &Connection, spec: &TableSpec) -> rusqlite::Result<()> {
    let index = index_name(spec);
    match spec.search {
        Search::None => Ok(()),
        Search::Columns(_) => conn.execute_batch(&format!("INSERT INTO {index} ({index}) VALUES ('rebuild');")),
        Search::ChatMessages => conn.execute_batch(&format!(
            "DELETE FROM {index}; INSERT INTO {index} (rowid, title, messages) SELECT rowid, title, {} FROM {};",
            chat_text(""),
            spec.name
        )),
    }
}

fn stored_sql(conn: &Connection, kind: &str, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT sql FROM sqlite_master WHERE type = ?1 AND name = ?2")?.query_row([kind, name], |r| r.get(0)).optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Cache;

    /// Each declared trigger and index is in an opened cache, exactly as
    /// declared: nothing a table needs is left to a hand-written migration.
    #[test]
    fn an_opened_cache_holds_every_trigger_each_table_declares() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        for spec in tables::EDITABLE {
            let declared = triggers(spec);
            assert!(declared.len() >= 6, "{} declares capture and search triggers", spec.name);
            for trigger in declared {
                let stored = stored_sql(cache.connection(), "trigger", &trigger.name).unwrap();
                assert_eq!(stored.as_deref(), Some(trigger.sql.as_str()), "{}", trigger.name);
            }
        }
        assert!(up_to_date(cache.connection(), &tables::EDITABLE).unwrap());
    }

    /// A value of `kind` a write through the `sqlite3` door could hold.
    fn sample(column: &crate::tables::Column, n: u32) -> String {
        use crate::tables::ColumnKind::*;
        match column.kind {
            Text => format!("'{}-{n} findme{n}'", column.name),
            Integer => n.to_string(),
            Timestamp => format!("'2025-01-0{n}T00:00:00Z'"),
            Json if column.name == "messages" => format!("'[{{\"role\":\"user\",\"text\":\"findme{n}\"}}]'"),
            Json => format!("'{{\"reason\":\"r{n}\"}}'"),
            TextArray => format!("'[\"t{n}\"]'"),
            Vector => "NULL".into(),
        }
    }

    /// Every door of every table, as any program would use it: an insert, an
    /// update of every column but the key, a delete. Each is queued for the
    /// push, a field-merged table records each changed field, and a searched
    /// table finds the new text and forgets the old.
    fn writes_through_each_door_are_captured(cache: &Cache, specs: &[&TableSpec]) {
        let conn = cache.connection();
        for spec in specs {
            let (t, k) = (spec.name, spec.key);
            let values = |n: u32| {
                spec.columns.iter().map(|c| if c.name == k { "'door-1'".to_string() } else { sample(c, n) }).collect::<Vec<_>>().join(", ")
            };
            conn.execute_batch(&format!("INSERT INTO {t} ({}) VALUES ({})", spec.column_list(), values(1))).unwrap();
            let sets = spec
                .columns
                .iter()
                .filter(|c| c.name != k)
                .map(|c| format!("{} = {}", c.name, sample(c, 2)))
                .collect::<Vec<_>>()
                .join(", ");
            let found = |word: &str| -> i64 {
                match spec.search {
                    Search::None => 0,
                    _ => conn.query_row(&format!("SELECT count(*) FROM {}_fts WHERE {}_fts MATCH ?1", t, t), [word], |r| r.get(0)).unwrap(),
                }
            };
            if spec.search != Search::None {
                assert_eq!(found("findme1"), 1, "{t}: the inserted text is searchable");
            }
            conn.execute_batch(&format!("UPDATE {t} SET {sets} WHERE {k} = 'door-1'")).unwrap();
            if spec.search != Search::None {
                assert_eq!((found("findme1"), found("findme2")), (0, 1), "{t}: the index follows the update");
            }
            if spec.merges_by_field() {
                let fields: i64 = conn
                    .query_row("SELECT count(*) FROM sync_field_edits WHERE table_name = ?1 AND row_id = 'door-1'", [t], |r| r.get(0))
                    .unwrap();
                let changed = spec.columns.iter().filter(|c| c.name != k && c.kind != crate::tables::ColumnKind::Vector).count() as i64;
                assert_eq!(fields, changed, "{t}: every changed field has its edit time");
            }
            conn.execute_batch(&format!("DELETE FROM {t} WHERE {k} = 'door-1'")).unwrap();
            if spec.search != Search::None {
                assert_eq!(found("findme2"), 0, "{t}: a deleted row leaves the index");
            }
            let ops: String = conn
                .query_row("SELECT group_concat(op, '') FROM sync_outbox WHERE table_name = ?1 AND row_id = 'door-1'", [t], |r| r.get(0))
                .unwrap();
            assert_eq!(ops, "IUD", "{t}: insert, update and delete are queued");
        }
    }

    #[test]
    fn every_synced_table_captures_writes_through_each_door() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        writes_through_each_door_are_captured(&cache, &tables::EDITABLE);
    }

    /// What adding a synced table takes on this side: its declaration and the
    /// migration that creates it. The triggers follow.
    #[test]
    fn a_newly_declared_table_is_captured_and_searched_without_writing_a_trigger() {
        use crate::tables::{ColumnKind::*, EditedAt, RowMerge, Rule};
        const fn col(name: &'static str, kind: crate::tables::ColumnKind) -> crate::tables::Column {
            crate::tables::Column { name, kind, required: true, rule: Rule::Any }
        }
        static NOTES: TableSpec = TableSpec {
            name: "notes",
            key: "id",
            pushed: true,
            merge: RowMerge::FieldByField,
            search: Search::Columns(&["body"]),
            edited_at: EditedAt::Latest(&["updated_at"]),
            keeps_history: false,
            columns: &[col("id", Text), col("body", Text), col("updated_at", Timestamp), col("tags", TextArray)],
        };
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(dir.path()).unwrap();
        cache
            .connection()
            .execute_batch(
                "CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL, tags TEXT NOT NULL)",
            )
            .unwrap();
        install(cache.connection_mut(), &[&NOTES]).unwrap();
        writes_through_each_door_are_captured(&cache, &[&NOTES]);
    }

    /// A trigger a program dropped (or an older version lacked) is back on the
    /// next open.
    #[test]
    fn a_dropped_trigger_is_put_back_on_open() {
        let dir = tempfile::tempdir().unwrap();
        Cache::open(dir.path())
            .unwrap()
            .connection()
            .execute_batch("DROP TRIGGER memory_cards_capture_update; DROP TRIGGER documents_fts_insert")
            .unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let conn = cache.connection();
        conn.execute_batch("UPDATE sync_capture SET capturing = 1").unwrap();
        conn.execute(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES ('c1', '2025-01-01T00:00:00Z', 'preferences', 'global', 'x', 'pending', '{\"reason\":\"t\"}')",
            [],
        )
        .unwrap();
        conn.execute("UPDATE memory_cards SET text = 'y' WHERE id = 'c1'", []).unwrap();
        let ops: String = conn.query_row("SELECT group_concat(op, '') FROM sync_outbox WHERE row_id = 'c1'", [], |r| r.get(0)).unwrap();
        assert_eq!(ops, "IU");
    }
}
