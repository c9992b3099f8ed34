//! Two (or three) devices and other programs writing to one server, driven
//! through the `noesis-sync` binary: what a user of several machines sees.

use crate::support;

use support::device::{card_sql, Device};
use support::{all_output, run_psql, stdout_json, TestDb};

fn assert_converged(devices: &[&Device]) {
    let (first_local, central) = devices[0].checksums();
    assert_eq!(first_local, central, "device 1 differs from the server");
    for (i, d) in devices.iter().enumerate().skip(1) {
        let (local, _) = d.checksums();
        assert_eq!(local, central, "device {} differs from the server", i + 1);
    }
}

#[tokio::test]
async fn an_edit_on_one_laptop_reaches_the_other_and_deletes_follow() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    a.sqlite(&card_sql("c1", "written on the studio"));
    a.sqlite(
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, tags)
              VALUES ('d1', '2025-01-01T00:00:00Z', 'paper.pdf', '/p.pdf', 'pdf', 10, 'h', 'indexed', '[\"ml\"]');
              INSERT INTO document_chunks (id, document_id, chunk_index, text) VALUES ('k1', 'd1', 0, 'chunk text');",
    );
    let pushed = a.sync();
    assert_eq!(pushed["push"]["written"], 3, "{pushed}");
    let pulled = b.sync();
    assert_eq!(pulled["pull"]["applied"], 3, "{pulled}");
    assert_eq!(b.sqlite("SELECT text FROM memory_cards WHERE id = 'c1'").trim(), "written on the studio");
    assert_eq!(b.sqlite("SELECT tags FROM documents WHERE id = 'd1'").trim(), "[\"ml\"]");

    b.sqlite("DELETE FROM memory_cards WHERE id = 'c1'; UPDATE documents SET notes = 'read on the train' WHERE id = 'd1';");
    b.sync();
    a.sync();
    assert_eq!(a.sqlite("SELECT count(*) FROM memory_cards").trim(), "0", "the delete reached the other laptop");
    assert_eq!(a.sqlite("SELECT notes FROM documents").trim(), "read on the train");
    assert_converged(&[&a, &b]);
    let again = a.sync();
    assert_eq!((again["push"]["written"].as_u64(), again["pull"]["applied"].as_u64()), (Some(0), Some(0)), "a second sync moves nothing");
}

#[tokio::test]
async fn writes_by_the_python_server_and_psql_reach_every_device() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    run_psql(&db.url, &card_sql("existing", "there before the devices"));
    a.sync();
    b.sync();
    run_psql(
        &db.url,
        "INSERT INTO chat_sessions VALUES ('s1', 'From the server', '2025-01-01', '2025-01-01', '[{\"role\": \"user\", \"text\": \"hello\"}]');
         UPDATE memory_cards SET approval = 'approved', approved_at = now() WHERE id = 'existing';",
    );
    run_psql(&db.url, "DELETE FROM memory_cards WHERE id = 'existing'");
    for d in [&a, &b] {
        d.sync();
        assert_eq!(d.sqlite("SELECT count(*) FROM memory_cards").trim(), "0");
        assert_eq!(d.sqlite("SELECT title FROM chat_sessions").trim(), "From the server");
    }
    assert_converged(&[&a, &b]);
    let hits = b.sqlite("SELECT count(*) FROM chat_sessions_fts WHERE chat_sessions_fts MATCH 'hello'");
    assert_eq!(hits.trim(), "1", "pulled rows are searchable");
}

