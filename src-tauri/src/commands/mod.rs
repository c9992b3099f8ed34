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
pub mod mindfile;
pub mod preferences;
pub mod related;
pub mod settings;
pub mod sync;
pub mod wizard;
