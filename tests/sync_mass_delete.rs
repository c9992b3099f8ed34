//! The mass-deletion guard: a pull or a push that would delete more than half
//! of a table's rows on a device (and more than 50) deletes nothing until the
//! user says so; `sync --allow-mass-delete` deletes them everywhere, `sync
//! --keep-held-rows` keeps them everywhere.

use crate::support;

use support::device::{card_sql, Device};
use support::{all_output, run_psql, Server, TestDb};

fn central_count(db: &TestDb) -> u64 {
    run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim().parse().unwrap()
}

fn local_count(device: &Device) -> u64 {
    device.sqlite("SELECT count(*) FROM memory_cards").trim().parse().unwrap()
}

/// A laptop and the server sharing `n` cards, c0 .. c{n-1}.
async fn shared_cards(n: usize) -> (TestDb, Device) {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let laptop = Device::new(&db.url);
    laptop.sync();
    let inserts: String = (0..n).map(|i| card_sql(&format!("c{i}"), "kept safe")).collect();
    laptop.sqlite(&format!("BEGIN; {inserts} COMMIT;"));
    laptop.sync();
    assert_eq!(central_count(&db), n as u64);
    (db, laptop)
}

fn sync_with(device: &Device, flag: &str) -> String {
    let out = device.cli().args(["sync", flag, "--wait", "120"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    all_output(&out)
}

fn held(device: &Device) -> serde_json::Value {
    device.status()["held_deletions"].clone()
}

#[tokio::test]
async fn a_mass_deletion_on_the_server_waits_and_can_be_undone() {
    let (db, laptop) = shared_cards(100).await;
    run_psql(&db.url, "DELETE FROM memory_cards WHERE id <> 'c0' AND id < 'c7'");
    let deleted = 100 - central_count(&db);
    assert!(deleted > 50, "the server lost {deleted} cards");

    let out = laptop.cli().args(["sync", "--wait", "120"]).output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let text = all_output(&out);
    assert!(text.contains(&format!("Held:    {deleted} memory_cards row(s) deleted on the server, still here")), "{text}");
    assert!(text.contains("noesis-sync sync --allow-mass-delete"), "{text}");
    assert_eq!(local_count(&laptop), 100, "nothing was deleted here");
    let status = held(&laptop);
    assert_eq!(status[0]["table_name"], "memory_cards");
    assert_eq!(status[0]["direction"], "pull");
    assert_eq!(status[0]["rows"], deleted);
    assert_eq!(status[0]["sample"].as_array().unwrap().len(), 5);

    // Another sync does not delete them either.
    laptop.sync();
    assert_eq!(local_count(&laptop), 100);

    sync_with(&laptop, "--keep-held-rows");
    assert_eq!(central_count(&db), 100, "the held rows went back to the server");
    assert_eq!(local_count(&laptop), 100);
    assert_eq!(held(&laptop), serde_json::json!([]));
    assert_eq!(run_psql(&db.url, "SELECT text FROM memory_cards WHERE id = 'c5'").trim(), "kept safe");
}

#[tokio::test]
async fn allowing_a_held_mass_deletion_deletes_the_rows_here() {
    let (db, laptop) = shared_cards(100).await;
    run_psql(&db.url, "DELETE FROM memory_cards WHERE id <> 'c0' AND id < 'c7'");
    let left = central_count(&db);
    laptop.sync();
    assert_eq!(local_count(&laptop), 100);

    sync_with(&laptop, "--allow-mass-delete");
    assert_eq!(local_count(&laptop), left, "the laptop now matches the server");
    assert_eq!(central_count(&db), left, "nothing came back");
    assert_eq!(held(&laptop), serde_json::json!([]));
}

#[tokio::test]
async fn an_emptied_server_table_is_not_read_as_everything_deleted() {
    let (db, laptop) = shared_cards(80).await;
    run_psql(&db.url, "TRUNCATE memory_cards CASCADE");
    laptop.sync();
    assert_eq!(local_count(&laptop), 80, "a truncated server table does not empty the cache");
    assert_eq!(held(&laptop)[0]["rows"], 80);

    sync_with(&laptop, "--keep-held-rows");
    assert_eq!(central_count(&db), 80, "the cards went back to the emptied server");
}

#[tokio::test]
async fn a_mass_deletion_here_is_not_sent_until_allowed() {
    let (db, laptop) = shared_cards(100).await;
    laptop.sqlite("DELETE FROM memory_cards");
    let out = laptop.cli().args(["sync", "--wait", "120"]).output().unwrap();
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Held:    100 memory_cards row(s) deleted here, still on the server"), "{text}");
    assert_eq!(central_count(&db), 100, "the server keeps them");
    assert_eq!(held(&laptop)[0]["direction"], "push");

    // Kept: they come back on the laptop, and nothing is sent.
    sync_with(&laptop, "--keep-held-rows");
    assert_eq!(local_count(&laptop), 100, "the laptop has its cards back");
    assert_eq!(laptop.sqlite("SELECT text FROM memory_cards WHERE id = 'c9'").trim(), "kept safe");
    assert_eq!(central_count(&db), 100);

    // Deleted again, and this time allowed.
    laptop.sqlite("DELETE FROM memory_cards");
    sync_with(&laptop, "--allow-mass-delete");
    assert_eq!(central_count(&db), 0, "an allowed mass deletion reaches the server");
    assert_eq!(held(&laptop), serde_json::json!([]));
}

#[tokio::test]
async fn an_ordinary_deletion_is_not_held() {
    let (db, laptop) = shared_cards(100).await;
    // 49 here and 3 there: under the guard's floor of 50.
    laptop.sqlite("DELETE FROM memory_cards WHERE id IN (SELECT id FROM memory_cards ORDER BY id LIMIT 49)");
    run_psql(&db.url, "DELETE FROM memory_cards WHERE id IN ('c99', 'c98', 'c97')");
    laptop.sync();
    assert_eq!(central_count(&db), 48);
    assert_eq!(local_count(&laptop), 48);
    assert_eq!(held(&laptop), serde_json::json!([]));
}