#[tokio::test]
async fn a_null_the_python_servers_looser_schema_allows_does_not_stop_the_pull() {
    let db = TestDb::with_schema().await;
    // The Python server created its tables first, with columns our schema
    // declares NOT NULL left nullable (setup keeps an existing table as is).
    run_psql(
        &db.url,
        "ALTER TABLE chat_sessions ALTER title DROP NOT NULL, ALTER updated_at DROP NOT NULL;
         ALTER TABLE documents ALTER file_size DROP NOT NULL, ALTER file_type DROP NOT NULL;",
    );
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    run_psql(
        &db.url,
        "INSERT INTO chat_sessions VALUES ('untitled', NULL, '2025-01-01', NULL, '[{\"role\": \"user\", \"text\": \"no title yet\"}]');
         INSERT INTO chat_sessions VALUES ('titled', 'Fine', '2025-01-01', '2025-01-01', '[]');
         INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status)
         VALUES ('d1', '2025-01-01', 'scan.pdf', '/scan.pdf', NULL, NULL, 'h', 'uploaded');",
    );
    for d in [&a, &b] {
        let report = d.sync();
        assert_eq!(report["pull"]["applied"], 3, "every row arrives, the ones with NULLs too: {report}");
        assert_eq!(
            d.sqlite("SELECT quote(title) || ' ' || updated_at FROM chat_sessions WHERE id = 'untitled'").trim(),
            "'' 1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(d.sqlite("SELECT file_size || ' ' || quote(file_type) FROM documents").trim(), "0 ''");
    }
    assert_converged(&[&a, &b]);

    // Editing the row on a device fills the server's NULLs with what it shows.
    a.sqlite("UPDATE chat_sessions SET title = 'Named later' WHERE id = 'untitled'");
    let pushed = a.sync();
    assert_eq!(pushed["push"]["written"], 1, "{pushed}");
    assert_eq!(run_psql(&db.url, "SELECT title FROM chat_sessions WHERE id = 'untitled'").trim(), "Named later");
    b.sync();
    assert_eq!(b.sqlite("SELECT title FROM chat_sessions WHERE id = 'untitled'").trim(), "Named later");
    assert_converged(&[&a, &b]);
}

#[tokio::test]
async fn a_truncate_on_the_server_empties_the_table_on_every_device_but_keeps_unpushed_edits() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    a.sqlite(&card_sql("c1", "one"));
    a.sqlite(&card_sql("c2", "two"));
    a.sqlite("INSERT INTO chat_sessions VALUES ('s1', 'kept', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '[]')");
    a.sync();
    b.sync();
    assert_eq!(b.sqlite("SELECT count(*) FROM memory_cards").trim(), "2");
    b.sqlite(&card_sql("c3", "typed on the laptop, not pushed yet"));

    // Someone empties the cards on the server (TRUNCATE fires no row triggers).
    run_psql(&db.url, "TRUNCATE memory_cards");
    let pulled = a.sync();
    assert_eq!(pulled["pull"]["resynced"], true, "{pulled}");
    assert_eq!(a.sqlite("SELECT count(*) FROM memory_cards").trim(), "0", "the truncated cards leave the device");
    assert_eq!(a.sqlite("SELECT title FROM chat_sessions").trim(), "kept", "other tables are untouched");
    b.sync();
    assert_eq!(b.sqlite("SELECT id FROM memory_cards").trim(), "c3", "the laptop's unpushed card survives and is pushed");
    a.sync();
    assert_eq!(a.sqlite("SELECT id FROM memory_cards").trim(), "c3");
    assert_converged(&[&a, &b]);
    let again = a.sync();
    assert_eq!(again["pull"]["resynced"], false, "one resync, not one per sync: {again}");
}

