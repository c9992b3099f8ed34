//! Documents: the list, tags and notes, and a document's chunks.

use tauri::State;

use noesis_engine::cache::{Document, DocumentChunk};

use crate::error::{found, CommandResult};
use crate::state::AppState;

/// Documents, newest first.
#[tauri::command]
#[specta::specta]
pub async fn list_documents(state: State<'_, AppState>) -> CommandResult<Vec<Document>> {
    Ok(state.cache().documents()?)
}

/// Saves a document's tags and notes.
#[tauri::command]
#[specta::specta]
pub async fn update_document(state: State<'_, AppState>, id: String, tags: Vec<String>, notes: String) -> CommandResult<Document> {
    let cache = state.cache();
    let document = found("document", cache.update_document(&id, &tags, &notes)?)?;
    state.publish_sync_status(&cache);
    Ok(document)
}

/// A run of a document's chunks, from `from_index` on.
#[tauri::command]
#[specta::specta]
pub async fn document_chunks(
    state: State<'_, AppState>,
    document_id: String,
    from_index: u32,
    limit: u32,
) -> CommandResult<Vec<DocumentChunk>> {
    Ok(state.cache().document_chunks(&document_id, from_index, limit)?)
}
