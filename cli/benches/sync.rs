//! Sync benchmark (not a test): `scripts/bench.sh sync`.
//!
//! On loopback, against the PostgreSQL that scripts/with-test-postgres.sh
//! provides, it measures, each next to a baseline run in this same process:
//! 1. latency from a write in device A's cache (by another connection, as the
//!    app or the sqlite3 shell would) to its arrival in device B's cache, with
//!    both agents running; baseline: a bare INSERT seen through LISTEN/NOTIFY by
//!    a second Postgres connection (the floor of any push-notify-pull design);
//!    and the same for an edit of each synced card (an UPDATE on the server);
//! 2. statements per minute sent by an idle agent, counted on the wire by a
//!    proxy, next to the server's own transaction count for the bench
//!    database over the same minutes (which includes autovacuum's work);
//! 3. pull apply throughput for 100k changed rows, a new device's first
//!    sync of the same rows (a full snapshot), and the same rows edited by one
//!    central UPDATE; baseline: reading the same rows from Postgres and
//!    inserting them into a bare SQLite table.
//!
//! `NOESIS_BENCH_HISTORY=off` runs it with the history triggers disabled: the
//! baseline for what keeping history costs sync (run both, alternated).

use std::time::{Duration, Instant};

use noesis_engine::cache::Cache;
use noesis_engine::central::{self, ServerTarget};
use noesis_engine::sync::{start_agent, sync_once, AgentConfig, DEFAULT_SETTLE_WAIT};
use noesis_engine::DatabaseUrl;
use sqlx::{Connection, Executor, PgConnection, Row};

/// The allocator the product binaries use (see cli/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../../tests/support/wire_count.rs"]
mod wire_count;

