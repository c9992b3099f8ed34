//! The desktop app's commands on Tauri's mock runtime: the real command
//! handlers, IPC serialisation and event wiring, with a real cache in a
//! temporary data folder but no window or WebKit.

use crate::desktop_support;

use desktop_support::MockApp;
use serde_json::{json, Value};

fn app() -> MockApp {
    MockApp::open("sync://status")
}

const NO_FILTER: &str = r#"{"category": null, "scope": null, "approval": null}"#;

fn no_filter() -> Value {
    serde_json::from_str(NO_FILTER).unwrap()
}

#[test]
fn a_fresh_data_folder_opens_empty_and_local_only() {
    let app = app();
    let page = app.ok("list_cards", json!({"filter": no_filter(), "after": null, "limit": 50}));
    assert_eq!(page, json!({"cards": [], "next": null}), "a new user sees an empty card list");
    let status = app.ok("sync_status", json!({}));
    assert_eq!(status["state"], "local_only", "with no server the indicator says local only, not offline");
    assert_eq!(status["pending"], 0);
    let settings = app.ok("get_settings", json!({}));
    assert_eq!(settings["server_url"], Value::Null);
    assert_eq!(settings["app_version"], env!("CARGO_PKG_VERSION"));
    assert!(settings["device_id"].as_str().unwrap().len() == 36, "the device id is a UUID");
    assert_eq!(settings["server_warning"], Value::Null);
}

#[test]
fn settings_warn_about_a_server_reached_without_tls_or_a_saved_url_edited_to_redirect() {
    let app = app();
    let save = |url: &str| {
        desktop_support::sqlite(app.dir.path(), &format!("INSERT OR REPLACE INTO sync_state (key, value) VALUES ('server_url', '{url}')"))
    };
    save("postgres://noesis_user@192.168.4.25:5433/noesis?sslmode=prefer");
    let warning = app.ok("get_settings", json!({}))["server_warning"].as_str().unwrap_or_default().to_string();
    assert!(warning.contains("without TLS"), "{warning}");
    save("postgres://noesis_user@192.168.4.25:5433/noesis");
    assert_eq!(app.ok("get_settings", json!({}))["server_warning"], Value::Null, "the default (require) is fine");
    save("postgres://noesis_user@192.168.4.25:5433/noesis?host=10.0.0.9");
    let refused = app.ok("get_settings", json!({}))["server_warning"].as_str().unwrap_or_default().to_string();
    assert!(refused.contains("cannot be used") && refused.contains("`host`"), "{refused}");
}

#[test]
fn an_approved_card_is_added_to_the_mind_file_with_its_category_and_a_link_to_it() {
    let app = app();
    let card =
        app.ok("create_card", json!({"draft": {"category": "principles_values", "scope": "global", "text": "Allergic to penicillin"}}));
    let id = card["id"].as_str().unwrap().to_string();
    let refused = app.call("add_card_to_mindfile", json!({"cardId": id})).unwrap_err();
    assert!(refused["message"].as_str().unwrap_or_default().contains("approve it first"), "{refused}");
    app.ok("set_card_approval", json!({"id": id, "approval": "approved"}));
    let entry = app.ok("add_card_to_mindfile", json!({"cardId": id}));
    assert_eq!((entry["category"].clone(), entry["source_memory_card_id"].clone()), (json!("principles_values"), json!(id)));
    let listed = app.ok("list_mindfile_entries", json!({"category": null}));
    assert_eq!(listed.as_array().map(|a| a.len()), Some(1), "{listed}");
    assert_eq!(app.ok("sync_status", json!({}))["pending"], 3, "the card, its approval and the new entry wait to sync");
}

