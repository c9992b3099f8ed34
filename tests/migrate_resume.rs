//! Resumability: `migrate` killed with SIGKILL at several moments, then run
//! again, ends in exactly the state of an uninterrupted run, with no duplicates.

use crate::support;

use std::time::{Duration, Instant};

use noesis_test_support::generate::GenerateSpec;
use support::legacy::{self, central_state, LegacyStore};
use support::{all_output, data_dir, run_psql, stdout_json, Server, TestDb};

/// Enough rows for many 40-row batches, so kills land mid-run.
fn spec() -> GenerateSpec {
    GenerateSpec { cards: 6000, sessions: 600, mindfile: 1000, documents: 40, chunks: 3000, ..GenerateSpec::small() }
}

const BATCH: &[&str] = &["--batch-rows", "40"];

/// Starts migrate, waits until `ready` says so (or the run ends), then kills it
/// with SIGKILL. Returns whether it was killed mid-run.
fn kill_when(url: &str, device: &std::path::Path, legacy_dir: &std::path::Path, ready: &dyn Fn() -> bool) -> bool {
    let mut child = legacy::migrate_cmd(url, device, legacy_dir, BATCH)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() && Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = child.try_wait().unwrap().is_none();
    child.kill().unwrap_or(()); // SIGKILL on Unix
    child.wait().unwrap();
    killed
}

#[tokio::test]
async fn killed_runs_resume_to_exactly_the_state_of_an_uninterrupted_run() {
    let store = LegacyStore::new(&spec());

    let reference = TestDb::new(Server::Pgvector).await;
    reference.setup().await;
    let out = legacy::migrate(&reference.url, data_dir().path(), store.path(), BATCH);
    assert!(out.status.success(), "{}", all_output(&out));
    let expected = central_state(&reference.url);
    let versions = |url: &str| run_psql(url, "SELECT count(*) FROM noesis_sync.row_versions").trim().to_string();
    assert_eq!(versions(&reference.url), "0", "a first migration only inserts: it writes no history");

    let db = TestDb::new(Server::Pgvector).await;
    db.setup().await;
    let device = data_dir();
    let url = db.url.clone();
    let mark = |table: &str| -> i64 {
        run_psql(&url, &format!("SELECT coalesce(max(last_rowid), 0) FROM noesis_sync.legacy_high_water WHERE table_name = '{table}'"))
            .trim()
            .parse()
            .unwrap()
    };
    let mut kills = 0;
    // While snapshotting (right after start).
    kills += kill_when(&db.url, device.path(), store.path(), &|| {
        std::thread::sleep(Duration::from_millis(150));
        true
    }) as i32;
    // In the middle of the cards, twice.
    kills += kill_when(&db.url, device.path(), store.path(), &|| mark("memory_cards") >= 1000) as i32;
    kills += kill_when(&db.url, device.path(), store.path(), &|| mark("memory_cards") >= 3000) as i32;
    // In the documents store.
    kills += kill_when(&db.url, device.path(), store.path(), &|| mark("document_chunks") >= 400) as i32;
    // During verification, after every table is merged.
    kills += kill_when(&db.url, device.path(), store.path(), &|| mark("document_chunks") >= 3000) as i32;
    assert!(kills >= 3, "the test must actually kill runs midway (killed {kills} times)");

    let out = legacy::migrate(&db.url, device.path(), store.path(), BATCH);
    assert!(out.status.success(), "the run after the kills must complete:\n{}", all_output(&out));
    let report = stdout_json(&out);
    assert_eq!(report["verification"]["ok"], true, "{}", report["verification"]);
    assert_eq!(central_state(&db.url), expected, "interrupted-then-resumed differs from an uninterrupted run");
    assert_eq!(versions(&db.url), "0", "resuming rewrites no row, so it keeps no history either");
    let resumed = legacy::table(&report, "memory_cards")["resumed_after"].as_i64().unwrap();
    assert!(resumed > 0, "the last run must resume from the high-water mark, not start over");
    let interrupted =
        run_psql(&db.url, "SELECT count(*) FROM noesis_sync.legacy_runs WHERE status = 'interrupted' AND finished_at IS NOT NULL");
    assert!(interrupted.trim().parse::<i32>().unwrap() >= 1, "killed runs are recorded as interrupted");
    let running = run_psql(&db.url, "SELECT count(*) FROM noesis_sync.legacy_runs WHERE status = 'running'");
    assert_eq!(running.trim(), "0", "no run is left looking as if it were still going");
}
