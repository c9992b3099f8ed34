//! Local changes the server cannot take as they are: refused by it, held back
//! because it would misread them, or a server value this engine cannot read.
//! Nothing is lost, and the user is told which row and why.

use crate::support;

use support::device::{card_sql, Device};
use support::{all_output, run_psql, TestDb};

#[tokio::test]
async fn a_row_the_server_refuses_is_kept_locally_with_the_reason_and_does_not_block_others() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // The cache takes any text as a date; the server does not.
    a.sqlite("INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
              VALUES ('bad', 'the day after tomorrow', 'preferences', 'global', 'kept anyway', 'pending', '{\"reason\": \"written by a test\"}');");
    a.sqlite(&card_sql("good", "goes through"));
    let out = a.cli().args(["sync", "--json", "--wait", "120"]).env("NOESIS_LOG", "debug").output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("bad"), "the log names the row: {log}");
    assert!(!log.contains("the day after tomorrow") && !log.contains("kept anyway"), "the log holds no row content: {log}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["push"]["rejected"].as_u64(), report["push"]["written"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(run_psql(&db.url, "SELECT string_agg(id, ',') FROM memory_cards").trim(), "good");
    let kept = a.sqlite("SELECT row_id || '|' || reason FROM sync_rejected");
    assert!(kept.starts_with("bad|") && kept.contains("the day after tomorrow"), "the reason names the bad value: {kept}");
    assert_eq!(a.sqlite("SELECT text FROM memory_cards WHERE id = 'bad'").trim(), "kept anyway", "the local row is not lost");
    // Fixing the row sends it.
    a.sqlite("UPDATE memory_cards SET created_at = '2025-02-02T00:00:00Z' WHERE id = 'bad'");
    a.sync();
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim(), "2");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_rejected").trim(), "0");
}

#[tokio::test]
async fn a_server_value_the_engine_cannot_read_is_set_aside_named_and_the_pull_goes_on() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // psql takes any JSON number (1e400 is beyond a 64-bit float) and JSON
    // nested deeper than this app reads (1000 levels, SQLite's limit).
    let deep = format!("{}1{}", "[".repeat(1500), "]".repeat(1500));
    run_psql(
        &db.url,
        &format!(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES
               ('huge', now(), 'preferences', 'global', 'a huge number', 'pending', '{{\"n\": 1e400}}'),
               ('deep', now(), 'preferences', 'global', 'deeply nested', 'pending', '{{\"reason\": \"x\", \"n\": {deep}}}');
             {}",
            card_sql("fine", "an ordinary card")
        ),
    );
    let report = a.sync();
    assert_eq!(report["pull"]["unreadable"], 2, "both rows are set aside, the sync finishes: {report}");
    assert_eq!(a.sqlite("SELECT id FROM memory_cards WHERE id IN ('fine', 'huge', 'deep') ORDER BY id").trim(), "fine", "the rest arrives");
    let status = a.status();
    let listed = serde_json::to_string(&status["unreadable_central"]).unwrap();
    assert!(
        listed.contains("huge") && listed.contains("deep") && listed.contains("provenance"),
        "status names the rows and the column: {listed}"
    );
    assert!(listed.contains("correct it on the server"), "and what to do: {listed}");
    assert!(listed.contains("1501 levels deep"), "the deep one says how deep: {listed}");

    // A new device's first sync (a snapshot) is not stopped either.
    let b = Device::new(&db.url);
    let first = b.sync();
    assert_eq!(first["pull"]["unreadable"], 2, "{first}");
    assert_eq!(b.sqlite("SELECT count(*) FROM memory_cards WHERE id = 'fine'").trim(), "1");

    // Corrected on the server, the next sync brings them and clears the notes.
    run_psql(&db.url, "UPDATE memory_cards SET provenance = '{\"n\": 1, \"reason\": \"fixed\"}' WHERE id IN ('huge', 'deep')");
    a.sync();
    assert_eq!(a.sqlite("SELECT provenance FROM memory_cards WHERE id = 'huge'").trim(), r#"{"n":1,"reason":"fixed"}"#);
    assert_eq!(a.status()["unreadable_central_rows"], 0);
}