#[tokio::test]
async fn different_fields_merge_silently_and_the_same_field_keeps_the_later_edit_and_a_conflict() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    run_psql(&db.url, &card_sql("c1", "original"));
    a.sync();
    b.sync();
    // Offline on both laptops: B edits first, A edits later.
    b.sqlite("UPDATE memory_cards SET text = 'B typed this', scope = 'project' WHERE id = 'c1'");
    std::thread::sleep(std::time::Duration::from_millis(20));
    a.sqlite("UPDATE memory_cards SET text = 'A typed this later', category = 'vocabulary' WHERE id = 'c1'");
    a.sync();
    let report = b.sync();
    assert_eq!(report["push"]["conflicts"], 1, "{report}");
    a.sync();
    for d in [&a, &b] {
        assert_eq!(
            d.sqlite("SELECT text || '|' || scope || '|' || category FROM memory_cards").trim(),
            "A typed this later|project|vocabulary",
            "one-sided fields merge; the later text wins"
        );
    }
    assert_converged(&[&a, &b]);

    // The losing text is kept and can be restored; the restore syncs.
    let out = b.cli().args(["conflicts", "--json"]).output().unwrap();
    let list = stdout_json(&out);
    let conflict = &list.as_array().unwrap()[0];
    assert_eq!(conflict["reason"], "concurrent_edit");
    assert_eq!(conflict["losing"]["text"], "B typed this");
    let id = conflict["id"].as_str().unwrap();
    let out = b.cli().args(["conflicts", "resolve", id, "--keep", "local", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    a.sync();
    assert_eq!(a.sqlite("SELECT text FROM memory_cards").trim(), "B typed this", "the restored version reached the other laptop");
    assert_eq!(stdout_json(&a.cli().args(["conflicts", "--json"]).output().unwrap()), serde_json::json!([]));
    assert_converged(&[&a, &b]);
}

#[tokio::test]
async fn an_edit_racing_a_delete_survives_with_the_delete_noted() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    run_psql(&db.url, &card_sql("c1", "original"));
    a.sync();
    b.sync();
    a.sqlite("DELETE FROM memory_cards WHERE id = 'c1'");
    a.sync();
    b.sqlite("UPDATE memory_cards SET text = 'edited while deleted elsewhere' WHERE id = 'c1'");
    let report = b.sync();
    assert_eq!(report["push"]["conflicts"], 1, "{report}");
    a.sync();
    assert_eq!(a.sqlite("SELECT text FROM memory_cards").trim(), "edited while deleted elsewhere", "nothing typed is lost");
    let list = stdout_json(&a.cli().args(["conflicts", "--json"]).output().unwrap());
    assert_eq!(list[0]["reason"], "edit_vs_delete");
    assert!(list[0]["losing"].is_null(), "the losing side is the delete");
    assert_converged(&[&a, &b]);
}

#[tokio::test]
async fn messages_appended_on_two_laptops_are_all_kept() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    run_psql(
        &db.url,
        "INSERT INTO chat_sessions VALUES ('s1', 'Chat', '2025-01-01', '2025-01-01', '[{\"role\": \"user\", \"text\": \"q\"}]')",
    );
    a.sync();
    b.sync();
    a.sqlite(
        "UPDATE chat_sessions SET messages = json_insert(messages, '$[#]', json_object('role', 'user', 'text', 'from A')) WHERE id = 's1'",
    );
    b.sqlite(
        "UPDATE chat_sessions SET messages = json_insert(messages, '$[#]', json_object('role', 'user', 'text', 'from B')) WHERE id = 's1'",
    );
    a.sync();
    let report = b.sync();
    assert_eq!(report["push"]["conflicts"], 0, "appends are not conflicts: {report}");
    a.sync();
    for d in [&a, &b] {
        let texts = d.sqlite("SELECT group_concat(json_extract(value, '$.text'), ',') FROM chat_sessions, json_each(messages)");
        assert_eq!(texts.trim(), "q,from A,from B");
    }
    assert_converged(&[&a, &b]);
}

#[tokio::test]
async fn a_retried_push_after_a_lost_acknowledgement_applies_nothing_twice() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    a.sqlite(&card_sql("c1", "once"));
    let saved = a.sqlite("SELECT op_id || '|' || table_name || '|' || row_id || '|' || op || '|' || changed_at FROM sync_outbox");
    a.sync();
    let changes = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.changelog");
    // The acknowledgement was "lost": the outbox still holds the sent entries.
    let fields: Vec<&str> = saved.trim().split('|').collect();
    a.sqlite(&format!(
        "INSERT INTO sync_outbox (op_id, table_name, row_id, op, changed_at) VALUES ({}, '{}', '{}', '{}', '{}')",
        fields[0], fields[1], fields[2], fields[3], fields[4]
    ));
    let retry = a.sync();
    assert_eq!(retry["push"]["acknowledged"], 1, "{retry}");
    assert_eq!(retry["push"]["written"], 0, "{retry}");
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM noesis_sync.changelog"), changes, "the server applied nothing twice");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_outbox").trim(), "0");
}

