//! The central schema on a real PostgreSQL: migrations on empty and on
//! pre-existing Noesis databases, change capture of writes by other programs,
//! the out-of-order commit guarantee of the pull cursor, NOTIFY, device roles,
//! and a server without pgvector.

use crate::support;

use futures_util::StreamExt;
use noesis_engine::central::{self, Cursor, PgvectorStatus, ServerTarget};
use noesis_engine::DatabaseUrl;
use sqlx::{Connection, Executor, Row};
use support::{migration_files, run_psql, Server, TestDb};

mod capture;

fn target(url: &str) -> ServerTarget {
    ServerTarget::exact(DatabaseUrl::parse(url).unwrap())
}

async fn count(conn: &mut sqlx::PgConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(conn).await.unwrap()
}

#[tokio::test]
async fn setup_on_an_empty_database_creates_every_table_and_is_idempotent() {
    let db = TestDb::new(Server::Pgvector).await;
    let first = db.setup().await;
    assert_eq!(first.applied_migrations.len(), migration_files(), "every migration applies on an empty database");
    assert!(matches!(first.pgvector, PgvectorStatus::Installed { .. }), "{:?}", first.pgvector);
    assert_eq!(first.schema.schema_version, central::CLIENT_SCHEMA_VERSION);

    let mut conn = db.connect().await;
    for table in ["memory_cards", "chat_sessions", "mindfile_entries", "documents", "document_chunks", "embeddings"] {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL").bind(table).fetch_one(&mut conn).await.unwrap();
        assert!(exists, "table {table} missing after setup");
    }
    let hnsw: String =
        sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_embeddings_hnsw'").fetch_one(&mut conn).await.unwrap();
    assert!(hnsw.contains("hnsw") && hnsw.contains("vector_ip_ops"), "{hnsw}");

    let second = db.setup().await;
    assert!(second.applied_migrations.is_empty(), "a second setup applies nothing: {:?}", second.applied_migrations);
}

#[tokio::test]
async fn central_columns_match_the_python_server_and_the_local_cache() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let mut conn = db.connect().await;
    for spec in noesis_engine::tables::EDITABLE.iter().copied().chain([noesis_engine::tables::EMBEDDINGS]) {
        let rows = sqlx::query(
            "SELECT column_name::text, is_nullable = 'NO' FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(spec.name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let central: Vec<(String, bool)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let declared: Vec<(String, bool)> = spec.columns.iter().map(|c| (c.name.to_string(), c.required)).collect();
        assert_eq!(central, declared, "columns of {} differ from the declared ones", spec.name);
    }
}

#[tokio::test]
async fn setup_keeps_an_existing_python_server_database_and_its_data() {
    let db = TestDb::new(Server::Pgvector).await;
    run_psql(&db.url, include_str!("fixtures/python_server_schema.sql"));
    let before = run_psql(
        &db.url,
        "SELECT (SELECT jsonb_agg(t ORDER BY id) FROM memory_cards t)::text || (SELECT jsonb_agg(t) FROM chat_sessions t)::text
           || (SELECT jsonb_agg(t) FROM mindfile_entries t)::text || (SELECT jsonb_agg(t) FROM documents t)::text
           || (SELECT jsonb_agg(t) FROM document_chunks t)::text || (SELECT jsonb_agg(t) FROM embeddings t)::text",
    );

    let report = db.setup().await;
    assert_eq!(report.applied_migrations.len(), migration_files());
    let after = run_psql(
        &db.url,
        "SELECT (SELECT jsonb_agg(t ORDER BY id) FROM memory_cards t)::text || (SELECT jsonb_agg(t) FROM chat_sessions t)::text
           || (SELECT jsonb_agg(t) FROM mindfile_entries t)::text || (SELECT jsonb_agg(t) FROM documents t)::text
           || (SELECT jsonb_agg(t) FROM document_chunks t)::text || (SELECT jsonb_agg(t) FROM embeddings t)::text",
    );
    assert_eq!(before, after, "setup changed data the Python server had written");

    // The Python server's own statements keep working, and are now captured.
    run_psql(
        &db.url,
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, approved_at, rejected_at, provenance)
         VALUES ('card-3', now(), 'preferences', 'global', 'New after setup', 'pending', NULL, NULL, '{\"reason\": \"written by a test\"}'::jsonb);
         UPDATE documents SET tags = array_append(tags, 'new') WHERE id = 'doc-1';
         DELETE FROM documents WHERE id = 'doc-1';",
    );
    let log = run_psql(&db.url, "SELECT table_name || ':' || row_id || ':' || op FROM noesis_sync.changelog ORDER BY change_id");
    let log: Vec<&str> = log.lines().collect();
    assert_eq!(
        log,
        ["memory_cards:card-3:I", "documents:doc-1:U", "documents:doc-1:D", "document_chunks:chunk-1:D"],
        "every write, including the cascade, is in the changelog"
    );
    // The rows that existed before setup are not in the changelog: other devices
    // get them from the initial snapshot, not as changes.
    // Running the Python server's init_database() again is still harmless.
    run_psql(&db.url, include_str!("fixtures/python_server_schema.sql").split("INSERT INTO").next().unwrap());
}

