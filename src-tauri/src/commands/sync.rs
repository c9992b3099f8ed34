//! Sync controls and the conflict centre: "Sync now", pause (kept across
//! restarts), the changes not accepted (refused by the server or held back,
//! kept in the cache until edited), and the conflicts sync recorded, shown
//! side by side and resolved by keeping one version or a hand-merged one. The engine decides everything
//! (`noesis_engine::sync::conflicts`); this file only carries it over IPC.

use serde::{Deserialize, Serialize};
use tauri::State;
use uuid::Uuid;

use noesis_engine::cache::{Cache, HeldDecision, HeldDirection};
use noesis_engine::central::ServerTarget;
use noesis_engine::sync::conflict_view::{ConflictView, KeepVersion};
use noesis_engine::sync::conflicts::{open_conflicts, resolve, resolve_merged};
use noesis_engine::sync::Row;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use crate::sync_status::SyncStatus;

/// A local change not accepted, as the sync details list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct NotAcceptedChange {
    /// The table (`memory_cards`…).
    pub table: String,
    /// The row's key, so the user can find the row.
    pub row_id: String,
    /// Why, as the server or the engine wrote it.
    pub reason: String,
    /// When it was last refused (ISO-8601 UTC).
    pub rejected_at: String,
}

/// How many changes not accepted the details list: a popover shows a
/// screenful, and a user with more fixes them from the newest down.
pub const NOT_ACCEPTED_SHOWN: usize = 100;

/// One field of a hand-merged version: the column and its value as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct FieldEdit {
    /// The column.
    pub field: String,
    /// Its merged value, as JSON text.
    pub value: String,
}

fn server(state: &AppState) -> CommandResult<ServerTarget> {
    state.server().ok_or_else(|| noesis_engine::Error::NoServerConfigured.into())
}

fn bad_id(id: &str) -> CommandError {
    CommandError::invalid(format!("`{id}` is not a conflict id."))
}

/// Runs engine work that needs the server and the cache (see
/// [`super::on_cache_thread`]).
async fn on_cache<T: Send + 'static>(
    state: &AppState,
    work: impl for<'c> FnOnce(&'c Cache, ServerTarget) -> std::pin::Pin<Box<dyn std::future::Future<Output = noesis_engine::Result<T>> + 'c>>
        + Send
        + 'static,
) -> CommandResult<T> {
    let target = server(state)?;
    super::on_cache_thread(state, move |cache| work(cache, target)).await
}

/// Asks the agent to sync now (and to retry a failing server now).
#[tauri::command]
#[specta::specta]
pub async fn sync_now(state: State<'_, AppState>) -> CommandResult<()> {
    if state.with_agent(|agent| agent.sync_now()) {
        Ok(())
    } else {
        Err(noesis_engine::Error::NoServerConfigured.into())
    }
}

/// Pauses or resumes sync; the choice is kept in the data folder, so a
/// paused app starts paused.
#[tauri::command]
#[specta::specta]
pub async fn set_sync_paused(state: State<'_, AppState>, paused: bool) -> CommandResult<SyncStatus> {
    let cache = state.cache();
    cache.set_sync_paused(paused)?;
    state.with_agent(|agent| agent.set_paused(paused));
    state.current_sync_status(&cache)
}

/// Whether sync is paused on this device (the pause toggle's state).
#[tauri::command]
#[specta::specta]
pub async fn sync_paused(state: State<'_, AppState>) -> CommandResult<bool> {
    Ok(state.cache().sync_paused()?)
}

/// The changes not accepted, newest first (at most [`NOT_ACCEPTED_SHOWN`]).
/// Read from the cache, so it answers without a server too.
#[tauri::command]
#[specta::specta]
pub async fn list_not_accepted(state: State<'_, AppState>) -> CommandResult<Vec<NotAcceptedChange>> {
    let list = state.cache().rejected_changes(NOT_ACCEPTED_SHOWN)?;
    Ok(list
        .into_iter()
        .map(|c| NotAcceptedChange { table: c.table_name, row_id: c.row_id, reason: c.reason, rejected_at: c.rejected_at })
        .collect())
}

/// A central row the Noesis server cannot read, as the sync details list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct UnreadableCentralRow {
    /// The table (`memory_cards`…).
    pub table: String,
    /// The row's key, so it can be found and corrected on the server.
    pub row_id: String,
    /// Which fields break the server's contract, with what it accepts.
    pub reason: String,
}

/// The central rows the Noesis server cannot read (at most
/// [`NOT_ACCEPTED_SHOWN`]), as this device last pulled them.
#[tauri::command]
#[specta::specta]
pub async fn list_unreadable_central(state: State<'_, AppState>) -> CommandResult<Vec<UnreadableCentralRow>> {
    let rows = state.cache().unreadable_central_rows(NOT_ACCEPTED_SHOWN)?;
    Ok(rows.into_iter().map(|r| UnreadableCentralRow { table: r.table_name, row_id: r.row_id, reason: r.reason }).collect())
}

