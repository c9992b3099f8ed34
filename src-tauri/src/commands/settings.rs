//! Settings and the sync indicator: real facts about this device only.

use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use crate::sync_status::SyncStatus;

/// What the Settings view shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Settings {
    /// This device's id (a UUID generated once per data folder).
    pub device_id: String,
    /// This device's name as other devices see it.
    pub device_name: String,
    /// The data folder.
    pub data_dir: String,
    /// The cache file inside it.
    pub cache_path: String,
    /// The server, without password; `None` when the app runs local-only.
    pub server_url: Option<String>,
    /// This app's version.
    pub app_version: String,
    /// What is wrong with the saved server's security, in words: a connection
    /// that may carry the password to another machine without TLS, or a
    /// saved URL the app refuses (edited by another program).
    pub server_warning: Option<String>,
}

fn settings(state: &AppState) -> CommandResult<Settings> {
    let cache = state.cache();
    let device = cache.device()?;
    Ok(Settings {
        device_id: device.id.to_string(),
        device_name: device.name,
        data_dir: state.data_dir().display().to_string(),
        cache_path: cache.path().display().to_string(),
        server_warning: cache.server_url()?.and_then(|text| match noesis_engine::DatabaseUrl::parse(&text) {
            Ok(url) => noesis_engine::central::unencrypted_warning(&url),
            Err(e) => Some(format!("The saved server cannot be used: {e}. Choose the server again.")),
        }),
        server_url: cache.server_url()?,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// The Settings view's facts.
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> CommandResult<Settings> {
    settings(&state)
}

/// Renames this device.
#[tauri::command]
#[specta::specta]
pub async fn set_device_name(state: State<'_, AppState>, name: String) -> CommandResult<Settings> {
    if name.trim().is_empty() {
        return Err(CommandError::invalid("A device name cannot be empty."));
    }
    state.cache().set_device_name(&name)?;
    settings(&state)
}

/// The sync status now (the indicator's first value; updates arrive as
/// `sync://status` events).
#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> CommandResult<SyncStatus> {
    state.current_sync_status(&state.cache())
}
