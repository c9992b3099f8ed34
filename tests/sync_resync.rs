//! Full resyncs and upgrades never drop an unpushed edit: a device that reads
//! a server from the start again (its changelog pruned past the device, a
//! TRUNCATE, another server, a restored database) and a cache written by an
//! older Noesis keep every local change and push it.

use crate::support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use support::device::{card_sql, Device};
use support::{run_psql, TestDb};

/// Ids of the cards in a cache, sorted, comma-separated.
fn local_ids(device: &Device) -> String {
    device.sqlite("SELECT group_concat(id, ',') FROM (SELECT id FROM memory_cards ORDER BY id)").trim().to_string()
}

/// Ids of the cards on a server, sorted, comma-separated.
fn central_ids(url: &str) -> String {
    run_psql(url, "SELECT string_agg(id, ',' ORDER BY id) FROM memory_cards").trim().to_string()
}

fn central_text(url: &str, id: &str) -> String {
    run_psql(url, &format!("SELECT text FROM memory_cards WHERE id = '{id}'")).trim().to_string()
}

fn assert_converged(device: &Device) {
    let (local, central) = device.checksums();
    assert_eq!(local, central, "the device and the server hold the same rows");
}

#[tokio::test]
async fn an_expired_device_resyncs_and_still_pushes_what_it_wrote_offline() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    a.sqlite(&format!("{}{}", card_sql("c1", "first"), card_sql("c2", "second")));
    a.sync();
    b.sync();
    // B goes offline and edits, adds and deletes.
    b.sqlite("UPDATE memory_cards SET text = 'edited on the laptop' WHERE id = 'c1'");
    b.sqlite(&card_sql("c4", "typed on the laptop"));
    b.sqlite("DELETE FROM memory_cards WHERE id = 'c2'");
    // Meanwhile B expires; A writes and prunes everything B never read.
    run_psql(&db.url, "UPDATE noesis_sync.devices SET last_seen = now() - interval '40 days'");
    a.sqlite(&card_sql("c3", "third"));
    a.sync();
    a.sqlite("UPDATE memory_cards SET scope = 'project' WHERE id = 'c1'");
    a.sqlite("DELETE FROM sync_state WHERE key = 'last_prune'");
    a.sync();
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM noesis_sync.changelog").trim(), "0", "B's unread changes are pruned");

    let back = b.sync();
    assert_eq!(back["pull"]["resynced"], true, "{back}");
    assert_eq!(central_ids(&db.url), "c1,c3,c4", "B's new card and delete reached the server");
    assert_eq!(central_text(&db.url, "c1"), "edited on the laptop");
    assert_eq!(run_psql(&db.url, "SELECT scope FROM memory_cards WHERE id = 'c1'").trim(), "project", "A's edit of another field stays");
    assert_eq!(local_ids(&b), "c1,c3,c4");
    assert_converged(&b);
}

#[tokio::test]
async fn a_truncated_table_gets_back_the_rows_a_device_edited_before_it_heard() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    a.sqlite(&format!("{}{}", card_sql("c1", "one"), card_sql("c2", "two")));
    a.sync();
    b.sync();
    b.sqlite("UPDATE memory_cards SET text = 'edited before the truncate was heard of' WHERE id = 'c1'");
    run_psql(&db.url, "TRUNCATE memory_cards");
    b.sync();
    assert_eq!(central_ids(&db.url), "c1", "the edited card is pushed back; the untouched one stays gone");
    assert_eq!(central_text(&db.url, "c1"), "edited before the truncate was heard of");
    assert_eq!(local_ids(&b), "c1");
    assert_converged(&b);
}

