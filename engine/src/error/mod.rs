//! Errors of the engine, each with a stable code for the UI and a message that
//! tells the user what to do. Messages never contain a password: URLs print
//! redacted and driver messages are scrubbed before they are stored here.

mod driver;

use std::path::PathBuf;

pub use driver::DriverError;

/// Everything the engine can fail with. Match on [`Error::code`], not on text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection string cannot be used.
    #[error("the database URL is not valid: {reason}")]
    InvalidDatabaseUrl {
        /// What is wrong with it (never the URL itself).
        reason: String,
    },

    /// A command needs the central server and none is configured.
    #[error("no server is configured: pass --database-url postgres://USER@HOST:PORT/DATABASE or set NOESIS_DATABASE_URL")]
    NoServerConfigured,

    /// Neither the URL, the environment nor the keychain holds a password.
    #[error(
        "no password for {user} on {url}: run `noesis-sync login --database-url {url}` to store one in the OS keychain, or set PGPASSWORD"
    )]
    NoPassword {
        /// The server's URL, printed redacted.
        url: String,
        /// The user the password is for.
        user: String,
    },

    /// Nothing answered at the server's address.
    #[error("cannot reach PostgreSQL at {host}:{port} ({detail}): check that the machine is on and on this network, that PostgreSQL runs there, listens on that port (listen_addresses in postgresql.conf) and that no firewall blocks it")]
    Unreachable {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// What the network said.
        detail: String,
    },

    /// The server rejected the user name or password.
    #[error("PostgreSQL at {host}:{port} rejected the password for user `{user}`: run `noesis-sync login` to store the right one, or fix the URL")]
    AuthenticationFailed {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The user that was refused.
        user: String,
    },

    /// The server has no database of that name.
    #[error("database `{database}` does not exist on {host}:{port}: create it as a superuser with `createdb -O {user} {database}` (or `CREATE DATABASE {database} OWNER {user}`)")]
    DatabaseMissing {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The missing database.
        database: String,
        /// The user that should own it.
        user: String,
    },

    /// pg_hba.conf has no line letting this client in.
    #[error("PostgreSQL at {host}:{port} does not accept connections from this machine for user `{user}` ({detail}): add a `host` line for this client to pg_hba.conf on the server and reload it")]
    HostNotAllowed {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The user that was refused.
        user: String,
        /// The server's message.
        detail: String,
    },

    /// The TLS handshake or certificate check failed.
    #[error("TLS to {host}:{port} failed ({detail}): check sslmode in the URL; for verify-full give the server's CA with sslrootcert=/path/to/ca.pem")]
    Tls {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// What the TLS layer said.
        detail: String,
    },

    /// The user may not do what setup or sync needs.
    #[error("user `{user}` lacks a privilege on {host}:{port} ({detail}): run `noesis-sync setup` as the database owner, or grant the privilege")]
    PrivilegeMissing {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The user that was refused.
        user: String,
        /// The server's message.
        detail: String,
    },

    /// The server predates what change capture needs.
    #[error("PostgreSQL {version} on {host}:{port} is too old: Noesis needs PostgreSQL 14 or newer (xid8 change capture, CREATE OR REPLACE TRIGGER); upgrade the server")]
    ServerTooOld {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// The server's version string.
        version: String,
    },

    /// The central schema was set up by a newer Noesis.
    #[error("the central schema on {host}:{port} is version {server}, newer than this noesis-sync understands ({client}): upgrade noesis-sync on this machine")]
    ClientTooOld {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// Version found on the server.
        server: i64,
        /// Highest version this client knows.
        client: i64,
    },

    /// The central schema predates what this build needs.
    #[error("the central schema on {host}:{port} is version {server}, older than this noesis-sync needs ({required}): run `noesis-sync setup` once as the database owner to upgrade it (the change is additive; the Python server keeps working)")]
    SchemaOutdated {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// Version found on the server.
        server: i64,
        /// Version this build needs.
        required: i64,
    },

    /// The central schema has not been set up yet.
    #[error("the Noesis sync schema is not installed on {host}:{port}/{database}: run `noesis-sync setup` once as the database owner")]
    SchemaMissing {
        /// Host as given.
        host: String,
        /// Port as given.
        port: u16,
        /// Database name.
        database: String,
    },

    /// Any other PostgreSQL error, with what the engine was doing.
    #[error("PostgreSQL error while {context}: {detail}")]
    Postgres {
        /// What the engine was doing.
        context: String,
        /// The server's or driver's message, scrubbed.
        detail: String,
        /// The driver's error, when one caused this (not for the engine's
        /// own refusals, which have only a detail).
        #[source]
        source: Option<DriverError>,
    },

    /// The local cache file could not be opened or written.
    #[error("local cache {path} failed while {context}: {detail}")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What the engine was doing.
        context: String,
        /// SQLite's message.
        detail: String,
        /// SQLite's error, when one caused this.
        #[source]
        source: Option<DriverError>,
    },

    /// The OS keychain refused or is unavailable.
    #[error("the OS keychain failed ({detail}): on Linux a Secret Service (GNOME Keyring, KWallet) or the kernel keyring must be available; or pass the password in NOESIS_DATABASE_URL / PGPASSWORD")]
    Keychain {
        /// What the keychain said.
        detail: String,
    },

    /// A legacy SQLite store could not be read.
    #[error("legacy store {path} could not be read while {context} ({detail}): check that it is a Noesis SQLite store this user may read; migrate never modifies it")]
    Legacy {
        /// The legacy file or its snapshot.
        path: PathBuf,
        /// What the engine was doing.
        context: String,
        /// SQLite's message.
        detail: String,
        /// SQLite's error, when one caused this.
        #[source]
        source: Option<DriverError>,
    },

    /// The legacy folder given does not exist.
    #[error("legacy folder {path} does not exist: pass the old Noesis project root (the folder holding data/memory and data/documents) with --legacy-dir")]
    LegacyDirMissing {
        /// The folder given.
        path: PathBuf,
    },

    /// Neither legacy store is in the legacy folder.
    #[error("no legacy store in {path}: expected data/memory/memory_cards.sqlite3 or data/documents/documents.sqlite3 under it; {hint}")]
    LegacyStoresMissing {
        /// The folder given.
        path: PathBuf,
        /// What to pass instead: the project root above it when the folder
        /// given is inside one (a common slip: its `data` folder).
        hint: String,
    },

    /// Another migration from this device is running (the CLI and the
    /// wizard, or a bridge-mode watcher): two would load the same rows twice.
    #[error("another migration from this device is already running: wait for it to finish or stop it (Ctrl-C, or Cancel in the app), then run migrate again; it resumes where the other stopped")]
    MigrationInProgress,

    /// A file or folder could not be read or written.
    #[error("{context} {path}: {source}")]
    Io {
        /// What the engine was doing.
        context: String,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A value the user gave cannot be used (a log level, a merged version).
    #[error("{detail}")]
    Invalid {
        /// What is wrong and what would be accepted.
        detail: String,
    },
}