#[tokio::test]
async fn changelog_records_psql_writes_with_their_transaction_and_device() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let anonymous_xid = run_psql(
        &db.url,
        "BEGIN;
         INSERT INTO memory_cards VALUES ('c1', now(), 'preferences', 'global', 'from psql', 'pending', NULL, NULL, '{\"reason\": \"written by a test\"}');
         SELECT pg_current_xact_id();
         COMMIT;",
    );
    let device_xid = run_psql(
        &db.url,
        "BEGIN;
         SET LOCAL noesis.device_id = 'laptop-42';
         UPDATE memory_cards SET text = 'edited by a device' WHERE id = 'c1';
         SELECT pg_current_xact_id();
         COMMIT;",
    );
    let delete_xid = run_psql(&db.url, "BEGIN; DELETE FROM memory_cards WHERE id = 'c1'; SELECT pg_current_xact_id(); COMMIT;");
    let log = run_psql(
        &db.url,
        "SELECT xid || '|' || op || '|' || device_id || '|' || coalesce(tombstone->>'text', '') FROM noesis_sync.changelog ORDER BY change_id",
    );
    let expected =
        format!("{}|I||\n{}|U|laptop-42|\n{}|D||edited by a device\n", anonymous_xid.trim(), device_xid.trim(), delete_xid.trim());
    assert_eq!(log, expected, "each change carries its writer's xid and device; the delete keeps the row");

    // An UPDATE that changes nothing is not a change.
    run_psql(&db.url, "INSERT INTO chat_sessions VALUES ('s1', 't', now(), now(), '[]'); UPDATE chat_sessions SET title = title;");
    let n = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.changelog WHERE table_name = 'chat_sessions'");
    assert_eq!(n.trim(), "1");
}

#[tokio::test]
async fn statements_touching_many_rows_record_one_change_per_changed_row() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let log = |table: &str| {
        run_psql(&db.url, &format!("SELECT row_id || ':' || op FROM noesis_sync.changelog WHERE table_name = '{table}' ORDER BY change_id"))
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    run_psql(
        &db.url,
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         SELECT 'c' || i, now(), 'preferences', 'global', 'card ' || i, 'pending', '{\"reason\": \"written by a test\"}' FROM generate_series(1, 4) i;",
    );
    assert_eq!(log("memory_cards"), ["c1:I", "c2:I", "c3:I", "c4:I"]);
    run_psql(&db.url, "TRUNCATE noesis_sync.changelog");

    // Two of four rows change; one row's key changes; rows that stay equal are not changes.
    run_psql(&db.url, "UPDATE memory_cards SET approval = CASE WHEN id IN ('c1', 'c2') THEN 'approved' ELSE approval END");
    run_psql(&db.url, "UPDATE memory_cards SET id = 'c9' WHERE id = 'c4'");
    let mut changes = log("memory_cards");
    changes[..2].sort();
    assert_eq!(changes, ["c1:U", "c2:U", "c4:D", "c9:I"]);
    let tomb = run_psql(&db.url, "SELECT tombstone->>'text' FROM noesis_sync.changelog WHERE op = 'D'");
    assert_eq!(tomb.trim(), "card 4", "a renamed-away key keeps its content as a tombstone");
    run_psql(&db.url, "TRUNCATE noesis_sync.changelog");

    run_psql(&db.url, "DELETE FROM memory_cards WHERE id IN ('c1', 'c2', 'c3')");
    let mut changes = log("memory_cards");
    changes.sort();
    assert_eq!(changes, ["c1:D", "c2:D", "c3:D"]);

    // Embeddings are keyed by doc_id and keep no vector in their tombstones.
    run_psql(
        &db.url,
        "INSERT INTO embeddings (doc_id, embedding, text, source_type)
         SELECT 'e' || i, array_fill(0.1::real, ARRAY[768])::vector, 't', 'x' FROM generate_series(1, 3) i;
         UPDATE embeddings SET text = 'changed' WHERE doc_id = 'e2';
         UPDATE embeddings SET doc_id = 'e7' WHERE doc_id = 'e3';
         UPDATE embeddings SET text = text;
         DELETE FROM embeddings WHERE doc_id = 'e1';",
    );
    assert_eq!(log("embeddings"), ["e1:I", "e2:I", "e3:I", "e2:U", "e3:D", "e7:I", "e1:D"]);
    let tomb = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.changelog WHERE table_name = 'embeddings' AND tombstone ? 'embedding'");
    assert_eq!(tomb.trim(), "0");
}