#[tokio::test]
async fn json_nested_hundreds_of_levels_deep_syncs_both_ways_unchanged() {
    // 128 levels was serde_json's limit: such a value, valid for PostgreSQL
    // and SQLite, was held back locally as "not valid JSON" and set aside
    // when it came from the server.
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    let nested = |levels: usize| format!("{}\"leaf\"{}", "[".repeat(levels), "]".repeat(levels));
    let provenance = |levels: usize| format!(r#"{{"reason":"imported","sources":[{{"tree":{}}}]}}"#, nested(levels));
    a.sqlite(&format!(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES
           ('local-deep', '2025-01-01T00:00:00Z', 'preferences', 'global', 'deep from a script', 'pending', '{}'),
           ('too-deep', '2025-01-01T00:00:00Z', 'preferences', 'global', 'deeper than SQLite reads', 'pending', '{}')",
        provenance(800),
        provenance(1200)
    ));
    run_psql(
        &db.url,
        &format!(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
             VALUES ('server-deep', now(), 'preferences', 'global', 'deep from psql', 'pending', '{}')",
            provenance(900)
        ),
    );
    let report = a.sync();
    assert_eq!(report["push"]["rejected"], 1, "only the row deeper than 1000 levels is held back: {report}");
    assert_eq!(report["pull"]["unreadable"], 0, "{report}");
    let held = a.sqlite("SELECT row_id || ': ' || reason FROM sync_rejected");
    assert!(held.starts_with("too-deep: ") && held.contains("levels deep") && held.contains("1000"), "{held}");

    let on_server = |id: &str| {
        run_psql(
            &db.url,
            &format!(
                "SELECT provenance = '{}'::jsonb FROM memory_cards WHERE id = '{id}'",
                provenance(if id == "local-deep" { 800 } else { 900 })
            ),
        )
    };
    assert_eq!(on_server("local-deep").trim(), "t", "the server holds the local value unchanged");
    let from_server = a.sqlite("SELECT provenance FROM memory_cards WHERE id = 'server-deep'");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&from_server.trim().replace(&nested(900), "0")).unwrap()["sources"][0]["tree"],
        0,
        "shape kept"
    );
    assert!(from_server.contains(&nested(900)), "the psql value arrived whole");

    b.sync();
    let on_b = b.sqlite("SELECT id FROM memory_cards WHERE id IN ('local-deep', 'server-deep') ORDER BY id");
    assert_eq!(on_b.trim(), "local-deep\nserver-deep", "another device gets both");
    assert!(b.sqlite("SELECT provenance FROM memory_cards WHERE id = 'local-deep'").contains(&nested(800)));
    assert_eq!(b.status()["unreadable_central_rows"], 0);
}

#[tokio::test]
async fn a_local_row_whose_id_cannot_reach_the_server_is_set_aside_and_the_rest_goes() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // Another program writes ids PostgreSQL text cannot hold: a BLOB, a NUL.
    a.sqlite(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES
           (x'c0ffee', '2025-01-01T00:00:00Z', 'preferences', 'global', 'blob id', 'pending', '{\"reason\": \"written by a test\"}'),
           ('a' || char(0) || 'b', '2025-01-01T00:00:00Z', 'preferences', 'global', 'nul in id', 'pending', '{\"reason\": \"written by a test\"}');",
    );
    a.sqlite(&card_sql("good", "goes through"));
    let report = a.sync();
    assert_eq!(report["push"]["rejected"], 2, "{report}");
    assert_eq!(run_psql(&db.url, "SELECT string_agg(id, ',') FROM memory_cards").trim(), "good", "the other row is pushed");
    let out = a.cli().args(["status"]).output().unwrap();
    let rejected = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(rejected.contains("hex:C0FFEE") && rejected.contains("not text"), "named by its bytes, with why: {rejected}");
    assert!(rejected.contains("hex:610062") && rejected.contains("NUL"), "{rejected}");
    assert_eq!(a.sync()["push"]["rejected"], 0, "set aside once, not at every sync");
}

