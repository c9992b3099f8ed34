//! Safety of `migrate`: the sources stay byte-identical, a dry run writes
//! nothing, a rerun changes nothing, and a second machine with overlapping ids
//! merges instead of clobbering.

use crate::support;

use noesis_test_support::generate::GenerateSpec;
use support::legacy::{self, central_state, hash_tree, LegacyStore};
use support::{all_output, data_dir, run_psql, stdout_json, Server, TestDb};

#[tokio::test]
async fn sources_stay_byte_identical_and_a_rerun_changes_nothing() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec::small());
    let before = hash_tree(store.path());
    let device = data_dir();

    let first = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(first.status.success(), "{}", all_output(&first));
    assert_eq!(hash_tree(store.path()), before, "the legacy files (or their folder) changed: the old server's data must never be touched");
    assert!(device.path().join("legacy-snapshot/memory_cards.sqlite3").is_file(), "the snapshot is kept in the data dir");
    let state = central_state(&db.url);

    let second = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(second.status.success(), "{}", all_output(&second));
    let report = stdout_json(&second);
    assert_eq!(legacy::total(&report, "inserted"), 0, "a rerun must insert nothing: {report}");
    assert_eq!(legacy::total(&report, "conflicts_recorded"), 0, "a rerun must record no conflict");
    assert_eq!(report["verification"]["ok"], true);
    assert_eq!(central_state(&db.url), state, "a rerun changed central data, conflicts, rejects or the changelog");
    assert_eq!(hash_tree(store.path()), before);

    let runs = run_psql(
        &db.url,
        "SELECT count(*) || ' ' || bool_and(verified) || ' ' || bool_and(status = 'completed') FROM noesis_sync.legacy_runs",
    );
    assert_eq!(runs.trim(), "2 true true", "both runs must be recorded centrally as completed and verified");
}

#[tokio::test]
async fn an_unchanged_store_is_merged_again_under_new_normalising_rules() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec::small());
    let device = data_dir();
    assert!(legacy::migrate(&db.url, device.path(), store.path(), &[]).status.success());

    // What an older version of this program left: it rejected chat sessions
    // without a title, and keyed its high-water marks by the bare fingerprint.
    run_psql(&db.url, "DELETE FROM chat_sessions WHERE id = 'h-session-no-title'");
    run_psql(&db.url, "UPDATE noesis_sync.legacy_high_water SET source_fingerprint = split_part(source_fingerprint, '+', 1)");

    let out = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    let report = stdout_json(&out);
    let sessions = legacy::table(&report, "chat_sessions");
    assert_eq!(sessions["inserted"], 1, "after an upgrade the same store is read again and the untitled session imported: {sessions}");
    assert_eq!(sessions["changes"]["title_defaulted"], 1, "{sessions}");
    assert_eq!(legacy::total(&report, "conflicts_recorded"), 0, "rows that normalise the same are unchanged, not conflicts");
    assert_eq!(report["verification"]["ok"], true, "{report}");
    assert_eq!(run_psql(&db.url, "SELECT title = '' FROM chat_sessions WHERE id = 'h-session-no-title'").trim(), "t");
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_predicts_the_real_run() {
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec::small());
    let device = data_dir();
    let empty_state = central_state(&db.url);
    let untouched = legacy::database_state(&db.url);

    let dry = legacy::migrate(&db.url, device.path(), store.path(), &["--dry-run"]);
    assert!(dry.status.success(), "{}", all_output(&dry));
    let predicted = stdout_json(&dry);
    assert_eq!(predicted["dry_run"], true);
    assert_eq!(central_state(&db.url), empty_state, "a dry run wrote to Postgres");
    assert_eq!(legacy::database_state(&db.url), untouched, "a dry run changed a table or moved a sequence");
    assert_eq!(
        run_psql(&db.url, "SELECT (SELECT count(*) FROM noesis_sync.legacy_runs) + (SELECT count(*) FROM noesis_sync.legacy_high_water)")
            .trim(),
        "0"
    );
    assert!(!device.path().join("legacy-snapshot").exists(), "a dry run keeps no snapshot");

    let real = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(real.status.success(), "{}", all_output(&real));
    let done = stdout_json(&real);
    for field in ["read", "inserted", "unchanged", "conflicted", "rejected"] {
        for t in ["memory_cards", "chat_sessions", "mindfile_entries", "documents", "document_chunks"] {
            assert_eq!(
                legacy::table(&predicted, t)[field],
                legacy::table(&done, t)[field],
                "dry run predicted a different {field} for {t}"
            );
        }
    }
}