#[tokio::test]
async fn an_older_client_refuses_to_push_to_a_newer_server_schema() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    a.sqlite(&card_sql("c1", "must not be pushed"));
    run_psql(&db.url, "UPDATE noesis_sync.server_info SET min_client_protocol = 99, schema_version = 99");
    let out = a.cli().args(["sync", "--json"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(stdout_json(&out)["error"]["code"], "client_too_old");
    assert!(all_output(&out).contains("upgrade noesis-sync"), "{}", all_output(&out));
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim(), "0", "nothing was written");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_outbox").trim(), "1", "the edit waits for an upgraded client");
}

#[tokio::test]
async fn the_changelog_is_pruned_behind_active_devices_and_an_expired_device_resyncs_fully() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    let prune_now = |d: &Device| d.sqlite("DELETE FROM sync_state WHERE key = 'last_prune'");

    // B is behind but active: pruning keeps what B has not read.
    a.sqlite(&card_sql("c1", "first"));
    prune_now(&a);
    a.sync();
    let pulled = b.sync();
    assert_eq!(pulled["pull"]["applied"], 1, "{pulled}");
    assert_eq!(pulled["pull"]["resynced"], false);

    // B falls silent for longer than the expiry; A keeps writing and pruning.
    run_psql(&db.url, "UPDATE noesis_sync.devices SET last_seen = now() - interval '40 days'");
    a.sqlite(&format!("{}{}", card_sql("c2", "second"), card_sql("c3", "third")));
    a.sync();
    a.sqlite("DELETE FROM memory_cards WHERE id = 'c1'");
    prune_now(&a);
    a.sync();
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM noesis_sync.changelog").trim(), "0", "changes every active device read are gone");

    let back = b.sync();
    assert_eq!(back["pull"]["resynced"], true, "the returning device is told to resync: {back}");
    assert_eq!(
        b.sqlite("SELECT group_concat(id, ',') FROM (SELECT id FROM memory_cards ORDER BY id)").trim(),
        "c2,c3",
        "it missed nothing, including the delete"
    );
    assert_converged(&[&a, &b]);
}

