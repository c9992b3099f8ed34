//! Chat sessions: the list, one session's messages, rename and delete.

use tauri::State;

use noesis_engine::cache::{ChatSession, ChatSessionSummary};

use crate::error::{found, CommandError, CommandResult};
use crate::state::AppState;

/// Sessions, most recent first.
#[tauri::command]
#[specta::specta]
pub async fn list_chat_sessions(state: State<'_, AppState>, limit: u32) -> CommandResult<Vec<ChatSessionSummary>> {
    Ok(state.cache().chat_sessions(limit)?)
}

/// One session with its messages.
#[tauri::command]
#[specta::specta]
pub async fn get_chat_session(state: State<'_, AppState>, id: String) -> CommandResult<ChatSession> {
    found("chat session", state.cache().chat_session(&id)?)
}

/// Renames a session.
#[tauri::command]
#[specta::specta]
pub async fn rename_chat_session(state: State<'_, AppState>, id: String, title: String) -> CommandResult<ChatSessionSummary> {
    let cache = state.cache();
    let session = found("chat session", cache.rename_chat_session(&id, &title)?)?;
    state.publish_sync_status(&cache);
    Ok(session)
}

/// Deletes a session.
#[tauri::command]
#[specta::specta]
pub async fn delete_chat_session(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    let cache = state.cache();
    if !cache.delete_chat_session(&id)? {
        return Err(CommandError::not_found("chat session"));
    }
    state.publish_sync_status(&cache);
    Ok(())
}