/// Writes timed for the latency figures.
const LATENCY_WRITES: usize = 200;
/// Rows changed centrally for the pull throughput figure.
const PULL_ROWS: usize = 100_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let admin = std::env::var("NOESIS_TEST_DATABASE_URL").expect("run through scripts/bench.sh, which starts PostgreSQL");
    let idle_secs: u64 = std::env::var("NOESIS_BENCH_IDLE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(125);
    let name = format!("noesis_bench_{}", std::process::id());
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    let url = url.to_string();
    let target = ServerTarget::exact(DatabaseUrl::parse(&url).unwrap());
    central::setup(&target).await.unwrap();
    // NOESIS_BENCH_HISTORY=off: the same run without the history triggers, the
    // baseline of what keeping history costs sync.
    let history = std::env::var("NOESIS_BENCH_HISTORY").map_or(true, |v| v != "off");
    if !history {
        let mut bench_db = PgConnection::connect(&url).await.unwrap();
        for table in noesis_engine::tables::with_history() {
            for trigger in ["noesis_history_updated", "noesis_history_deleted"] {
                bench_db.execute(sqlx::AssertSqlSafe(format!("ALTER TABLE {} DISABLE TRIGGER {trigger}", table.name))).await.unwrap();
            }
        }
    }

    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&dir_a, &dir_b] {
        sync_once(&mut Cache::open(dir.path()).unwrap(), &target, DEFAULT_SETTLE_WAIT).await.unwrap();
    }

    // NOESIS_BENCH_ONLY=pull skips the latency and idle parts (for profiling).
    let only_pull = std::env::var("NOESIS_BENCH_ONLY").is_ok_and(|v| v == "pull");
    let (mut latencies, mut edit_latencies, mut baseline, mut idle_qpm_per_agent) =
        (vec![Duration::ZERO], vec![Duration::ZERO], (Duration::from_nanos(1), Duration::from_nanos(1)), f64::NAN);
    let (mut server_tpm, mut autovacuum_in_window) = (f64::NAN, 0);
    if !only_pull {
        // 1. Latency, with both agents running.
        let agent_a = start_agent(AgentConfig::new(dir_a.path().to_path_buf(), target.clone())).unwrap();
        let agent_b = start_agent(AgentConfig::new(dir_b.path().to_path_buf(), target.clone())).unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let writer = rusqlite::Connection::open(dir_a.path().join("cache.sqlite3")).unwrap();
        writer.busy_timeout(Duration::from_secs(10)).unwrap();
        let reader = rusqlite::Connection::open(dir_b.path().join("cache.sqlite3")).unwrap();
        latencies = arrival_times(&writer, &reader, |i| {
            format!(
                "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
                 VALUES ('lat-{i}', '2025-01-01T00:00:00Z', 'preferences', 'global', 'latency probe', 'pending', '{{\"reason\": \"written by a test\"}}')"
            )
        }, |i| format!("SELECT EXISTS (SELECT 1 FROM memory_cards WHERE id = 'lat-{i}')"))
        .await;
        // An edit of a synced card: on the server an UPDATE, which keeps the
        // replaced version in the history.
        edit_latencies = arrival_times(
            &writer,
            &reader,
            |i| format!("UPDATE memory_cards SET text = 'edited probe {i}' WHERE id = 'lat-{i}'"),
            |i| format!("SELECT EXISTS (SELECT 1 FROM memory_cards WHERE id = 'lat-{i}' AND text = 'edited probe {i}')"),
        )
        .await;
        agent_a.stop().await;
        agent_b.stop().await;
        baseline = notify_baseline(&url).await;

        // 2. Idle statements per minute, with two fresh agents once their start-up
        // cycle is over, counted on the wire between the agents and the server.
        // The server's transaction count for the bench database over the same
        // window is printed beside it: it also counts autovacuum and autoanalyze
        // (which the latency phase's writes set off), so it is not the agents' own.
        let counter = wire_count::WireCounter::start(&url).await;
        let counted = ServerTarget::exact(DatabaseUrl::parse(&counter.url_for(&url)).unwrap());
        let agent_a = start_agent(AgentConfig::new(dir_a.path().to_path_buf(), counted.clone())).unwrap();
        let agent_b = start_agent(AgentConfig::new(dir_b.path().to_path_buf(), counted)).unwrap();
        for agent in [&agent_a, &agent_b] {
            let mut status = agent.status();
            status
                .wait_for(|s| s.state == noesis_engine::sync::SyncState::Online && s.last_sync.is_some())
                .await
                .expect("the agent reports its state");
        }
        tokio::time::sleep(Duration::from_secs(12)).await;
        // The autovacuum query runs on the bench database: outside the window.
        let vacuum_before = autovacuum_runs(&url).await;
        let server_before = transactions(&mut conn, &name).await;
        let sent_before = counter.statements();
        tokio::time::sleep(Duration::from_secs(idle_secs)).await;
        let sent_after = counter.statements();
        let server_after = transactions(&mut conn, &name).await;
        let vacuum_after = autovacuum_runs(&url).await;
        let minutes = idle_secs as f64 / 60.0;
        idle_qpm_per_agent = (sent_after - sent_before) as f64 / 2.0 / minutes;
        server_tpm = (server_after - server_before) as f64 / minutes;
        autovacuum_in_window = vacuum_after - vacuum_before;
        agent_a.stop().await;
        agent_b.stop().await;
    }

    // 3. Pull throughput for 100k changed rows.
    let mut central_conn = PgConnection::connect(&url).await.unwrap();
    central_conn
        .execute(sqlx::AssertSqlSafe(format!(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
             SELECT 'bulk-' || g, now(), 'preferences', 'global', 'bulk card number ' || g || ' ' || repeat('x', 80), 'pending',
                    jsonb_build_object('reason', 'bench', 'sources', jsonb_build_array('s' || g))
             FROM generate_series(1, {PULL_ROWS}) g"
        )))
        .await
        .unwrap();
    let mut cache_b = Cache::open(dir_b.path()).unwrap();
    let (start, cpu_start) = (Instant::now(), cpu_secs());
    let report = sync_once(&mut cache_b, &target, DEFAULT_SETTLE_WAIT).await.unwrap();
    let (pull_secs, pull_cpu) = (start.elapsed().as_secs_f64(), cpu_secs() - cpu_start);
    assert_eq!(report.pull.applied as usize, PULL_ROWS, "{report:?}");
    let pull_rate = PULL_ROWS as f64 / pull_secs;
    // A new device's first sync: every row, read from one snapshot.
    let dir_c = tempfile::tempdir().unwrap();
    let mut cache_c = Cache::open(dir_c.path()).unwrap();
    let start = Instant::now();
    let first = sync_once(&mut cache_c, &target, DEFAULT_SETTLE_WAIT).await.unwrap();
    let first_secs = start.elapsed().as_secs_f64();
    assert!(first.pull.snapshot && first.pull.applied as usize >= PULL_ROWS, "{first:?}");
    let first_rate = first.pull.applied as f64 / first_secs;
    // The same rows edited centrally in one statement (a re-tagging pass of
    // the Python server): every replaced version goes to the history.
    central_conn.execute("UPDATE memory_cards SET approval = 'approved', approved_at = now() WHERE id LIKE 'bulk-%'").await.unwrap();
    let start = Instant::now();
    let edited = sync_once(&mut cache_b, &target, DEFAULT_SETTLE_WAIT).await.unwrap();
    let edited_rate = edited.pull.applied as f64 / start.elapsed().as_secs_f64();
    assert_eq!(edited.pull.applied as usize, PULL_ROWS, "{edited:?}");
    let cpu_start = cpu_secs();
    let baseline_rate = copy_baseline(&mut central_conn).await;
    let baseline_cpu = cpu_secs() - cpu_start;

    // The q-quantile of some latencies.
    let quantile = |v: &[Duration], q: f64| {
        let mut v = v.to_vec();
        v.sort();
        v[((v.len() as f64 - 1.0) * q).round() as usize]
    };
    let p = |q: f64| quantile(&latencies, q);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "sync benchmark (loopback, {} CPUs, history {})",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        if history { "kept" } else { "triggers disabled" }
    );
    println!("{:<44} {:>12} {:>12} {:>8} {:>10}", "measure", "noesis", "baseline", "ratio", "goal");
    println!(
        "{:<44} {:>9.1} ms {:>9.1} ms {:>8.1} {:>10}",
        "write A -> cache B, p50",
        ms(p(0.5)),
        ms(baseline.0),
        ms(p(0.5)) / ms(baseline.0),
        "< 100 ms"
    );
    println!(
        "{:<44} {:>9.1} ms {:>9.1} ms {:>8.1} {:>10}",
        "write A -> cache B, p95",
        ms(p(0.95)),
        ms(baseline.1),
        ms(p(0.95)) / ms(baseline.1),
        "< 500 ms"
    );
    for (what, at) in [("edit in A -> cache B, p50", 0.5), ("edit in A -> cache B, p95", 0.95)] {
        println!("{:<44} {:>9.1} ms {:>12} {:>8} {:>10}", what, ms(quantile(&edit_latencies, at)), "-", "-", "-");
    }
    println!(
        "{:<44} {:>12.0} {:>12.0} {:>8.2} {:>10}",
        "pull apply, rows/s (100k changed rows)",
        pull_rate,
        baseline_rate,
        pull_rate / baseline_rate,
        ">= 50000"
    );
    println!(
        "{:<44} {:>12.0} {:>12.0} {:>8.2} {:>10}",
        "first sync of a new device, rows/s",
        first_rate,
        baseline_rate,
        first_rate / baseline_rate,
        "-"
    );
    println!(
        "{:<44} {:>12.0} {:>12.0} {:>8.2} {:>10}",
        "pull apply, rows/s (100k edited rows)",
        edited_rate,
        baseline_rate,
        edited_rate / baseline_rate,
        "-"
    );
    // CPU time of this process (all threads; not the server's): steadier than
    // rows/s on a machine shared with other work.
    let per_1k = |secs: f64| secs * 1000.0 / (PULL_ROWS as f64 / 1000.0);
    println!(
        "{:<44} {:>9.1} ms {:>9.1} ms {:>8.2} {:>10}",
        "pull apply, CPU per 1k rows (this process)",
        per_1k(pull_cpu),
        per_1k(baseline_cpu),
        pull_cpu / baseline_cpu,
        "-"
    );
    println!(
        "{:<44} {:>12.2} {:>12} {:>8} {:>10}",
        format!("idle statements/minute per agent ({idle_secs} s)"),
        idle_qpm_per_agent,
        "-",
        "-",
        "<= 2"
    );
    println!(
        "  (server: {server_tpm:.1} transactions/minute in the bench database over the same window, 2 agents + background work; autovacuum/autoanalyze runs: {autovacuum_in_window})"
    );
    let _ = conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).await;
}

