//! The local cache as a file other programs share: WAL mode, the device id,
//! write capture from a separate `sqlite3` process, engine-applied writes kept
//! out of the outbox, full-text search, and checksums that agree with Postgres.

use crate::support;

use std::process::Command;

use noesis_engine::cache::Cache;
use noesis_engine::central::{self, ServerTarget};
use noesis_engine::tables;
use noesis_engine::DatabaseUrl;
use support::{data_dir, run_psql, Server, TestDb};

/// Runs SQL in the real `sqlite3` shell, a separate process, as a user would.
fn sqlite3(path: &std::path::Path, sql: &str) -> String {
    let out = Command::new("sqlite3").arg(path).arg(sql).output().expect("the sqlite3 shell is installed");
    assert!(out.status.success(), "sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn outbox(cache: &Cache) -> Vec<(String, String, String)> {
    cache.outbox(100).unwrap().into_iter().map(|e| (e.table_name, e.row_id, e.op)).collect()
}

fn triple(t: &str, id: &str, op: &str) -> (String, String, String) {
    (t.to_string(), id.to_string(), op.to_string())
}

#[test]
fn a_new_data_dir_gets_a_wal_cache_and_a_device_id_that_stays() {
    let dir = data_dir();
    let cache = Cache::open(dir.path()).unwrap();
    let mode: String = cache.connection().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let first = cache.device().unwrap();
    assert!(!first.name.is_empty(), "the device has a human name (the host name) from the start");
    cache.set_device_name("Mac Studio").unwrap();
    drop(cache);
    let again = Cache::open(dir.path()).unwrap().device().unwrap();
    assert_eq!(again.id, first.id, "the device id is generated once");
    assert_eq!(again.name, "Mac Studio");
    assert_ne!(Cache::open(data_dir().path()).unwrap().device().unwrap().id, first.id, "another data dir is another device");
}

#[test]
fn local_tables_have_the_central_names_and_columns() {
    let dir = data_dir();
    let cache = Cache::open(dir.path()).unwrap();
    for spec in tables::EDITABLE.iter().copied().chain([tables::EMBEDDINGS]) {
        let mut stmt = cache.connection().prepare(&format!("SELECT name, \"notnull\" FROM pragma_table_info('{}')", spec.name)).unwrap();
        let local: Vec<(String, bool)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        let declared: Vec<(String, bool)> = spec.columns.iter().map(|c| (c.name.to_string(), c.required)).collect();
        assert_eq!(local, declared, "columns of {} in the cache", spec.name);
    }
}

#[test]
fn writes_from_the_sqlite3_shell_are_captured_for_sync() {
    let dir = data_dir();
    let cache = Cache::open(dir.path()).unwrap();
    sqlite3(
        cache.path(),
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
           VALUES ('c1', '2025-01-01T00:00:00Z', 'preferences', 'global', 'typed in the shell', 'pending', '{}');
         UPDATE memory_cards SET approval = 'approved' WHERE id = 'c1';
         INSERT INTO chat_sessions VALUES ('s1', 'Shell chat', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '[]');
         UPDATE chat_sessions SET id = 's2' WHERE id = 's1';
         DELETE FROM memory_cards WHERE id = 'c1';",
    );
    assert_eq!(
        outbox(&cache),
        [
            triple("memory_cards", "c1", "I"),
            triple("memory_cards", "c1", "U"),
            triple("chat_sessions", "s1", "I"),
            triple("chat_sessions", "s1", "D"),
            triple("chat_sessions", "s2", "I"),
            triple("memory_cards", "c1", "D"),
        ],
        "every write of another process is in the outbox, in order; a changed id is a delete plus an insert"
    );
    let ids: Vec<i64> = cache.outbox(100).unwrap().iter().map(|e| e.op_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "op ids strictly increase: {ids:?}");
    assert_eq!(cache.pending_count().unwrap(), 6);
}

#[test]
fn writes_the_engine_applies_from_the_server_are_not_captured_but_are_searchable() {
    let dir = data_dir();
    let mut cache = Cache::open(dir.path()).unwrap();
    cache
        .without_capture(|tx| {
            tx.execute(
                "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
                 VALUES ('remote', '2025-01-01T00:00:00Z', 'preferences', 'global', 'pulled from the server about photosynthesis', 'approved', '{}')",
                [],
            )
        })
        .unwrap();
    assert!(outbox(&cache).is_empty(), "a pulled row must not be pushed back");
    let capturing = sqlite3(cache.path(), "SELECT capturing FROM sync_capture");
    assert_eq!(capturing.trim(), "1", "capture is back on for everyone else after the apply");
    let hits = cache.search("photosynth", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].table.as_str(), hits[0].row_id.as_str()), ("memory_cards", "remote"));

    // A failed apply rolls back entirely, capture flag included.
    let failed = cache.without_capture(|tx| {
        tx.execute("INSERT INTO memory_cards (id) VALUES ('broken')", [])?;
        Ok(())
    });
    assert!(failed.is_err());
    sqlite3(cache.path(), "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status) VALUES ('d1', 'x', 'a.pdf', '/a.pdf', 'pdf', 1, 'h', 'indexed')");
    assert_eq!(outbox(&cache), [triple("documents", "d1", "I")]);
}