#[tokio::test]
async fn a_device_pointed_at_another_server_reads_it_whole_and_pushes_its_unpushed_edits() {
    let (old, new) = (TestDb::with_schema().await, TestDb::with_schema().await);
    // The new server already has rows, written long ago (low transaction ids,
    // below anything the device read on the old server).
    run_psql(&new.url, &format!("{}{}", card_sql("c1", "the copy on the new server"), card_sql("n1", "only on the new server")));
    let device = Device::new(&old.url);
    device.sync();
    device.sqlite(&format!("{}{}", card_sql("c1", "one"), card_sql("c2", "two")));
    device.sync();
    // Push enough transactions through the old server that its cursor is far
    // ahead of the rows on the new one.
    for i in 0..5 {
        run_psql(&old.url, &card_sql(&format!("o{i}"), "old server"));
    }
    device.sync();
    // Offline: an edit and a new card, then the user switches servers.
    device.sqlite("UPDATE memory_cards SET text = 'edited before the switch' WHERE id = 'c1'");
    device.sqlite(&card_sql("c3", "typed before the switch"));
    let moved = Device { dir: device.dir, url: new.url.clone() };
    let report = moved.sync();
    assert_eq!(report["pull"]["resynced"], true, "another server is read from the start: {report}");

    let ids = central_ids(&new.url);
    assert!(ids.contains("c3") && ids.contains("n1"), "the unpushed card reached the new server, its own rows stay: {ids}");
    assert_eq!(central_text(&new.url, "c1"), "edited before the switch");
    assert!(local_ids(&moved).contains("n1"), "the new server's rows are on the device: {}", local_ids(&moved));
    assert_eq!(central_ids(&old.url).split(',').count(), 7, "the old server is left as it was");
    assert_converged(&moved);
}

#[tokio::test]
async fn a_database_restored_from_a_dump_is_read_from_the_start() {
    // The same server identity (a restore keeps its tables) but a history the
    // device's cursor is not part of: its transaction ids start lower.
    let db = TestDb::with_schema().await;
    let device = Device::new(&db.url);
    device.sync();
    device.sqlite(&card_sql("c1", "one"));
    device.sync();
    let fake_future = r#"{"xid": 9000000000000, "change_id": 0}"#;
    device.sqlite(&format!("UPDATE sync_state SET value = '{fake_future}' WHERE key = 'pull_cursor'"));
    run_psql(&db.url, &card_sql("c2", "written after the restore"));
    let report = device.sync();
    assert_eq!(report["pull"]["resynced"], true, "{report}");
    assert_eq!(local_ids(&device), "c1,c2", "rows written after the restore are read");
    assert_converged(&device);
}

/// The cache migrations an older Noesis shipped, as files of this source tree.
fn older_cache(path: &Path, version: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/src/cache/migrations");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect();
    files.sort();
    let mut sql = String::new();
    for f in &files[..version] {
        sql.push_str(&std::fs::read_to_string(f).unwrap());
        sql.push('\n');
    }
    sql.push_str(&format!("PRAGMA user_version = {version};"));
    let mut shell = Command::new("sqlite3").arg(path).stdin(Stdio::piped()).spawn().expect("the sqlite3 shell is installed");
    shell.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
    assert!(shell.wait().unwrap().success(), "the older migrations apply");
}

#[tokio::test]
async fn a_cache_written_by_an_older_noesis_keeps_and_pushes_its_unpushed_edits() {
    let newest = noesis_engine::cache::CACHE_SCHEMA_VERSION;
    // Version 4 is the oldest cache a released Noesis wrote with a push queue.
    for version in [4, newest - 1] {
        let db = TestDb::with_schema().await;
        let device = Device::new(&db.url);
        older_cache(&device.cache_path(), version);
        device.sqlite(&format!("{}{}{}", card_sql("c1", "one"), card_sql("c2", "two"), card_sql("c3", "three")));
        device.sqlite("UPDATE memory_cards SET text = 'edited' WHERE id = 'c1'");
        device.sqlite("DELETE FROM memory_cards WHERE id = 'c3'");
        device.sync();
        assert_eq!(device.sqlite("PRAGMA user_version").trim(), newest.to_string(), "the cache was upgraded");
        assert_eq!(central_ids(&db.url), "c1,c2", "from cache version {version}");
        assert_eq!(central_text(&db.url, "c1"), "edited", "from cache version {version}");
        assert_eq!(device.sqlite("SELECT count(*) FROM sync_outbox").trim(), "0", "nothing is left queued");
        assert_converged(&device);
    }
}
