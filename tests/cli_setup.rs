//! `noesis-sync setup`, `status`, `login` and `logout` as a user runs them:
//! the binary as a subprocess against real servers. Failures must say what to
//! fix, and no password may appear in any output.

use crate::support;

use std::process::Command;

use support::{all_output, cli, data_dir, run_with_stdin, stdout_json, Server, TestDb};

/// A password that must never be printed; distinctive so a leak is found.
const LEAKABLE: &str = "Sup3r-Secret-Leak-Canary";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn setup_on_a_closed_port_says_the_server_is_unreachable() {
    let dir = data_dir();
    let url = format!("postgres://noesis_user:{LEAKABLE}@127.0.0.1:{}/noesis", free_port());
    let out = cli(dir.path()).args(["setup", "--json", "--database-url", &url]).env("NOESIS_LOG", "trace").output().unwrap();
    assert!(!out.status.success());
    let text = all_output(&out);
    assert!(text.contains("cannot reach PostgreSQL at 127.0.0.1") && text.contains("connection refused"), "{text}");
    assert_eq!(stdout_json(&out)["error"]["code"], "unreachable");
    assert!(!text.contains(LEAKABLE), "password leaked: {text}");
}

#[tokio::test]
async fn setup_with_a_wrong_password_says_so_without_printing_any_password() {
    let db = TestDb::new(Server::Pgvector).await;
    let dir = data_dir();
    let url = db.url_as("postgres", LEAKABLE);
    let out = cli(dir.path()).args(["setup", "--database-url", &url]).env("NOESIS_LOG", "trace").output().unwrap();
    assert!(!out.status.success());
    let text = all_output(&out);
    assert!(text.contains("rejected the password for user `postgres`"), "{text}");
    assert!(text.contains("noesis-sync login"), "the message says how to fix it: {text}");
    assert!(!text.contains(LEAKABLE) && !text.contains(&db.password()), "password leaked: {text}");

    // The same through the environment variable.
    let out = cli(dir.path()).arg("setup").env("NOESIS_DATABASE_URL", &url).env("NOESIS_LOG", "trace").output().unwrap();
    assert!(!out.status.success());
    assert!(!all_output(&out).contains(LEAKABLE));
}

#[tokio::test]
async fn setup_of_a_missing_database_says_how_to_create_it() {
    let db = TestDb::new(Server::Pgvector).await;
    let dir = data_dir();
    let url = support::with_database(&db.url, "no_such_noesis_db");
    let out = cli(dir.path()).args(["setup", "--json", "--database-url", &url]).output().unwrap();
    assert!(!out.status.success());
    let text = all_output(&out);
    assert!(
        text.contains("database `no_such_noesis_db` does not exist") && text.contains("createdb -O postgres no_such_noesis_db"),
        "{text}"
    );
    assert_eq!(stdout_json(&out)["error"]["code"], "database_missing");
    assert!(!text.contains(&db.password()));
}

#[tokio::test]
async fn setup_by_a_user_without_privileges_says_who_must_run_it() {
    let db = TestDb::new(Server::Pgvector).await;
    let role = format!("nopriv_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    support::run_psql(&db.url, &format!("CREATE ROLE {role} LOGIN PASSWORD '{LEAKABLE}'"));
    let dir = data_dir();
    let out = cli(dir.path()).args(["setup", "--json", "--database-url", &db.url_as(&role, LEAKABLE)]).output().unwrap();
    assert!(!out.status.success());
    let text = all_output(&out);
    assert_eq!(stdout_json(&out)["error"]["code"], "privilege_missing", "{text}");
    assert!(text.contains(&format!("user `{role}` lacks a privilege")) && text.contains("as the database owner"), "{text}");
    assert!(!text.contains(LEAKABLE));
}

#[tokio::test]
async fn setup_without_pgvector_succeeds_and_says_how_to_get_embeddings() {
    let db = TestDb::new(Server::Plain).await;
    let dir = data_dir();
    let out = cli(dir.path()).args(["setup", "--database-url", &db.url]).output().unwrap();
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("pgvector:    MISSING") && text.contains("pgvector/pgvector:pg16"), "{text}");
    assert!(text.contains("Everything except embeddings works meanwhile"), "{text}");
    let again = cli(dir.path()).args(["setup", "--json", "--database-url", &db.url]).output().unwrap();
    let report = stdout_json(&again);
    assert_eq!(report["setup"]["applied_migrations"].as_array().unwrap().len(), 0);
    assert_eq!(report["setup"]["pgvector"]["state"], "not_available");
}