#[tokio::test]
async fn a_transaction_that_commits_late_is_never_skipped_by_the_pull_cursor() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let t = target(&db.url);

    // Transaction A takes its xid first, then stays open.
    let mut a = db.connect().await;
    a.execute("BEGIN").await.unwrap();
    a.execute("INSERT INTO memory_cards VALUES ('early', now(), 'preferences', 'global', 'started first', 'pending', NULL, NULL, '{\"reason\": \"written by a test\"}')")
        .await
        .unwrap();
    // Transaction B starts later (higher xid) and commits first.
    let mut b = db.connect().await;
    b.execute("INSERT INTO memory_cards VALUES ('late', now(), 'preferences', 'global', 'committed first', 'pending', NULL, NULL, '{\"reason\": \"written by a test\"}')")
        .await
        .unwrap();

    let mut reader = db.connect().await;
    let first = central::fetch_changes(&mut reader, &t, Cursor::default(), 100).await.unwrap();
    assert!(
        first.is_empty(),
        "while the earlier transaction is open, nothing above its xid may be read, or it would be skipped: {first:?}"
    );
    let cursor = first.last().map(|c| c.cursor).unwrap_or_default();

    a.execute("COMMIT").await.unwrap();
    // Both arrive now; "late" only once no transaction older than it is open
    // on the whole server (another test's may be, briefly: xids are global).
    let mut second = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while second.len() < 2 && std::time::Instant::now() < deadline {
        let from = second.last().map(|c: &central::Change| c.cursor).unwrap_or(cursor);
        second.extend(central::fetch_changes(&mut reader, &t, from, 100).await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ids: Vec<&str> = second.iter().map(|c| c.row_id.as_str()).collect();
    assert_eq!(ids, ["early", "late"], "after the late commit both changes arrive, in xid order");
    assert!(second[0].cursor < second[1].cursor);

    let third = central::fetch_changes(&mut reader, &t, second[1].cursor, 100).await.unwrap();
    assert!(third.is_empty(), "nothing is read twice: {third:?}");
}

#[tokio::test]
async fn every_write_sends_a_notification_listeners_wake_up_on() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let mut listener = sqlx::postgres::PgListener::connect(&db.url).await.unwrap();
    listener.listen("noesis_changes").await.unwrap();
    run_psql(
        &db.url,
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status)
                       VALUES ('d1', now(), 'a.pdf', '/a.pdf', 'pdf', 1, 'h', 'indexed')",
    );
    let note = tokio::time::timeout(std::time::Duration::from_secs(10), listener.recv())
        .await
        .expect("a NOTIFY within 10 s of the write")
        .unwrap();
    assert_eq!(note.payload(), "documents:", "table and (empty) writing device");
    let mut stream = listener.into_stream();
    let extra = tokio::time::timeout(std::time::Duration::from_millis(200), stream.next()).await;
    assert!(extra.is_err(), "one statement sends one notification");
}