#[tokio::test]
async fn values_the_server_would_misread_are_held_back_not_pushed() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // PostgreSQL would store 'yesterday' as the day before the push, and text
    // that is not JSON as a JSON string the Python server cannot read.
    a.sqlite("INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES
              ('when', 'yesterday', 'preferences', 'global', 'a relative date', 'pending', '{\"reason\": \"written by a test\"}'),
              ('prov', '2025-01-01T00:00:00Z', 'preferences', 'global', 'broken provenance', 'pending', '{\"source\": '),
              ('nul', '2025-01-01T00:00:00Z', 'preferences', 'global', 'a' || char(0) || 'b', 'pending', '{\"reason\": \"written by a test\"}');");
    a.sqlite(&card_sql("good", "goes through"));
    let report = a.sync();
    assert_eq!((report["push"]["rejected"].as_u64(), report["push"]["written"].as_u64()), (Some(3), Some(1)), "{report}");
    assert_eq!(run_psql(&db.url, "SELECT string_agg(id, ',') FROM memory_cards").trim(), "good", "nothing misread reached the server");
    let reasons = a.sqlite("SELECT row_id || ': ' || reason FROM sync_rejected ORDER BY row_id");
    for expected in [
        r#"nul: memory_cards.text holds "a\0b", which contains a NUL character"#,
        r#"prov: memory_cards.provenance holds "{"source": ", which is not valid JSON"#,
        r#"when: memory_cards.created_at holds "yesterday", which is not a date and time"#,
    ] {
        assert!(reasons.contains(expected), "{expected} missing from:\n{reasons}");
    }
    assert_eq!(a.sqlite("SELECT created_at FROM memory_cards WHERE id = 'when'").trim(), "yesterday", "the local row is kept as written");
    let status = String::from_utf8(a.cli().arg("status").output().unwrap().stdout).unwrap();
    assert!(
        status.contains("Not accepted: 3 local change(s)")
            && status.contains(r#"  memory_cards when: memory_cards.created_at holds "yesterday""#),
        "status lists what was not accepted and why:\n{status}"
    );
    // Fixed, the row goes; the others stay held back.
    a.sqlite("UPDATE memory_cards SET created_at = '2025-03-04 05:06:07' WHERE id = 'when'");
    a.sync();
    assert_eq!(run_psql(&db.url, "SELECT created_at FROM memory_cards WHERE id = 'when'").trim(), "2025-03-04 05:06:07");
    assert_eq!(a.sqlite("SELECT group_concat(row_id) FROM (SELECT row_id FROM sync_rejected ORDER BY row_id)").trim(), "nul,prov");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_reports_changes_not_accepted_and_the_cache_lists_them() {
    use noesis_engine::central::ServerTarget;
    use noesis_engine::sync::{start_agent, AgentConfig, SyncState};
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    a.sqlite(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
              VALUES ('when', 'yesterday', 'preferences', 'global', 'a relative date', 'pending', '{\"reason\": \"written by a test\"}');",
    );
    let target = ServerTarget::resolve(&noesis_engine::DatabaseUrl::parse(&db.url).unwrap()).unwrap();
    let agent = start_agent(AgentConfig::new(a.dir.path().to_path_buf(), target)).unwrap();
    let mut status = agent.status();
    let reported = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        status.wait_for(|s| s.state == SyncState::Online && s.last_sync.is_some()),
    )
    .await
    .expect("the agent comes online and finishes its first cycle")
    .unwrap()
    .clone();
    agent.stop().await;
    assert_eq!(reported.pending, 0, "the held-back change left the outbox: {reported:?}");
    assert_eq!(reported.rejected_changes, 1, "\"Synced\" must not hide an edit that never reached the server: {reported:?}");
    let cache = noesis_engine::cache::Cache::open(a.dir.path()).unwrap();
    let listed = cache.rejected_changes(10).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0].table_name.as_str(), listed[0].row_id.as_str()), ("memory_cards", "when"));
    assert!(
        listed[0].reason.contains("created_at") && listed[0].reason.contains("yesterday"),
        "the reason names the column and the value: {}",
        listed[0].reason
    );
}

#[tokio::test]
async fn a_row_the_noesis_server_could_not_read_is_held_back_with_what_is_allowed() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // What the app's "New card" used to write, and a card inserted without
    // provenance, which takes the cache column's default `{}`: either one on
    // the server stops its listing of every card and its start-up.
    a.sqlite(
        r#"INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES
              ('app', '2025-01-01T00:00:00Z', 'fact', 'global', 'made in the app', 'pending', '{"source":"noesis-desktop"}');
              INSERT INTO memory_cards (id, created_at, category, scope, text, approval) VALUES
              ('bare', '2025-01-01T00:00:00Z', 'preferences', 'work', 'no provenance', 'archived');
              INSERT INTO chat_sessions (id, title, created_at, updated_at, messages) VALUES
              ('chat', 't', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '[{"role": "user"}]');"#,
    );
    a.sqlite(&card_sql("good", "goes through"));
    let report = a.sync();
    assert_eq!((report["push"]["rejected"].as_u64(), report["push"]["written"].as_u64()), (Some(3), Some(1)), "{report}");
    assert_eq!(
        run_psql(&db.url, "SELECT string_agg(id, ',') FROM memory_cards").trim(),
        "good",
        "nothing the server cannot read reached it"
    );
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM chat_sessions").trim(), "0");
    let reasons = a.sqlite("SELECT row_id || ': ' || reason FROM sync_rejected ORDER BY row_id");
    for expected in [
        r#"app: memory_cards.category is "fact", which the Noesis server does not accept; allowed: principles_values, cognitive_framing, decision_heuristics, preferences, vocabulary"#,
        r#"memory_cards.provenance has no "reason""#,
        r#"bare: memory_cards.scope is "work", which the Noesis server does not accept; allowed: project, global"#,
        r#"memory_cards.approval is "archived""#,
        r#"chat: chat_sessions.messages message 1: has no "text""#,
    ] {
        assert!(reasons.contains(expected), "{expected} missing from:\n{reasons}");
    }
    // Fixed, the rows go.
    a.sqlite(
        r#"UPDATE memory_cards SET category = 'vocabulary', provenance = '{"reason": "typed in"}' WHERE id = 'app';
              UPDATE memory_cards SET scope = 'project', approval = 'rejected', provenance = '{"reason": "typed in"}' WHERE id = 'bare';
              UPDATE chat_sessions SET messages = '[{"role": "user", "text": "hello"}]';"#,
    );
    let report = a.sync();
    assert_eq!(report["push"]["written"].as_u64(), Some(3), "{report}");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_rejected").trim(), "0");
}

