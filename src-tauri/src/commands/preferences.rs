//! Settings that belong to this device and this app (kept by the engine in the
//! data folder): pause, log level, what closing the window does, the logs
//! folder, and the schema versions for About. Server settings are the
//! first-run wizard's.

use serde::{Deserialize, Serialize};
use tauri::State;

use noesis_engine::cache::{CACHE_SCHEMA_VERSION, LOG_LEVELS};
use noesis_engine::central::CLIENT_SCHEMA_VERSION;

use crate::error::{CommandError, CommandResult};
use crate::logs;
use crate::state::AppState;

/// What Settings shows about sync, logs and this build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Preferences {
    /// Sync is paused on this device.
    pub sync_paused: bool,
    /// The log level (one of `log_levels`), applied live.
    pub log_level: String,
    /// The levels on offer, least to most verbose.
    pub log_levels: Vec<String>,
    /// Closing the window keeps the app syncing from the tray.
    pub close_to_tray: bool,
    /// Where the log files are.
    pub logs_dir: String,
    /// The local cache's schema version.
    pub cache_schema_version: u32,
    /// The central schema version this build understands.
    pub server_schema_version: u32,
    /// Whether the app starts (in the tray) when the user logs in; `None`
    /// when this build cannot say (no start-at-login support here).
    pub start_at_login: Option<bool>,
}

fn preferences(state: &AppState) -> CommandResult<Preferences> {
    let cache = state.cache();
    Ok(Preferences {
        sync_paused: cache.sync_paused()?,
        log_level: cache.log_level()?,
        log_levels: LOG_LEVELS.iter().map(|l| l.to_string()).collect(),
        close_to_tray: cache.close_to_tray()?,
        logs_dir: logs::logs_dir(state.data_dir()).display().to_string(),
        cache_schema_version: CACHE_SCHEMA_VERSION as u32,
        server_schema_version: CLIENT_SCHEMA_VERSION as u32,
        start_at_login: state.autostart(None).and_then(Result::ok),
    })
}

/// This device's preferences.
#[tauri::command]
#[specta::specta]
pub async fn get_preferences(state: State<'_, AppState>) -> CommandResult<Preferences> {
    preferences(&state)
}

/// Chooses the log level; it applies at once (no restart).
#[tauri::command]
#[specta::specta]
pub async fn set_log_level(state: State<'_, AppState>, level: String) -> CommandResult<Preferences> {
    state.cache().set_log_level(&level)?;
    logs::set_level(&level);
    tracing::info!(level = %level, "log level changed");
    preferences(&state)
}

/// Chooses whether closing the window keeps syncing from the tray.
#[tauri::command]
#[specta::specta]
pub async fn set_close_to_tray(state: State<'_, AppState>, keep_running: bool) -> CommandResult<Preferences> {
    state.cache().set_close_to_tray(keep_running)?;
    preferences(&state)
}

/// Turns start at login on or off (the app then starts hidden in the tray).
#[tauri::command]
#[specta::specta]
pub async fn set_start_at_login(state: State<'_, AppState>, enabled: bool) -> CommandResult<Preferences> {
    match state.autostart(Some(enabled)) {
        Some(Ok(_)) => preferences(&state),
        Some(Err(e)) => {
            Err(CommandError { code: noesis_engine::ErrorCode::Autostart, message: format!("Start at login could not be changed: {e}") })
        }
        None => Err(CommandError {
            code: noesis_engine::ErrorCode::Unsupported,
            message: "Start at login is not available in this build.".into(),
        }),
    }
}

/// Opens the logs folder in the system's file manager.
#[tauri::command]
#[specta::specta]
pub async fn open_logs_folder(state: State<'_, AppState>) -> CommandResult<()> {
    let dir = logs::logs_dir(state.data_dir());
    std::fs::create_dir_all(&dir)
        .map_err(|e| CommandError { code: noesis_engine::ErrorCode::Io, message: format!("cannot create {}: {e}", dir.display()) })?;
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener).arg(&dir).spawn().map(|_| ()).map_err(|e| CommandError {
        code: noesis_engine::ErrorCode::Io,
        message: format!("cannot open the file manager ({opener}: {e}); the logs are in {}", dir.display()),
    })
}
