//! The Noesis Python server can read everything this product writes: after
//! the app's own edits (the engine calls its commands make), a sync agent,
//! `sqlite3` writers and a hostile legacy migration, a reader built from the
//! server's models (`tests/server_contract/read_like_the_server.py`, written
//! independently of the engine's contract declaration) loads every central row.

use crate::support;

use std::path::PathBuf;
use std::process::Command;

use noesis_engine::cache::{Approval, Cache, CardDraft};
use noesis_test_support::generate::GenerateSpec;
use support::device::Device;
use support::legacy::{self, LegacyStore};
use support::{all_output, data_dir, run_psql, stdout_json, Server, TestDb};

/// Where `scripts/install-test-deps.sh` installs pydantic and psycopg.
fn python_path() -> PathBuf {
    let cache = std::env::var_os("NOESIS_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache"));
    let path = cache.join("server-contract-python");
    assert!(path.join("pydantic").is_dir(), "{} lacks pydantic: run scripts/install-test-deps.sh", path.display());
    path
}

/// Runs the server's reader over the database; its report, and whether every row loaded.
fn read_like_the_server(url: &str) -> (serde_json::Value, bool) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/server_contract/read_like_the_server.py");
    let out = Command::new("python3").arg(script).arg(url).env("PYTHONPATH", python_path()).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "the reader itself failed: {}", all_output(&out));
    (stdout_json(&out), out.status.success())
}

fn draft(category: &str, scope: &str, text: &str) -> CardDraft {
    CardDraft { category: category.into(), scope: scope.into(), text: text.into() }
}

#[tokio::test]
async fn the_server_loads_every_row_the_app_the_agent_and_the_migration_wrote() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let device = Device::new(&db.url);
    device.sync();

    // What a user does in the app.
    let approved_card = {
        let cache = Cache::open(device.dir.path()).unwrap();
        let kept = cache.create_card(&draft("preferences", "global", "Prefers answers with sources")).unwrap();
        let edited = cache.create_card(&draft("vocabulary", "project", "Calls the server Axiom Core")).unwrap();
        cache.update_card(&edited.id, &draft("decision_heuristics", "global", "Sleep on big decisions")).unwrap();
        cache.set_card_approval(&kept.id, Approval::Approved).unwrap();
        cache.set_card_approval(&edited.id, Approval::Rejected).unwrap();
        assert!(cache.create_card(&draft("fact", "global", "refused by the form")).is_err());
        // "Add to mind file" on the approved card, then a note on the entry.
        let entry = cache.add_card_to_mindfile(&kept.id).unwrap().expect("the card exists");
        cache.set_mindfile_note(&entry.id, "Said so in the planning chat").unwrap();
        assert!(cache.add_card_to_mindfile(&edited.id).is_err(), "a rejected card is refused");
        kept.id
    };
    // The Noesis server's own ingestion writes a document and its chunks; the app then tags it.
    run_psql(
        &db.url,
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, tags)
         VALUES ('doc-1', now(), 'paper.pdf', '/data/paper.pdf', 'pdf', 1200, 'h1', 'indexed', 1, '{ml}');
         INSERT INTO document_chunks (id, document_id, chunk_index, text, page_number) VALUES ('doc-1-0', 'doc-1', 0, 'Abstract', 1);
         INSERT INTO chat_sessions (id, title, created_at, updated_at, messages)
         VALUES ('chat-1', 'Planning', now(), now(), '[{\"role\": \"user\", \"text\": \"hello\"}, {\"role\": \"assistant\", \"text\": \"hi\", \"model\": \"qwen\", \"processing_time\": 1.5}]');",
    );
    device.sync();
    {
        let cache = Cache::open(device.dir.path()).unwrap();
        cache.update_document("doc-1", &["ml".into(), "to read".into()], "read on the train").unwrap();
        cache.rename_chat_session("chat-1", "Trip planning").unwrap();
    }
    // Other programs write the cache directly: valid rows go, invalid ones are held back.
    device.sqlite(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval) VALUES ('shell-card', '2025-01-01T00:00:00Z', 'fact', 'global', 'from a script', 'pending');
         INSERT INTO mindfile_entries (id, created_at, updated_at, category, text, source_memory_card_id, note)
         VALUES ('shell-entry', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 'principles_values', 'Values brevity', 'c-approved', NULL);
         INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status)
         VALUES ('shell-doc', '2025-01-01T00:00:00Z', 'a.exe', '/a.exe', 'exe', 1, 'h2', 'indexed');",
    );
    let report = device.sync();
    assert_eq!(report["push"]["rejected"], 2, "the script's card and document are held back: {report}");

    // A hostile legacy store migrated into the same database.
    let store = LegacyStore::new(&GenerateSpec::small());
    let out = legacy::migrate(&db.url, data_dir().path(), store.path(), &[]);
    assert!(out.status.success(), "{}", all_output(&out));

    let (read, all_loaded) = read_like_the_server(&db.url);
    assert!(all_loaded, "the Noesis server cannot load these rows: {}", read["failures"]);
    let app_entry = run_psql(
        &db.url,
        &format!("SELECT category || '|' || text || '|' || note FROM mindfile_entries WHERE source_memory_card_id = '{approved_card}'"),
    );
    assert_eq!(
        app_entry.trim(),
        "preferences|Prefers answers with sources|Said so in the planning chat",
        "the app's mind-file entry reached the server"
    );
    for table in ["memory_cards", "mindfile_entries", "chat_sessions", "documents", "document_chunks"] {
        assert!(read["loaded"][table].as_u64().unwrap() > 0, "nothing of {table} was read: {read}");
    }
}

