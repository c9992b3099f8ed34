//! "Test connection": a precise diagnosis of a server, one finding per problem,
//! each saying what to do. The wizard shows it; nothing is changed on the server.
//!
//! Order of checks: the TCP port (tells an unreachable host from a closed port
//! before PostgreSQL is involved), the login (password, database, pg_hba, TLS),
//! the server version, pgvector, the sync schema's version and the user's
//! privileges. A *blocking* finding stops the wizard; the others are warnings
//! (pgvector missing: everything but embeddings works) or something the next
//! step fixes (schema not yet applied).

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::setup::{self, MIN_SERVER_VERSION_NUM};
use super::{ServerTarget, CLIENT_SCHEMA_VERSION, PROTOCOL_VERSION};
use crate::error::Error;

/// How long the TCP probe waits: a host on the local network answers in
/// milliseconds; five seconds covers Wi-Fi waking up without making the user
/// wait for the full connect timeout.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a finding is about; stable codes the UI may branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The form does not make a valid connection URL.
    InvalidSettings,
    /// The host name does not resolve or nothing answers at the address.
    HostUnreachable,
    /// The host answers but nothing listens on the port.
    PortClosed,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The password (or user) was rejected.
    WrongPassword,
    /// The server wants a password and none was given.
    NoPassword,
    /// pg_hba.conf does not let this machine in.
    HostNotAllowed,
    /// No database of that name.
    DatabaseMissing,
    /// PostgreSQL older than 14.
    ServerTooOld,
    /// The pgvector extension is not installed on the server.
    PgvectorMissing,
    /// pgvector is installed on the server, not enabled in the database, and this user may not enable it.
    PgvectorNotPermitted,
    /// The user lacks a right the wizard or sync needs.
    PrivilegesMissing,
    /// The sync schema is not there yet (the schema step adds it).
    SchemaMissing,
    /// The sync schema is older than this app needs (the schema step upgrades it).
    SchemaOutdated,
    /// The sync schema is newer than this app understands.
    AppTooOld,
    /// The connection may go without TLS to another machine (sslmode
    /// disable, allow or prefer): a warning, not a blocker.
    Unencrypted,
    /// Anything else the server said.
    Other,
}

/// One problem found, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Finding {
    /// What it is about.
    pub problem: Problem,
    /// Whether the wizard cannot go on until it is fixed.
    pub blocking: bool,
    /// What is wrong and how to fix it, for people.
    pub message: String,
}

/// The result of "Test connection".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Diagnosis {
    /// True when nothing blocks: the server can be saved and used.
    pub ok: bool,
    /// `SELECT version()`, once logged in.
    pub server_version: Option<String>,
    /// Problems, most fundamental first; empty when all is well.
    pub findings: Vec<Finding>,
}

impl Diagnosis {
    /// The diagnosis of settings that do not make a server URL (a refused
    /// parameter, an empty host): one blocking finding saying what is wrong,
    /// shown where a connection test's findings go.
    pub fn of_settings(result: &crate::Result<ServerTarget>) -> Option<Diagnosis> {
        match result {
            Err(e @ Error::InvalidDatabaseUrl { .. }) => {
                Some(Self::from_findings(None, vec![Finding { problem: Problem::InvalidSettings, blocking: true, message: e.to_string() }]))
            }
            _ => None,
        }
    }

    fn from_findings(server_version: Option<String>, findings: Vec<Finding>) -> Self {
        Self { ok: !findings.iter().any(|f| f.blocking), server_version, findings }
    }

    /// Whether a finding of this kind was made.
    pub fn has(&self, problem: Problem) -> bool {
        self.findings.iter().any(|f| f.problem == problem)
    }
}

fn blocking(problem: Problem, message: String) -> Finding {
    Finding { problem, blocking: true, message }
}

fn warning(problem: Problem, message: String) -> Finding {
    Finding { problem, blocking: false, message }
}

