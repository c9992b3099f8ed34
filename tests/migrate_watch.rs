//! Bridge mode: `migrate --watch` imports rows the old server writes after the
//! first pass, within seconds, and stops cleanly on Ctrl-C (SIGINT).

use crate::support;

use std::time::{Duration, Instant};

use noesis_test_support::generate::GenerateSpec;
use rusqlite::params;
use support::legacy::{self, LegacyStore};
use support::{run_psql, Server, TestDb};

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn bridge_mode_picks_up_new_and_changed_rows_and_stops_on_ctrl_c() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let spec = GenerateSpec { hostile: false, ..GenerateSpec::small() };
    let store = LegacyStore::new(&spec);
    let device = support::data_dir();
    let mut child = legacy::migrate_cmd(&db.url, device.path(), store.path(), &["--watch"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let cards = || run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim().parse::<usize>().unwrap();
    wait_for("the first pass", Duration::from_secs(60), || cards() == spec.cards);

    // The old server writes a new card and renames a session, as it would.
    let conn = rusqlite::Connection::open(&store.generated.memory).unwrap();
    let card = serde_json::json!({"category": "preferences", "scope": "global", "text": "written while bridged", "approval": "pending", "provenance": {"reason": "written by a test"}});
    conn.execute(
        "INSERT INTO memory_cards (id, created_at, approval, json) VALUES ('card-bridge', '2026-01-01T00:00:00', 'pending', ?1)",
        params![card.to_string()],
    )
    .unwrap();
    conn.execute(
        "UPDATE chat_sessions SET title = 'Renamed while bridged', updated_at = '2030-01-01T00:00:00' WHERE id = 'session-000001'",
        [],
    )
    .unwrap();
    drop(conn);

    wait_for("the new card to arrive", Duration::from_secs(30), || {
        run_psql(&db.url, "SELECT count(*) FROM memory_cards WHERE id = 'card-bridge'").trim() == "1"
    });
    wait_for("the renamed session", Duration::from_secs(30), || {
        run_psql(&db.url, "SELECT title FROM chat_sessions WHERE id = 'session-000001'").trim() == "Renamed while bridged"
    });

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "bridge mode did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "Ctrl-C must stop bridge mode cleanly (exit 0), got {status}: {stderr}");

    // One JSON report per pass: the first reads every row, a later one only
    // the rows the old server wrote since (not the whole store again).
    let passes: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let read = |pass: &serde_json::Value, table: &str| legacy::table(pass, table)["read"].as_u64().unwrap_or(0);
    assert_eq!(read(&passes[0], "memory_cards"), spec.cards as u64, "the first pass reads the whole store");
    let later: Vec<_> = passes[1..].iter().map(|p| (read(p, "memory_cards"), read(p, "chat_sessions"))).collect();
    let total = later.iter().fold((0, 0), |acc, r| (acc.0 + r.0, acc.1 + r.1));
    assert_eq!(total, (1, 1), "later passes read only the new card and the renamed session: {later:?}");
}
