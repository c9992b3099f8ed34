//! A PostgreSQL server of one test's own, which the test may stop, start and
//! restart for real: the shared test server cannot be restarted under the
//! tests running in parallel on it.
//!
//! It runs the binaries of the pgvector test server (`NOESIS_TEST_PG_BIN`,
//! PostgreSQL 18 with pgvector) on a free loopback port, in a temporary folder
//! removed on drop. initdb refuses to run as root, so as root the server runs as
//! the unprivileged user `noesis-test`, as in `scripts/with-test-postgres.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::{Connection, PgConnection};

/// The unprivileged user servers run as when the tests run as root (the same
/// one `scripts/with-test-postgres.sh` uses).
const RUN_USER: &str = "noesis-test";

/// A running private server; stopped and deleted on drop.
pub struct PrivateServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    password: String,
}

impl PrivateServer {
    /// Creates a cluster in a temporary folder and starts it.
    pub fn start() -> Self {
        let bin = PathBuf::from(std::env::var("NOESIS_TEST_PG_BIN").unwrap_or_else(|_| {
            panic!("NOESIS_TEST_PG_BIN is not set: run the tests through `scripts/test.sh` (or `scripts/with-test-postgres.sh cargo test`), which installs PostgreSQL with pgvector and sets it")
        }));
        let dir = tempfile::Builder::new().prefix("noesis-pg-private-").tempdir().unwrap();
        let password = uuid::Uuid::new_v4().simple().to_string();
        std::fs::write(dir.path().join("pwfile"), format!("{password}\n")).unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        if is_root() {
            ensure_run_user();
            run(Command::new("chown").args(["-R", RUN_USER]).arg(dir.path()), "chown the server folder");
        }
        let data = dir.path().join("data");
        run(
            as_server_user(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
                .arg(format!("--pwfile={}", dir.path().join("pwfile").display())),
            "initdb",
        );
        let server = Self { bin, port: free_port(), password, dir };
        server.pg_ctl_start();
        server
    }

    /// The superuser URL of database `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres:{}@127.0.0.1:{}/{database}", self.password, self.port)
    }

    /// Creates a database and applies the central schema to it; its URL.
    pub async fn create_database(&self, name: &str) -> String {
        let mut admin = PgConnection::connect(&self.url("postgres")).await.expect("connect to the private server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
        let _ = admin.close().await;
        let url = self.url(name);
        let target = noesis_engine::central::ServerTarget::exact(noesis_engine::DatabaseUrl::parse(&url).unwrap());
        noesis_engine::central::setup(&target).await.expect("setup on the private server");
        url
    }

    /// `pg_ctl restart -m fast`: every session is ended, the server stops and
    /// starts again on the same port (pg_ctl reuses the start options, but not
    /// the log file: without `-l` the new server would write to, and hold
    /// open, this process's pipes).
    pub fn restart(&self) {
        run(self.pg_ctl().arg("-l").arg(self.log_path()).args(["-m", "fast", "-w", "-t", "60", "restart"]), "pg_ctl restart");
    }

    /// `pg_ctl stop -m fast`.
    pub fn stop(&self) {
        run(self.pg_ctl().args(["-m", "fast", "-w", "-t", "60", "stop"]), "pg_ctl stop");
    }

    /// Starts the server again after [`PrivateServer::stop`].
    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run(self.pg_ctl().arg("-l").arg(self.log_path()).args(["-w", "-t", "60", "-o", &options, "start"]), "pg_ctl start");
    }

    fn pg_ctl(&self) -> Command {
        let mut cmd = as_server_user(&self.bin.join("pg_ctl"));
        cmd.arg("-D").arg(self.dir.path().join("data"));
        cmd
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.pg_ctl().args(["-m", "immediate", "stop"]).output();
        if std::thread::panicking() {
            eprintln!("--- private server log ---\n{}", self.log());
        }
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn ensure_run_user() {
    let exists = Command::new("id").arg(RUN_USER).output().map(|o| o.status.success()).unwrap_or(false);
    if !exists {
        // Parallel tests may race to create it; a second useradd just fails.
        let _ = Command::new("useradd").args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_USER]).output();
    }
}

/// `program`, run as the server user when the tests run as root.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", RUN_USER, "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what} could not run: {e}"));
    assert!(out.status.success(), "{what} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
