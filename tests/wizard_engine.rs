//! The engine behind the desktop wizard, against real PostgreSQL servers: the
//! connection diagnosis for each failure we can produce for real, the schema
//! preview, and a background migration that is cancelled and resumed.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use noesis_engine::cache::Cache;
use noesis_engine::central::{diagnose, schema_plan, Diagnosis, Problem, ServerTarget};
use noesis_engine::legacy::discover::{recorded_runs, rejects};
use noesis_engine::legacy::{BatchLimits, MigrateOptions, MigrateReport, MigrationHandle, ProgressEvent};
use noesis_engine::DatabaseUrl;
use noesis_test_support::generate::GenerateSpec;
use support::legacy::LegacyStore;
use support::{data_dir, run_psql, with_database, Server, TestDb};

fn target(url: &str) -> ServerTarget {
    ServerTarget::exact(DatabaseUrl::parse(url).unwrap())
}

async fn diagnosis(url: &str) -> Diagnosis {
    diagnose(&target(url)).await
}

/// The diagnosis stops the user with exactly this problem (warnings aside).
fn only(d: &Diagnosis, problem: Problem) {
    assert!(!d.ok, "a user could go on with: {d:?}");
    let blocking: Vec<Problem> = d.findings.iter().filter(|f| f.blocking).map(|f| f.problem).collect();
    assert_eq!(blocking, vec![problem], "{d:?}");
}

#[tokio::test]
async fn a_good_server_without_the_schema_yet_is_ok_and_says_the_next_step_adds_it() {
    let db = TestDb::new(Server::Pgvector).await;
    let d = diagnosis(&db.url).await;
    assert!(d.ok, "{d:?}");
    assert!(d.server_version.as_deref().unwrap_or("").starts_with("PostgreSQL"), "{d:?}");
    assert!(d.has(Problem::SchemaMissing) && !d.findings.iter().any(|f| f.blocking), "{d:?}");
    db.setup().await;
    let d = diagnosis(&db.url).await;
    assert!(d.ok && d.findings.is_empty(), "a set-up server shows no findings: {d:?}");
}

#[tokio::test]
async fn a_closed_port_and_an_unknown_host_are_told_apart() {
    let db = TestDb::new(Server::Pgvector).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut closed = url::Url::parse(&db.url).unwrap();
    closed.set_host(Some("127.0.0.1")).unwrap();
    closed.set_port(Some(port)).unwrap();
    only(&diagnosis(closed.as_str()).await, Problem::PortClosed);
    let mut unknown = url::Url::parse(&db.url).unwrap();
    unknown.set_host(Some("no-such-host.invalid")).unwrap();
    let d = diagnosis(unknown.as_str()).await;
    only(&d, Problem::HostUnreachable);
    assert!(d.findings[0].message.contains("no-such-host.invalid"), "{d:?}");
}

#[tokio::test]
async fn a_wrong_password_and_a_missing_database_say_what_to_do() {
    let db = TestDb::new(Server::Pgvector).await;
    let user = url::Url::parse(&db.url).unwrap().username().to_string();
    let d = diagnosis(&db.url_as(&user, "not-the-password")).await;
    only(&d, Problem::WrongPassword);
    assert!(d.findings[0].message.contains(&format!("`{user}`")), "{d:?}");
    let d = diagnosis(&with_database(&db.url, "noesis_no_such_database")).await;
    only(&d, Problem::DatabaseMissing);
    assert!(d.findings[0].message.contains("createdb"), "the fix is given: {d:?}");
}

#[tokio::test]
async fn a_server_without_pgvector_is_usable_and_says_how_to_install_it() {
    let db = TestDb::new(Server::Plain).await;
    let d = diagnosis(&db.url).await;
    assert!(d.ok, "everything but embeddings works: {d:?}");
    let finding = d.findings.iter().find(|f| f.problem == Problem::PgvectorMissing).expect("pgvector reported missing");
    assert!(!finding.blocking && finding.message.contains("apt install postgresql-NN-pgvector"), "{finding:?}");
}

#[tokio::test]
async fn a_role_without_rights_is_told_which_grant_it_needs() {
    let db = TestDb::new(Server::Pgvector).await;
    let role = format!("wizard_norights_{}", uuid::Uuid::new_v4().simple());
    run_psql(&db.url, &format!("CREATE ROLE {role} LOGIN PASSWORD 'pw'"));
    let as_role = db.url_as(&role, "pw");
    let d = diagnosis(&as_role).await;
    only(&d, Problem::PrivilegesMissing);
    assert!(d.findings.iter().any(|f| f.message.contains("GRANT CREATE ON DATABASE")), "{d:?}");
    db.setup().await;
    let d = diagnosis(&as_role).await;
    only(&d, Problem::PrivilegesMissing);
    assert!(d.findings.iter().any(|f| f.message.contains("GRANT SELECT, INSERT, UPDATE, DELETE")), "{d:?}");
    run_psql(
        &db.url,
        &format!("REVOKE CONNECT ON DATABASE {} FROM PUBLIC", url::Url::parse(&db.url).unwrap().path().trim_start_matches('/')),
    );
    only(&diagnosis(&as_role).await, Problem::PrivilegesMissing);
    run_psql(&db.url, &format!("DROP OWNED BY {role}; DROP ROLE {role}"));
}