/// Why the Noesis server cannot read the central version of this row, if it
/// cannot (as this device last pulled or pushed it): the row's view shows it,
/// so damage done on the server is seen where the row is.
#[tauri::command]
#[specta::specta]
pub async fn central_problem(state: State<'_, AppState>, table: String, id: String) -> CommandResult<Option<String>> {
    Ok(state.cache().unreadable_reason(&table, &id)?)
}

/// One table's deletions held by the mass-deletion guard, as the sync details
/// list them: what would go, so the user can decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct HeldDeletionGroup {
    /// The table (`memory_cards`…).
    pub table: String,
    /// `true`: deleted on this device, still on the server; `false`: deleted
    /// on the server, still here.
    pub deleted_here: bool,
    /// How many rows.
    pub rows: u32,
    /// A few of their keys.
    pub sample: Vec<String>,
}

/// What to do with held deletions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum HeldChoice {
    /// Delete them here and on the server.
    Delete,
    /// Keep them everywhere: pushed back to the server, or put back here.
    Keep,
}

/// The deletions the mass-deletion guard holds, by table. Read from the
/// cache, so it answers without a server too.
#[tauri::command]
#[specta::specta]
pub async fn list_held_deletions(state: State<'_, AppState>) -> CommandResult<Vec<HeldDeletionGroup>> {
    let held = state.cache().held_deletions()?;
    Ok(held
        .into_iter()
        .map(|h| HeldDeletionGroup {
            table: h.table_name,
            deleted_here: h.direction == HeldDirection::Push,
            rows: u32::try_from(h.rows).unwrap_or(u32::MAX),
            sample: h.sample,
        })
        .collect())
}

/// Carries out the user's choice on one table's held deletions; the result
/// syncs at once.
#[tauri::command]
#[specta::specta]
pub async fn resolve_held_deletions(state: State<'_, AppState>, table: String, choice: HeldChoice) -> CommandResult<SyncStatus> {
    if noesis_engine::tables::by_name(&table).is_none() {
        return Err(CommandError::invalid(format!("`{table}` is not a synced table.")));
    }
    let decision = match choice {
        HeldChoice::Delete => HeldDecision::Delete,
        HeldChoice::Keep => HeldDecision::Keep,
    };
    let status = {
        let mut cache = state.cache();
        cache.resolve_held_deletions(Some(&table), decision)?;
        state.current_sync_status(&cache)?
    };
    state.with_agent(|agent| agent.sync_now());
    Ok(status)
}

/// Open conflicts, oldest first, each side by side.
#[tauri::command]
#[specta::specta]
pub async fn list_conflicts(state: State<'_, AppState>) -> CommandResult<Vec<ConflictView>> {
    on_cache(&state, |cache, target| {
        Box::pin(async move {
            let me = cache.device()?.id.to_string();
            let mut conn = target.connect().await?;
            let list = open_conflicts(&mut conn, &target).await?;
            Ok(list.iter().map(|r| ConflictView::of(r, &me)).collect())
        })
    })
    .await
}

/// Resolves a conflict by keeping one whole version; the choice syncs at once.
#[tauri::command]
#[specta::specta]
pub async fn resolve_conflict(state: State<'_, AppState>, id: String, keep: KeepVersion) -> CommandResult<()> {
    let uuid = Uuid::parse_str(&id).map_err(|_| bad_id(&id))?;
    on_cache(&state, move |cache, target| {
        Box::pin(async move {
            let me = cache.device()?.id.to_string();
            let mut conn = target.connect().await?;
            let record = open_conflicts(&mut conn, &target).await?.into_iter().find(|c| c.id == uuid);
            let keep = keep.as_keep(record.as_ref(), &me);
            resolve(cache, &mut conn, &target, uuid, keep).await.map(|_| ())
        })
    })
    .await?;
    state.with_agent(|agent| agent.sync_now());
    Ok(())
}

/// Resolves a conflict with a hand-merged version: `edits` over the version in
/// place, written as a local edit that syncs at once.
#[tauri::command]
#[specta::specta]
pub async fn resolve_conflict_merged(state: State<'_, AppState>, id: String, edits: Vec<FieldEdit>) -> CommandResult<()> {
    let uuid = Uuid::parse_str(&id).map_err(|_| bad_id(&id))?;
    let mut row = Row::new();
    for edit in edits {
        let value = serde_json::from_str(&edit.value)
            .map_err(|e| CommandError::invalid(format!("the merged value of `{}` is not JSON ({e}).", edit.field)))?;
        row.insert(edit.field, value);
    }
    on_cache(&state, move |cache, target| {
        Box::pin(async move {
            let mut conn = target.connect().await?;
            resolve_merged(cache, &mut conn, &target, uuid, &row).await.map(|_| ())
        })
    })
    .await?;
    state.with_agent(|agent| agent.sync_now());
    Ok(())
}
