//! Property test of convergence: three devices make random edits (create,
//! change fields, delete, append messages), go offline and come back, and sync
//! in random orders. After everyone syncs, every device and the server hold the
//! same data (per-table checksums, as `status` compares them), no edit that
//! lost a concurrent race is gone (it is in a conflict record), and every chat
//! message appended anywhere is in the session, once per append.

use crate::support;

use noesis_engine::cache::Cache;
use noesis_engine::central::{self, ServerTarget};
use noesis_engine::sync::sync_once;

/// How long a sync waits for changes held back by other tests' transactions
/// (the pull horizon is cluster-wide and tests run in parallel).
const SETTLE: std::time::Duration = std::time::Duration::from_secs(120);
use noesis_engine::tables;
use noesis_engine::DatabaseUrl;
use proptest::prelude::*;
use support::{Server, TestDb};

const DEVICES: usize = 3;
const CARD_IDS: [&str; 3] = ["c1", "c2", "c3"];

#[derive(Debug, Clone)]
enum Op {
    /// Create (or re-create) a card with this text.
    Create { device: usize, card: usize, text: u8 },
    /// Change one field of a card, if the device has it.
    Edit { device: usize, card: usize, field: usize, value: u8 },
    /// Delete a card.
    Delete { device: usize, card: usize },
    /// Append a message to the shared chat session.
    Append { device: usize, text: u8 },
    /// Push and pull on one device (an offline device simply does not sync).
    Sync { device: usize },
}

fn arb_op() -> impl Strategy<Value = Op> {
    let d = 0..DEVICES;
    let c = 0..CARD_IDS.len();
    prop_oneof![
        1 => (d.clone(), c.clone(), any::<u8>()).prop_map(|(device, card, text)| Op::Create { device, card, text }),
        3 => (d.clone(), c.clone(), 0..3usize, any::<u8>()).prop_map(|(device, card, field, value)| Op::Edit { device, card, field, value }),
        1 => (d.clone(), c).prop_map(|(device, card)| Op::Delete { device, card }),
        2 => (d.clone(), any::<u8>()).prop_map(|(device, text)| Op::Append { device, text }),
        3 => d.prop_map(|device| Op::Sync { device }),
    ]
}

const FIELDS: [&str; 3] = ["text", "scope", "approval"];

/// The value an edit writes: any text for `text`, one of the Noesis server's
/// values for `scope` and `approval` (others are held back, not pushed).
fn field_text(field: usize, value: u8) -> String {
    use noesis_engine::tables::contract::{APPROVALS, SCOPES};
    match FIELDS[field] {
        "scope" => SCOPES.terms[value as usize % SCOPES.terms.len()].value.to_string(),
        "approval" => APPROVALS.terms[value as usize % APPROVALS.terms.len()].value.to_string(),
        _ => format!("v{value}"),
    }
}

fn apply_local(cache: &Cache, op: &Op) {
    let conn = cache.connection();
    match *op {
        Op::Create { card, text, .. } => {
            conn.execute(
                "INSERT OR REPLACE INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
                 VALUES (?1, '2025-01-01T00:00:00Z', 'preferences', 'global', ?2, 'pending', '{\"reason\": \"written by a test\"}')",
                rusqlite::params![CARD_IDS[card], format!("created {text}")],
            )
            .unwrap();
        }
        Op::Edit { card, field, value, .. } => {
            conn.execute(
                &format!("UPDATE memory_cards SET {} = ?2 WHERE id = ?1", FIELDS[field]),
                rusqlite::params![CARD_IDS[card], field_text(field, value)],
            )
            .unwrap();
        }
        Op::Delete { card, .. } => {
            conn.execute("DELETE FROM memory_cards WHERE id = ?1", [CARD_IDS[card]]).unwrap();
        }
        Op::Append { text, device } => {
            conn.execute(
                "UPDATE chat_sessions SET messages = json_insert(messages, '$[#]', json_object('role', 'user', 'text', ?1)) WHERE id = 's1'",
                [format!("d{device} says {text}")],
            )
            .unwrap();
        }
        Op::Sync { .. } => unreachable!(),
    }
}

fn field_value(cache: &Cache, id: &str, field: &str) -> Option<String> {
    use rusqlite::OptionalExtension;
    cache.connection().query_row(&format!("SELECT {field} FROM memory_cards WHERE id = ?1"), [id], |r| r.get(0)).optional().unwrap()
}

fn device_of(op: &Op) -> usize {
    match *op {
        Op::Create { device, .. }
        | Op::Edit { device, .. }
        | Op::Delete { device, .. }
        | Op::Append { device, .. }
        | Op::Sync { device } => device,
    }
}

async fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    support::run_psql(&db.url, "INSERT INTO chat_sessions VALUES ('s1', 'Shared', '2025-01-01', '2025-01-01', '[]')");
    let target = ServerTarget::exact(DatabaseUrl::parse(&db.url).unwrap());
    let dirs: Vec<tempfile::TempDir> = (0..DEVICES).map(|_| support::data_dir()).collect();
    let mut caches: Vec<Cache> = dirs.iter().map(|d| Cache::open(d.path()).unwrap()).collect();
    for cache in caches.iter_mut() {
        sync_once(cache, &target, SETTLE).await.unwrap();
    }
    let mut appended: Vec<String> = Vec::new();
    // Card field values each device wrote, and values some device replaced
    // knowingly (they were in its cache when it wrote over or deleted them).
    let mut written: Vec<(String, String, String)> = Vec::new();
    let mut replaced: std::collections::HashSet<(String, String, String)> = Default::default();
    for op in &ops {
        let device = device_of(op);
        match op {
            Op::Sync { .. } => {
                sync_once(&mut caches[device], &target, SETTLE).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            _ => {
                if let Op::Append { text, device } = op {
                    appended.push(format!("d{device} says {text}"));
                }
                if let Op::Create { card, .. } | Op::Edit { card, .. } | Op::Delete { card, .. } = *op {
                    let id = CARD_IDS[card];
                    for field in FIELDS {
                        if let Some(v) = field_value(&caches[device], id, field) {
                            replaced.insert((id.into(), field.into(), v));
                        }
                    }
                    apply_local(&caches[device], op);
                    if !matches!(op, Op::Delete { .. }) {
                        for field in FIELDS {
                            if let Some(v) = field_value(&caches[device], id, field) {
                                written.push((id.into(), field.into(), v));
                            }
                        }
                    }
                } else {
                    apply_local(&caches[device], op);
                }
            }
        }
    }
    // Everyone comes back online: two rounds settle merges made in round one.
    for _ in 0..2 {
        for cache in caches.iter_mut() {
            sync_once(cache, &target, SETTLE).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
    }
    let mut conn = target.connect().await.unwrap();
    for spec in tables::EDITABLE {
        let central = central::table_checksum(&mut conn, &target, spec).await.unwrap().unwrap();
        for (i, cache) in caches.iter().enumerate() {
            prop_assert_eq!(cache.table_checksum(spec).unwrap(), central.clone(), "device {} differs on {}", i, spec.name);
        }
    }
    let messages: String =
        sqlx::query_scalar("SELECT messages::text FROM chat_sessions WHERE id = 's1'").fetch_one(&mut conn).await.unwrap();
    // No card edit vanished without trace: each written value is final, or in a
    // conflict's losing version, or was knowingly replaced by a later edit.
    let losing_cards: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT losing_version FROM noesis_sync.conflicts WHERE table_name = 'memory_cards' AND losing_version IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (id, field, value) in &written {
        if replaced.contains(&(id.clone(), field.clone(), value.clone())) {
            continue;
        }
        let final_value: Option<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {field} FROM memory_cards WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut conn)
                .await
                .unwrap()
                .flatten();
        let in_conflict = losing_cards.iter().any(|l| l["id"] == id.as_str() && l[field.as_str()] == value.as_str());
        prop_assert!(
            final_value.as_deref() == Some(value.as_str()) || in_conflict,
            "{}.{} = {:?} was lost (final {:?})",
            id,
            field,
            value,
            final_value
        );
    }
    // Every message appended anywhere is in the session itself, as many
    // times as it was appended (a device may say the same thing twice).
    let session: Vec<serde_json::Value> = serde_json::from_str(&messages).unwrap();
    let texts: Vec<&str> = session.iter().map(|m| m["text"].as_str().unwrap()).collect();
    for text in &appended {
        let typed = appended.iter().filter(|t| *t == text).count();
        let kept = texts.iter().filter(|t| **t == text.as_str()).count();
        prop_assert_eq!(kept, typed, "appended message {:?} is in the session {} times, not {}: {}", text, kept, typed, messages);
    }
    prop_assert_eq!(texts.len(), appended.len(), "the session holds messages nobody appended: {}", messages);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, max_shrink_iters: 32, ..ProptestConfig::default() })]

    #[test]
    fn three_devices_converge_whatever_the_edits_and_sync_order(ops in proptest::collection::vec(arb_op(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run_case(ops))?;
    }
}
