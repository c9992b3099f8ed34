//! The wizard's commands on Tauri's mock runtime: the real handlers through
//! IPC, a real cache in a temporary folder, and (when the test servers are up,
//! as under `scripts/test.sh`) a real PostgreSQL database and a generated
//! legacy store: save the server, apply the schema, find the legacy folder,
//! preview, migrate with `wizard://progress` events, read the rejects, and find
//! the migrated cards in the cache.

use crate::desktop_support;

use std::time::{Duration, Instant};

use desktop_support::{app_connections, drop_database, eventually, fresh_database, fresh_database_named, psql, servers_up, MockApp};
use serde_json::{json, Value};

use noesis_test_support::generate::{generate, GenerateSpec};

fn app() -> MockApp {
    MockApp::open("wizard://progress")
}

#[test]
fn a_new_device_gets_the_wizard_with_the_home_server_defaults_until_it_skips() {
    let app = app();
    let start = app.ok("wizard_start", json!({}));
    assert_eq!(start["show"], true, "a device with no server opens the wizard");
    assert_eq!(
        start["form"],
        json!({"host": "192.168.4.25", "port": 5433, "database": "noesis", "user": "noesis_user", "tls_mode": "require", "ca_file": null})
    );
    app.ok("wizard_dismiss", json!({}));
    assert_eq!(app.ok("wizard_start", json!({}))["show"], false, "'Skip for now' is remembered: the app opens on the cache");
    assert_eq!(app.ok("sync_status", json!({}))["state"], "local_only");
}

#[test]
fn a_form_that_makes_no_url_is_diagnosed_without_touching_the_network() {
    let app = app();
    let form = json!({"host": "", "port": 5432, "database": "noesis", "user": "me", "tls_mode": "prefer", "ca_file": null});
    let d = app.ok("wizard_test_connection", json!({"form": form, "password": null}));
    assert_eq!(d["ok"], false);
    assert_eq!(d["findings"][0]["problem"], "invalid_settings");
    assert!(d["findings"][0]["message"].as_str().unwrap().contains("host"), "{d}");
}

#[test]
fn a_typed_folder_is_checked_and_counted() {
    let app = app();
    let legacy = tempfile::tempdir().unwrap();
    generate(legacy.path(), &GenerateSpec { cards: 7, hostile: false, ..GenerateSpec::small() }).unwrap();
    let folder = app.ok("wizard_inspect_legacy", json!({"path": legacy.path().display().to_string()}));
    let cards = folder["tables"].as_array().unwrap().iter().find(|t| t["table"] == "memory_cards").unwrap();
    assert_eq!(cards["rows"], 7, "the wizard shows the rows found per table");
    let empty = tempfile::tempdir().unwrap();
    let err = app.call("wizard_inspect_legacy", json!({"path": empty.path().display().to_string()})).unwrap_err();
    assert_eq!(err["code"], "legacy_stores_missing", "a folder without stores says so: {err}");
    assert_eq!(app.call("wizard_inspect_legacy", json!({"path": "  "})).unwrap_err()["code"], "invalid");
}

#[test]
fn choose_folder_asks_the_folder_dialog_from_home_and_returns_its_answer() {
    use noesis_desktop::folder_dialog::FolderDialog;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};
    let app = app();
    let legacy = tempfile::tempdir().unwrap();
    generate(legacy.path(), &GenerateSpec { cards: 3, hostile: false, ..GenerateSpec::small() }).unwrap();
    // The user's answers, in order: the generated folder, then Cancel.
    let answers = Arc::new(Mutex::new(vec![None, Some(legacy.path().to_path_buf())]));
    let starts: Arc<Mutex<Vec<Option<PathBuf>>>> = Arc::default();
    let (a, s) = (answers.clone(), starts.clone());
    app.manage(FolderDialog::new(move |start, answer| {
        s.lock().unwrap().push(start);
        let chosen = a.lock().unwrap().pop().unwrap();
        // Answered from another thread, as the native dialog does.
        std::thread::spawn(move || answer(chosen));
    }));
    let chosen = app.ok("wizard_choose_legacy_folder", json!({}));
    assert_eq!(chosen, json!(legacy.path().display().to_string()), "the folder the user chose comes back to the form");
    assert_eq!(starts.lock().unwrap()[0], dirs_home(), "the dialog opens in the home folder");
    assert_eq!(app.ok("wizard_choose_legacy_folder", json!({})), Value::Null, "Cancel changes nothing");
    let folder = app.ok("wizard_inspect_legacy", json!({"path": chosen}));
    assert_eq!(folder["tables"].as_array().unwrap().iter().find(|t| t["table"] == "memory_cards").unwrap()["rows"], 3);
}

/// The home folder as the app sees it.
fn dirs_home() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(Into::into)
}