#[test]
fn creating_editing_and_searching_a_card_round_trips_through_ipc() {
    let app = app();
    let card = app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": "Miso is the cat"}}));
    let id = card["id"].as_str().unwrap().to_string();
    assert_eq!(card["approval"], "pending");

    let edited =
        app.ok("update_card", json!({"id": id, "draft": {"category": "preferences", "scope": "project", "text": "Miso is the grey cat"}}));
    assert_eq!(edited["text"], "Miso is the grey cat");
    let found = app.ok("search_cards", json!({"text": "gre", "filter": no_filter(), "limit": 10}));
    assert_eq!(found.as_array().unwrap().len(), 1, "typing a prefix finds the edited card");

    let approved = app.ok("set_card_approval", json!({"id": id, "approval": "approved"}));
    assert_eq!(approved["approval"], "approved");
    assert!(approved["approved_at"].is_string());

    let home = json!({"category": null, "scope": "project", "approval": "approved"});
    assert_eq!(app.ok("count_cards", json!({"filter": home})), 1);
    let facets = app.ok("card_facets", json!({}));
    assert_eq!(facets["scopes"], json!([{"value": "project", "count": 1}]));

    // Each edit told the indicator how many changes wait to sync.
    let statuses = app.events.lock().unwrap().clone();
    let pending: Vec<_> = statuses.iter().map(|s| s["pending"].as_u64().unwrap()).collect();
    assert_eq!(pending, [1, 2, 3], "the pending count grows with each edit (insert, update, approve)");
    assert!(statuses.iter().all(|s| s["state"] == "local_only"));
}

#[test]
fn a_card_the_noesis_server_could_not_read_is_refused_with_what_is_allowed() {
    let app = app();
    let error = app.call("create_card", json!({"draft": {"category": "fact", "scope": "global", "text": "x"}})).unwrap_err();
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("category") && message.contains("principles_values") && message.contains("decision_heuristics"), "{error}");
    assert_eq!(app.ok("count_cards", json!({"filter": no_filter()})), 0, "nothing was saved");
}

#[test]
fn acting_on_a_deleted_card_says_it_is_gone() {
    let app = app();
    let card = app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": "x"}}));
    let id = card["id"].as_str().unwrap();
    assert_eq!(app.ok("delete_card", json!({"id": id})), Value::Null);
    let error = app.call("get_card", json!({"id": id})).unwrap_err();
    assert_eq!(error["code"], "not_found", "the UI branches on a stable code");
    assert!(error["message"].as_str().unwrap().contains("no longer exists"));
    assert_eq!(app.call("delete_card", json!({"id": id})).unwrap_err()["code"], "not_found");
}

#[test]
fn keyset_pages_cover_a_long_list_once() {
    let app = app();
    for i in 0..25 {
        app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": format!("card {i}")}}));
    }
    let mut seen = std::collections::HashSet::new();
    let mut after = Value::Null;
    loop {
        let page = app.ok("list_cards", json!({"filter": no_filter(), "after": after, "limit": 10}));
        for card in page["cards"].as_array().unwrap() {
            assert!(seen.insert(card["id"].as_str().unwrap().to_string()), "no card shows twice");
        }
        if page["next"].is_null() {
            break;
        }
        after = page["next"].clone();
    }
    assert_eq!(seen.len(), 25, "scrolling to the end shows every card");
}

#[test]
fn device_rename_is_saved_and_blank_names_are_refused() {
    let app = app();
    let settings = app.ok("set_device_name", json!({"name": "  Laptop  "}));
    assert_eq!(settings["device_name"], "Laptop");
    assert_eq!(app.ok("get_settings", json!({}))["device_name"], "Laptop");
    let error = app.call("set_device_name", json!({"name": "   "})).unwrap_err();
    assert_eq!(error["code"], "invalid");
}

#[test]
fn empty_views_load_without_errors() {
    let app = app();
    assert_eq!(app.ok("list_chat_sessions", json!({"limit": 100})), json!([]));
    assert_eq!(app.ok("mindfile_categories", json!({})), json!([]));
    assert_eq!(app.ok("list_mindfile_entries", json!({"category": null})), json!([]));
    assert_eq!(app.ok("list_documents", json!({})), json!([]));
    assert_eq!(app.ok("document_chunks", json!({"documentId": "none", "fromIndex": 0, "limit": 10})), json!([]));
    assert_eq!(app.call("get_chat_session", json!({"id": "none"})).unwrap_err()["code"], "not_found");
}

#[test]
fn pausing_sync_is_kept_in_the_data_folder() {
    let app = app();
    assert_eq!(app.ok("sync_paused", json!({})), json!(false), "a new device syncs");
    app.ok("set_sync_paused", json!({"paused": true}));
    assert_eq!(app.ok("sync_paused", json!({})), json!(true));
    assert_eq!(app.ok("get_preferences", json!({}))["sync_paused"], json!(true), "Settings shows the pause");
    let cache = noesis_engine::cache::Cache::open(app.dir.path()).unwrap();
    assert!(cache.sync_paused().unwrap(), "a restart must find sync still paused");
    app.ok("set_sync_paused", json!({"paused": false}));
    assert!(!cache.sync_paused().unwrap());
}