#[tokio::test]
async fn a_second_machine_with_overlapping_ids_merges_instead_of_clobbering() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let spec = GenerateSpec { hostile: false, ..GenerateSpec::small() };
    let laptop = LegacyStore::new(&GenerateSpec { variant: 1, ..spec.clone() });
    let desktop = LegacyStore::new(&GenerateSpec { variant: 2, ..spec.clone() });
    let (laptop_dir, desktop_dir) = (data_dir(), data_dir());

    assert!(legacy::migrate(&db.url, laptop_dir.path(), laptop.path(), &[]).status.success());
    let cached = support::device::sqlite3(&laptop_dir.path().join("cache.sqlite3"), "SELECT count(*) FROM memory_cards");
    assert_eq!(cached.trim(), spec.cards.to_string(), "after migrating, the device's cache already holds the data");
    let out = legacy::migrate(&db.url, desktop_dir.path(), desktop.path(), &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    let report = stdout_json(&out);

    // Rows with index % 3 == 0 were edited on both machines; the desktop's edits are newer.
    let edited = |n: usize| n.div_ceil(3) as u64;
    let cards = legacy::table(&report, "memory_cards");
    assert_eq!(cards["inserted"], 0, "every id already existed");
    assert_eq!(cards["conflicted"].as_u64().unwrap(), edited(spec.cards), "{cards}");
    assert_eq!(cards["unchanged"].as_u64().unwrap(), (spec.cards as u64) - edited(spec.cards));
    assert_eq!(legacy::table(&report, "document_chunks")["unchanged"].as_u64().unwrap(), spec.chunks as u64);
    let total_edited = edited(spec.cards) + edited(spec.sessions) + edited(spec.mindfile) + edited(spec.documents);
    assert_eq!(legacy::total(&report, "conflicts_recorded"), total_edited);
    assert_eq!(legacy::total(&report, "legacy_won"), total_edited, "the newer (desktop) version must win each conflict");

    let text = run_psql(&db.url, "SELECT text FROM memory_cards WHERE id = 'card-000000'");
    assert!(text.contains("machine 2"), "the newer version must be in place: {text}");
    let loser = run_psql(
        &db.url,
        "SELECT losing_version->>'text' FROM noesis_sync.conflicts WHERE row_id = 'card-000000' AND reason = 'migration'",
    );
    assert!(loser.contains("machine 1"), "the older version must be kept as a restorable conflict record: {loser}");

    // Both machines' rows are accounted for: the laptop's edits as conflict losers.
    for (dir, store) in [(&laptop_dir, &laptop), (&desktop_dir, &desktop)] {
        let out = legacy::verify(&db.url, dir.path(), store.path());
        assert!(out.status.success(), "{}", all_output(&out));
    }
    // And the desktop rerunning records nothing twice.
    let conflicts = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.conflicts");
    assert!(legacy::migrate(&db.url, desktop_dir.path(), desktop.path(), &[]).status.success());
    assert!(legacy::migrate(&db.url, laptop_dir.path(), laptop.path(), &[]).status.success());
    assert_eq!(
        run_psql(&db.url, "SELECT count(*) FROM noesis_sync.conflicts"),
        conflicts,
        "reruns on either machine must not duplicate conflicts"
    );
    // Each migration seeds its device's cache with a sync cycle, which may prune
    // changes every device has read; what remains names its writer.
    let anonymous = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.changelog WHERE device_id = ''");
    assert_eq!(anonymous.trim(), "0", "the changelog must show which device wrote each migrated row");
    let seeded = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.devices WHERE cursor_xid IS NOT NULL");
    assert_eq!(seeded.trim(), "2", "both machines' caches were filled from the server after migrating");
}