#[test]
fn the_whole_wizard_runs_against_a_real_server() {
    let Some((form, password, db_url)) = fresh_database() else {
        assert!(
            std::env::var_os("NOESIS_TEST_REQUIRE_SERVER").is_none(),
            "NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the server tests to run"
        );
        eprintln!("skipped: NOESIS_TEST_DATABASE_URL is not set (run under scripts/with-test-postgres.sh)");
        return;
    };
    let app = app();
    let d = app.ok("wizard_test_connection", json!({"form": form, "password": password}));
    assert_eq!(d["ok"], true, "{d}");
    let wrong = app.ok("wizard_test_connection", json!({"form": form, "password": "not-it"}));
    assert_eq!(wrong["findings"][0]["problem"], "wrong_password", "{wrong}");

    let saved = app.ok("wizard_save_server", json!({"form": form, "password": password}));
    assert!(
        saved["password_stored_in"].as_str().unwrap().contains("keyring")
            || saved["password_stored_in"].as_str().unwrap().contains("keychain"),
        "{saved}"
    );
    let url = noesis_engine::DatabaseUrl::parse(saved["server_url"].as_str().unwrap()).unwrap();
    assert!(!saved["server_url"].as_str().unwrap().contains(&password), "the saved URL has no password");
    assert_eq!(app.ok("wizard_start", json!({}))["show"], true, "until finished, the wizard reopens (to resume a migration)");

    let plan = app.ok("wizard_schema_plan", json!({}));
    assert_eq!(plan["current"], false);
    assert!(!plan["changes"].as_array().unwrap().is_empty());
    let plan = app.ok("wizard_apply_schema", json!({}));
    assert_eq!(plan["current"], true, "{plan}");

    let scan = app.ok("wizard_scan_legacy", json!({}));
    assert_eq!(scan["runs"], json!([]), "nobody migrated yet");

    let legacy = tempfile::tempdir().unwrap();
    generate(legacy.path(), &GenerateSpec { cards: 300, ..GenerateSpec::small() }).unwrap();
    let dir = legacy.path().display().to_string();
    let preview = app.ok("wizard_preview", json!({"legacyDir": dir}));
    assert_eq!(preview["dry_run"], true);
    let cards = preview["tables"].as_array().unwrap().iter().find(|t| t["table"] == "memory_cards").unwrap().clone();
    assert!(cards["inserted"].as_u64().unwrap() > 0, "{preview}");

    app.events.lock().unwrap().clear();
    app.ok("wizard_start_migration", json!({"legacyDir": dir}));
    let deadline = Instant::now() + Duration::from_secs(120);
    let outcome = loop {
        let done = app.events.lock().unwrap().iter().find(|e| e["kind"] == "finished" || e["kind"] == "failed").cloned();
        if let Some(e) = done {
            break e;
        }
        assert!(Instant::now() < deadline, "the migration did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(outcome["kind"], "finished", "{outcome}");
    assert_eq!(outcome["outcome"]["verified"], true, "{outcome}");
    let events = app.events.lock().unwrap().clone();
    assert!(
        events.iter().any(|e| e["kind"] == "rows" && e["table"] == "memory_cards" && e["rows_per_sec"].as_f64().is_some()),
        "per-table progress reached the window"
    );

    let rejects = app.ok("wizard_rejects", json!({}));
    assert!(!rejects.as_array().unwrap().is_empty(), "the hostile rows are listed with their reasons");
    let count = app.ok("count_cards", json!({"filter": {"category": null, "scope": null, "approval": null}}));
    assert!(count.as_u64().unwrap() >= cards["inserted"].as_u64().unwrap(), "the main window is filled from the cache: {count}");

    app.ok("wizard_dismiss", json!({}));
    assert_eq!(app.ok("wizard_start", json!({}))["show"], false);
    let _ = noesis_engine::credentials::forget_password(&url);
    drop(app);
    drop_database(&db_url);
}

#[test]
fn saving_another_server_moves_the_running_agent_to_it() {
    if !servers_up() {
        return;
    }
    let (Some((form_a, password, db_a)), Some((form_b, _, db_b))) =
        (fresh_database_named("noesis_switch_a"), fresh_database_named("noesis_switch_b"))
    else {
        unreachable!()
    };
    for db in [&db_a, &db_b] {
        let target = noesis_engine::central::ServerTarget::exact(noesis_engine::DatabaseUrl::parse(db).unwrap());
        tauri::async_runtime::block_on(noesis_engine::central::setup(&target)).unwrap();
    }
    // Written on B before this device ever synced with A, so an A cursor
    // carried over to B would skip it.
    psql(&db_b, "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES ('on-b-before', now(), 'preferences', 'global', 'written on B before the switch', 'pending', '{\"reason\": \"written by a test\"}')");
    let app = MockApp::open("sync://status");
    let online = |app: &MockApp| eventually(30, || app.ok("sync_status", json!({}))["state"] == "online");
    let count = |db: &str, text: &str| psql(db, &format!("SELECT count(*) FROM memory_cards WHERE text = '{text}'"));

    app.ok("wizard_save_server", json!({"form": form_a, "password": password}));
    assert!(online(&app), "the agent syncs with A: {}", app.ok("sync_status", json!({})));
    app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": "made while on A"}}));
    assert!(eventually(30, || count(&db_a, "made while on A") == "1"), "an edit reaches A while A is the server");

    app.ok("wizard_save_server", json!({"form": form_b, "password": password}));
    assert!(
        eventually(30, || app_connections(&db_a) == 0),
        "the agent of A stopped and closed its connections: {} left",
        app_connections(&db_a)
    );
    assert!(online(&app), "the new agent syncs with B: {}", app.ok("sync_status", json!({})));
    assert!(
        eventually(30, || app.call("get_card", json!({"id": "on-b-before"})).is_ok()),
        "B's own cards reach the cache after the switch (read from B's start, not A's position)"
    );
    app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": "made after the switch"}}));
    assert!(eventually(30, || count(&db_b, "made after the switch") == "1"), "an edit after saving B reaches B");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(count(&db_a, "made after the switch"), "0", "nothing is sent to A any more");
    assert!(app_connections(&db_b) > 0, "the agent of B is connected");

    for form in [&form_a, &form_b] {
        let url = format!(
            "postgres://{}@{}:{}/{}",
            form["user"].as_str().unwrap(),
            form["host"].as_str().unwrap(),
            form["port"],
            form["database"].as_str().unwrap()
        );
        let _ = noesis_engine::credentials::forget_password(&noesis_engine::DatabaseUrl::parse(&url).unwrap());
    }
    drop(app);
    drop_database(&db_a);
    drop_database(&db_b);
}