#[test]
fn sync_controls_and_conflicts_say_no_server_without_one() {
    let app = app();
    for (cmd, args) in [
        ("sync_now", json!({})),
        ("list_conflicts", json!({})),
        ("resolve_conflict", json!({"id": "6f1c0c3e-0000-4000-8000-000000000001", "keep": "mine"})),
        ("resolve_conflict_merged", json!({"id": "6f1c0c3e-0000-4000-8000-000000000001", "edits": []})),
    ] {
        let err = app.call(cmd, args).unwrap_err();
        assert_eq!(err["code"], "no_server_configured", "{cmd}: a local-only app explains there is no server, not a crash");
    }
    let err = app.call("resolve_conflict", json!({"id": "not-a-uuid", "keep": "mine"})).unwrap_err();
    assert_eq!(err["code"], "invalid");
}

#[test]
fn changes_not_accepted_are_counted_and_listed_from_the_cache() {
    let app = app();
    assert_eq!(app.ok("list_not_accepted", json!({})), json!([]), "a new device has nothing waiting for the user");
    // As a push leaves it: a change the server refused, kept with its reason.
    desktop_support::sqlite(
        app.dir.path(),
        "INSERT INTO sync_rejected (table_name, row_id, op_id, reason, data, rejected_at) VALUES
           ('memory_cards', 'c1', 1, 'value too long for type character varying(20)', NULL, '2025-01-01T00:00:00.000Z'),
           ('chat_sessions', 's1', 2, 'a check constraint refused it', NULL, '2025-02-01T00:00:00.000Z')",
    );
    assert_eq!(app.ok("sync_status", json!({}))["not_accepted"], 2, "without an agent the indicator counts from the cache");
    let list = app.ok("list_not_accepted", json!({}));
    assert_eq!(
        list,
        json!([
            {"table": "chat_sessions", "row_id": "s1", "reason": "a check constraint refused it", "rejected_at": "2025-02-01T00:00:00.000Z"},
            {"table": "memory_cards", "row_id": "c1", "reason": "value too long for type character varying(20)", "rejected_at": "2025-01-01T00:00:00.000Z"},
        ]),
        "the details list each change, newest first, with the reason as written"
    );
    // An edit reports the status; the count rides along.
    app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": "Miso is the cat"}}));
    let last = app.events.lock().unwrap().last().cloned().expect("an edit sends sync://status");
    assert_eq!((last["pending"].clone(), last["not_accepted"].clone()), (json!(1), json!(2)), "{last}");
}

#[test]
fn preferences_show_logs_and_versions_and_refuse_an_unknown_log_level() {
    let app = app();
    let prefs = app.ok("get_preferences", json!({}));
    assert_eq!(prefs["log_level"], "info");
    assert_eq!(prefs["close_to_tray"], true, "closing the window keeps syncing by default");
    assert!(prefs["logs_dir"].as_str().unwrap().ends_with("logs"));
    assert!(prefs["cache_schema_version"].as_u64().unwrap() >= 4);
    assert_eq!(app.ok("set_log_level", json!({"level": "debug"}))["log_level"], "debug");
    assert_eq!(app.call("set_log_level", json!({"level": "chatty"})).unwrap_err()["code"], "invalid");
    assert_eq!(app.ok("set_close_to_tray", json!({"keepRunning": false}))["close_to_tray"], false);
    assert_eq!(prefs["start_at_login"], Value::Null, "without the autostart plugin Settings hides the switch");
    assert_eq!(app.call("set_start_at_login", json!({"enabled": true})).unwrap_err()["code"], "unsupported");
}

/// A mock app syncing with a fresh, set-up database; `None` without the test servers.
fn synced_app(prefix: &str) -> Option<(MockApp, String, serde_json::Value)> {
    use desktop_support::{eventually, fresh_database_named, servers_up};
    if !servers_up() {
        return None;
    }
    let (form, password, db) = fresh_database_named(prefix)?;
    let target = noesis_engine::central::ServerTarget::exact(noesis_engine::DatabaseUrl::parse(&db).unwrap());
    tauri::async_runtime::block_on(noesis_engine::central::setup(&target)).unwrap();
    let app = app();
    app.ok("wizard_save_server", json!({"form": form, "password": password}));
    assert!(
        eventually(30, || app.ok("sync_status", json!({}))["state"] == "online"),
        "the agent syncs: {}",
        app.ok("sync_status", json!({}))
    );
    Some((app, db, form))
}

