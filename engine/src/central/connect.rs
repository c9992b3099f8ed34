//! Opening connections to the central PostgreSQL, and turning the driver's
//! failures into errors that say what to fix.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::credentials::{resolve_password, PasswordSource};
use crate::error::{DriverError, Error, Result};
use crate::secret::{DatabaseUrl, Secret};

/// A statement slower than this is noted in the log (at debug level).
const SLOW_STATEMENT: Duration = Duration::from_secs(1);

/// How long to wait for a server before calling it unreachable: long enough for
/// a Wi-Fi network waking from sleep, short enough for an interactive wizard.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `application_name` our sessions show in `pg_stat_activity`, so an admin can
/// tell the sync agents apart from the Python server.
const APPLICATION_NAME: &str = "noesis-sync";

/// Settings of every session we open. A laptop that vanishes mid-transaction
/// (lid closed, Wi-Fi gone) leaves its server session "idle in transaction",
/// holding back the changelog horizon, and so every device's pulls, until the
/// server notices; these make it notice within seconds, not hours. Our own
/// transactions never sit idle that long: they only pause for local SQLite
/// writes of one batch.
const SESSION_SETTINGS: &[(&str, &str)] = &[
    ("idle_in_transaction_session_timeout", "15s"),
    ("tcp_keepalives_idle", "10"),
    ("tcp_keepalives_interval", "5"),
    ("tcp_keepalives_count", "3"),
];

/// Connections the engine keeps open to one server: a sync cycle and a LISTEN
/// need two; more would only load a server shared by several laptops.
const POOL_SIZE: u32 = 4;

/// A URL with its password resolved, ready to connect.
#[derive(Clone, Debug)]
pub struct ServerTarget {
    url: DatabaseUrl,
    password_source: Option<PasswordSource>,
}

impl ServerTarget {
    /// Fills in the password from the URL, `PGPASSWORD` or the keychain.
    pub fn resolve(url: &DatabaseUrl) -> Result<Self> {
        let (url, password_source) = resolve_password(url)?;
        Ok(Self { url, password_source })
    }

    /// The server with the password a person just typed for it, else one
    /// found as [`ServerTarget::resolve`] finds it (`PGPASSWORD`, the
    /// keychain). An empty typed password counts as none.
    pub fn with_typed_password(url: &DatabaseUrl, typed: Option<Secret>) -> Result<Self> {
        match typed.filter(|p| !p.expose().is_empty()) {
            Some(p) => Ok(Self::exact(url.with_password(Some(p)))),
            None => Self::resolve(url),
        }
    }

    /// Uses the URL exactly as given (tests, and callers that resolved already).
    pub fn exact(url: DatabaseUrl) -> Self {
        let password_source = url.password().map(|_| PasswordSource::Url);
        Self { url, password_source }
    }

    /// The server, printable (password redacted).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Where the password came from, if there is one.
    pub fn password_source(&self) -> Option<PasswordSource> {
        self.password_source
    }

    fn options(&self) -> Result<PgConnectOptions> {
        let text = self.url.expose_with_password();
        let options = PgConnectOptions::from_str(&text).map_err(|e| Error::InvalidDatabaseUrl { reason: self.scrub(&e.to_string()) })?;
        Ok(options
            .application_name(APPLICATION_NAME)
            .options(SESSION_SETTINGS.iter().copied())
            .log_statements(tracing::log::LevelFilter::Trace)
            // The driver's slow-statement notes (WARN by default, with the
            // SQL) went to the terminal between a command's own lines; a slow
            // statement is normal here (a bulk COPY, a lock another writer
            // holds), so they go to the log at debug level.
            .log_slow_statements(tracing::log::LevelFilter::Debug, SLOW_STATEMENT))
    }

    /// Refuses to log in where the password would travel in clear text (see
    /// [`super::cleartext_probe`]).
    async fn check_no_cleartext_password(&self) -> Result<()> {
        if self.url.password().is_none() {
            return Ok(());
        }
        let url = &self.url;
        let why = super::cleartext_probe::cleartext_requested(
            url.host(),
            url.port(),
            &url.user(),
            &url.database(),
            url.sslmode(),
            self.connect_timeout(),
        )
        .await;
        match why {
            Some(detail) => Err(Error::Tls { host: url.host().to_string(), port: url.port(), detail }),
            None => Ok(()),
        }
    }