#[tokio::test]
async fn a_device_role_can_sync_data_but_not_change_the_schema() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let role = format!("device_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let password = noesis_engine::Secret::new("laptop-password-123");
    let report = central::create_device_role(&target(&db.url), &role, &password).await.unwrap();
    assert!(report.created);
    assert!(report.tables.contains(&"memory_cards".to_string()) && report.tables.contains(&"embeddings".to_string()));

    let mut device =
        sqlx::PgConnection::connect(&db.url_as(&role, "laptop-password-123")).await.expect("the role logs in with its password");
    device
        .execute("INSERT INTO memory_cards VALUES ('c1', now(), 'preferences', 'global', 'from a laptop', 'pending', NULL, NULL, '{\"reason\": \"written by a test\"}')")
        .await
        .expect("the role writes synced tables");
    let n = count(&mut device, "SELECT count(*) FROM noesis_sync.changelog WHERE row_id = 'c1'").await;
    assert_eq!(n, 1, "its writes are captured and it can read the changelog");
    for ddl in [
        "CREATE TABLE sneaky (x int)",
        "DROP TABLE memory_cards",
        "ALTER TABLE memory_cards ADD COLUMN x int",
        "DELETE FROM noesis_sync.changelog",
        "DELETE FROM noesis_sync.row_versions",
        "UPDATE noesis_sync.row_versions SET row_data = '{}'",
        "INSERT INTO noesis_sync.row_versions (table_name, row_id, op, row_data) VALUES ('memory_cards', 'c1', 'D', '{}')",
        "CREATE SCHEMA other",
    ] {
        let err = device.execute(ddl).await.expect_err(ddl);
        let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
        assert!(matches!(code.as_deref(), Some("42501") | Some("42P01")), "{ddl} must be refused for lack of privilege, got {err}");
    }
    // It can make no object of its own: no TEMP table to stand in for a
    // synced one (setup took TEMP from PUBLIC; the migration stages in
    // noesis_sync's tables), and no trigger on a synced table.
    let err = device.execute("CREATE TEMP TABLE memory_cards (id text)").await.expect_err("a TEMP table");
    assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{err}");
    let err = device
        .execute("CREATE TRIGGER forged AFTER DELETE ON public.memory_cards FOR EACH ROW EXECUTE FUNCTION noesis_sync.capture_deleted()")
        .await
        .expect_err("a trigger on a synced table");
    assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{err}");
    // Nor could it attach the SECURITY DEFINER capture functions anywhere.
    for function in [
        "capture_deleted",
        "capture_inserted",
        "capture_updated",
        "capture_truncated",
        "record_field_clocks",
        "notify_change",
        "keep_replaced_versions",
    ] {
        let executable: bool = sqlx::query_scalar("SELECT has_function_privilege(format('noesis_sync.%I()', $1::text), 'EXECUTE')")
            .bind(function)
            .fetch_one(&mut device)
            .await
            .unwrap();
        assert!(!executable, "{function} must not be executable by a device");
    }
    // The staging helpers it may call run as the owner, so they act on
    // Noesis's own tables only: not a way to ANALYZE or rebuild anything else.
    for call in
        ["SELECT noesis_sync.analyze_staging('noesis_sync.devices')", "SELECT noesis_sync.follow_central_table('noesis_sync.devices')"]
    {
        let err = device.execute(call).await.expect_err(call);
        assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{call}: {err}");
    }
    let pruned: i64 = sqlx::query_scalar("SELECT noesis_sync.prune_changelog()").fetch_one(&mut device).await.expect("a device may prune");
    assert!(pruned >= 0);

    // The verifier, not the password, is what the server stores.
    let stored: String = sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
        .bind(&role)
        .fetch_one(&mut db.connect().await)
        .await
        .unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$4096:") && !stored.contains("laptop-password-123"));

    // Running it again renews the password instead of failing.
    let again = central::create_device_role(&target(&db.url), &role, &noesis_engine::Secret::new("another-password-456")).await.unwrap();
    assert!(!again.created);
    assert!(sqlx::PgConnection::connect(&db.url_as(&role, "laptop-password-123")).await.is_err(), "the old password stops working");
}