/// Forgets the keychain entry and the database of [`synced_app`].
fn drop_synced(app: MockApp, db: &str, form: &serde_json::Value) {
    let url = format!(
        "postgres://{}@{}:{}/{}",
        form["user"].as_str().unwrap(),
        form["host"].as_str().unwrap(),
        form["port"],
        form["database"].as_str().unwrap()
    );
    let _ = noesis_engine::credentials::forget_password(&noesis_engine::DatabaseUrl::parse(&url).unwrap());
    drop(app);
    desktop_support::drop_database(db);
}

#[test]
fn the_tray_pause_pauses_the_running_agent_and_is_kept() {
    use desktop_support::eventually;
    use noesis_desktop::tray::{menu_action, perform};
    let Some((app, db, form)) = synced_app("noesis_tray_pause") else { return };
    let state = |app: &MockApp| app.ok("sync_status", json!({}))["state"].clone();
    perform(&app.handle(), menu_action("pause", true).unwrap());
    assert!(eventually(10, || state(&app) == "paused"), "ticking Pause in the tray pauses the agent: {}", state(&app));
    assert_eq!(app.ok("sync_paused", json!({})), true, "and the pause is kept for the next start");
    assert_eq!(app.ok("get_preferences", json!({}))["sync_paused"], true, "Settings shows it paused");
    perform(&app.handle(), menu_action("pause", false).unwrap());
    assert!(eventually(10, || state(&app) == "online"), "unticking it resumes: {}", state(&app));
    assert_eq!(app.ok("sync_paused", json!({})), false);
    drop_synced(app, &db, &form);
}

#[test]
fn the_tray_sync_now_runs_a_cycle_on_an_idle_agent() {
    use desktop_support::eventually;
    use noesis_desktop::tray::{menu_action, perform};
    let Some((app, db, form)) = synced_app("noesis_tray_sync_now") else { return };
    let last_sync = |app: &MockApp| app.ok("sync_status", json!({}))["last_sync"].clone();
    let before = last_sync(&app);
    assert!(before.is_string(), "the first cycle ran: {before}");
    // Control: idle with nothing to do, the agent runs no cycle by itself for
    // a while (its heartbeat is a minute), so the next check is the tray's doing.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(last_sync(&app), before, "an idle agent ran a cycle by itself; this test could not tell Sync now apart");
    perform(&app.handle(), menu_action("sync_now", false).unwrap());
    assert!(eventually(10, || last_sync(&app) != before), "Sync now in the tray runs a cycle at once: still {before}");
    drop_synced(app, &db, &form);
}

#[test]
fn a_change_held_back_by_the_agent_shows_in_the_status_and_the_list() {
    use desktop_support::eventually;
    let Some((app, db, form)) = synced_app("noesis_not_accepted") else { return };
    // Another program writes a date PostgreSQL would misread as the day before the push.
    desktop_support::sqlite(
        app.dir.path(),
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         VALUES ('when', 'yesterday', 'preferences', 'global', 'a relative date', 'pending', '{\"reason\": \"written by a test\"}')",
    );
    let status = |app: &MockApp| app.ok("sync_status", json!({}));
    assert!(
        eventually(30, || status(&app)["not_accepted"] == 1 && status(&app)["pending"] == 0),
        "the agent pushes, holds the change back and says so, rather than \"Synced\" alone: {}",
        status(&app)
    );
    assert_eq!(status(&app)["state"], "online");
    let list = app.ok("list_not_accepted", json!({}));
    let reason = list[0]["reason"].as_str().unwrap_or_default();
    assert_eq!((list[0]["table"].clone(), list[0]["row_id"].clone()), (json!("memory_cards"), json!("when")), "{list}");
    assert!(reason.contains("created_at") && reason.contains("yesterday"), "the reason names the column and the value: {reason}");
    let reported = app.events.lock().unwrap().iter().any(|e| e["not_accepted"] == 1 && e["state"] == "online");
    assert!(reported, "the agent's own report (sync://status) carries the count");
    drop_synced(app, &db, &form);
}