#[tokio::test]
async fn a_least_privilege_device_role_can_migrate() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let role = format!("laptop_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let admin = noesis_engine::central::ServerTarget::exact(noesis_engine::DatabaseUrl::parse(&db.url).unwrap());
    noesis_engine::central::create_device_role(&admin, &role, &noesis_engine::Secret::new("laptop-password-123")).await.unwrap();
    let url = db.url_as(&role, "laptop-password-123");
    let small = GenerateSpec::small();
    let store = LegacyStore::new(&small);
    let device = data_dir();
    let out = legacy::migrate(&url, device.path(), store.path(), &[]);
    assert!(out.status.success(), "a device role (no DDL) must be able to migrate:\n{}", all_output(&out));
    assert_eq!(stdout_json(&out)["verification"]["ok"], true);

    // A grown store mixes present and new ids: its batches are staged on the
    // server and merged, in a dry run and for real, with no TEMP table.
    let grown = LegacyStore::new(&GenerateSpec { cards: small.cards + 30, ..small.clone() });
    for extra in [&["--dry-run"][..], &[]] {
        let out = legacy::migrate(&url, device.path(), grown.path(), extra);
        assert!(out.status.success(), "{extra:?}:\n{}", all_output(&out));
        let cards = legacy::table(&stdout_json(&out), "memory_cards").clone();
        let n = |field: &str| cards[field].as_u64().unwrap_or(u64::MAX);
        assert_eq!((n("inserted"), n("conflicted")), (30, 0), "{extra:?}: {cards}");
        assert_eq!(n("unchanged"), n("read") - 30 - n("rejected"), "every row read before is found unchanged: {extra:?}: {cards}");
    }
    let staged = run_psql(
        &db.url,
        "SELECT (SELECT count(*) FROM noesis_sync.stage_memory_cards) + (SELECT count(*) FROM noesis_sync.dry_memory_cards)",
    );
    assert_eq!(staged.trim(), "0", "no staged row outlives its batch");
    let _ = run_psql(&db.url, &format!("DROP OWNED BY {role}; DROP ROLE {role}"));
}

#[tokio::test]
async fn a_store_in_wal_mode_is_read_without_leaving_any_file_behind() {
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec { hostile: false, ..GenerateSpec::small() });
    for path in [&store.generated.memory, &store.generated.documents] {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }
    let before = hash_tree(store.path());
    let out = legacy::migrate(&db.url, data_dir().path(), store.path(), &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(hash_tree(store.path()), before, "reading a WAL-mode store must not create -wal/-shm files or change it");
}

#[tokio::test]
async fn a_store_that_grew_since_the_last_run_adds_only_the_new_rows() {
    let db = TestDb::new(Server::Plain).await;
    db.setup().await;
    let device = data_dir();
    let small = GenerateSpec { hostile: false, ..GenerateSpec::small() };
    let first = LegacyStore::new(&small);
    assert!(legacy::migrate(&db.url, device.path(), first.path(), &[]).status.success());

    // Same rows plus more in every table: batches mix present and new ids.
    let grown = GenerateSpec { cards: small.cards + 30, sessions: small.sessions + 5, ..small.clone() };
    let second = LegacyStore::new(&grown);
    let out = legacy::migrate(&db.url, device.path(), second.path(), &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    let report = stdout_json(&out);
    let cards = legacy::table(&report, "memory_cards");
    assert_eq!((cards["inserted"].as_u64(), cards["unchanged"].as_u64()), (Some(30), Some(small.cards as u64)), "{cards}");
    assert_eq!(legacy::table(&report, "chat_sessions")["inserted"], 5);
    assert_eq!(legacy::total(&report, "conflicted"), 0, "identical rows are not conflicts");
    assert_eq!(report["verification"]["ok"], true);
}

#[tokio::test]
async fn a_second_migration_from_the_same_device_refuses_while_one_runs() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec::small());
    let device = data_dir();
    let status = support::cli(device.path()).args(["status", "--json"]).output().unwrap();
    let device_id = stdout_json(&status)["device"]["id"].as_str().unwrap().to_string();
    // Another migration of this device holds the lock (as a running one does).
    let holder = std::process::Command::new(support::psql())
        .args([
            db.url.as_str(),
            "-qAt",
            "-c",
            &format!("SELECT pg_advisory_lock(hashtext('noesis legacy migration'), hashtext('{device_id}')), pg_sleep(30) /* migrating */"),
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let holding = "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND a.query LIKE '%/* migrating */%'";
    while run_psql(&db.url, holding).trim() != "1" {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    let mut holder = holder;
    let _ = holder.kill();
    assert!(!out.status.success());
    assert_eq!(stdout_json(&out)["error"]["code"], "migration_in_progress", "{}", all_output(&out));
    assert!(all_output(&out).contains("already running"), "{}", all_output(&out));
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim(), "0", "nothing was loaded twice");
    let _ = holder.wait();
    run_psql(
        &db.url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%/* migrating */%' AND pid <> pg_backend_pid()",
    );
    let retry = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(retry.status.success(), "once the other run is gone, migrate works: {}", all_output(&retry));
}
