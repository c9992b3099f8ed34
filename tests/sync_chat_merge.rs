//! Chat messages appended anywhere are all kept, once, in the session itself:
//! also when this device appends while its own merging push is in flight.

use crate::support;

use support::device::Device;
use support::{all_output, run_psql, Server, TestDb};

fn server_texts(db: &TestDb) -> Vec<String> {
    let out = run_psql(&db.url, "SELECT m->>'text' FROM chat_sessions, jsonb_array_elements(messages) AS m WHERE id = 's1'");
    out.lines().map(str::to_string).collect()
}

fn cache_texts(device: &Device) -> Vec<String> {
    let out = device.sqlite("SELECT json_extract(value, '$.text') FROM chat_sessions, json_each(messages) WHERE chat_sessions.id = 's1'");
    out.lines().map(str::to_string).collect()
}

fn append_in_cache(device: &Device, role: &str, text: &str) {
    device.sqlite(&format!(
        "UPDATE chat_sessions SET messages = json_insert(messages, '$[#]', json_object('role', '{role}', 'text', '{text}')) WHERE id = 's1'"
    ));
}

/// Issue 11, finding 2: session `[a]`; the server appends `r1`; the laptop
/// appends `l1`; the laptop's push is held between its read and its write (a
/// SHARE lock on the table) while `l2` is appended on the laptop.
#[tokio::test(flavor = "multi_thread")]
async fn a_message_appended_during_a_merging_push_keeps_the_servers_message() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    run_psql(
        &db.url,
        r#"INSERT INTO chat_sessions VALUES ('s1', 'Planning', '2025-01-01', '2025-01-01', '[{"role": "user", "text": "a"}]')"#,
    );
    let laptop = Device::new(&db.url);
    laptop.sync();
    assert_eq!(cache_texts(&laptop), ["a"]);
    run_psql(&db.url, r#"UPDATE chat_sessions SET messages = messages || '[{"role": "assistant", "text": "r1"}]' WHERE id = 's1'"#);
    append_in_cache(&laptop, "user", "l1");

    let mut holder = db.connect().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE chat_sessions IN SHARE MODE").execute(&mut holder).await.unwrap();
    let push = laptop
        .cli()
        .args(["sync", "--json", "--wait", "120"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let blocked = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%chat_sessions%'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while run_psql(&db.url, blocked).trim() != "1" {
        assert!(std::time::Instant::now() < deadline, "the push never reached its write");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    append_in_cache(&laptop, "user", "l2");
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    let out = push.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));

    laptop.sync();
    assert_eq!(server_texts(&db), ["a", "r1", "l1", "l2"], "every message, once, the server's first");
    assert_eq!(cache_texts(&laptop), ["a", "r1", "l1", "l2"], "the laptop shows them all");
    let conflicts = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.conflicts WHERE table_name = 'chat_sessions'");
    assert_eq!(conflicts.trim(), "0", "appends are not conflicts");
}
