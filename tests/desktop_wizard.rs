//! The wizard's commands on Tauri's mock runtime: the real handlers through
//! IPC, a real cache in a temporary folder, and (when the test servers are up,
//! as under `scripts/test.sh`) a real PostgreSQL database and a generated
//! legacy store: save the server, apply the schema, find the legacy folder,
//! preview, migrate with `wizard://progress` events, read the rejects, and find
//! the migrated cards in the cache.

mod desktop_support;

use std::process::Command;
use std::time::{Duration, Instant};

use desktop_support::MockApp;
use serde_json::{json, Value};

use noesis_engine::legacy::generate::{generate, GenerateSpec};

fn app() -> MockApp {
    MockApp::open("wizard://progress")
}

#[test]
fn a_new_device_gets_the_wizard_with_the_home_server_defaults_until_it_skips() {
    let app = app();
    let start = app.ok("wizard_start", json!({}));
    assert_eq!(start["show"], true, "a device with no server opens the wizard");
    assert_eq!(start["form"], json!({"host": "192.168.4.25", "port": 5433, "database": "noesis", "user": "noesis_user", "tls_mode": "prefer", "ca_file": null}));
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

/// A fresh database on the pgvector test server, as (form, password, admin URL
/// of the database); `None` when the test servers are not running.
fn fresh_database() -> Option<(Value, String, String)> {
    let admin = std::env::var("NOESIS_TEST_DATABASE_URL").ok()?;
    let name = format!("noesis_wizard_{}", std::process::id());
    let psql = std::env::var("NOESIS_TEST_PG_BIN").map(|b| format!("{b}/psql")).unwrap_or_else(|_| "psql".into());
    let run = |url: &str, sql: &str| {
        let out = Command::new(&psql).args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]).output().unwrap();
        assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    run(&admin, &format!("CREATE DATABASE {name}"));
    // postgres://user:password@host:port/db?params
    let rest = admin.split_once("://").unwrap().1;
    let (auth, server) = rest.split_once('@').unwrap();
    let (user, password) = auth.split_once(':').unwrap();
    let hostport = server.split(['/', '?']).next().unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    let form = json!({"host": host, "port": port.parse::<u16>().unwrap(), "database": name, "user": user, "tls_mode": "prefer", "ca_file": null});
    let (base, query) = admin.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((&admin, String::new()));
    let db_url = format!("{}/{name}{query}", base.rsplit_once('/').unwrap().0);
    Some((form, password.to_string(), db_url))
}

#[test]
fn the_whole_wizard_runs_against_a_real_server() {
    let Some((form, password, db_url)) = fresh_database() else {
        assert!(std::env::var_os("NOESIS_TEST_REQUIRE_SERVER").is_none(), "NOESIS_TEST_DATABASE_URL is not set but scripts/test.sh requires the server tests to run");
        eprintln!("skipped: NOESIS_TEST_DATABASE_URL is not set (run under scripts/with-test-postgres.sh)");
        return;
    };
    let app = app();
    let d = app.ok("wizard_test_connection", json!({"form": form, "password": password}));
    assert_eq!(d["ok"], true, "{d}");
    let wrong = app.ok("wizard_test_connection", json!({"form": form, "password": "not-it"}));
    assert_eq!(wrong["findings"][0]["problem"], "wrong_password", "{wrong}");

    let saved = app.ok("wizard_save_server", json!({"form": form, "password": password}));
    assert!(saved["password_stored_in"].as_str().unwrap().contains("keyring") || saved["password_stored_in"].as_str().unwrap().contains("keychain"), "{saved}");
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
    assert!(events.iter().any(|e| e["kind"] == "rows" && e["table"] == "memory_cards" && e["rows_per_sec"].as_f64().is_some()), "per-table progress reached the window");

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

fn drop_database(db_url: &str) {
    let (Ok(admin), Some(name)) = (std::env::var("NOESIS_TEST_DATABASE_URL"), db_url.split('?').next().and_then(|u| u.rsplit('/').next())) else { return };
    let psql = std::env::var("NOESIS_TEST_PG_BIN").map(|b| format!("{b}/psql")).unwrap_or_else(|_| "psql".into());
    let _ = Command::new(psql).args(["-X", "-q", "-d", &admin, "-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")]).output();
}