#[test]
fn a_central_row_the_noesis_server_cannot_read_is_counted_and_listed() {
    use desktop_support::eventually;
    let Some((app, db, form)) = synced_app("noesis_unreadable") else { return };
    // Another program writes a category the Noesis server's enum refuses.
    desktop_support::psql(
        &db,
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         VALUES ('typed-in-psql', now(), 'fact', 'global', 'a category the server refuses', 'pending', '{\"reason\": \"written by a test\"}')",
    );
    let status = |app: &MockApp| app.ok("sync_status", json!({}));
    assert!(eventually(30, || status(&app)["unreadable_central"] == 1), "the indicator counts it: {}", status(&app));
    let list = app.ok("list_unreadable_central", json!({}));
    assert_eq!((list[0]["table"].clone(), list[0]["row_id"].clone()), (json!("memory_cards"), json!("typed-in-psql")), "{list}");
    assert!(list[0]["reason"].as_str().unwrap_or_default().contains("category"), "the reason names the field: {list}");
    assert!(
        eventually(10, || app.events.lock().unwrap().iter().any(|e| e["unreadable_central"] == 1)),
        "the agent's own report (sync://status) carries the count, not only the window's next poll"
    );
    let marker = app.ok("central_problem", json!({"table": "memory_cards", "id": "typed-in-psql"}));
    assert!(marker.as_str().unwrap_or_default().contains("category"), "the card's own view is marked: {marker}");
    // Corrected on the server, the mark goes.
    desktop_support::psql(&db, "UPDATE memory_cards SET category = 'preferences' WHERE id = 'typed-in-psql'");
    assert!(eventually(30, || status(&app)["unreadable_central"] == 0), "{}", status(&app));
    assert_eq!(app.ok("central_problem", json!({"table": "memory_cards", "id": "typed-in-psql"})), Value::Null);
    drop_synced(app, &db, &form);
}

/// Collects the payloads of `cache://changed` sent by `app`.
fn cache_changes(app: &MockApp) -> std::sync::Arc<std::sync::Mutex<Vec<Value>>> {
    use tauri::Listener;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    app.handle().listen_any("cache://changed", move |e| sink.lock().unwrap().push(serde_json::from_str(e.payload()).unwrap()));
    seen
}

#[test]
fn a_row_written_by_another_program_tells_the_window_once_and_its_own_edit_does_not() {
    use noesis_desktop::state::AppState;
    use tauri::Manager;
    let app = app();
    let changes = cache_changes(&app);
    let check = || app.handle().state::<AppState>().check_cache_changed();
    app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": "Miso is the cat"}}));
    check();
    assert_eq!(changes.lock().unwrap().len(), 0, "the app's own edit is already on screen: no reload of every view");
    desktop_support::sqlite(
        app.dir.path(),
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         VALUES ('other', '2025-01-01T00:00:00Z', 'preferences', 'global', 'written by sqlite3', 'pending', '{\"reason\": \"written by a test\"}')",
    );
    check();
    check();
    assert_eq!(*changes.lock().unwrap(), vec![json!({"revision": 1})], "another program's card reaches the open views, once");
}

#[test]
fn the_timer_notices_another_programs_write_without_an_agent() {
    let app = app();
    let changes = cache_changes(&app);
    noesis_desktop::watch_cache(&app.handle());
    desktop_support::sqlite(
        app.dir.path(),
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         VALUES ('other', '2025-01-01T00:00:00Z', 'preferences', 'global', 'written by sqlite3', 'pending', '{\"reason\": \"written by a test\"}')",
    );
    assert!(
        desktop_support::eventually(10, || !changes.lock().unwrap().is_empty()),
        "with no server (local only), a card written by sqlite3 still shows without navigating"
    );
}

#[test]
fn a_pull_tells_the_window_the_cache_changed() {
    use desktop_support::{eventually, psql};
    let Some((app, db, form)) = synced_app("noesis_cache_changed") else { return };
    let changes = cache_changes(&app);
    psql(
        &db,
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         VALUES ('studio', '2025-01-01T00:00:00Z', 'preferences', 'global', 'added on the Mac Studio', 'pending', '{\"reason\": \"written by a test\"}')",
    );
    assert!(
        eventually(30, || desktop_support::sqlite(app.dir.path(), "SELECT count(*) FROM memory_cards WHERE id = 'studio'") == "1"),
        "the agent pulls the card: {} {} {:?}",
        app.ok("sync_status", json!({})),
        desktop_support::sqlite(app.dir.path(), "SELECT group_concat(key || '=' || value, ' | ') FROM sync_state"),
        changes.lock().unwrap()
    );
    assert!(
        eventually(10, || !changes.lock().unwrap().is_empty()),
        "the agent's report after the pull tells the open views to reload (no timer runs in this test)"
    );
    drop_synced(app, &db, &form);
}

