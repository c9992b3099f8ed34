//! The order a push sends rows in, and which server errors end a change's
//! journey: a chunk never waits for good on its document, and a busy server
//! delays a change without losing it.

use crate::support;

use support::device::{card_sql, Device};
use support::{all_output, run_psql, TestDb};

fn document_sql(id: &str, status: &str) -> String {
    format!(
        "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, tags)
         VALUES ('{id}', '2025-01-01T00:00:00Z', '{id}.pdf', '/docs/{id}.pdf', 'pdf', 10, 'h-{id}', '{status}', '[]');"
    )
}

fn chunk_sql(id: &str, document: &str, index: u32) -> String {
    format!("INSERT INTO document_chunks (id, document_id, chunk_index, text) VALUES ('{id}', '{document}', {index}, 'text of {id}');")
}

#[tokio::test]
async fn chunks_of_a_document_updated_after_them_reach_the_server() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // The Noesis server's own ingestion order: the document, its chunks, then the status.
    a.sqlite(&format!("{}{}{}", document_sql("d1", "pending"), chunk_sql("k1", "d1", 0), chunk_sql("k2", "d1", 1)));
    a.sqlite("UPDATE documents SET status = 'indexed', chunk_count = 2 WHERE id = 'd1'");
    let report = a.sync();
    assert_eq!((report["push"]["written"].as_u64(), report["push"]["rejected"].as_u64()), (Some(3), Some(0)), "{report}");
    assert_eq!(run_psql(&db.url, "SELECT string_agg(id, ',' ORDER BY id) FROM document_chunks").trim(), "k1,k2");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_rejected").trim(), "0");
}

#[tokio::test]
async fn a_chunk_sent_before_its_document_in_another_batch_goes_once_the_document_is_there() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    // The chunk is in the first batch of 500 changes, its document (written
    // later by another program) only in the second.
    a.sqlite(&chunk_sql("k1", "d1", 0));
    let cards: String = (0..520).map(|i| card_sql(&format!("c{i}"), "filler")).collect();
    a.sqlite(&cards);
    a.sqlite(&document_sql("d1", "indexed"));
    let report = a.sync();
    assert_eq!(report["push"]["rejected"], 0, "a chunk waiting for its document is not refused: {report}");
    assert_eq!(run_psql(&db.url, "SELECT document_id FROM document_chunks WHERE id = 'k1'").trim(), "d1", "{report}");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_rejected").trim(), "0");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_outbox").trim(), "0", "nothing is left to send");
}

#[tokio::test]
async fn a_chunk_whose_document_is_nowhere_waits_with_a_reason_and_goes_when_it_arrives() {
    let db = TestDb::with_schema().await;
    let (a, b) = (Device::new(&db.url), Device::new(&db.url));
    a.sync();
    b.sync();
    a.sqlite(&chunk_sql("k1", "d-later", 0));
    let report = a.sync();
    assert_eq!(report["push"]["waiting"], 1, "{report}");
    let reason = a.sqlite("SELECT reason FROM sync_rejected WHERE row_id = 'k1'");
    assert!(reason.contains("documents") && reason.contains("d-later"), "the reason names what it waits for: {reason}");
    let again = a.sync();
    assert_eq!(
        (again["push"]["written"].as_u64(), again["push"]["waiting"].as_u64()),
        (Some(0), Some(0)),
        "a sync with the parent still missing sends nothing again: {again}"
    );

    // The document is written on another device; once it reaches this one, the chunk goes.
    b.sqlite(&document_sql("d-later", "indexed"));
    b.sync();
    a.sync();
    assert_eq!(run_psql(&db.url, "SELECT document_id FROM document_chunks WHERE id = 'k1'").trim(), "d-later");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_rejected").trim(), "0");
}

#[tokio::test]
async fn deleting_a_document_with_its_chunks_reaches_the_server() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    a.sync();
    a.sqlite(&format!("{}{}{}", document_sql("d1", "indexed"), chunk_sql("k1", "d1", 0), chunk_sql("k2", "d1", 1)));
    a.sync();
    a.sqlite("DELETE FROM documents WHERE id = 'd1'; DELETE FROM document_chunks WHERE document_id = 'd1';");
    let report = a.sync();
    assert_eq!(report["push"]["rejected"], 0, "{report}");
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM documents").trim(), "0");
    assert_eq!(run_psql(&db.url, "SELECT count(*) FROM document_chunks").trim(), "0");
}

#[tokio::test]
async fn a_lock_timeout_delays_the_change_and_the_next_sync_sends_it() {
    let db = TestDb::with_schema().await;
    let a = Device::new(&db.url);
    run_psql(&db.url, &card_sql("c1", "before"));
    a.sync();
    let database = run_psql(&db.url, "SELECT current_database()");
    run_psql(&db.url, &format!("ALTER DATABASE \"{}\" SET lock_timeout = '1s'", database.trim()));
    a.sqlite("UPDATE memory_cards SET text = 'typed while the server was busy' WHERE id = 'c1'");
    // Another session holds a SHARE lock on the table for longer than the timeout.
    let holder = std::process::Command::new(support::psql())
        .args([db.url.as_str(), "-c", "BEGIN; LOCK TABLE memory_cards IN SHARE MODE; SELECT pg_sleep(4); COMMIT;"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while run_psql(&db.url, "SELECT count(*) FROM pg_locks WHERE mode = 'ShareLock' AND locktype = 'relation'").trim() == "0" {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let busy = a.cli().args(["sync", "--json", "--wait", "0"]).output().unwrap();
    assert!(!busy.status.success(), "the sync reports that it could not finish: {}", all_output(&busy));
    assert!(all_output(&busy).contains("55P03"), "{}", all_output(&busy));
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_rejected").trim(), "0", "a busy server is not a refusal");
    assert_eq!(a.sqlite("SELECT count(*) FROM sync_outbox").trim(), "1", "the change stays queued");

    let mut holder = holder;
    holder.wait().unwrap();
    a.sync();
    assert_eq!(run_psql(&db.url, "SELECT text FROM memory_cards WHERE id = 'c1'").trim(), "typed while the server was busy");
}