/// How long each of LATENCY_WRITES writes made by `write(i)` in device A's
/// cache takes to show in device B's cache (`seen(i)` returns true).
async fn arrival_times(
    writer: &rusqlite::Connection,
    reader: &rusqlite::Connection,
    write: impl Fn(usize) -> String,
    seen: impl Fn(usize) -> String,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(LATENCY_WRITES);
    for i in 0..LATENCY_WRITES {
        let start = Instant::now();
        writer.execute(&write(i), []).unwrap();
        while !reader.query_row(&seen(i), [], |r| r.get::<_, bool>(0)).unwrap() {
            assert!(start.elapsed() < Duration::from_secs(30), "write {i} never arrived on device B");
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        times.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    times
}

/// p50 and p95 of a bare INSERT on one connection seen through NOTIFY on another.
async fn notify_baseline(url: &str) -> (Duration, Duration) {
    let mut listener = sqlx::postgres::PgListener::connect(url).await.unwrap();
    listener.listen("noesis_bench_baseline").await.unwrap();
    let mut writer = PgConnection::connect(url).await.unwrap();
    writer.execute("CREATE TEMP TABLE probe (id int)").await.unwrap();
    let mut times = Vec::new();
    for i in 0..LATENCY_WRITES {
        let start = Instant::now();
        writer.execute(sqlx::AssertSqlSafe(format!("INSERT INTO probe VALUES ({i}); NOTIFY noesis_bench_baseline"))).await.unwrap();
        listener.recv().await.unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times[(times.len() as f64 * 0.95) as usize])
}

/// Rows/s of the plainest possible pull: the same rows read from Postgres and
/// inserted into a bare SQLite table in one transaction.
async fn copy_baseline(conn: &mut PgConnection) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = rusqlite::Connection::open(dir.path().join("plain.sqlite3")).unwrap();
    sqlite.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (id TEXT PRIMARY KEY, created_at TEXT, category TEXT, scope TEXT, text TEXT, approval TEXT, provenance TEXT)").unwrap();
    let start = Instant::now();
    let rows = sqlx::query(
        "SELECT id, created_at::text, category, scope, text, approval, provenance::text FROM memory_cards WHERE id LIKE 'bulk-%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let tx = sqlite.transaction().unwrap();
    {
        let mut stmt = tx.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)").unwrap();
        for r in &rows {
            stmt.execute(rusqlite::params![
                r.get::<String, _>(0),
                r.get::<String, _>(1),
                r.get::<String, _>(2),
                r.get::<String, _>(3),
                r.get::<String, _>(4),
                r.get::<String, _>(5),
                r.get::<String, _>(6)
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    rows.len() as f64 / start.elapsed().as_secs_f64()
}

/// Autovacuum and autoanalyze runs on the bench database's tables so far: the
/// background work the server's own transaction count includes.
async fn autovacuum_runs(url: &str) -> i64 {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let _ = conn.execute("SELECT pg_stat_clear_snapshot()").await;
    sqlx::query("SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0)::bigint FROM pg_stat_all_tables")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0)
}

/// User and system CPU seconds this process has used so far, all threads
/// (Linux `/proc`, in USER_HZ = 100 ticks; NaN elsewhere).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return f64::NAN };
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

/// Committed transactions on the database so far.
async fn transactions(conn: &mut PgConnection, database: &str) -> i64 {
    // Statistics are flushed by backends at most once a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = conn.execute("SELECT pg_stat_clear_snapshot()").await;
    sqlx::query("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1")
        .bind(database)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0)
}