impl Error {
    /// A stable identifier for the UI and scripts (`--json` prints it).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidDatabaseUrl { .. } => ErrorCode::InvalidDatabaseUrl,
            Error::NoServerConfigured => ErrorCode::NoServerConfigured,
            Error::NoPassword { .. } => ErrorCode::NoPassword,
            Error::Unreachable { .. } => ErrorCode::Unreachable,
            Error::AuthenticationFailed { .. } => ErrorCode::AuthenticationFailed,
            Error::DatabaseMissing { .. } => ErrorCode::DatabaseMissing,
            Error::HostNotAllowed { .. } => ErrorCode::HostNotAllowed,
            Error::Tls { .. } => ErrorCode::Tls,
            Error::PrivilegeMissing { .. } => ErrorCode::PrivilegeMissing,
            Error::ServerTooOld { .. } => ErrorCode::ServerTooOld,
            Error::ClientTooOld { .. } => ErrorCode::ClientTooOld,
            Error::SchemaMissing { .. } => ErrorCode::SchemaMissing,
            Error::SchemaOutdated { .. } => ErrorCode::SchemaOutdated,
            Error::Postgres { .. } => ErrorCode::Postgres,
            Error::Cache { .. } => ErrorCode::Cache,
            Error::Keychain { .. } => ErrorCode::Keychain,
            Error::Legacy { .. } => ErrorCode::LegacyStore,
            Error::LegacyDirMissing { .. } => ErrorCode::LegacyDirMissing,
            Error::LegacyStoresMissing { .. } => ErrorCode::LegacyStoresMissing,
            Error::MigrationInProgress => ErrorCode::MigrationInProgress,
            Error::Io { .. } => ErrorCode::Io,
            Error::Invalid { .. } => ErrorCode::Invalid,
        }
    }
}

