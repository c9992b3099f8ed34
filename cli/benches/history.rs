//! History benchmark (not a test): `scripts/bench.sh history`.
//!
//! Against the PostgreSQL that scripts/with-test-postgres.sh provides, each
//! figure next to a baseline run in this same process:
//! 1. opening a card's history with 1,000 versions (`sync::history::history`,
//!    what `noesis-sync history` and the app's panel call), p50 and p95 of 30;
//!    baseline: a bare SELECT of the same 1,000 rows of `row_versions`;
//! 2. what keeping history costs the server's writes: the same statements
//!    with the history triggers enabled and disabled, alternated (a
//!    10,000-row UPDATE, 1,000 one-row UPDATEs as pushes make them, a
//!    10,000-row DELETE), and inserts, which keep nothing (a first migration).

use std::time::{Duration, Instant};

use noesis_engine::central::{self, ServerTarget};
use noesis_engine::sync::history;
use noesis_engine::DatabaseUrl;
use sqlx::{Connection, Executor, PgConnection};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const VERSIONS: usize = 1_000;
const OPENINGS: usize = 30;
const BULK_ROWS: usize = 10_000;
const ROUNDS: usize = 3;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let admin = std::env::var("NOESIS_TEST_DATABASE_URL").expect("run through scripts/bench.sh, which starts PostgreSQL");
    let name = format!("noesis_bench_history_{}", std::process::id());
    let mut admin_conn = PgConnection::connect(&admin).await.unwrap();
    admin_conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    let target = ServerTarget::exact(DatabaseUrl::parse(url.as_str()).unwrap());
    central::setup(&target).await.unwrap();
    let mut conn = PgConnection::connect(url.as_str()).await.unwrap();
    let spec = noesis_engine::tables::by_name("memory_cards").unwrap();

    // 1. A card edited 1,000 times.
    conn.execute(sqlx::AssertSqlSafe(card_inserts("h", 1))).await.unwrap();
    for i in 0..VERSIONS {
        sqlx::query("UPDATE memory_cards SET text = $1 WHERE id = 'h-0'")
            .bind(format!("edit {i} of a card the model keeps rewriting"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let mut ours = Vec::with_capacity(OPENINGS);
    let mut bare = Vec::with_capacity(OPENINGS);
    for _ in 0..OPENINGS {
        let start = Instant::now();
        let story = history::history(&mut conn, &target, spec, "h-0").await.unwrap();
        ours.push(start.elapsed());
        assert_eq!(story.versions.len(), VERSIONS);
        let start = Instant::now();
        let rows: Vec<(i64, serde_json::Value)> =
            sqlx::query_as("SELECT version_id, row_data FROM noesis_sync.row_versions WHERE table_name = 'memory_cards' AND row_id = 'h-0' ORDER BY version_id DESC")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        bare.push(start.elapsed());
        assert_eq!(rows.len(), VERSIONS);
    }
    let (p50, p95, b50) = (percentile(&mut ours, 50), percentile(&mut ours, 95), percentile(&mut bare, 50));
    println!("history of one card with {VERSIONS} versions (n={OPENINGS}):");
    println!("  noesis history    p50 {:>7.1} ms  p95 {:>7.1} ms   (goal: under 100 ms)", ms(p50), ms(p95));
    println!("  bare SELECT       p50 {:>7.1} ms   ratio {:.2}", ms(b50), ms(p50) / ms(b50));

    // 2. The cost of keeping history on the server's writes.
    let mut with = [Duration::ZERO; 4];
    let mut without = [Duration::ZERO; 4];
    for round in 0..ROUNDS {
        for keep in [true, false] {
            let switch = if keep { "ENABLE" } else { "DISABLE" };
            for trigger in ["noesis_history_updated", "noesis_history_deleted"] {
                conn.execute(sqlx::AssertSqlSafe(format!("ALTER TABLE memory_cards {switch} TRIGGER {trigger}"))).await.unwrap();
            }
            let prefix = format!("b{round}{}", if keep { "k" } else { "n" });
            let times = if keep { &mut with } else { &mut without };
            let start = Instant::now();
            conn.execute(sqlx::AssertSqlSafe(card_inserts(&prefix, BULK_ROWS))).await.unwrap();
            times[0] += start.elapsed();
            let start = Instant::now();
            sqlx::query("UPDATE memory_cards SET text = text || ' (edited)' WHERE id LIKE $1")
                .bind(format!("{prefix}-%"))
                .execute(&mut conn)
                .await
                .unwrap();
            times[1] += start.elapsed();
            let start = Instant::now();
            for i in 0..1_000 {
                sqlx::query("UPDATE memory_cards SET approval = 'approved' WHERE id = $1")
                    .bind(format!("{prefix}-{i}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            times[2] += start.elapsed();
            let start = Instant::now();
            sqlx::query("DELETE FROM memory_cards WHERE id LIKE $1").bind(format!("{prefix}-%")).execute(&mut conn).await.unwrap();
            times[3] += start.elapsed();
        }
    }
    println!("server writes with history kept vs history triggers disabled (sum of {ROUNDS} alternated rounds):");
    for (i, what) in [
        format!("INSERT of {BULK_ROWS} cards (a first migration)"),
        format!("UPDATE of {BULK_ROWS} cards in one statement"),
        "1,000 one-row UPDATEs (as pushes make them)".to_string(),
        format!("DELETE of {BULK_ROWS} cards"),
    ]
    .iter()
    .enumerate()
    {
        println!("  {what:<48} {:>8.1} ms vs {:>8.1} ms   ratio {:.2}", ms(with[i]), ms(without[i]), ms(with[i]) / ms(without[i]));
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM noesis_sync.row_versions WHERE row_id LIKE 'b%' AND row_id NOT LIKE '%-%-%'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    println!("  versions kept by the rounds with history: {kept}");
    drop(conn);
    admin_conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).await.unwrap();
}

fn card_inserts(prefix: &str, n: usize) -> String {
    format!(
        "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance)
         SELECT '{prefix}-' || i, now(), 'preferences', 'global', 'A card about how the user likes answers written, number ' || i,
                'pending', '{{\"reason\": \"from a chat\"}}'
         FROM generate_series(0, {}) i",
        n - 1
    )
}

fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
