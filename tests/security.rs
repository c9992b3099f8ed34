//! What a hostile local program or a lost laptop can get out of a device (issue
//! 12), tried as an attacker would: a URL that redirects the stored password
//! to another port, a saved server URL edited in the cache, files another
//! account could read, escape sequences in row ids.

use crate::support;

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use noesis_test_support::generate::GenerateSpec;
use support::device::Device;
use support::legacy::{self, LegacyStore};
use support::{all_output, cli, data_dir, stdout_json, TestDb};

/// A fake PostgreSQL on a free port that counts the connections it gets
/// (what a stored password would be sent to).
struct Listener {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Listener {
    fn start() -> Self {
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        std::thread::spawn(move || {
            for stream in socket.incoming().map_while(Result::ok) {
                seen.fetch_add(1, Ordering::SeqCst);
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut [0u8; 64]);
            }
        });
        Listener { port, connections }
    }

    fn connections(&self) -> usize {
        std::thread::sleep(Duration::from_millis(300));
        self.connections.load(Ordering::SeqCst)
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_url_parameter_cannot_send_the_password_to_another_server() {
    let fake = Listener::start();
    let dir = data_dir();
    for redirect in
        [format!("host=localhost&port={}", fake.port), format!("hostaddr=127.0.0.1&port={}", fake.port), format!("port={}", fake.port)]
    {
        let url = format!("postgres://noesis_device@127.0.0.1:5432/noesis?{redirect}");
        let out =
            cli(dir.path()).args(["status", "--json", "--database-url", &url]).env("PGPASSWORD", "stored-password-123").output().unwrap();
        assert!(!out.status.success(), "{}", all_output(&out));
        assert_eq!(stdout_json(&out)["error"]["code"], "invalid_database_url", "{}", all_output(&out));
        assert!(all_output(&out).contains("does not accept"), "the error says why: {}", all_output(&out));
    }
    assert_eq!(fake.connections(), 0, "nothing was sent to the other port");
}

#[tokio::test]
async fn a_server_url_edited_in_the_cache_is_refused_before_connecting() {
    let db = TestDb::with_schema().await;
    let fake = Listener::start();
    let device = Device::new(&db.url);
    device.sync();
    // Another program rewrites the saved server to redirect the password.
    device.sqlite(&format!(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('server_url', 'postgres://postgres@127.0.0.1:5432/noesis?host=127.0.0.1&port={}')",
        fake.port
    ));
    let out = support::cli(device.dir.path()).args(["sync", "--json"]).env("PGPASSWORD", "stored-password-123").output().unwrap();
    assert!(!out.status.success(), "{}", all_output(&out));
    assert_eq!(stdout_json(&out)["error"]["code"], "invalid_database_url");
    assert_eq!(fake.connections(), 0, "nothing was sent to the other port");
}

#[test]
fn a_password_in_the_url_is_refused_and_never_printed_or_saved() {
    let dir = data_dir();
    let url = "postgres://noesis_user@127.0.0.1:5432/noesis?password=Leak-Canary-123";
    let out = cli(dir.path()).args(["login", "--json", "--database-url", url]).output().unwrap();
    assert!(!out.status.success());
    assert!(!all_output(&out).contains("Leak-Canary-123"), "{}", all_output(&out));
    let cache = dir.path().join("cache.sqlite3");
    if cache.exists() {
        let saved = support::device::sqlite3(&cache, "SELECT group_concat(value) FROM sync_state");
        assert!(!saved.contains("Leak-Canary-123"), "the password was saved: {saved}");
    }
}

#[test]
fn tls_left_optional_off_this_machine_is_warned_about() {
    let dir = data_dir();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // A host that is not loopback (nothing answers: the point is the warning).
    let url = format!("postgres://noesis_user@192.0.2.1:{port}/noesis?sslmode=prefer&connect_timeout=1");
    let out = cli(dir.path()).args(["status", "--database-url", &url]).output().unwrap();
    let text = all_output(&out);
    assert!(text.contains("warning:") && text.contains("may go without TLS (sslmode=prefer)"), "{text}");
    let quiet = cli(dir.path())
        .args(["status", "--database-url", &format!("postgres://noesis_user@192.0.2.1:{port}/noesis?connect_timeout=1")])
        .output()
        .unwrap();
    assert!(!all_output(&quiet).contains("without TLS"), "the default (require) is not warned about: {}", all_output(&quiet));
}

#[tokio::test]
async fn the_data_folder_its_cache_and_the_legacy_copies_are_private() {
    let db = TestDb::with_schema().await;
    let store = LegacyStore::new(&GenerateSpec::small());
    // The legacy store is private in a private folder; its copy must stay so.
    std::fs::set_permissions(store.path().join("data/memory/memory_cards.sqlite3"), std::fs::Permissions::from_mode(0o600)).ok();
    let device = data_dir();
    let out = legacy::migrate(&db.url, device.path(), store.path(), &[]);
    assert!(out.status.success(), "{}", all_output(&out));
    let d = device.path();
    assert_eq!(mode(d), 0o700, "the data folder");
    for file in ["cache.sqlite3", "cache.sqlite3-wal", "legacy-snapshot/memory_cards.sqlite3", "legacy-snapshot/documents.sqlite3"] {
        if d.join(file).exists() {
            assert_eq!(mode(&d.join(file)), 0o600, "{file}");
        }
    }
    assert_eq!(mode(&d.join("legacy-snapshot")), 0o700);
    assert!(d.join("legacy-snapshot/memory_cards.sqlite3").exists());

    // A folder an older version left readable is tightened on the next start.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(d.join("cache.sqlite3"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(d.join("legacy-snapshot/memory_cards.sqlite3"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let status = cli(d).args(["status", "--json"]).output().unwrap();
    assert!(status.status.success(), "{}", all_output(&status));
    assert_eq!((mode(d), mode(&d.join("cache.sqlite3"))), (0o700, 0o600));
    assert_eq!(mode(&d.join("legacy-snapshot/memory_cards.sqlite3")), 0o600);
}

#[tokio::test]
async fn row_ids_with_terminal_escapes_are_printed_escaped() {
    let db = TestDb::with_schema().await;
    let device = Device::new(&db.url);
    device.sync();
    // A row the push holds back (a date PostgreSQL would misread), its id
    // carrying an escape sequence that would clear the screen.
    device.sqlite(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         VALUES ('evil' || char(27) || '[2J', 'yesterday', 'preferences', 'global', 'x', 'pending', '{\"reason\": \"written by a test\"}')",
    );
    device.sync();
    let out = device.cli().args(["status"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("evil\\u{1b}[2J"), "the id is shown escaped: {text}");
    assert!(!text.contains('\u{1b}'), "no raw escape reaches the terminal");
}

/// A database with the central schema and a device role for each of two
/// laptops (one role per laptop, as the README advises), with their URLs.
async fn two_laptop_roles() -> (TestDb, String, String) {
    let db = TestDb::with_schema().await;
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let admin = noesis_engine::central::ServerTarget::exact(noesis_engine::DatabaseUrl::parse(&db.url).unwrap());
    let mut urls = Vec::new();
    for laptop in ["a", "b"] {
        let role = format!("laptop_{laptop}_{suffix}");
        noesis_engine::central::create_device_role(&admin, &role, &noesis_engine::Secret::new("laptop-password-123")).await.unwrap();
        urls.push(db.url_as(&role, "laptop-password-123"));
    }
    let b = urls.pop().unwrap();
    let a = urls.pop().unwrap();
    (db, a, b)
}

#[tokio::test]
async fn one_laptops_device_role_cannot_rewrite_another_laptops_sync_rows() {
    use sqlx::{Connection, Executor};
    let (db, a_url, b_url) = two_laptop_roles().await;
    let a = Device::new(&a_url);
    a.sync();
    a.sqlite(&support::device::card_sql("c1", "written on laptop A"));
    a.sync();
    let victim = a.status()["device"]["id"].as_str().unwrap().to_string();

    // Laptop B's role tries what made A's next sync revert its edits.
    let mut b = sqlx::PgConnection::connect(&b_url).await.unwrap();
    let moved = b
        .execute(sqlx::AssertSqlSafe(format!(
            "UPDATE noesis_sync.devices SET last_op_id = 9223372036854775807, last_seen = 'infinity' WHERE device_id = '{victim}'"
        )))
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 0, "another device's row cannot be updated");
    let claimed = b
        .execute(sqlx::AssertSqlSafe(format!(
            "INSERT INTO noesis_sync.devices (device_id, name) VALUES ('{victim}', 'impostor') ON CONFLICT (device_id) DO UPDATE SET last_op_id = 9223372036854775807"
        )))
        .await;
    assert!(claimed.is_err(), "nor claimed through an upsert");
    let receipts =
        b.execute(sqlx::AssertSqlSafe(format!("DELETE FROM noesis_sync.push_receipts WHERE device_id = '{victim}'"))).await.unwrap();
    assert_eq!(receipts.rows_affected(), 0, "its receipts are not B's to delete");
    b.execute("INSERT INTO noesis_sync.devices (device_id, name, last_seen) VALUES ('b-own', 'B', 'infinity')")
        .await
        .expect("B registers itself");
    // A conflict's kept versions are a record: a device may resolve it, not rewrite it.
    support::run_psql(&db.url, "INSERT INTO noesis_sync.conflicts (table_name, row_id, reason, losing_version) VALUES ('memory_cards', 'c1', 'concurrent_edit', '{\"text\": \"the losing text\"}')");
    let rewrite = b.execute("UPDATE noesis_sync.conflicts SET losing_version = '{}'").await;
    assert!(rewrite.is_err(), "the losing version cannot be rewritten");
    b.execute("UPDATE noesis_sync.conflicts SET resolution = 'keep_winning', resolved_at = now(), resolved_by = 'b-own'")
        .await
        .expect("a device resolves conflicts");
    let future =
        support::run_psql(&db.url, "SELECT last_seen > now() + interval '1 hour' FROM noesis_sync.devices WHERE device_id = 'b-own'");
    assert_eq!(future.trim(), "f", "no device can hold back pruning with a last_seen in the future");

    // A's edits after the attempt arrive, and nothing of A's is reverted.
    a.sqlite("UPDATE memory_cards SET text = 'edited after the attempt' WHERE id = 'c1'");
    a.sqlite(&support::device::card_sql("c2", "new after the attempt"));
    a.sync();
    assert_eq!(
        support::run_psql(&db.url, "SELECT string_agg(id || '=' || text, ',' ORDER BY id) FROM memory_cards").trim(),
        "c1=edited after the attempt,c2=new after the attempt"
    );
}

/// A fake PostgreSQL that asks every client for its password in clear text
/// and keeps what it is sent.
fn cleartext_asking_server() -> (u16, Arc<std::sync::Mutex<Vec<u8>>>) {
    use std::io::Write;
    let socket = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in socket.incoming().map_while(Result::ok) {
            let keep = keep.clone();
            std::thread::spawn(move || {
                let mut s = stream;
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut first = [0u8; 8];
                if s.read_exact(&mut first).is_err() {
                    return;
                }
                if first[4..8] == [0x04, 0xd2, 0x16, 0x2f] {
                    let _ = s.write_all(b"N");
                    let mut len = [0u8; 4];
                    if s.read_exact(&mut len).is_err() {
                        return;
                    }
                    let mut rest = vec![0u8; u32::from_be_bytes(len) as usize - 4];
                    let _ = s.read_exact(&mut rest);
                } else {
                    let mut rest = vec![0u8; u32::from_be_bytes(first[0..4].try_into().unwrap()) as usize - 8];
                    let _ = s.read_exact(&mut rest);
                }
                let _ = s.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]);
                let mut buf = [0u8; 256];
                if let Ok(n) = s.read(&mut buf) {
                    keep.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    (port, received)
}

#[test]
fn a_server_that_asks_for_the_password_in_clear_text_does_not_get_it() {
    let (port, received) = cleartext_asking_server();
    let dir = data_dir();
    for mode in ["prefer", "disable"] {
        let url = format!("postgres://noesis_device@127.0.0.1:{port}/noesis?sslmode={mode}");
        let out = cli(dir.path())
            .args(["status", "--json", "--database-url", &url])
            .env("PGPASSWORD", "Stored-Password-Canary")
            .output()
            .unwrap();
        let text = all_output(&out);
        assert!(text.contains("clear text") && text.contains("was not sent"), "{mode}: {text}");
    }
    std::thread::sleep(Duration::from_millis(300));
    let got = received.lock().unwrap().clone();
    assert!(!String::from_utf8_lossy(&got).contains("Stored-Password-Canary"), "the password reached the fake server");
}

#[tokio::test]
async fn a_device_role_cannot_write_as_another_device_or_from_the_far_future() {
    use sqlx::{Connection, Executor};
    let (db, a_url, b_url) = two_laptop_roles().await;
    let a = Device::new(&a_url);
    a.sync();
    let victim = a.status()["device"]["id"].as_str().unwrap().to_string();

    let mut b = sqlx::PgConnection::connect(&b_url).await.unwrap();
    let card = |id: &str| {
        format!(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) VALUES ('{id}', now(), 'preferences', 'global', 'x', 'pending', '{{\"reason\": \"t\"}}')"
        )
    };
    // Claiming laptop A's id for its own writes is refused.
    let forged = b
        .execute(sqlx::AssertSqlSafe(format!(
            "BEGIN; SELECT set_config('noesis.device_id', '{victim}', true); {}; COMMIT;",
            card("forged")
        )))
        .await;
    let code = forged.as_ref().err().and_then(|e| e.as_database_error()).and_then(|e| e.code()).map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("42501"), "{forged:?}");
    let _ = b.execute("ROLLBACK").await;
    assert_eq!(support::run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id = 'forged'").trim(), "0");

    // A far-future clock is brought back to a few minutes past the server's.
    b.execute(sqlx::AssertSqlSafe(format!(
        "BEGIN; SELECT set_config('noesis.hlc', '999999999999999-000000-b', true); {}; COMMIT;",
        card("future")
    )))
    .await
    .unwrap();
    let ahead = support::run_psql(
        &db.url,
        "SELECT substr(hlc, 1, 15)::bigint <= (extract(epoch FROM now()) * 1000)::bigint + 300000 FROM noesis_sync.changelog WHERE row_id = 'future'",
    );
    assert_eq!(ahead.trim(), "t", "the clock is bounded");
    // A's own sync is unaffected.
    a.sqlite(&support::device::card_sql("c1", "from laptop A"));
    a.sync();
    let origin = support::run_psql(&db.url, &format!("SELECT device_id = '{victim}' FROM noesis_sync.changelog WHERE row_id = 'c1'"));
    assert_eq!(origin.trim(), "t", "A's own changes still carry its id");
}