#[tokio::test]
async fn setup_creates_a_device_role_from_an_env_password_and_the_laptop_logs_in_with_it() {
    let db = TestDb::new(Server::Pgvector).await;
    let dir = data_dir();
    let role = format!("laptop_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let out = cli(dir.path())
        .args(["setup", "--database-url", &db.url, "--device-role", &role])
        .env("NOESIS_DEVICE_ROLE_PASSWORD", LEAKABLE)
        .output()
        .unwrap();
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("Device role: `{role}` created")), "{text}");
    assert!(!text.contains(LEAKABLE));
    let laptop = data_dir();
    let status = cli(laptop.path()).args(["status", "--json", "--database-url", &db.url_as(&role, LEAKABLE)]).output().unwrap();
    let report = stdout_json(&status);
    assert_eq!(report["server"]["reachable"], true, "{}", all_output(&status));
    assert_eq!(report["server"]["schema"]["schema_version"], noesis_engine::central::CLIENT_SCHEMA_VERSION);
    assert!(!all_output(&status).contains(LEAKABLE));
}

#[tokio::test]
async fn tls_verify_full_works_with_the_servers_ca_and_fails_clearly_with_another() {
    let db = TestDb::new(Server::Plain).await;
    let ca = std::env::var("NOESIS_TEST_SSL_CA")
        .expect("NOESIS_TEST_SSL_CA is not set: run the tests through scripts/test.sh, which gives the plain server a TLS certificate");
    let dir = data_dir();
    let setup = cli(dir.path()).args(["setup", "--database-url", &db.url]).output().unwrap();
    assert!(setup.status.success(), "{}", all_output(&setup));
    let host_url = db.url.replace("127.0.0.1", "localhost");
    let good = format!("{host_url}?sslmode=verify-full&sslrootcert={ca}");
    let out = cli(dir.path()).args(["status", "--json", "--database-url", &good]).output().unwrap();
    assert_eq!(stdout_json(&out)["server"]["reachable"], true, "{}", all_output(&out));

    let bad = format!("{host_url}?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt");
    let out = cli(dir.path()).args(["status", "--json", "--database-url", &bad]).output().unwrap();
    let report = stdout_json(&out);
    assert_eq!(report["server"]["error"]["code"], "tls", "{}", all_output(&out));
    assert!(report["server"]["error"]["message"].as_str().unwrap().contains("sslrootcert"));

    // sslmode=require against a server that has no TLS is refused, not downgraded.
    let plain_db = TestDb::new(Server::Pgvector).await;
    let out = cli(dir.path()).args(["status", "--json", "--database-url", &format!("{}?sslmode=require", plain_db.url)]).output().unwrap();
    assert_eq!(stdout_json(&out)["server"]["error"]["code"], "tls", "{}", all_output(&out));
}

#[test]
fn status_without_a_server_works_from_the_local_cache() {
    let dir = data_dir();
    let out = cli(dir.path()).arg("status").output().unwrap();
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("none configured (working from the local cache only)"), "{text}");
    assert!(text.contains("Synced:   never on this data folder"), "{text}");
    let json = stdout_json(&cli(dir.path()).args(["status", "--json"]).output().unwrap());
    assert!(json["server"].is_null() && json["last_sync"].is_null());
    assert_eq!(json["tables"].as_array().unwrap().len(), 5);
    let id = json["device"]["id"].as_str().unwrap().to_string();
    let again = stdout_json(&cli(dir.path()).args(["status", "--json"]).output().unwrap());
    assert_eq!(again["device"]["id"], id.as_str(), "the device id is generated once and kept");
}

