//! The one error type every command returns: a stable code the UI branches on
//! and a message it shows as is (the engine's messages already say what to do).

use serde::Serialize;

/// A failed command, as the front end receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CommandError {
    /// Stable identifier: an engine code (`cache`, `io`…) or `not_found`.
    pub code: String,
    /// What happened and what to do, for people.
    pub message: String,
}

impl CommandError {
    /// The row the user acted on is gone (deleted here or by another device).
    pub fn not_found(what: &str) -> Self {
        Self { code: "not_found".into(), message: format!("This {what} no longer exists: it was deleted, perhaps on another device.") }
    }
}

impl From<noesis_engine::Error> for CommandError {
    fn from(e: noesis_engine::Error) -> Self {
        Self { code: e.code().into(), message: e.to_string() }
    }
}

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;

/// Turns "no such row" into a `not_found` error.
pub fn found<T>(what: &str, value: Option<T>) -> CommandResult<T> {
    value.ok_or_else(|| CommandError::not_found(what))
}
