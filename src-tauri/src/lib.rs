//! Noesis Desktop: the Tauri shell over the Noesis engine.
//!
//! This crate only wires things together: it opens the local cache in the data
//! folder, registers the commands of [`commands`] (thin calls into
//! `noesis_engine`), maps engine state to namespaced UI events (`sync://status`)
//! and owns the window. Every rule and query lives in the engine, which the
//! `noesis-sync` CLI and the tests share.
//!
//! The builder is generic over Tauri's [`Runtime`] so command tests run on
//! Tauri's mock runtime without a window or WebKit (see `tests/`).

pub mod bindings;
pub mod cache_changed;
pub mod commands;
pub mod error;
pub mod folder_dialog;
pub mod logs;
pub mod state;
pub mod sync_agent;
pub mod sync_status;
pub mod tray;

use tauri::{Manager, Runtime};
use tauri_specta::{collect_commands, collect_events};

use crate::state::AppState;

/// Every command and event the front end may use, typed once here; the
/// TypeScript bindings in `ui/src/bindings.ts` are generated from this list.
pub fn specta_builder<R: Runtime>() -> tauri_specta::Builder<R> {
    use commands::*;
    tauri_specta::Builder::<R>::new()
        // One TypeScript type per Rust type: ours serialise and deserialise alike.
        .disable_serde_phases()
        .commands(collect_commands![
            cards::list_cards,
            cards::count_cards,
            cards::search_cards,
            cards::count_card_matches,
            cards::card_facets,
            cards::get_card,
            cards::create_card,
            cards::update_card,
            cards::set_card_approval,
            cards::delete_card,
            chats::list_chat_sessions,
            chats::get_chat_session,
            chats::rename_chat_session,
            chats::delete_chat_session,
            mindfile::mindfile_categories,
            mindfile::list_mindfile_entries,
            mindfile::set_mindfile_note,
            mindfile::add_card_to_mindfile,
            documents::list_documents,
            documents::update_document,
            documents::document_chunks,
            settings::get_settings,
            settings::set_device_name,
            settings::sync_status,
            sync::sync_now,
            sync::set_sync_paused,
            sync::sync_paused,
            sync::list_not_accepted,
            sync::list_held_deletions,
            sync::list_unreadable_central,
            sync::central_problem,
            sync::resolve_held_deletions,
            sync::list_conflicts,
            sync::resolve_conflict,
            sync::resolve_conflict_merged,
            history::row_history,
            history::list_trash,
            history::restore_version,
            history::undelete_row,
            preferences::get_preferences,
            preferences::set_log_level,
            preferences::set_close_to_tray,
            preferences::open_logs_folder,
            preferences::set_start_at_login,
            related::related_items,
            wizard::wizard_start,
            wizard::wizard_dismiss,
            wizard::wizard_test_connection,
            wizard::wizard_save_server,
            wizard::wizard_schema_plan,
            wizard::wizard_apply_schema,
            wizard::wizard_scan_legacy,
            wizard::wizard_inspect_legacy,
            wizard::wizard_choose_legacy_folder,
            wizard::wizard_preview,
            wizard::wizard_start_migration,
            wizard::wizard_cancel_migration,
            wizard::wizard_rejects,
            wizard::wizard_changed_rows,
            wizard::wizard_next_step,
        ])
        .events(collect_events![sync_status::SyncStatus, cache_changed::CacheChanged, wizard::WizardProgress])
        // The Noesis server's enums with the app's labels, from the engine's
        // one declaration (tables::contract): the forms offer exactly these.
        .constant("VOCABULARIES", vocabularies())
}

/// `{ enum name: [[value, label], ...] }` for every server vocabulary.
fn vocabularies() -> std::collections::BTreeMap<&'static str, Vec<[&'static str; 2]>> {
    noesis_engine::tables::contract::VOCABULARIES.iter().map(|v| (v.name, v.terms.iter().map(|t| [t.value, t.label]).collect())).collect()
}

