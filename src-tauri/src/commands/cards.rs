//! Memory cards: the virtualised list (keyset pages), filters, search as you
//! type, and the edits of the detail pane.

use tauri::State;

use noesis_engine::cache::{Approval, CardCursor, CardDraft, CardFacets, CardFilter, CardPage, MemoryCard};

use crate::error::{found, CommandResult};
use crate::state::AppState;

/// One page of the card list, after `after` (the first page when `None`).
#[tauri::command]
#[specta::specta]
pub async fn list_cards(state: State<'_, AppState>, filter: CardFilter, after: Option<CardCursor>, limit: u32) -> CommandResult<CardPage> {
    Ok(state.cache().cards_page(&filter, after.as_ref(), limit)?)
}

/// How many cards match the filter (the list's header).
#[tauri::command]
#[specta::specta]
pub async fn count_cards(state: State<'_, AppState>, filter: CardFilter) -> CommandResult<u32> {
    Ok(state.cache().card_count(&filter)?)
}

/// Cards matching what the user typed, best first.
#[tauri::command]
#[specta::specta]
pub async fn search_cards(state: State<'_, AppState>, text: String, filter: CardFilter, limit: u32) -> CommandResult<Vec<MemoryCard>> {
    Ok(state.cache().search_cards(&text, &filter, limit)?)
}

/// How many cards match what the user typed (all of them, not the page shown).
#[tauri::command]
#[specta::specta]
pub async fn count_card_matches(state: State<'_, AppState>, text: String, filter: CardFilter) -> CommandResult<u32> {
    Ok(state.cache().count_card_matches(&text, &filter)?)
}

/// The values the filter menus offer.
#[tauri::command]
#[specta::specta]
pub async fn card_facets(state: State<'_, AppState>) -> CommandResult<CardFacets> {
    Ok(state.cache().card_facets()?)
}

/// One card, for the detail pane.
#[tauri::command]
#[specta::specta]
pub async fn get_card(state: State<'_, AppState>, id: String) -> CommandResult<MemoryCard> {
    found("card", state.cache().card(&id)?)
}

/// A new pending card.
#[tauri::command]
#[specta::specta]
pub async fn create_card(state: State<'_, AppState>, draft: CardDraft) -> CommandResult<MemoryCard> {
    let cache = state.cache();
    let card = cache.create_card(&draft)?;
    state.publish_sync_status(&cache);
    Ok(card)
}

/// Saves the detail pane's edits.
#[tauri::command]
#[specta::specta]
pub async fn update_card(state: State<'_, AppState>, id: String, draft: CardDraft) -> CommandResult<MemoryCard> {
    let cache = state.cache();
    let card = found("card", cache.update_card(&id, &draft)?)?;
    state.publish_sync_status(&cache);
    Ok(card)
}

/// Approves, rejects or resets a card.
#[tauri::command]
#[specta::specta]
pub async fn set_card_approval(state: State<'_, AppState>, id: String, approval: Approval) -> CommandResult<MemoryCard> {
    let cache = state.cache();
    let card = found("card", cache.set_card_approval(&id, approval)?)?;
    state.publish_sync_status(&cache);
    Ok(card)
}

/// Deletes a card.
#[tauri::command]
#[specta::specta]
pub async fn delete_card(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    let cache = state.cache();
    if !cache.delete_card(&id)? {
        return Err(crate::error::CommandError::not_found("card"));
    }
    state.publish_sync_status(&cache);
    Ok(())
}
