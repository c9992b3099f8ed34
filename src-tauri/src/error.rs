//! The one error type every command returns: a stable code the UI branches on
//! and a message it shows as is (the engine's messages already say what to do).

use noesis_engine::ErrorCode;
use serde::Serialize;

/// A failed command, as the front end receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CommandError {
    /// Stable identifier, one of [`ErrorCode`]'s (a type in the bindings).
    pub code: ErrorCode,
    /// What happened and what to do, for people.
    pub message: String,
}

impl CommandError {
    /// The row the user acted on is gone (deleted here or by another device).
    pub fn not_found(what: &str) -> Self {
        Self { code: ErrorCode::NotFound, message: format!("This {what} no longer exists: it was deleted, perhaps on another device.") }
    }
}

impl CommandError {
    /// A request the app itself cannot carry out as asked (bad input).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self { code: ErrorCode::Invalid, message: message.into() }
    }
}

impl From<noesis_engine::Error> for CommandError {
    fn from(e: noesis_engine::Error) -> Self {
        Self { code: e.code(), message: e.to_string() }
    }
}

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;

/// Turns "no such row" into a `not_found` error.
pub fn found<T>(what: &str, value: Option<T>) -> CommandResult<T> {
    value.ok_or_else(|| CommandError::not_found(what))
}