/// The app on any runtime: `base` (the real builder, or
/// `tauri::test::mock_builder()` in tests) with `state` managed, the commands
/// registered, sync status reports routed to the `sync://status` event and
/// changes of the cache by other connections to `cache://changed`.
pub fn build_app<R: Runtime>(base: tauri::Builder<R>, state: AppState, context: tauri::Context<R>) -> tauri::Result<tauri::App<R>> {
    let specta = specta_builder::<R>();
    let app = base.manage(state).invoke_handler(specta.invoke_handler()).build(context)?;
    // Wired here rather than in a setup hook, which Tauri runs only once the
    // event loop starts: the mock runtime's tests never start one.
    specta.mount_events(&app);
    commands::wizard::install(&app);
    let handle = app.handle().clone();
    app.state::<AppState>().set_sync_status_sink(move |status| {
        if let Err(e) = tauri_specta::Event::emit(status, &handle) {
            tracing::warn!("cannot send sync://status: {e}");
        }
    });
    let handle = app.handle().clone();
    app.state::<AppState>().set_cache_changed_sink(move |changed| {
        if let Err(e) = tauri_specta::Event::emit(changed, &handle) {
            tracing::warn!("cannot send cache://changed: {e}");
        }
    });
    Ok(app)
}

/// Checks on a light timer ([`cache_changed::CHECK_EVERY`]) whether another
/// connection changed the cache, for writes no agent report follows: another
/// program's while sync is paused or no server is set up. Runs for the app's
/// lifetime; command tests call it to run it on the mock runtime.
pub fn watch_cache<R: Runtime>(app: &tauri::AppHandle<R>) {
    let app = app.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(cache_changed::CHECK_EVERY);
        app.state::<AppState>().check_cache_changed();
    });
}

/// Starts the desktop app on the data folder from `NOESIS_DATA_DIR` (or the
/// OS default). With no server configured the app runs on the local cache alone.
pub fn run() {
    let data_dir = AppState::data_dir_from_env();
    let state = match AppState::open(&data_dir) {
        Ok(state) => state,
        Err(e) => {
            // Nothing to show without a cache: say why on stderr and stop.
            eprintln!("Noesis cannot open its data folder {}: {e}", data_dir.display());
            std::process::exit(1);
        }
    };
    let level = state.cache().log_level().unwrap_or_else(|_| noesis_engine::cache::DEFAULT_LOG_LEVEL.into());
    logs::init(&data_dir, &level);
    tracing::info!(data_dir = %data_dir.display(), "starting Noesis Desktop");
    let context = tauri::generate_context!();
    // One app per data folder: a second launch on the same folder shows the
    // running window and exits, so two agents never sync one cache. Keyed by
    // the device id (one per data folder), so other folders (tests, a second
    // profile) still run side by side.
    let device = state.cache().device().map(|d| d.id.simple().to_string()).unwrap_or_default();
    let single = tauri_plugin_single_instance::Builder::new()
        .dbus_id(format!("{}.data_{device}", context.config().identifier))
        .callback(|app, _args, _cwd| tray::show_main(app))
        .build();
    let autostart = tauri_plugin_autostart::Builder::new().arg(tray::HIDDEN_ARG).build();
    let base = tauri::Builder::default().plugin(single).plugin(autostart).plugin(tauri_plugin_dialog::init());
    let app = build_app(base, state, context).expect("the Tauri app failed to start");
    app.manage(folder_dialog::native(app.handle()));
    {
        use tauri_plugin_autostart::ManagerExt;
        let handle = app.handle().clone();
        app.state::<AppState>().set_autostart(move |enable| {
            let launcher = handle.autolaunch();
            match enable {
                Some(true) => launcher.enable().map_err(|e| e.to_string())?,
                Some(false) => launcher.disable().map_err(|e| e.to_string())?,
                None => {}
            }
            launcher.is_enabled().map_err(|e| e.to_string())
        });
    }
    sync_agent::start(&app);
    watch_cache(app.handle());
    // The app still works without a tray (a desktop with no StatusNotifier
    // host): closing the window then quits as usual.
    if let Err(e) = tray::install(&app) {
        tracing::warn!("no tray icon: {e}");
    }
    // Started at login: stay in the tray until the user opens the window.
    let start_hidden = std::env::args().any(|a| a == tray::HIDDEN_ARG);
    app.run(move |app, event| tray::on_run_event(app, &event, start_hidden));
}