    /// Opens one connection (setup, status, tests).
    pub async fn connect(&self) -> Result<PgConnection> {
        self.check_no_cleartext_password().await?;
        let options = self.options()?;
        match tokio::time::timeout(self.connect_timeout(), options.connect()).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(self.classify(e)),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Opens a small pool (the sync agent). Its first connection is opened
    /// directly: the pool retries a refused connection until its timeout, so
    /// a port with nothing behind it read as 10 s of silence ("no answer")
    /// instead of the refusal it is.
    pub async fn pool(&self) -> Result<PgPool> {
        let first = self.connect().await?;
        let pool =
            PgPoolOptions::new().max_connections(POOL_SIZE).acquire_timeout(self.connect_timeout()).connect_lazy_with(self.options()?);
        let _ = first.close().await;
        Ok(pool)
    }

    /// The error to show while a connection attempt has had no answer for
    /// `waited` and goes on (up to its timeout): "offline" early, and why.
    pub fn no_answer_yet(&self, waited: Duration) -> Error {
        Error::Unreachable {
            host: self.url.host().to_string(),
            port: self.url.port(),
            detail: format!("no answer within {} s; still trying for up to {} s", waited.as_secs(), self.connect_timeout().as_secs()),
        }
    }

    /// Checks that a connection works and returns it closed (the wizard's
    /// "Test connection").
    pub async fn ping(&self) -> Result<()> {
        let conn = self.connect().await?;
        conn.close().await.map_err(|e| self.classify(e))
    }

    /// The URL's `connect_timeout`, else [`CONNECT_TIMEOUT`].
    fn connect_timeout(&self) -> Duration {
        self.url.connect_timeout().unwrap_or(CONNECT_TIMEOUT)
    }

    fn timed_out(&self) -> Error {
        Error::Unreachable {
            host: self.url.host().to_string(),
            port: self.url.port(),
            detail: format!("no answer within {} s", self.connect_timeout().as_secs()),
        }
    }

    fn scrub(&self, text: &str) -> String {
        match self.url.password() {
            Some(p) => p.scrub(text),
            None => text.to_string(),
        }
    }

    /// Maps a driver error met while connecting or running a statement to the
    /// error that tells the user what to do.
    pub fn classify(&self, e: sqlx::Error) -> Error {
        let host = self.url.host().to_string();
        let port = self.url.port();
        let user = self.url.user();
        match e {
            sqlx::Error::Database(db) => {
                let detail = self.scrub(db.message());
                let code = db.code().map(|c| c.into_owned());
                match code.as_deref() {
                    Some("28P01") if self.url.password().is_none() => Error::NoPassword { url: self.url.to_string(), user },
                    Some("28P01") => Error::AuthenticationFailed { host, port, user },
                    Some("3D000") => Error::DatabaseMissing { host, port, database: self.url.database(), user },
                    Some("28000") => Error::HostNotAllowed { host, port, user, detail },
                    Some("42501") => Error::PrivilegeMissing { host, port, user, detail },
                    code => Error::Postgres {
                        context: format!("talking to {}", self.url),
                        detail: format!("{detail} (SQLSTATE {})", code.unwrap_or("?")),
                        source: Some(DriverError::postgres(sqlx::Error::Database(db), |t| self.scrub(t))),
                    },
                }
            }
            // rustls reports certificate failures as InvalidData I/O errors.
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                Error::Tls { host, port, detail: self.scrub(&io.to_string()) }
            }
            sqlx::Error::Io(io) => Error::Unreachable { host, port, detail: describe_io(&io) },
            sqlx::Error::Tls(t) => Error::Tls { host, port, detail: self.scrub(&t.to_string()) },
            sqlx::Error::PoolTimedOut => self.timed_out(),
            // A port forwarder with nothing behind it (docker-proxy of a stopped
            // container, an SSH tunnel, a proxy whose server is gone) accepts the
            // connection and closes it at once; the driver then finds no answer to
            // its TLS request. For the user the server is unreachable, not broken.
            sqlx::Error::Protocol(p) if p.contains("SSLRequest") => Error::Unreachable {
                host,
                port,
                detail: "the connection was closed before PostgreSQL answered (a port forward or tunnel with no server behind it?)".into(),
            },
            sqlx::Error::Configuration(c) => {
                let detail = self.scrub(&c.to_string());
                if self.url.password().is_none() && detail.contains("password") {
                    Error::NoPassword { url: self.url.to_string(), user }
                } else {
                    Error::InvalidDatabaseUrl { reason: detail }
                }
            }
            other => {
                let detail = self.scrub(&other.to_string());
                if self.url.password().is_none() && detail.contains("password") {
                    Error::NoPassword { url: self.url.to_string(), user }
                } else {
                    Error::Postgres {
                        context: format!("talking to {}", self.url),
                        detail,
                        source: Some(DriverError::postgres(other, |t| self.scrub(t))),
                    }
                }
            }
        }
    }
}

fn describe_io(io: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match io.kind() {
        ConnectionRefused => "connection refused: nothing listens on that port".into(),
        TimedOut => "the connection timed out".into(),
        HostUnreachable | NetworkUnreachable => "no route to the host".into(),
        // getaddrinfo's failure, as the standard library words it.
        _ if io.to_string().contains("failed to lookup address") => {
            format!("unknown host: no machine of that name is known on this network ({io}); check the spelling, or use its IP address")
        }
        _ => io.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_port_and_an_unknown_host_say_which_they_are() {
        use std::io::{Error as Io, ErrorKind};
        let target = ServerTarget::exact(DatabaseUrl::parse("postgres://noesis@axiom-core.local:5433/noesis").unwrap());
        let refused = target.classify(sqlx::Error::Io(Io::from(ErrorKind::ConnectionRefused))).to_string();
        assert!(refused.contains("connection refused: nothing listens on that port"), "{refused}");
        let unknown = Io::other("failed to lookup address information: Name or service not known");
        let unknown = target.classify(sqlx::Error::Io(unknown)).to_string();
        assert!(unknown.contains("unknown host: no machine of that name"), "{unknown}");
    }

    #[test]
    fn a_forwarder_with_no_server_behind_it_reads_as_unreachable() {
        let target = ServerTarget::exact(DatabaseUrl::parse("postgres://noesis@127.0.0.1:5433/noesis").unwrap());
        let e = target.classify(sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into()));
        assert_eq!(e.code(), crate::error::ErrorCode::Unreachable, "the indicator must say offline, not a sync error: {e}");
        let other = target.classify(sqlx::Error::Protocol("unexpected message".into()));
        assert_eq!(other.code(), crate::error::ErrorCode::Postgres);
    }
}
