//! History and trash: a row's earlier versions, the deleted rows, and
//! putting either back. The engine decides everything
//! (`noesis_engine::sync::history_view`, offline fallback included); this
//! file carries it over IPC and asks the agent to sync a restore at once.

use tauri::State;

use noesis_engine::sync::history;
use noesis_engine::sync::history_view::{self, HistoryView, TrashView};

use crate::error::CommandResult;
use crate::state::AppState;

/// A row's earlier versions, newest first (offline: the last ones read).
/// Read from the server without the cache, then kept on the app's own cache
/// connection, so keeping it does not make the views reload.
#[tauri::command]
#[specta::specta]
pub async fn row_history(state: State<'_, AppState>, table: String, id: String) -> CommandResult<HistoryView> {
    let fetched = history_view::fetch_row_history(state.server().as_ref(), &table, &id).await?;
    Ok(history_view::row_history_or_seen(&state.cache(), &table, &id, fetched)?)
}

/// The deleted rows, newest deletion first (offline: the last list read).
#[tauri::command]
#[specta::specta]
pub async fn list_trash(state: State<'_, AppState>) -> CommandResult<TrashView> {
    let fetched = history_view::fetch_trash(state.server().as_ref()).await?;
    Ok(history_view::trash_or_seen(&state.cache(), fetched)?)
}

/// Puts version `version` of a row back as an edit of this device; syncs now.
#[tauri::command]
#[specta::specta]
pub async fn restore_version(state: State<'_, AppState>, table: String, id: String, version: String) -> CommandResult<()> {
    let target = state.server().ok_or(noesis_engine::Error::NoServerConfigured)?;
    let version = history_view::parse_version(&version)?;
    super::on_cache_thread(&state, move |cache| {
        Box::pin(async move {
            let spec = history::spec_of(&table)?;
            let mut conn = target.connect().await?;
            history::restore(cache, &mut conn, &target, spec, &id, version).await.map(|_| ())
        })
    })
    .await?;
    state.publish_sync_status(&state.cache());
    state.with_agent(|agent| agent.sync_now());
    Ok(())
}

/// Brings a deleted row back as it was deleted; syncs now.
#[tauri::command]
#[specta::specta]
pub async fn undelete_row(state: State<'_, AppState>, table: String, id: String) -> CommandResult<()> {
    let target = state.server().ok_or(noesis_engine::Error::NoServerConfigured)?;
    super::on_cache_thread(&state, move |cache| {
        Box::pin(async move {
            let spec = history::spec_of(&table)?;
            let mut conn = target.connect().await?;
            history::undelete(cache, &mut conn, &target, spec, &id).await.map(|_| ())
        })
    })
    .await?;
    state.publish_sync_status(&state.cache());
    state.with_agent(|agent| agent.sync_now());
    Ok(())
}
