//! Shared helpers of the integration tests: a fresh PostgreSQL database per test
//! on the real servers `scripts/with-test-postgres.sh` provides, temporary data
//! dirs, and running the `noesis-sync` binary as a subprocess.

pub mod agent;
pub mod device;
pub mod legacy;
pub mod private_server;
pub mod proxy;
pub mod wire_count;

use std::path::Path;
use std::process::{Command, Output, Stdio};

pub use noesis_test_support::psql::{psql, run_psql};
use sqlx::{Connection, PgConnection};

/// Which test server to use.
#[derive(Clone, Copy, Debug)]
pub enum Server {
    /// PostgreSQL with pgvector (`NOESIS_TEST_DATABASE_URL`).
    Pgvector,
    /// PostgreSQL without pgvector (`NOESIS_TEST_PLAIN_DATABASE_URL`).
    Plain,
}

impl Server {
    /// The superuser URL of that server.
    pub fn admin_url(self) -> String {
        let var = match self {
            Server::Pgvector => "NOESIS_TEST_DATABASE_URL",
            Server::Plain => "NOESIS_TEST_PLAIN_DATABASE_URL",
        };
        std::env::var(var).unwrap_or_else(|_| {
            panic!("{var} is not set: run the tests through `scripts/test.sh` (or `scripts/with-test-postgres.sh cargo test`), which starts real PostgreSQL servers, or set it to a superuser URL of your own server")
        })
    }
}

/// A database created for one test and dropped when the test ends.
pub struct TestDb {
    /// Superuser URL of the fresh database (password included).
    pub url: String,
    name: String,
    admin_url: String,
}

impl TestDb {
    /// Creates an empty database on `server`.
    pub async fn new(server: Server) -> Self {
        let admin_url = server.admin_url();
        let name = format!("noesis_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await.expect("connect to the test server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.expect("create the test database");
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        Self { url, name, admin_url }
    }

    /// A database on the pgvector server with the central schema applied:
    /// where the tests of several devices syncing start.
    pub async fn with_schema() -> Self {
        let db = Self::new(Server::Pgvector).await;
        db.setup().await;
        db
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection to this database as the superuser.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("connect to the test database")
    }

    /// The URL for another user and password on this database.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let mut url = url::Url::parse(&self.url).unwrap();
        url.set_username(user).unwrap();
        url.set_password(Some(password)).unwrap();
        url.to_string()
    }

    /// The URL without its password (as a user would give it with a keychain).
    pub fn url_without_password(&self) -> String {
        let mut url = url::Url::parse(&self.url).unwrap();
        url.set_password(None).unwrap();
        url.to_string()
    }

    /// The superuser password of the test server.
    pub fn password(&self) -> String {
        url::Url::parse(&self.url).unwrap().password().unwrap_or("").to_string()
    }

    /// Applies the central schema the way users do, through the engine.
    pub async fn setup(&self) -> noesis_engine::central::SetupReport {
        let url = noesis_engine::DatabaseUrl::parse(&self.url).unwrap();
        noesis_engine::central::setup(&noesis_engine::central::ServerTarget::exact(url)).await.expect("setup")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a thread with its own runtime
        // keeps that runtime free.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Replaces the database name in a URL.
pub fn with_database(url: &str, database: &str) -> String {
    let mut url = url::Url::parse(url).expect("valid URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// The number of central migrations shipped.
pub fn migration_files() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count()
}

/// A data dir for one device, deleted with the guard.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("noesis-device-").tempdir().unwrap()
}

/// The `noesis-sync` binary with a clean environment for one device.
pub fn cli(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_noesis-sync"));
    cmd.env_remove("NOESIS_DATABASE_URL")
        .env_remove("PGPASSWORD")
        .env_remove("NOESIS_LOG")
        .env("NOESIS_DATA_DIR", data_dir)
        .stdin(Stdio::null());
    cmd
}

/// Runs a command to completion, feeding `stdin`.
pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// stdout and stderr of a finished command, as one string for assertions.
pub fn all_output(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Parses a command's stdout as JSON, with its output in the panic message.
pub fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", all_output(out)))
}
