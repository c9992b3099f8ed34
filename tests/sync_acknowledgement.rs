//! A change counts as applied only when the server's receipt says so: a push
//! whose answer was lost, a data folder restored from a backup, and one copied
//! to a second machine each keep every write, theirs and everyone else's.

use crate::support;

use support::device::{card_sql, Device};
use support::proxy::{upstream_of, Proxy};
use support::{all_output, run_psql, Server, TestDb};

fn central_text(db: &TestDb, id: &str) -> String {
    run_psql(&db.url, &format!("SELECT text FROM memory_cards WHERE id = '{id}'")).trim().to_string()
}

fn central_count(db: &TestDb) -> u64 {
    run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim().parse().unwrap()
}

/// Copies a device's data folder (no process has it open).
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Puts `backup` back as `device`'s data folder, as a Time Machine restore does.
fn restore_folder(device: &Device, backup: &std::path::Path) {
    for entry in std::fs::read_dir(device.dir.path()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    copy_folder(backup, device.dir.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_whose_answer_was_lost_does_not_revert_another_writers_edit() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let proxy = Proxy::start(upstream_of(&db.url)).await;
    let laptop = Device::new(&proxy.url_for(&db.url));
    laptop.sync();
    laptop.sqlite(&card_sql("c", "t0"));
    laptop.sync();
    run_psql(&db.url, "UPDATE memory_cards SET text = 't1' WHERE id = 'c'");

    // One edit of the card, 499 new cards, another edit of it: the first
    // batch of 500 changes holds the first edit, the second the last.
    laptop.sqlite("UPDATE memory_cards SET category = 'vocabulary' WHERE id = 'c'");
    let inserts: String = (0..499).map(|i| card_sql(&format!("n{i}"), "new")).collect();
    laptop.sqlite(&format!("BEGIN; {inserts} COMMIT;"));
    laptop.sqlite("UPDATE memory_cards SET scope = 'project' WHERE id = 'c'");

    proxy.cut_after_next_commit();
    let cut = laptop.cli().args(["sync", "--json"]).output().unwrap();
    assert!(!cut.status.success(), "the sync lost its connection: {}", all_output(&cut));
    assert!(proxy.commit_cut_done(), "the push committed before the cut");
    assert_eq!(central_count(&db), 500, "the first batch was committed, the second not sent");

    let report = laptop.sync();
    assert_eq!(central_text(&db, "c"), "t1", "the other writer's text was reverted by the retried push: {report}");
    let row = run_psql(&db.url, "SELECT category || ' ' || scope FROM memory_cards WHERE id = 'c'");
    assert_eq!(row.trim(), "vocabulary project", "the laptop's own edits reached the server");
    assert_eq!(laptop.sqlite("SELECT text FROM memory_cards WHERE id = 'c'").trim(), "t1", "the laptop shows the other writer's text");
    assert_eq!(central_count(&db), 500);
    assert_eq!(laptop.sqlite("SELECT count(*) FROM sync_outbox").trim(), "0", "nothing left to send");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_cut_before_its_commit_is_sent_again_whole() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let proxy = Proxy::start(upstream_of(&db.url)).await;
    let laptop = Device::new(&proxy.url_for(&db.url));
    laptop.sync();
    laptop.sqlite(&card_sql("c", "typed on the train"));

    proxy.cut_before_next_commit();
    let cut = laptop.cli().args(["sync", "--json"]).output().unwrap();
    assert!(!cut.status.success(), "{}", all_output(&cut));
    assert!(proxy.commit_cut_done());
    assert_eq!(central_count(&db), 0, "the server rolled the push back");

    laptop.sync();
    assert_eq!(central_text(&db, "c"), "typed on the train");
}

#[tokio::test]
async fn a_data_folder_restored_from_a_backup_loses_no_new_edit() {
    let db = TestDb::with_schema().await;
    let laptop = Device::new(&db.url);
    laptop.sync();
    laptop.sqlite(&card_sql("r-1", "one"));
    laptop.sync();
    let backup = tempfile::tempdir().unwrap();
    copy_folder(laptop.dir.path(), backup.path());

    laptop.sqlite(&format!("{}{}", card_sql("r-2", "two"), card_sql("r-3", "three")));
    laptop.sync();
    restore_folder(&laptop, backup.path());
    laptop.sqlite(&card_sql("r-4", "four"));
    let report = laptop.sync();

    assert_eq!(central_text(&db, "r-4"), "four", "the edit made after the restore reached the server: {report}");
    assert_eq!(central_count(&db), 4);
    assert_eq!(laptop.sqlite("SELECT group_concat(id, ' ') FROM (SELECT id FROM memory_cards ORDER BY id)").trim(), "r-1 r-2 r-3 r-4");
    assert!(report["push"]["identity_renewed"].as_str().is_some_and(|why| why.contains("restored")), "{report}");
    let status = laptop.status();
    assert!(status["identity_renewal"]["reason"].as_str().is_some(), "status says the folder took a new identity: {status}");
    let out = laptop.cli().arg("status").output().unwrap();
    assert!(all_output(&out).contains("new device identity"), "{}", all_output(&out));
}

#[tokio::test]
async fn a_data_folder_copied_to_a_second_mac_keeps_both_macs_edits() {
    let db = TestDb::with_schema().await;
    let old_mac = Device::new(&db.url);
    old_mac.sync();
    old_mac.sqlite(&card_sql("shared", "from before the copy"));
    old_mac.sync();
    let new_mac = Device::new(&db.url);
    copy_folder(old_mac.dir.path(), new_mac.dir.path());

    old_mac.sqlite(&card_sql("old-1", "typed on the old mac"));
    old_mac.sync();
    new_mac.sqlite(&card_sql("new-1", "typed on the new mac"));
    new_mac.sync();
    old_mac.sync();

    assert_eq!(central_text(&db, "new-1"), "typed on the new mac", "the copy's edit reached the server");
    assert_eq!(central_text(&db, "old-1"), "typed on the old mac");
    for mac in [&old_mac, &new_mac] {
        assert_eq!(mac.sqlite("SELECT count(*) FROM memory_cards").trim(), "3", "each mac has every card");
    }
    let ids = run_psql(&db.url, "SELECT count(DISTINCT device_id) FROM noesis_sync.devices");
    assert_eq!(ids.trim(), "2", "the two macs now sync as two devices");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_edit_after_a_lost_answer_keeps_what_others_changed_meanwhile() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let proxy = Proxy::start(upstream_of(&db.url)).await;
    let laptop = Device::new(&proxy.url_for(&db.url));
    laptop.sync();
    run_psql(
        &db.url,
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, error_message, tags, notes)
         VALUES ('d1', '2025-01-01T00:00:00Z', 'notes.md', '/docs/notes.md', 'md', 10, 'h1', 'indexed', 0, '', '{a}', '')",
    );
    laptop.sync();

    // The laptop tags the document; its push commits, the answer is lost.
    laptop.sqlite("UPDATE documents SET tags = json_insert(tags, '$[#]', 'w') WHERE id = 'd1'");
    proxy.cut_after_next_commit();
    let cut = laptop.cli().args(["sync", "--json"]).output().unwrap();
    assert!(!cut.status.success(), "{}", all_output(&cut));
    assert!(proxy.commit_cut_done());
    // Another writer removes that tag; the laptop then edits the notes.
    run_psql(&db.url, "UPDATE documents SET tags = array_remove(tags, 'w') WHERE id = 'd1'");
    laptop.sqlite("UPDATE documents SET notes = 'read twice' WHERE id = 'd1'");
    laptop.sync();

    let row = run_psql(&db.url, "SELECT array_to_string(tags, ',') || ' / ' || notes FROM documents WHERE id = 'd1'");
    assert_eq!(row.trim(), "a / read twice", "the removal stays removed and the laptop's note arrives");
    assert_eq!(laptop.sqlite("SELECT tags FROM documents WHERE id = 'd1'").trim(), r#"["a"]"#);
}