#[tokio::test]
async fn without_pgvector_setup_explains_the_fix_and_everything_else_works() {
    let db = TestDb::new(Server::Plain).await;
    let report = db.setup().await;
    match &report.pgvector {
        PgvectorStatus::NotAvailable { fix } => {
            assert!(fix.contains("pgvector is not installed"), "{fix}");
            assert!(fix.contains("pgvector/pgvector:pg16"), "the fix names the ready-made image: {fix}");
        }
        other => panic!("expected pgvector to be reported missing, got {other:?}"),
    }
    let mut conn = db.connect().await;
    let embeddings: bool = sqlx::query_scalar("SELECT to_regclass('embeddings') IS NOT NULL").fetch_one(&mut conn).await.unwrap();
    assert!(!embeddings);
    run_psql(&db.url, "INSERT INTO memory_cards VALUES ('c1', now(), 'preferences', 'global', 'works without pgvector', 'pending', NULL, NULL, '{\"reason\": \"written by a test\"}')");
    let n = count(&mut conn, "SELECT count(*) FROM noesis_sync.changelog").await;
    assert_eq!(n, 1);
    let again = db.setup().await;
    assert!(again.applied_migrations.is_empty());
}

#[tokio::test]
async fn rows_read_for_a_pull_have_the_canonical_form_of_to_jsonb_rows() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    // Values whose text forms differ between typed reads and to_jsonb: zones,
    // infinity, years past 9999 and BC, fractions, unicode and escapes, nested
    // JSON with unsorted keys, arrays with NULLs, vectors, extreme integers.
    let vector = (0..768).map(|i| format!("{}", (i as f32) / 7.0)).collect::<Vec<_>>().join(",");
    run_psql(
        &db.url,
        &format!(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, approved_at, rejected_at, provenance) VALUES
               ('m1', '2024-02-29 23:59:59.999999', 'preferences', 'global', E'quote \" backslash \\\\ tab \\t é 😀', 'approved', 'infinity', NULL, '{{\"z\": 1, \"a\": [1.5, null, {{\"y\": \"x\", \"b\": true}}]}}'),
               ('m2', '0044-03-15 12:00:00 BC', 'preferences', 'global', '', 'pending', '-infinity', '12345-01-01 00:00:00', 'null'),
               ('m3', '1999-12-31 23:59:59', 'preferences', 'global', 'plain', 'pending', '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999', '\"just a string\"');
             INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, error_message, tags, notes) VALUES
               ('d1', now(), 'a.pdf', '/a.pdf', 'pdf', 2147483647, 'h', 'indexed', NULL, NULL, ARRAY['x', NULL, 'ü\"'], NULL),
               ('d2', now(), 'b.pdf', '/b.pdf', 'pdf', -1, 'h2', 'indexed', 3, 'e', '{{}}', 'n');
             INSERT INTO chat_sessions (id, title, created_at, updated_at, messages) VALUES ('s1', 't', now(), now(), '[{{\"text\": \"hi\", \"role\": \"user\"}}]');
             INSERT INTO embeddings (doc_id, embedding, text, metadata, source_type, created_at) VALUES ('e1', '[{vector}]', 't', '{{}}', 'card', NULL);"
        ),
    );
    let mut conn = db.connect().await;
    for (table, ids) in [
        ("memory_cards", vec!["m1", "m2", "m3", "absent"]),
        ("documents", vec!["d1", "d2"]),
        ("chat_sessions", vec!["s1"]),
        ("embeddings", vec!["e1"]),
    ] {
        let spec = noesis_engine::tables::by_name(table).unwrap();
        let ids: Vec<String> = ids.into_iter().map(String::from).collect();
        let (typed, unreadable) = central::fetch_canonical_rows(&mut conn, spec, &ids).await.unwrap();
        assert!(unreadable.is_empty(), "{unreadable:?}");
        let via_json: std::collections::HashMap<String, Vec<serde_json::Value>> = central::fetch_rows(&mut conn, spec, &ids)
            .await
            .unwrap()
            .into_iter()
            .map(|(id, row)| (id, central::values_of(spec, row)))
            .collect();
        assert_eq!(typed.len(), ids.iter().filter(|id| *id != "absent").count(), "every existing {table} row is read, and only those");
        assert_eq!(typed, via_json, "a pull would write different {table} values (and shadows) than the checksums expect");
    }
}