/// Diagnoses the server `target` points at (its password already resolved).
pub async fn diagnose(target: &ServerTarget) -> Diagnosis {
    let host = target.url().host().trim_matches(['[', ']']).to_string();
    let port = target.url().port();
    if let Some(finding) = probe(&host, port, PROBE_TIMEOUT).await {
        return Diagnosis::from_findings(None, vec![finding]);
    }
    let mut conn = match target.connect().await {
        Ok(conn) => conn,
        Err(e) => return Diagnosis::from_findings(None, vec![login_finding(target, e)]),
    };
    let (version, findings) = match inspect(&mut conn, target).await {
        Ok(found) => found,
        Err(Error::PrivilegeMissing { detail, .. }) => (None, vec![blocking(Problem::PrivilegesMissing, tables_grant(target, &detail))]),
        Err(e) => (None, vec![blocking(Problem::Other, capitalise(&e.to_string()))]),
    };
    let _ = conn.close().await;
    let mut findings = findings;
    if let Some(warning) = unencrypted_warning(target.url()) {
        findings.insert(0, Finding { problem: Problem::Unencrypted, blocking: false, message: warning });
    }
    Diagnosis::from_findings(version, findings)
}

/// The warning for a connection that may carry the password without TLS
/// across a network, if this one may; shared by the wizard and the CLI.
pub fn unencrypted_warning(url: &crate::DatabaseUrl) -> Option<String> {
    url.allows_cleartext_over_network().then(|| {
        format!(
            "The connection to {} may go without TLS (sslmode={}): anyone on the network path can read the data, and a fake server can ask for the password in clear text. Choose Require or Verify unless this network is yours alone.",
            url.host(),
            url.sslmode()
        )
    })
}

/// Opens and closes a TCP connection; a finding when that fails.
async fn probe(host: &str, port: u16, timeout: Duration) -> Option<Finding> {
    let attempt = tokio::time::timeout(timeout, tokio::net::TcpStream::connect((host, port))).await;
    let unreachable = |detail: String| {
        blocking(
            Problem::HostUnreachable,
            format!("Cannot reach {host} ({detail}). Check the address, that the machine is switched on and on this network (or VPN), and that no firewall blocks it."),
        )
    };
    match attempt {
        Ok(Ok(_)) => None,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Some(blocking(
            Problem::PortClosed,
            format!("{host} answers, but nothing listens on port {port}. Check that PostgreSQL runs there and on which port (`port` in postgresql.conf, or the Docker port mapping), and that it listens on the network (`listen_addresses = '*'`), not only on localhost."),
        )),
        Ok(Err(e)) => Some(unreachable(e.to_string())),
        Err(_) => Some(unreachable(format!("no answer within {} s", timeout.as_secs()))),
    }
}

/// The finding for a failed login.
fn login_finding(target: &ServerTarget, e: Error) -> Finding {
    let url = target.url();
    match e {
        Error::AuthenticationFailed { host, port, user } => blocking(
            Problem::WrongPassword,
            format!("PostgreSQL at {host}:{port} rejected the password for user `{user}`. Type the password again (and check the user name); an administrator can set a new one with `ALTER ROLE {user} PASSWORD '…'`."),
        ),
        Error::NoPassword { user, .. } => blocking(
            Problem::NoPassword,
            format!("The server asks for a password for user `{user}`: type it in the password field."),
        ),
        e @ Error::DatabaseMissing { .. } => blocking(Problem::DatabaseMissing, capitalise(&e.to_string())),
        e @ Error::HostNotAllowed { .. } => blocking(Problem::HostNotAllowed, capitalise(&e.to_string())),
        e @ Error::Tls { .. } => blocking(Problem::Tls, format!("{} Or choose another TLS mode.", capitalise(&e.to_string()))),
        Error::PrivilegeMissing { detail, user, .. } => blocking(
            Problem::PrivilegesMissing,
            format!("User `{user}` may not connect to database `{}` ({detail}). As the database owner run `GRANT CONNECT ON DATABASE {} TO {user}`.", url.database(), url.database()),
        ),
        e @ Error::Unreachable { .. } => blocking(Problem::HostUnreachable, capitalise(&e.to_string())),
        e @ Error::InvalidDatabaseUrl { .. } => blocking(Problem::InvalidSettings, capitalise(&e.to_string())),
        e => blocking(Problem::Other, capitalise(&e.to_string())),
    }
}

/// Whether `server_version_num` is older than what change capture needs.
pub fn server_too_old(version_num: i32) -> bool {
    version_num < MIN_SERVER_VERSION_NUM
}