/// The stable code of a failure, the same for the CLI's `--json`, the sync
/// status and the app (generated into the front end's bindings, so the UI
/// branches on a type, never on a string). Engine errors each have one; the
/// last four are the desktop shell's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// [`Error::InvalidDatabaseUrl`].
    InvalidDatabaseUrl,
    /// [`Error::NoServerConfigured`].
    NoServerConfigured,
    /// [`Error::NoPassword`].
    NoPassword,
    /// [`Error::Unreachable`].
    Unreachable,
    /// [`Error::AuthenticationFailed`].
    AuthenticationFailed,
    /// [`Error::DatabaseMissing`].
    DatabaseMissing,
    /// [`Error::HostNotAllowed`].
    HostNotAllowed,
    /// [`Error::Tls`].
    Tls,
    /// [`Error::PrivilegeMissing`].
    PrivilegeMissing,
    /// [`Error::ServerTooOld`].
    ServerTooOld,
    /// [`Error::ClientTooOld`].
    ClientTooOld,
    /// [`Error::SchemaMissing`].
    SchemaMissing,
    /// [`Error::SchemaOutdated`].
    SchemaOutdated,
    /// [`Error::Postgres`].
    Postgres,
    /// [`Error::Cache`].
    Cache,
    /// [`Error::Keychain`].
    Keychain,
    /// [`Error::Legacy`].
    LegacyStore,
    /// [`Error::LegacyDirMissing`].
    LegacyDirMissing,
    /// [`Error::LegacyStoresMissing`].
    LegacyStoresMissing,
    /// [`Error::MigrationInProgress`].
    MigrationInProgress,
    /// [`Error::Io`].
    Io,
    /// [`Error::Invalid`].
    Invalid,
    /// The row a command acted on is gone (deleted here or on another device).
    NotFound,
    /// A task of the app failed unexpectedly (a bug: the message says which).
    Internal,
    /// The feature is not available in this build or on this system.
    Unsupported,
    /// The system refused to change start at login.
    Autostart,
}

impl ErrorCode {
    /// The code as scripts see it (`invalid_database_url`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidDatabaseUrl => "invalid_database_url",
            ErrorCode::NoServerConfigured => "no_server_configured",
            ErrorCode::NoPassword => "no_password",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::AuthenticationFailed => "authentication_failed",
            ErrorCode::DatabaseMissing => "database_missing",
            ErrorCode::HostNotAllowed => "host_not_allowed",
            ErrorCode::Tls => "tls",
            ErrorCode::PrivilegeMissing => "privilege_missing",
            ErrorCode::ServerTooOld => "server_too_old",
            ErrorCode::ClientTooOld => "client_too_old",
            ErrorCode::SchemaMissing => "schema_missing",
            ErrorCode::SchemaOutdated => "schema_outdated",
            ErrorCode::Postgres => "postgres",
            ErrorCode::Cache => "cache",
            ErrorCode::Keychain => "keychain",
            ErrorCode::LegacyStore => "legacy_store",
            ErrorCode::LegacyDirMissing => "legacy_dir_missing",
            ErrorCode::LegacyStoresMissing => "legacy_stores_missing",
            ErrorCode::MigrationInProgress => "migration_in_progress",
            ErrorCode::Io => "io",
            ErrorCode::Invalid => "invalid",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Internal => "internal",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::Autostart => "autostart",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shorthand for engine results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// The CLI prints `as_str`, the app receives the serde form: one code,
    /// whichever door a script or the window reads it from.
    #[test]
    fn a_code_reads_the_same_in_the_cli_and_in_the_app() {
        let codes = [
            ErrorCode::InvalidDatabaseUrl,
            ErrorCode::Unreachable,
            ErrorCode::LegacyStore,
            ErrorCode::Io,
            ErrorCode::NotFound,
            ErrorCode::Autostart,
        ];
        for code in codes {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
            assert_eq!(serde_json::from_value::<ErrorCode>(serde_json::json!(code.as_str())).unwrap(), code);
        }
        assert_eq!(super::Error::Invalid { detail: "x".into() }.code(), ErrorCode::Invalid);
    }
}
