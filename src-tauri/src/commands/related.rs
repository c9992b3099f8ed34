//! "Related" on a card or chunk: its nearest neighbours among the server's
//! embeddings (engine: `central::related`). Shown only when the server can
//! answer; otherwise the reason is given instead of an empty list.

use serde::{Deserialize, Serialize};
use tauri::State;

use noesis_engine::central::related::{related, Related};

use crate::error::CommandResult;
use crate::state::AppState;
use crate::sync_status::SyncState;

/// One neighbour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct RelatedItem {
    /// The card's or chunk's id.
    pub doc_id: String,
    /// `memory_card`, `document_chunk`…
    pub source_type: String,
    /// Its text.
    pub text: String,
    /// Inner product with the card (higher is closer).
    pub score: f64,
}

/// What the Related panel shows: neighbours, or why there are none to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct RelatedView {
    /// Whether the server answered; when not, `reason` says why and the panel hides the list.
    pub available: bool,
    /// Why related items cannot be shown.
    pub reason: Option<String>,
    /// Nearest first.
    pub items: Vec<RelatedItem>,
}

fn unavailable(reason: impl Into<String>) -> RelatedView {
    RelatedView { available: false, reason: Some(reason.into()), items: Vec::new() }
}

/// The nearest neighbours of card or chunk `id` on the server.
#[tauri::command]
#[specta::specta]
pub async fn related_items(state: State<'_, AppState>, id: String, limit: u32) -> CommandResult<RelatedView> {
    let status = state.current_sync_status(&state.cache())?;
    let Some(target) = state.server() else {
        return Ok(unavailable("Related items come from the server's embeddings, and no server is set up on this device."));
    };
    if matches!(status.state, SyncState::Offline | SyncState::Error | SyncState::Connecting) {
        return Ok(unavailable("Offline: related items come from the server and will show once it is reachable."));
    }
    let answer = async {
        let mut conn = target.connect().await?;
        related(&mut conn, &target, &id, limit).await
    }
    .await;
    Ok(match answer {
        Ok(Related::Found { neighbours }) => RelatedView {
            available: true,
            reason: None,
            items: neighbours
                .into_iter()
                .map(|n| RelatedItem { doc_id: n.doc_id, source_type: n.source_type, text: n.text, score: n.score })
                .collect(),
        },
        Ok(Related::NotEmbedded) => unavailable("The server has not computed an embedding for this yet."),
        Ok(Related::NoPgvector) => unavailable("The server has no pgvector, so it cannot find related items (see `noesis-sync setup`)."),
        Err(e) => unavailable(format!("The server could not be asked: {e}")),
    })
}