#[tokio::test]
async fn the_reader_finds_a_row_the_server_could_not_load() {
    // The reader is only worth its verdict if it fails where the server would.
    let db = TestDb::with_schema().await;
    run_psql(
        &db.url,
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         VALUES ('made-in-psql', now(), 'fact', 'global', 'x', 'pending', '{\"source\": \"noesis-desktop\"}')",
    );
    let (read, all_loaded) = read_like_the_server(&db.url);
    assert!(!all_loaded);
    let failure = &read["failures"][0];
    assert_eq!((failure["table"].as_str(), failure["id"].as_str()), (Some("memory_cards"), Some("made-in-psql")), "{read}");
    assert!(failure["error"].as_str().unwrap().contains("category"), "{read}");
}

#[tokio::test]
async fn rows_brought_back_from_history_and_the_trash_are_ones_the_server_loads() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let device = Device::new(&db.url);
    device.sync();
    let (card, entry) = {
        let cache = Cache::open(device.dir.path()).unwrap();
        let card = cache.create_card(&draft("preferences", "global", "Prefers answers with sources")).unwrap();
        cache.set_card_approval(&card.id, Approval::Approved).unwrap();
        let entry = cache.add_card_to_mindfile(&card.id).unwrap().expect("the card exists");
        (card.id, entry.id)
    };
    run_psql(
        &db.url,
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, tags)
         VALUES ('doc-1', now(), 'paper.pdf', '/data/paper.pdf', 'pdf', 1200, 'h1', 'indexed', 0, '{ml}');
         INSERT INTO chat_sessions (id, title, created_at, updated_at, messages)
         VALUES ('chat-1', 'Planning', now(), now(), '[{\"role\": \"assistant\", \"text\": \"hi\", \"model\": \"qwen\", \"processing_time\": 1.5}]');",
    );
    device.sync();
    {
        let cache = Cache::open(device.dir.path()).unwrap();
        cache.update_card(&card, &draft("decision_heuristics", "project", "Sleep on big decisions")).unwrap();
        cache.set_mindfile_note(&entry, "Said so in the planning chat").unwrap();
        cache.update_document("doc-1", &["ml".into(), "to read".into()], "read on the train").unwrap();
    }
    device.sync();
    // The Noesis server deletes them all; the device brings them back.
    run_psql(
        &db.url,
        &format!(
            "DELETE FROM mindfile_entries WHERE id = '{entry}'; DELETE FROM chat_sessions; DELETE FROM documents; DELETE FROM memory_cards WHERE id = '{card}';"
        ),
    );
    device.sync();
    for (table, id) in
        [("memory_cards", card.as_str()), ("mindfile_entries", entry.as_str()), ("chat_sessions", "chat-1"), ("documents", "doc-1")]
    {
        let out = device.cli().args(["undelete", table, id]).output().unwrap();
        assert!(out.status.success(), "undelete {table} {id}: {}", all_output(&out));
    }
    // And the card's first version, with its first category and scope.
    let out = device.cli().args(["history", "memory_cards", &card, "--json"]).output().unwrap();
    let story = stdout_json(&out);
    let first = story["versions"].as_array().unwrap().iter().rev().find(|v| v["replaced"] == "edited").unwrap()["version"].to_string();
    let out = device.cli().args(["restore", "memory_cards", &card, "--version", &first]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(
        run_psql(&db.url, &format!("SELECT category || '|' || scope || '|' || text FROM memory_cards WHERE id = '{card}'")).trim(),
        "preferences|global|Prefers answers with sources"
    );

    let (read, all_loaded) = read_like_the_server(&db.url);
    assert!(all_loaded, "the Noesis server cannot load a restored row: {}", read["failures"]);
    for table in ["memory_cards", "mindfile_entries", "chat_sessions", "documents"] {
        assert_eq!(read["loaded"][table].as_u64(), Some(1), "{table} came back: {read}");
    }
}