#[tokio::test]
async fn the_database_owner_with_createrole_renews_a_device_password_without_being_superuser() {
    let db = TestDb::new(Server::Pgvector).await;
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (owner, role) = (format!("owner_{suffix}"), format!("device_{suffix}"));
    run_psql(
        &db.url,
        &format!("CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD 'owner-password-123'; ALTER DATABASE {} OWNER TO {owner}; ALTER SCHEMA public OWNER TO {owner};", db.name()),
    );
    let as_owner = target(&db.url_as(&owner, "owner-password-123"));
    let report = central::setup(&as_owner).await.expect("the owner sets up the schema");
    assert!(!report.temp_for_every_login, "the owner takes TEMP from PUBLIC");
    central::create_device_role(&as_owner, &role, &noesis_engine::Secret::new("laptop-password-123")).await.expect("created");
    let renewed = central::create_device_role(&as_owner, &role, &noesis_engine::Secret::new("another-password-456"))
        .await
        .expect("renewed without SUPERUSER");
    assert!(!renewed.created);
    assert!(sqlx::PgConnection::connect(&db.url_as(&role, "another-password-456")).await.is_ok(), "the new password works");
    assert!(sqlx::PgConnection::connect(&db.url_as(&role, "laptop-password-123")).await.is_err(), "the old one does not");
    // A role with more rights than a device's is not quietly reused.
    let err = central::create_device_role(&as_owner, &owner, &noesis_engine::Secret::new("another-password-456")).await.unwrap_err();
    assert!(err.to_string().contains("not a plain login"), "{err}");
}

#[tokio::test]
async fn a_staged_batch_is_seen_only_by_the_transaction_that_staged_it() {
    // The first-run migration stages in tables every device role shares: one
    // laptop must neither see another's batch nor plant rows in its merge.
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    let role = format!("device_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    central::create_device_role(&target(&db.url), &role, &noesis_engine::Secret::new("laptop-password-123")).await.unwrap();
    let url = db.url_as(&role, "laptop-password-123");
    let (mut laptop, mut other) = (sqlx::PgConnection::connect(&url).await.unwrap(), sqlx::PgConnection::connect(&url).await.unwrap());
    let row = |id: &str, xact: &str| {
        format!(
            "INSERT INTO noesis_sync.stage_memory_cards (id, created_at, category, scope, text, approval, provenance, stage_xact)
             VALUES ('{id}', now(), 'preferences', 'global', 'staged', 'pending', '{{\"reason\": \"written by a test\"}}', '{xact}')"
        )
    };
    // What a merge reads: this transaction's staged rows.
    const MINE: &str = "SELECT count(*) FROM noesis_sync.stage_memory_cards WHERE stage_xact = pg_current_xact_id()";
    laptop.execute("BEGIN").await.unwrap();
    let xact: String = sqlx::query_scalar("SELECT pg_current_xact_id()::text").fetch_one(&mut laptop).await.unwrap();
    laptop.execute(sqlx::AssertSqlSafe(row("c1", "0"))).await.unwrap();
    assert_eq!(count(&mut laptop, MINE).await, 1, "its own batch, whatever transaction the row claimed");

    // Another session claiming the laptop's transaction, committed or not,
    // puts nothing into the laptop's batch.
    other.execute("BEGIN").await.unwrap();
    other.execute(sqlx::AssertSqlSafe(row("planted", &xact))).await.unwrap();
    assert_eq!(count(&mut laptop, MINE).await, 1, "an uncommitted row of another session is not seen");
    other.execute("COMMIT").await.unwrap();
    assert_eq!(count(&mut laptop, MINE).await, 1, "a committed row claiming the laptop's transaction is not in its batch");
    assert_eq!(count(&mut other, MINE).await, 0, "nor in any later transaction's");
    let err = other.execute("UPDATE noesis_sync.stage_memory_cards SET text = 'changed'").await.expect_err("staged rows are not changed");
    assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{err}");
    laptop.execute("ROLLBACK").await.unwrap();
}