/// Logs in under `wrapper` (which gives all commands one keychain session), then
/// checks that `status` finds the password, that `logout` removes it, and that
/// it was never printed nor written to the cache.
async fn login_then_status(wrapper: &[&str], prelude: &str, expected_store: &str) {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let dir = data_dir();
    let script = format!(
        "{prelude}
         printf '%s\\n' \"$PW\" | \"$CLI\" login --json --database-url \"$URL\" || exit 10
         \"$CLI\" status --json || exit 11
         \"$CLI\" logout --json || exit 12
         \"$CLI\" status --json"
    );
    let mut cmd_env = vec![("PW", db.password()), ("URL", db.url_without_password())];
    let out = {
        let mut cmd = Command::new(wrapper[0]);
        cmd.args(&wrapper[1..])
            .args(["sh", "-c", &script])
            .env("CLI", env!("CARGO_BIN_EXE_noesis-sync"))
            .env("NOESIS_DATA_DIR", dir.path())
            .env_remove("PGPASSWORD")
            .env_remove("NOESIS_DATABASE_URL");
        for (k, v) in cmd_env.drain(..) {
            cmd.env(k, v);
        }
        cmd.output().expect("run the keychain session")
    };
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout).into_iter().map(|d| d.unwrap()).collect();
    assert_eq!(docs[0]["stored_in"], expected_store, "{text}");
    assert_eq!(docs[1]["server"]["reachable"], true, "status finds the password in the keychain: {text}");
    assert_eq!(docs[1]["server"]["schema"]["schema_version"], noesis_engine::central::CLIENT_SCHEMA_VERSION, "{text}");
    assert_eq!(docs[2]["removed"], true, "{text}");
    assert_eq!(docs[3]["server"]["error"]["code"], "no_password", "after logout the password is gone: {text}");
    assert!(!text.contains(&db.password()), "password leaked: {text}");
    let cache = std::fs::read(dir.path().join("cache.sqlite3")).unwrap();
    assert!(
        !cache.windows(db.password().len()).any(|w| w == db.password().as_bytes()),
        "the password must not be written to the cache file"
    );
}

#[tokio::test]
async fn login_stores_the_password_in_the_kernel_keyring_when_no_secret_service_runs() {
    login_then_status(&["keyctl", "session", "-"], "unset DBUS_SESSION_BUS_ADDRESS", "kernel_keyring").await;
}

#[tokio::test]
async fn login_stores_the_password_in_the_secret_service_when_one_runs() {
    // A keyring folder of its own, so an existing login keyring (with another
    // password) cannot turn the unlock into a GUI prompt.
    login_then_status(
        &["dbus-run-session", "--"],
        "export XDG_DATA_HOME=$(mktemp -d); printf 'unlock' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1",
        "persistent",
    )
    .await;
}

#[test]
fn login_refuses_a_wrong_password_and_stores_nothing() {
    let dir = data_dir();
    let url = format!("postgres://noesis_user@127.0.0.1:{}/noesis", free_port());
    let mut cmd = cli(dir.path());
    cmd.args(["login", "--database-url", &url]).env("NOESIS_LOG", "trace");
    let out = run_with_stdin(cmd, &format!("{LEAKABLE}\n"));
    assert!(!out.status.success());
    let text = all_output(&out);
    assert!(text.contains("cannot reach PostgreSQL"), "{text}");
    assert!(!text.contains(LEAKABLE));
}

#[tokio::test]
async fn the_drivers_slow_statement_warnings_stay_out_of_the_terminal() {
    // Another session holds the cards table for two seconds, so the push's
    // statement is slow: sqlx logs such statements, at WARN by default, with
    // the SQL, between a command's own lines (issue 15: "quiet terminal").
    let db = TestDb::with_schema().await;
    let device = support::device::Device::new(&db.url);
    device.sync();
    device.sqlite(&support::device::card_sql("slow-1", "pushed while the table is locked"));
    let mut holder = Command::new(support::psql())
        .args(["-X", "-q", "-d", &db.url, "-c", "BEGIN; LOCK TABLE memory_cards IN SHARE MODE; SELECT pg_sleep(2); COMMIT;"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let out = device.cli().args(["sync", "--wait", "30"]).output().unwrap();
    holder.wait().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("slow statement"), "the driver's warning reached the terminal:\n{stderr}");
    assert_eq!(support::run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id = 'slow-1'").trim(), "1", "the push went through");
    let last = device.status()["last_sync"].as_str().map(str::to_string).expect("the finished sync is recorded");
    assert!(chrono::DateTime::parse_from_rfc3339(&last).is_ok(), "{last}");
}