#[tokio::test]
async fn a_server_row_the_noesis_server_cannot_read_arrives_is_listed_and_clears_once_fixed() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // Written in psql, or by a version of this product from before the contract was checked.
    run_psql(
        &db.url,
        &format!(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
             VALUES ('typed-in-psql', now(), 'fact', 'global', 'from psql', 'pending', '{{\"source\": \"noesis-desktop\"}}'),
                    ('also-in-psql', now(), 'preferences', 'everywhere', 'from psql too', 'pending', '{{\"reason\": \"psql\"}}');
             {}",
            card_sql("fine", "readable")
        ),
    );
    let pulled = a.sync();
    assert_eq!(pulled["pull"]["applied"], 3, "the pull does not stop on them: {pulled}");
    let status = a.status();
    assert_eq!(status["unreadable_central_rows"], 2, "{status}");
    let first = &status["unreadable_central"][0];
    assert_eq!(first["row_id"], "also-in-psql", "{status}");
    assert!(first["reason"].as_str().unwrap().contains(r#"scope is "everywhere""#), "{status}");
    let second = status["unreadable_central"][1]["reason"].as_str().unwrap().to_string();
    assert!(second.contains("category") && second.contains("provenance"), "every field is named: {second}");
    let human = a.cli().args(["status"]).output().unwrap();
    assert!(String::from_utf8_lossy(&human.stdout).contains("Unreadable: 2 server row(s)"), "{}", all_output(&human));

    // Fixed here, the push clears it; fixed on the server, the pull does.
    a.sqlite("UPDATE memory_cards SET category = 'preferences', provenance = '{\"reason\": \"fixed\"}' WHERE id = 'typed-in-psql'");
    run_psql(&db.url, "UPDATE memory_cards SET scope = 'global' WHERE id = 'also-in-psql'");
    a.sync();
    assert_eq!(a.status()["unreadable_central_rows"], 0);
}

#[tokio::test]
async fn a_value_the_server_would_store_changed_is_held_back_not_converted() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // Another program writes a BLOB where the card's text goes (pushed as
    // is, the server would get its hex digits) and a document size of 2.5
    // (the server's whole-number column would cut it), and a provenance
    // holding -0.0 (jsonb's decimals have no negative zero: it would be 0.0).
    a.sqlite(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES
           ('blob-text', '2025-01-01T00:00:00Z', 'preferences', 'global', x'68656c6c6f', 'pending', '{\"reason\": \"written by a test\"}'),
           ('minus-zero', '2025-01-01T00:00:00Z', 'preferences', 'global', 'scored', 'pending', '{\"reason\": \"t\", \"sources\": [{\"score\": -0.0}]}');
         INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, error_message, tags, notes)
         VALUES ('d1', '2025-01-01T00:00:00Z', 'a.md', '/a.md', 'md', 2.5, 'h', 'indexed', 0, '', '[]', '');",
    );
    let report = a.sync();
    assert_eq!(report["push"]["rejected"], 3, "{report}");
    assert_eq!(
        run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id IN ('blob-text', 'minus-zero')").trim(),
        "0",
        "no changed value reached the server"
    );
    let reasons = a.sqlite("SELECT row_id || ': ' || reason FROM sync_rejected ORDER BY row_id");
    assert!(reasons.contains("blob-text: memory_cards.text holds a BLOB of 5 bytes"), "{reasons}");
    assert!(reasons.contains("d1: documents.file_size holds the number 2.5"), "{reasons}");
    assert!(
        reasons.contains("minus-zero: memory_cards.provenance holds") && reasons.contains("-0.0 that the server would store as 0.0"),
        "{reasons}"
    );
}
