//! The driver error behind an [`Error`](super::Error), kept as a typed source
//! instead of flattened text: code can ask for its SQLSTATE, SQLite result
//! code or I/O error kind, and an error chain ends at the OS error.
//!
//! Its message is the driver's, scrubbed of the connection's password before
//! it is stored (PostgreSQL can quote a statement's text back), so printing
//! the whole chain is as safe as printing the error.

use std::fmt;

/// What PostgreSQL, SQLite or the network said, minus any secret (boxed: it
/// rides in every engine `Result`, which stays small).
#[derive(Debug)]
pub struct DriverError(Box<Said>);

#[derive(Debug)]
struct Said {
    message: String,
    sqlstate: Option<String>,
    sqlite_code: Option<i32>,
    io: Option<std::io::Error>,
}

impl DriverError {
    /// A PostgreSQL driver error, its text passed through `scrub`.
    pub fn postgres(e: sqlx::Error, scrub: impl Fn(&str) -> String) -> Self {
        let sqlstate = e.as_database_error().and_then(|db| db.code()).map(|c| c.into_owned());
        let message = scrub(&e.to_string());
        let io = match e {
            sqlx::Error::Io(io) => Some(io),
            _ => None,
        };
        DriverError(Box::new(Said { message, sqlstate, sqlite_code: None, io }))
    }

    /// A SQLite error (SQLite's messages hold no credentials).
    pub fn sqlite(e: &rusqlite::Error) -> Self {
        DriverError(Box::new(Said {
            message: e.to_string(),
            sqlstate: None,
            sqlite_code: e.sqlite_error().map(|f| f.extended_code),
            io: None,
        }))
    }

    /// PostgreSQL's five-character error code, when the server answered.
    pub fn sqlstate(&self) -> Option<&str> {
        self.0.sqlstate.as_deref()
    }

    /// SQLite's extended result code (26: not a database, 5: busy, ...).
    pub fn sqlite_code(&self) -> Option<i32> {
        self.0.sqlite_code
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.io.as_ref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::DriverError;

    /// A network failure keeps the OS error at the end of the chain; a
    /// driver message quoting the password keeps it scrubbed.
    #[test]
    fn a_postgres_error_keeps_its_io_error_and_drops_the_password() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let driver = DriverError::postgres(sqlx::Error::Io(io), |t| t.to_string());
        let io = std::error::Error::source(&driver).and_then(|e| e.downcast_ref::<std::io::Error>()).expect("the I/O error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        assert_eq!(driver.sqlstate(), None);
        let quoted = DriverError::postgres(sqlx::Error::Protocol("unexpected reply to PASSWORD 's3cret-pw'".into()), |t| {
            t.replace("s3cret-pw", "***")
        });
        assert!(!quoted.to_string().contains("s3cret-pw") && std::error::Error::source(&quoted).is_none(), "{quoted}");
    }
}
