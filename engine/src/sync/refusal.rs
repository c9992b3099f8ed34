//! Which server errors end a pushed change's journey and which only delay it.
//!
//! A change is refused for good only when the server judged its data: SQLSTATE
//! classes 22 (data exception) and 23 (integrity constraint). Of those, a
//! foreign-key refusal (23503) means the row it names has not arrived yet, so
//! the change waits for it. Anything else (a lock or statement timeout, a
//! serialization failure or deadlock, a shutdown, too many connections, a lost
//! connection, a missing privilege) says nothing about the row: the batch is
//! abandoned and the change stays queued for the next attempt.

/// What a failed write of one row means for its change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WriteFailure {
    /// The server refused the data: kept in `sync_rejected` until edited.
    Refused,
    /// A row it references is not on the server yet: sent again once it is.
    WaitsForReference,
    /// The server could not take it now: the batch is retried later.
    Transient,
}

/// Classifies an error from writing one row.
pub(super) fn judge(error: &sqlx::Error) -> WriteFailure {
    let code = match error {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    };
    match code.as_deref() {
        Some("23503") => WriteFailure::WaitsForReference,
        Some(c) if c.starts_with("22") || c.starts_with("23") => WriteFailure::Refused,
        _ => WriteFailure::Transient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_data_errors_are_final() {
        assert_eq!(judge(&sqlx::Error::PoolTimedOut), WriteFailure::Transient);
        let io = sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset"));
        assert_eq!(judge(&io), WriteFailure::Transient, "a lost connection is not a verdict on the row");
        assert_eq!(judge(&sqlx::Error::RowNotFound), WriteFailure::Transient);
    }
}