#[test]
fn held_mass_deletions_are_listed_and_carried_out_on_request() {
    let app = app();
    assert_eq!(app.ok("list_held_deletions", json!({})), json!([]));
    // As a pull leaves it when the server lost most of a table: the rows are
    // still here, their deletion held.
    let cards: String = ["c1", "c2", "c3"]
        .iter()
        .map(|id| format!("INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES ('{id}', '2025-01-01T00:00:00Z', 'preferences', 'global', 'kept', 'pending', '{{\"reason\": \"written by a test\"}}');"))
        .collect();
    desktop_support::sqlite(
        app.dir.path(),
        &format!("{cards} INSERT INTO sync_held_deletions (table_name, row_id, direction) VALUES ('memory_cards', 'c1', 'pull'), ('memory_cards', 'c2', 'pull');"),
    );
    assert_eq!(app.ok("sync_status", json!({}))["held_deletions"], 2, "the indicator asks about them");
    assert_eq!(
        app.ok("list_held_deletions", json!({})),
        json!([{"table": "memory_cards", "deleted_here": false, "rows": 2, "sample": ["c1", "c2"]}])
    );
    let err = app.call("resolve_held_deletions", json!({"table": "no_such_table", "choice": "delete"})).unwrap_err();
    assert_eq!(err["code"], "invalid");

    let status = app.ok("resolve_held_deletions", json!({"table": "memory_cards", "choice": "delete"}));
    assert_eq!(status["held_deletions"], 0);
    assert_eq!(app.ok("list_held_deletions", json!({})), json!([]));
    let left = desktop_support::sqlite(app.dir.path(), "SELECT group_concat(id) FROM memory_cards");
    assert_eq!(left.trim(), "c3", "the held rows were deleted, the others kept");
}

#[test]
fn a_card_edited_and_deleted_in_the_app_can_be_restored_from_its_history_and_the_trash() {
    use desktop_support::{eventually, psql};
    let Some((app, db, form)) = synced_app("noesis_history") else { return };
    let synced = |app: &MockApp| eventually(30, || app.ok("sync_status", json!({}))["pending"] == 0);
    let card = app.ok("create_card", json!({"draft": {"category": "preferences", "scope": "global", "text": "Prefers short answers"}}));
    let id = card["id"].as_str().unwrap().to_string();
    app.ok("sync_now", json!({}));
    assert!(synced(&app), "the new card syncs");
    app.ok("update_card", json!({"id": id, "draft": {"category": "preferences", "scope": "global", "text": "Prefers long answers"}}));
    app.ok("sync_now", json!({}));
    assert!(synced(&app), "the edit syncs");
    let history = app.ok("row_history", json!({"table": "memory_cards", "id": id}));
    assert_eq!(history["offline_since"], Value::Null, "read from the server: {history}");
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{history}");
    assert_eq!(versions[0]["title"], "Prefers short answers");
    let changed: Vec<&str> =
        versions[0]["fields"].as_array().unwrap().iter().filter(|f| f["changed"] == true).map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(changed, ["text"]);

    app.ok("restore_version", json!({"table": "memory_cards", "id": id, "version": versions[0]["version"]}));
    assert_eq!(app.ok("get_card", json!({"id": id}))["text"], "Prefers short answers", "restored in the window at once");
    assert!(
        eventually(30, || psql(&db, &format!("SELECT text FROM memory_cards WHERE id = '{id}'")) == "Prefers short answers"),
        "and on the server"
    );

    app.ok("delete_card", json!({"id": id}));
    app.ok("sync_now", json!({}));
    assert!(eventually(30, || psql(&db, &format!("SELECT count(*) FROM memory_cards WHERE id = '{id}'")) == "0"));
    let trash = app.ok("list_trash", json!({}));
    let item = trash["items"].as_array().unwrap().iter().find(|i| i["row_id"] == id.as_str()).cloned();
    assert!(item.is_some_and(|i| i["last"]["title"] == "Prefers short answers"), "{trash}");
    app.ok("undelete_row", json!({"table": "memory_cards", "id": id}));
    assert_eq!(app.ok("get_card", json!({"id": id}))["text"], "Prefers short answers");
    assert!(eventually(30, || psql(&db, &format!("SELECT count(*) FROM memory_cards WHERE id = '{id}'")) == "1"), "back on the server");
    let err = app.call("row_history", json!({"table": "document_chunks", "id": "k1"})).unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    drop_synced(app, &db, &form);
}