#[test]
fn full_text_search_covers_every_kind_of_text_and_follows_edits() {
    let dir = data_dir();
    let cache = Cache::open(dir.path()).unwrap();
    sqlite3(
        cache.path(),
        r#"INSERT INTO memory_cards (id, created_at, category, scope, text, approval) VALUES ('c1', 't', 'preferences', 'global', 'The user drinks café au lait', 'approved');
           INSERT INTO chat_sessions VALUES ('s1', 'Trip planning', 't', 't', '[{"role": "user", "text": "Book a ferry to Naxos"}, {"role": "assistant", "text": "Done"}]');
           INSERT INTO chat_sessions VALUES ('s2', 'Broken messages', 't', 't', 'not json at all');
           INSERT INTO mindfile_entries VALUES ('m1', 't', 't', 'principles_values', 'Cares about honesty', 'c1', 'from a long talk');
           INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, notes) VALUES ('d1', 't', 'quarterly-report.pdf', '/r.pdf', 'pdf', 1, 'h', 'indexed', 'read later');
           INSERT INTO document_chunks (id, document_id, chunk_index, text, heading) VALUES ('k1', 'd1', 0, 'Revenue grew by eleven percent', 'Summary');"#,
    );
    let found = |q: &str| -> Vec<(String, String)> { cache.search(q, 10).unwrap().into_iter().map(|h| (h.table, h.row_id)).collect() };
    let pair = |t: &str, id: &str| (t.to_string(), id.to_string());
    assert_eq!(found("cafe"), [pair("memory_cards", "c1")], "accents do not matter");
    assert_eq!(found("naxos"), [pair("chat_sessions", "s1")], "message texts inside the JSON are indexed");
    assert_eq!(found("trip plan"), [pair("chat_sessions", "s1")], "the last word matches as a prefix");
    assert_eq!(found("honesty"), [pair("mindfile_entries", "m1")]);
    assert_eq!(found("quarterly"), [pair("documents", "d1")]);
    assert_eq!(found("revenue"), [pair("document_chunks", "k1")]);
    assert_eq!(found("broken"), [pair("chat_sessions", "s2")], "a session with malformed messages is still found by title");
    assert!(found("\"unbalanced ( OR").is_empty(), "odd input is a search, not an error");

    sqlite3(
        cache.path(),
        "UPDATE memory_cards SET text = 'The user drinks green tea' WHERE id = 'c1'; DELETE FROM chat_sessions WHERE id = 's1';",
    );
    assert!(found("cafe").is_empty(), "an edit removes the old words");
    assert_eq!(found("green tea"), [pair("memory_cards", "c1")]);
    assert!(found("naxos").is_empty(), "a delete removes the row from the index");

    // After a VACUUM (which may renumber rowids) a rebuild keeps search right.
    sqlite3(cache.path(), "VACUUM");
    cache.rebuild_search_index().unwrap();
    assert_eq!(found("green tea"), [pair("memory_cards", "c1")]);
    assert_eq!(found("broken"), [pair("chat_sessions", "s2")]);
    assert_eq!(found("revenue"), [pair("document_chunks", "k1")]);
}

#[tokio::test]
async fn the_same_content_has_the_same_checksum_locally_and_centrally() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    // Central: written the way the Python server writes.
    run_psql(
        &db.url,
        r#"INSERT INTO memory_cards VALUES ('c1', '2025-01-02 03:04:05.5', 'preferences', 'global', 'Ünïcode ✓', 'approved', '2025-01-03 00:00:00', NULL, '{"model": "qwen", "sources": ["a", "b"]}');
           INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, tags) VALUES ('d1', '2025-01-01 00:00:00', 'a.pdf', '/a.pdf', 'pdf', 10, 'h', 'indexed', '{x,y}');"#,
    );
    // Local: the same content, with other timestamp forms and JSON key order.
    let dir = data_dir();
    let cache = Cache::open(dir.path()).unwrap();
    sqlite3(
        cache.path(),
        r#"INSERT INTO memory_cards VALUES ('c1', '2025-01-02T03:04:05.500000Z', 'preferences', 'global', 'Ünïcode ✓', 'approved', '2025-01-03T00:00:00+00:00', NULL, '{"sources": ["a", "b"], "model": "qwen"}');
           INSERT INTO documents VALUES ('d1', '2025-01-01T00:00:00Z', 'a.pdf', '/a.pdf', 'pdf', 10, 'h', 'indexed', 0, '', '["x", "y"]', '');"#,
    );
    let target = ServerTarget::exact(DatabaseUrl::parse(&db.url).unwrap());
    let mut conn = target.connect().await.unwrap();
    for spec in tables::EDITABLE {
        let local = cache.table_checksum(spec).unwrap();
        let central = central::table_checksum(&mut conn, &target, spec).await.unwrap().unwrap();
        assert_eq!(local, central, "{} differs between the cache and Postgres", spec.name);
    }
    sqlite3(cache.path(), "UPDATE memory_cards SET text = 'Unicode' WHERE id = 'c1'");
    let local = cache.table_checksum(tables::EDITABLE[0]).unwrap();
    let central = central::table_checksum(&mut conn, &target, tables::EDITABLE[0]).await.unwrap().unwrap();
    assert_eq!(local.0, central.0);
    assert_ne!(local.1, central.1, "one changed character changes the checksum");
}
