//! History and trash through the CLI: every version an edit or deletion
//! replaced is kept on the server, whoever wrote (a device, the Python
//! server), and any of them can be put back from any device.

use crate::support;

use support::device::{card_sql, Device};
use support::{all_output, run_psql, stdout_json, TestDb};

fn history(device: &Device, table: &str, id: &str) -> serde_json::Value {
    let out = device.cli().args(["history", table, id, "--json"]).output().unwrap();
    assert!(out.status.success(), "history failed: {}", all_output(&out));
    stdout_json(&out)
}

#[tokio::test]
async fn a_card_edited_on_a_laptop_by_the_server_and_deleted_elsewhere_can_be_restored_everywhere() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    a.sqlite(&card_sql("c1", "first words"));
    a.sync();
    a.sqlite("UPDATE memory_cards SET text = 'edited on the studio' WHERE id = 'c1'");
    a.sync();
    // The Python server rewrites it (no device named).
    run_psql(&db.url, "UPDATE memory_cards SET text = 'rewritten by the server', approval = 'approved' WHERE id = 'c1'");
    b.sync();
    b.sqlite("DELETE FROM memory_cards WHERE id = 'c1'");
    b.sync();
    a.sync();
    assert_eq!(a.sqlite("SELECT count(*) FROM memory_cards").trim(), "0", "the deletion reached device A");

    let story = history(&a, "memory_cards", "c1");
    assert!(story["current"].is_null(), "deleted on the server: {story}");
    let versions = story["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3, "three versions were replaced: {story}");
    let texts: Vec<&str> = versions.iter().map(|v| v["row"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["rewritten by the server", "edited on the studio", "first words"], "newest first");
    let how: Vec<&str> = versions.iter().map(|v| v["replaced"].as_str().unwrap()).collect();
    assert_eq!(how, ["deleted", "edited", "edited"]);
    assert_eq!(versions[1]["by"], "Noesis server / another program", "the server's rewrite carries no device: {}", versions[1]);
    assert_eq!(versions[1]["changed"], serde_json::json!(["text", "approval"]), "the fields the server changed, in column order");
    assert_eq!(versions[2]["changed"], serde_json::json!(["text"]));
    assert_ne!(versions[0]["device_id"], "", "B's deletion names B");
    assert_ne!(versions[0]["device_id"], versions[2]["device_id"], "A's edit and B's deletion name different devices");

    // It is in the trash, on any device.
    let out = b.cli().args(["trash", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let trash = stdout_json(&out);
    assert!(trash.as_array().unwrap().iter().any(|t| t["row_id"] == "c1" && t["table"] == "memory_cards"), "{trash}");

    // A puts the first version back: an ordinary edit, synced everywhere.
    let first = versions[2]["version"].as_i64().unwrap().to_string();
    let out = a.cli().args(["restore", "memory_cards", "c1", "--version", &first]).output().unwrap();
    assert!(out.status.success(), "restore failed: {}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Restored memory_cards c1"), "{}", all_output(&out));
    assert_eq!(run_psql(&db.url, "SELECT text || '/' || approval FROM memory_cards WHERE id = 'c1'").trim(), "first words/pending");
    b.sync();
    assert_eq!(b.sqlite("SELECT text FROM memory_cards WHERE id = 'c1'").trim(), "first words", "device B converged");
    let out = b.cli().args(["trash", "memory_cards", "--json"]).output().unwrap();
    assert!(!stdout_json(&out).as_array().unwrap().iter().any(|t| t["row_id"] == "c1"), "restored: no longer in the trash");
    // The restore is itself an edit whose history goes on: nothing was lost.
    a.sqlite("UPDATE memory_cards SET text = 'after the restore' WHERE id = 'c1'");
    a.sync();
    let again = history(&a, "memory_cards", "c1");
    assert_eq!(again["versions"][0]["row"]["text"], "first words", "{again}");
    assert_eq!(again["versions"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_chat_deleted_on_one_machine_comes_back_from_the_trash_on_the_other_with_its_messages() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    a.sqlite(
        "INSERT INTO chat_sessions VALUES ('s1', 'Planning the trip', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z',
           '[{\"role\": \"user\", \"text\": \"Where to in May?\"}, {\"role\": \"assistant\", \"text\": \"Lisbon.\"}]')",
    );
    a.sync();
    b.sync();
    a.sqlite("DELETE FROM chat_sessions WHERE id = 's1'");
    a.sync();
    b.sync();
    assert_eq!(b.sqlite("SELECT count(*) FROM chat_sessions").trim(), "0");
    let out = b.cli().args(["undelete", "chat_sessions", "s1", "--json"]).output().unwrap();
    assert!(out.status.success(), "undelete failed: {}", all_output(&out));
    assert_eq!(
        run_psql(&db.url, "SELECT jsonb_array_length(messages) || ' ' || title FROM chat_sessions WHERE id = 's1'").trim(),
        "2 Planning the trip"
    );
    a.sync();
    assert_eq!(a.sqlite("SELECT json_extract(messages, '$[1].text') FROM chat_sessions WHERE id = 's1'").trim(), "Lisbon.");
    // Undeleting a row that is not deleted says what to do instead.
    let out = b.cli().args(["undelete", "chat_sessions", "s1"]).output().unwrap();
    assert!(!out.status.success());
    assert!(all_output(&out).contains("is not deleted on the server"), "{}", all_output(&out));
}

#[tokio::test]
async fn inserts_keep_no_history_and_retention_prunes_old_versions() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    // A first migration only inserts: no version is written.
    let mut sql = String::new();
    for i in 0..50 {
        sql.push_str(&card_sql(&format!("m{i}"), "imported"));
    }
    run_psql(&db.url, &sql);
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM noesis_sync.row_versions").trim(), "0");
    // Derived data keeps none either.
    run_psql(
        &db.url,
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status)
           VALUES ('d1', now(), 'a.pdf', '/a.pdf', 'pdf', 1, 'h', 'indexed');
         INSERT INTO document_chunks (id, document_id, chunk_index, text) VALUES ('k1', 'd1', 0, 'x');
         UPDATE document_chunks SET text = 'y'; UPDATE memory_cards SET text = 'edited' WHERE id = 'm1';",
    );
    assert_eq!(run_psql(&db.url, "SELECT string_agg(table_name, ',') FROM noesis_sync.row_versions").trim(), "memory_cards");
    let out = a.cli().args(["history", "document_chunks", "k1"]).output().unwrap();
    assert!(!out.status.success() && all_output(&out).contains("not a table with history"), "{}", all_output(&out));
    let out = a.cli().args(["restore", "memory_cards", "m1", "--version", "999999"]).output().unwrap();
    assert!(!out.status.success() && all_output(&out).contains("has no version 999999"), "{}", all_output(&out));

    // Retention: a version older than history_days goes at the next prune.
    let out = a.cli().args(["setup", "--history-days", "7"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    run_psql(&db.url, "UPDATE noesis_sync.row_versions SET replaced_at = now() - interval '8 days'");
    run_psql(&db.url, "UPDATE memory_cards SET text = 'edited again' WHERE id = 'm1'");
    assert_eq!(run_psql(&db.url, "SELECT noesis_sync.prune_history()").trim(), "1", "the 8-day-old version is pruned");
    assert_eq!(history(&a, "memory_cards", "m1")["versions"][0]["row"]["text"], "edited", "the recent one stays");
    let out = a.cli().args(["setup", "--history-days", "forever"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(run_psql(&db.url, "SELECT coalesce(history_days::text, 'forever') FROM noesis_sync.server_info").trim(), "forever");
    let out = a.cli().args(["setup", "--history-days", "0"]).output().unwrap();
    assert!(!out.status.success() && all_output(&out).contains("nor `forever`"), "{}", all_output(&out));
}

#[tokio::test]
async fn offline_the_history_this_device_read_is_shown_with_when_and_an_unread_one_says_it_needs_the_server() {
    use noesis_engine::central::ServerTarget;
    use noesis_engine::sync::history_view;
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    a.sqlite(&card_sql("c1", "first words"));
    a.sync();
    a.sqlite("UPDATE memory_cards SET text = 'second words' WHERE id = 'c1'");
    a.sync();
    let cache = noesis_engine::cache::Cache::open(a.dir.path()).unwrap();
    let online = ServerTarget::exact(noesis_engine::DatabaseUrl::parse(&db.url).unwrap());
    let read = history_view::row_history(&cache, Some(&online), "memory_cards", "c1").await.unwrap();
    assert_eq!(read.offline_since, None);
    assert_eq!(read.versions.len(), 1);
    // The server stops answering (nothing listens on the port).
    let gone =
        ServerTarget::exact(noesis_engine::DatabaseUrl::parse("postgres://noesis_user:pw@127.0.0.1:1/noesis?sslmode=disable").unwrap());
    let offline = history_view::row_history(&cache, Some(&gone), "memory_cards", "c1").await.unwrap();
    assert!(offline.offline_since.is_some(), "says it is what was read then");
    assert_eq!(offline.versions, read.versions, "the versions this device saw");
    let trash = history_view::trash(&cache, Some(&gone)).await.unwrap();
    assert!(trash.offline_since.is_some() && trash.items.is_empty(), "never read: empty, and said to be offline");
    let unseen = history_view::row_history(&cache, Some(&gone), "memory_cards", "c2").await.unwrap_err();
    assert!(unseen.to_string().contains("cannot be reached now"), "{unseen}");
    let unseen = history_view::row_history(&cache, None, "memory_cards", "c2").await.unwrap_err();
    assert!(unseen.to_string().contains("try again when online"), "{unseen}");
}

#[tokio::test]
async fn a_version_that_lost_a_conflict_is_in_the_same_history_and_restoring_it_resolves_the_conflict() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    a.sqlite(&card_sql("c1", "first words"));
    a.sync();
    b.sync();
    b.sqlite("UPDATE memory_cards SET text = 'typed on the laptop' WHERE id = 'c1'");
    std::thread::sleep(std::time::Duration::from_millis(20));
    a.sqlite("UPDATE memory_cards SET text = 'typed on the studio' WHERE id = 'c1'");
    a.sync();
    b.sync(); // B's edit is older: it loses the same-field conflict.
    assert_eq!(run_psql(&db.url, "SELECT text FROM memory_cards WHERE id = 'c1'").trim(), "typed on the studio");

    let story = history(&b, "memory_cards", "c1");
    let loser = story["versions"].as_array().unwrap().iter().find(|v| v["replaced"] == "lost_conflict").cloned();
    let loser = loser.unwrap_or_else(|| panic!("the losing version is in the history: {story}"));
    assert_eq!(loser["row"]["text"], "typed on the laptop");
    assert_eq!(loser["changed"], serde_json::json!(["text"]), "what differs from the version kept");
    assert_eq!(story["conflicts"].as_array().unwrap().len(), 1, "{story}");
    let edited: Vec<&str> = story["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["replaced"] == "edited")
        .map(|v| v["row"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(edited, ["first words"], "the studio's edit replaced the first version");

    let conflict = format!("conflict:{}", loser["conflict"].as_str().unwrap());
    let out = b.cli().args(["restore", "memory_cards", "c1", "--version", &conflict]).output().unwrap();
    assert!(out.status.success(), "restore failed: {}", all_output(&out));
    assert_eq!(run_psql(&db.url, "SELECT text FROM memory_cards WHERE id = 'c1'").trim(), "typed on the laptop");
    assert_eq!(run_psql(&db.url, "SELECT resolution FROM noesis_sync.conflicts").trim(), "keep_losing", "the conflict is resolved by it");
    let out = b.cli().args(["restore", "memory_cards", "c1", "--version", "conflict:nope"]).output().unwrap();
    assert!(!out.status.success() && all_output(&out).contains("is not a version"), "{}", all_output(&out));
}

#[tokio::test]
async fn a_restore_that_races_a_concurrent_edit_merges_like_any_edit() {
    // A puts an earlier text back while B, not yet seen by A, approves the
    // card: the restore is an edit of the text only, so both survive.
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    a.sqlite(&card_sql("c1", "first words"));
    a.sync();
    a.sqlite("UPDATE memory_cards SET text = 'second thoughts' WHERE id = 'c1'");
    a.sync();
    b.sync();
    b.sqlite("UPDATE memory_cards SET approval = 'approved' WHERE id = 'c1'");
    b.sync();
    assert_eq!(a.sqlite("SELECT approval FROM memory_cards WHERE id = 'c1'").trim(), "pending", "A has not seen B's edit yet");

    let story = history(&a, "memory_cards", "c1");
    let first =
        story["versions"].as_array().unwrap().iter().find(|v| v["row"]["text"] == "first words").expect("the first version is kept");
    let version = first["version"].as_i64().unwrap().to_string();
    let out = a.cli().args(["restore", "memory_cards", "c1", "--version", &version]).output().unwrap();
    assert!(out.status.success(), "restore failed: {}", all_output(&out));
    a.sync();
    b.sync();
    for (who, text) in [
        ("the server", run_psql(&db.url, "SELECT text || '/' || approval FROM memory_cards WHERE id = 'c1'")),
        ("device A", a.sqlite("SELECT text || '/' || approval FROM memory_cards WHERE id = 'c1'")),
        ("device B", b.sqlite("SELECT text || '/' || approval FROM memory_cards WHERE id = 'c1'")),
    ] {
        assert_eq!(text.trim(), "first words/approved", "{who}: the restored text and B's approval are both kept");
    }
    let conflicts = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.conflicts WHERE row_id = 'c1'");
    assert_eq!(conflicts.trim(), "0", "edits of different fields do not conflict");
}
