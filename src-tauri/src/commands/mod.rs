//! The commands the front end calls, one file per view. Each is a thin call
//! into the engine: no queries or rules live here. Commands that change the
//! cache also publish the sync status, so the pending count moves as the user
//! edits.
//!
//! Commands are `async` so Tauri runs them off the main thread and a slow
//! disk never freezes the window.

pub mod cards;
pub mod chats;
pub mod documents;
pub mod history;
pub mod mindfile;
pub mod preferences;
pub mod related;
pub mod settings;
pub mod sync;
pub mod wizard;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use noesis_engine::cache::Cache;

/// Runs engine work that holds the (not `Sync`) cache across awaits (a
/// server round trip) on a blocking thread with its own cache connection, so
/// the command's own future stays `Send`.
pub(crate) async fn on_cache_thread<T: Send + 'static>(
    state: &AppState,
    work: impl for<'c> FnOnce(&'c Cache) -> std::pin::Pin<Box<dyn std::future::Future<Output = noesis_engine::Result<T>> + 'c>> + Send + 'static,
) -> CommandResult<T> {
    let data_dir = state.data_dir().to_path_buf();
    let joined = tauri::async_runtime::spawn_blocking(move || {
        tauri::async_runtime::block_on(async move {
            let cache = Cache::open(&data_dir)?;
            work(&cache).await
        })
    })
    .await;
    match joined {
        Ok(result) => Ok(result?),
        Err(e) => Err(CommandError { code: noesis_engine::ErrorCode::Internal, message: format!("the background task failed: {e}") }),
    }
}