#[tokio::test]
async fn an_old_schema_is_upgraded_by_the_next_step_and_a_newer_one_blocks() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    run_psql(&db.url, "UPDATE noesis_sync.server_info SET schema_version = 1");
    let d = diagnosis(&db.url).await;
    assert!(d.ok && d.has(Problem::SchemaOutdated), "{d:?}");
    let plan = schema_plan(&target(&db.url)).await.unwrap();
    assert!(!plan.current && plan.schema_version == Some(1), "{plan:?}");
    run_psql(&db.url, "UPDATE noesis_sync.server_info SET schema_version = 99");
    only(&diagnosis(&db.url).await, Problem::AppTooOld);
}

#[tokio::test]
async fn the_schema_preview_lists_each_additive_change_until_applied() {
    let db = TestDb::new(Server::Pgvector).await;
    let plan = schema_plan(&target(&db.url)).await.unwrap();
    assert!(!plan.current && plan.schema_version.is_none(), "{plan:?}");
    assert_eq!(plan.changes.len(), support::migration_files(), "one planned change per migration: {plan:?}");
    assert!(plan.changes[0].adds.contains("exactly as the Python server creates them"), "{plan:?}");
    assert!(plan.adds_embeddings);
    db.setup().await;
    let plan = schema_plan(&target(&db.url)).await.unwrap();
    assert!(plan.current && plan.changes.is_empty() && !plan.adds_embeddings, "{plan:?}");
    assert!(plan.existing_tables.contains(&"memory_cards".to_string()), "{plan:?}");
}

/// Runs a migration behind a handle and waits for its outcome.
async fn migrate_with_handle(
    url: &str,
    data: &std::path::Path,
    legacy: &std::path::Path,
    cancel_after_batches: Option<usize>,
) -> Option<MigrateReport> {
    let device = Cache::open(data).unwrap().device().unwrap();
    let mut options = MigrateOptions::new(legacy.to_path_buf(), data.to_path_buf());
    options.limits = BatchLimits { rows: 40, ..options.limits };
    let batches = Arc::new(Mutex::new(0usize));
    let counted = batches.clone();
    let progress: noesis_engine::legacy::ProgressSink = Arc::new(move |e| {
        if matches!(e, ProgressEvent::Rows { .. }) {
            *counted.lock().unwrap() += 1;
        }
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = MigrationHandle::start(target(url), device, options, progress, move |r| {
        let _ = tx.send(r);
    });
    if let Some(n) = cancel_after_batches {
        while *batches.lock().unwrap() < n && !handle.is_finished() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        handle.cancel();
        while !handle.is_finished() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        return None;
    }
    Some(rx.await.expect("the run reports").expect("the migration succeeds"))
}

#[tokio::test]
async fn a_cancelled_migration_resumes_and_the_log_and_rejects_say_what_happened() {
    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let store = LegacyStore::new(&GenerateSpec { cards: 2000, ..GenerateSpec::small() });
    let data = data_dir();
    migrate_with_handle(&db.url, data.path(), store.path(), Some(3)).await;
    let device = Cache::open(data.path()).unwrap().device().unwrap();
    let runs = recorded_runs(&target(&db.url), &device.id.to_string()).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(runs[0].this_device && runs[0].status == "running", "a cancelled run is left to resume: {runs:?}");
    let cards: i64 = run_psql(&db.url, "SELECT count(*) FROM memory_cards").trim().parse().unwrap();
    assert!(cards > 0 && cards < 2000, "cancel stopped midway after committing some batches ({cards} cards)");

    let report = migrate_with_handle(&db.url, data.path(), store.path(), None).await.unwrap();
    let cards_table = report.tables.iter().find(|t| t.table == "memory_cards").unwrap();
    assert!(cards_table.resumed_after > 0, "the second run continued after the committed batches: {cards_table:?}");
    assert!(report.verification.as_ref().unwrap().ok, "every legacy row is accounted for");

    let other = Cache::open(data_dir().path()).unwrap().device().unwrap();
    let runs = recorded_runs(&target(&db.url), &other.id.to_string()).await.unwrap();
    assert!(runs.iter().any(|r| !r.this_device && r.status == "completed"), "another device sees the completed run: {runs:?}");
    let rejected = rejects(&target(&db.url), &device.id.to_string()).await.unwrap();
    let total: u32 = rejected.iter().map(|g| g.rows).sum();
    let expected: u64 = report.tables.iter().map(|t| t.counts.rejected).sum();
    assert!(total > 0 && u64::from(total) >= expected, "the hostile rows are listed with their reasons: {rejected:?}");
    assert!(rejected.iter().all(|g| !g.reason.is_empty() && !g.sample_ids.is_empty()), "{rejected:?}");
}