#[tokio::test]
async fn embeddings_are_pulled_only_after_opting_in_and_stored_as_f32_blobs() {
    let db = TestDb::with_schema().await;
    run_psql(
        &db.url,
        "INSERT INTO embeddings (doc_id, embedding, text, metadata, source_type)
         SELECT 'e1', array_fill(0.25::real, ARRAY[768])::vector, 'chunk', '{\"document_id\": \"d1\"}', 'document_chunk'",
    );
    let a = Device::new(&db.url);
    a.sync();
    assert_eq!(a.sqlite("SELECT count(*) FROM embeddings").trim(), "0", "not pulled by default");
    let out = a.cli().args(["embeddings", "on"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    a.sync();
    assert_eq!(a.sqlite("SELECT length(embedding) FROM embeddings WHERE doc_id = 'e1'").trim(), "3072", "768 little-endian f32s");
    assert_eq!(a.sqlite("SELECT hex(substr(embedding, 1, 4)) FROM embeddings").trim(), "0000803E", "0.25 as f32");
    run_psql(&db.url, "UPDATE embeddings SET embedding = array_fill(0.5::real, ARRAY[768])::vector WHERE doc_id = 'e1'");
    a.sync();
    assert_eq!(a.sqlite("SELECT hex(substr(embedding, 1, 4)) FROM embeddings").trim(), "0000003F", "a changed vector replaces the row");
    run_psql(&db.url, "DELETE FROM embeddings");
    a.sync();
    assert_eq!(a.sqlite("SELECT count(*) FROM embeddings").trim(), "0");
    a.cli().args(["embeddings", "off"]).output().unwrap();
    run_psql(
        &db.url,
        "INSERT INTO embeddings (doc_id, embedding, text, source_type) SELECT 'e2', array_fill(0.1::real, ARRAY[768])::vector, 't', 'x'",
    );
    a.sync();
    assert_eq!(a.sqlite("SELECT count(*) FROM embeddings").trim(), "0", "opted out again");
}

#[tokio::test]
async fn a_server_with_an_older_schema_is_reported_with_the_command_that_upgrades_it() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    run_psql(&db.url, "UPDATE noesis_sync.server_info SET schema_version = 1");
    let out = a.cli().args(["sync", "--json"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(stdout_json(&out)["error"]["code"], "schema_outdated", "{}", all_output(&out));
    assert!(all_output(&out).contains("run `noesis-sync setup`"));
    let setup = a.cli().arg("setup").output().unwrap();
    assert!(setup.status.success(), "{}", all_output(&setup));
    a.sync();
}

#[tokio::test]
async fn a_sync_waits_for_changes_held_back_by_an_older_server_transaction() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    // Another program's transaction starts before A's push and ends 3 s later.
    let holder = std::process::Command::new(support::psql())
        .args([db.url.as_str(), "-qAt", "-c", "BEGIN; SELECT pg_current_xact_id(); SELECT pg_sleep(3) /* held */; COMMIT;"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let holding =
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%/* held */%' AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()";
    while run_psql(&db.url, holding).trim() != "1" {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    a.sqlite(&card_sql("c1", "committed while an older transaction runs"));
    let pushed = a.cli().args(["sync", "--json", "--wait", "0"]).output().unwrap();
    assert_eq!(stdout_json(&pushed)["push"]["written"], 1);

    let impatient = b.cli().args(["sync", "--json", "--wait", "0"]).output().unwrap();
    let report = stdout_json(&impatient);
    assert_eq!(report["pull"]["waiting"], true, "{report}");
    assert_eq!(b.sqlite("SELECT count(*) FROM memory_cards").trim(), "0", "not readable yet");

    let patient = b.sync();
    assert_eq!(patient["pull"]["waiting"], false, "{patient}");
    assert_eq!(patient["pull"]["applied"], 1, "{patient}");
    assert_eq!(b.sqlite("SELECT text FROM memory_cards WHERE id = 'c1'").trim(), "committed while an older transaction runs");
    holder.wait_with_output().unwrap();
}

#[tokio::test]
async fn an_edit_made_while_its_row_is_being_pushed_keeps_the_remote_change_the_push_merged() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    a.sqlite(&card_sql("c1", "first text"));
    a.sync();
    b.sync();
    // B changes the category; A, not knowing, changes the text.
    b.sqlite("UPDATE memory_cards SET category = 'decision_heuristics' WHERE id = 'c1'");
    b.sync();
    a.sqlite("UPDATE memory_cards SET text = 'second text' WHERE id = 'c1'");
    // A's push of that row stalls on the server; meanwhile A edits the text again.
    run_psql(
        &db.url,
        "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$;
         CREATE TRIGGER stall BEFORE INSERT OR UPDATE ON memory_cards FOR EACH ROW EXECUTE FUNCTION stall();",
    );
    let pushing = a.cli().args(["sync", "--json", "--wait", "0"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    while run_psql(&db.url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'").trim() != "1" {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    a.sqlite("UPDATE memory_cards SET text = 'third text' WHERE id = 'c1'");
    let first = pushing.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", all_output(&first));
    // The stalled batch merged B's category; the newer edit goes in a next batch.
    assert!(stdout_json(&first)["push"]["merged"].as_u64().unwrap() >= 1, "{}", all_output(&first));
    run_psql(&db.url, "DROP TRIGGER stall ON memory_cards");

    a.sync();
    b.sync();
    let row = run_psql(&db.url, "SELECT text || '|' || category FROM memory_cards WHERE id = 'c1'");
    assert_eq!(row.trim(), "third text|decision_heuristics", "A's newest edit is there and B's change was not reverted");
    assert_converged(&[&a, &b]);
}
