//! The mind file: categories, entries with their source card, notes.

use tauri::State;

use noesis_engine::cache::{FacetCount, MindfileEntry};

use crate::error::{found, CommandResult};
use crate::state::AppState;

/// Categories with entry counts.
#[tauri::command]
#[specta::specta]
pub async fn mindfile_categories(state: State<'_, AppState>) -> CommandResult<Vec<FacetCount>> {
    Ok(state.cache().mindfile_categories()?)
}

/// Entries of a category (all when `None`).
#[tauri::command]
#[specta::specta]
pub async fn list_mindfile_entries(state: State<'_, AppState>, category: Option<String>) -> CommandResult<Vec<MindfileEntry>> {
    Ok(state.cache().mindfile_entries(category.as_deref())?)
}

/// Saves the note on an entry.
#[tauri::command]
#[specta::specta]
pub async fn set_mindfile_note(state: State<'_, AppState>, id: String, note: String) -> CommandResult<MindfileEntry> {
    let cache = state.cache();
    let entry = found("mind-file entry", cache.set_mindfile_note(&id, &note)?)?;
    state.publish_sync_status(&cache);
    Ok(entry)
}

/// "Add to mind file" on an approved card: a new entry with the card's
/// category and text, linked to it (the one entry if it is there already).
#[tauri::command]
#[specta::specta]
pub async fn add_card_to_mindfile(state: State<'_, AppState>, card_id: String) -> CommandResult<MindfileEntry> {
    let cache = state.cache();
    let entry = found("card", cache.add_card_to_mindfile(&card_id)?)?;
    state.publish_sync_status(&cache);
    Ok(entry)
}