async fn inspect(conn: &mut PgConnection, target: &ServerTarget) -> crate::error::Result<(Option<String>, Vec<Finding>)> {
    let url = target.url();
    let (host, port, user, database) = (url.host().to_string(), url.port(), url.user(), url.database());
    let mut findings = Vec::new();
    let version: String = scalar(conn, target, "SELECT version()").await?;
    let version_num: String = scalar(conn, target, "SHOW server_version_num").await?;
    if server_too_old(version_num.parse().unwrap_or(0)) {
        findings.push(blocking(
            Problem::ServerTooOld,
            format!(
                "{} Upgrade PostgreSQL on {host} (14 or newer; the pgvector/pgvector:pg16 image has both).",
                capitalise(&Error::ServerTooOld { host: host.clone(), port, version: version.clone() }.to_string())
            ),
        ));
        return Ok((Some(version), findings));
    }

    let pgvector: (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector'),
                EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    let privileges = setup::privileges(conn, target).await?;
    match pgvector {
        (true, _) => {}
        (false, false) => findings.push(warning(Problem::PgvectorMissing, setup::pgvector_install_fix(&format!("{host}:{port}")))),
        (false, true) if !privileges.superuser => findings.push(warning(
            Problem::PgvectorNotPermitted,
            format!("pgvector is installed on {host}:{port} but not enabled in database `{database}`, and user `{user}` may not enable it: as a superuser run `CREATE EXTENSION vector;` in `{database}`. Everything except embeddings works meanwhile."),
        )),
        (false, true) => {}
    }

    match setup::schema_info(conn, target).await? {
        None => {
            if privileges.superuser || privileges.can_create_schema {
                findings.push(warning(
                    Problem::SchemaMissing,
                    "The Noesis sync schema is not on this server yet: the next step adds it (additively; the Python server keeps working).".into(),
                ));
            } else {
                findings.push(blocking(
                    Problem::PrivilegesMissing,
                    format!("The sync schema is not on this server yet and user `{user}` may not create it. Either apply it once as the database owner (`noesis-sync setup`), or let `{user}` create schemas: `GRANT CREATE ON DATABASE {database} TO {user};`."),
                ));
            }
        }
        Some(info) if info.schema_version > CLIENT_SCHEMA_VERSION || info.min_client_protocol > PROTOCOL_VERSION => {
            findings.push(blocking(
                Problem::AppTooOld,
                format!("The sync schema on {host}:{port} is version {}, newer than this app understands ({CLIENT_SCHEMA_VERSION}): another device runs a newer Noesis. Update this app.", info.schema_version.max(info.min_client_protocol)),
            ));
        }
        Some(info) => {
            if info.schema_version < setup::REQUIRED_SCHEMA_VERSION {
                findings.push(warning(
                    Problem::SchemaOutdated,
                    format!("The sync schema on {host}:{port} is version {}, older than this app needs ({}): the next step upgrades it (additively; the Python server keeps working).", info.schema_version, setup::REQUIRED_SCHEMA_VERSION),
                ));
            }
            if !privileges.superuser && !privileges.can_write_tables {
                findings.push(blocking(Problem::PrivilegesMissing, tables_grant(target, "no write access to the data tables")));
            }
        }
    }
    Ok((Some(version), findings))
}

/// What to grant a user that may log in but not use the Noesis tables.
fn tables_grant(target: &ServerTarget, detail: &str) -> String {
    let (user, database) = (target.url().user(), target.url().database());
    format!("User `{user}` may not read and write the Noesis tables in `{database}` ({detail}). As the database owner run `noesis-sync setup --device-role {user}`, or grant it: `GRANT USAGE ON SCHEMA noesis_sync TO {user};` and `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, noesis_sync TO {user};`.")
}

async fn scalar(conn: &mut PgConnection, target: &ServerTarget, sql: &'static str) -> crate::error::Result<String> {
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.map_err(|e| target.classify(e))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_13_is_too_old_and_14_is_not() {
        assert!(server_too_old(130_012));
        assert!(!server_too_old(140_000));
        assert!(!server_too_old(180_001));
    }

    #[tokio::test]
    async fn a_closed_port_is_told_from_an_unreachable_host() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let closed = probe("127.0.0.1", port, PROBE_TIMEOUT).await.unwrap();
        assert_eq!(closed.problem, Problem::PortClosed, "{}", closed.message);
        let unknown = probe("no-such-host.invalid", 5432, PROBE_TIMEOUT).await.unwrap();
        assert_eq!(unknown.problem, Problem::HostUnreachable, "{}", unknown.message);
    }
}
