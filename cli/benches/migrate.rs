//! The migration benchmark (`cargo bench -p noesis-sync --bench migrate --
//! --database-url URL [options]`, or `scripts/bench-migrate.sh`): measures the
//! `noesis-sync migrate` binary against two baselines on the same generated
//! legacy store, on the same server, in one run:
//! - `psql \copy` of exactly the rows migrate produced (the practical limit);
//! - row-by-row `INSERT ... ON CONFLICT DO NOTHING`, one transaction per row
//!   (how the old migration scripts worked), run on a sample and extrapolated.
//!
//! Each method loads into its own fresh database (created and dropped here), so
//! `--database-url` must name a user allowed to CREATE DATABASE. Peak RSS is the
//! child process's `ru_maxrss` (Linux). Nothing here is a pass/fail test.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;
use noesis_engine::central::{self, ServerTarget};
use noesis_engine::tables;
use noesis_engine::DatabaseUrl;
use noesis_test_support::generate::{generate, GenerateSpec};
use sqlx::{Connection, Row};

/// The benchmark's options.
#[derive(Parser, Debug)]
#[command(name = "bench-migrate", about = "Benchmark noesis-sync migrate against psql \\copy and row-by-row INSERTs")]
struct BenchArgs {
    /// A server and user allowed to CREATE DATABASE (password from PGPASSWORD).
    #[arg(long, env = "NOESIS_DATABASE_URL")]
    database_url: String,
    /// Print the comparison as JSON.
    #[arg(long)]
    json: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
    /// Size of the store relative to issue 3's (1.0 = 100k cards, 10k sessions,
    /// 20k mind-file entries, 5k documents, 200k chunks).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Rows loaded one by one for the row-by-row baseline.
    #[arg(long, default_value_t = 3000)]
    sample: usize,
    /// Runs of migrate and of \copy, interleaved (migrate, \copy, migrate, ...),
    /// each into a fresh database; the best of each is compared, which evens out
    /// a machine shared with other work.
    #[arg(long, default_value_t = 2)]
    runs: usize,
    /// The `psql` to use for the `\copy` baseline.
    #[arg(long, env = "NOESIS_PSQL", default_value = "psql")]
    psql: PathBuf,
}

struct Measured {
    seconds: f64,
    peak_rss_mb: f64,
    stdout: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = BenchArgs::parse();
    let admin = ServerTarget::resolve(&DatabaseUrl::parse(&args.database_url)?)?;
    let work = std::env::temp_dir().join(format!("noesis-bench-{}", uuid::Uuid::new_v4().simple()));
    let result = bench(&args, &admin, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn bench(args: &BenchArgs, admin: &ServerTarget, work: &Path) -> anyhow::Result<()> {
    let spec = GenerateSpec::scaled(args.scale);
    let legacy = work.join("legacy");
    let gen_started = Instant::now();
    {
        let (legacy, spec) = (legacy.clone(), spec.clone());
        tokio::task::spawn_blocking(move || generate(&legacy, &spec)).await??;
    }
    let store_mb = (file_size(&legacy.join("data/memory/memory_cards.sqlite3"))
        + file_size(&legacy.join("data/documents/documents.sqlite3"))) as f64
        / 1e6;
    let total_rows = (spec.cards + spec.sessions + spec.mindfile + spec.documents + spec.chunks) as u64;
    eprintln!("generated {total_rows} legacy rows ({store_mb:.0} MB) in {:.1} s", gen_started.elapsed().as_secs_f64());

    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let runs = args.runs.max(1);
    let mut names = vec![format!("noesis_bench_{tag}_rows")];
    for r in 0..runs {
        names.push(format!("noesis_bench_{tag}_migrate{r}"));
        names.push(format!("noesis_bench_{tag}_copy{r}"));
    }
    for name in &names {
        create_database(admin, name).await?;
    }
    let outcome = compare(args, admin, work, &legacy, &names, total_rows, store_mb).await;
    for name in &names {
        let _ = drop_database(admin, name).await;
    }
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn compare(
    args: &BenchArgs,
    admin: &ServerTarget,
    work: &Path,
    legacy: &Path,
    names: &[String],
    total_rows: u64,
    store_mb: f64,
) -> anyhow::Result<()> {
    let targets: Vec<ServerTarget> =
        names.iter().map(|n| ServerTarget::exact(admin.url().with_database(n).with_password(admin.url().password().cloned()))).collect();
    for t in &targets {
        central::setup(t).await?;
    }
    // Children get the URL without its password and the password in PGPASSWORD,
    // so it never appears on a command line.
    let full_url = |t: &ServerTarget| t.url().to_string().replace(":***@", "@");
    let password = admin.url().password().map(|p| p.expose().to_string()).unwrap_or_default();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_noesis-sync"));
    let noesis = |t: &ServerTarget, device: &str, command: &[&str]| {
        let mut cmd = Command::new(&exe);
        cmd.args(["--json", "--database-url", &full_url(t), "--data-dir"]).arg(work.join(device)).args(command).arg(legacy);
        cmd.env("PGPASSWORD", &password);
        cmd
    };
    let order = ["memory_cards", "chat_sessions", "mindfile_entries", "documents", "document_chunks"];
    let script = |direction: &str| {
        order.iter().map(|t| format!("\\copy {t} {direction} '{}'\n", work.join(format!("{t}.copy")).display())).collect::<String>()
    };
    std::fs::write(work.join("export.sql"), script("TO"))?;
    std::fs::write(work.join("import.sql"), script("FROM"))?;
    let psql = |t: &ServerTarget, file: &str| {
        let mut cmd = Command::new(&args.psql);
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &full_url(t), "-f"]).arg(work.join(file)).env("PGPASSWORD", &password);
        cmd
    };

    // Interleaved: migrate (no verify; the verify is timed once, separately),
    // then \copy of exactly the rows migrate produced.
    let mut migrates = Vec::new();
    let mut copies = Vec::new();
    let mut migrated = 0;
    for (r, pair) in targets[1..].chunks(2).enumerate() {
        eprintln!("run {}: migrate ...", r + 1);
        let m = measure(noesis(&pair[0], &format!("device{r}"), &["migrate", "--no-verify", "--no-seed-cache", "--legacy-dir"]))?;
        let report: serde_json::Value = serde_json::from_str(&m.stdout).context("migrate's JSON report")?;
        migrated = report["tables"].as_array().map(|t| t.iter().map(|t| t["inserted"].as_u64().unwrap_or(0)).sum()).unwrap_or(0);
        migrates.push(m);
        if r == 0 {
            measure(psql(&pair[0], "export.sql"))?;
        }
        eprintln!("run {}: psql \\copy ...", r + 1);
        copies.push(measure(psql(&pair[1], "import.sql"))?);
    }
    eprintln!("verify ...");
    let verify = measure(noesis(&targets[1], "device0", &["verify", "--legacy-dir"]))?;
    eprintln!("row-by-row sample ...");
    let (sampled, row_secs) = row_by_row(&targets[1], &targets[0], args.sample).await?;
    let row_rate = sampled as f64 / row_secs;

    let best = |v: &[Measured]| v.iter().map(|m| m.seconds).fold(f64::INFINITY, f64::min);
    let all = |v: &[Measured]| v.iter().map(|m| format!("{:.1}", m.seconds)).collect::<Vec<_>>().join(", ");
    let peak = |v: &[Measured]| v.iter().map(|m| m.peak_rss_mb).fold(0.0, f64::max);
    let (migrate_s, copy_s) = (best(&migrates), best(&copies));
    let migrate_rate = total_rows as f64 / migrate_s;
    let copy_rate = total_rows as f64 / copy_s;
    let summary = serde_json::json!({
        "rows": total_rows,
        "store_mb": store_mb,
        "runs": migrates.len(),
        "migrate": { "inserted": migrated, "best_seconds": migrate_s, "all_seconds": migrates.iter().map(|m| m.seconds).collect::<Vec<_>>(), "rows_per_sec": migrate_rate, "peak_rss_mb": peak(&migrates) },
        "verify": { "seconds": verify.seconds, "rows_per_sec": total_rows as f64 / verify.seconds, "peak_rss_mb": verify.peak_rss_mb },
        "psql_copy": { "best_seconds": copy_s, "all_seconds": copies.iter().map(|m| m.seconds).collect::<Vec<_>>(), "rows_per_sec": copy_rate, "peak_rss_mb": peak(&copies) },
        "row_by_row": { "sampled_rows": sampled, "sample_seconds": row_secs, "rows_per_sec": row_rate, "extrapolated_seconds": total_rows as f64 / row_rate },
        "migrate_vs_copy_percent": 100.0 * migrate_rate / copy_rate,
        "migrate_vs_row_by_row_factor": migrate_rate / row_rate,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!("legacy store: {total_rows} rows, {store_mb:.0} MB (cards, sessions with messages, mind-file, documents, chunks)");
    println!("{:<44} {:>10} {:>10} {:>12} {:>12}  all runs (s)", "method", "rows", "seconds", "rows/s", "peak RSS");
    println!(
        "{:<44} {:>10} {:>10.1} {:>12.0} {:>9.0} MB  {}",
        "noesis-sync migrate (snapshot+COPY+merge)",
        total_rows,
        migrate_s,
        migrate_rate,
        peak(&migrates),
        all(&migrates)
    );
    println!(
        "{:<44} {:>10} {:>10.1} {:>12.0} {:>9.0} MB  {}",
        "psql \\copy of the same rows",
        total_rows,
        copy_s,
        copy_rate,
        peak(&copies),
        all(&copies)
    );
    println!(
        "{:<44} {:>10} {:>10.1} {:>12.0} {:>12}",
        format!("row-by-row INSERT, 1 tx/row (sample {sampled})"),
        total_rows,
        total_rows as f64 / row_rate,
        row_rate,
        "n/a"
    );
    println!(
        "{:<44} {:>10} {:>10.1} {:>12.0} {:>9.0} MB",
        "noesis-sync verify (re-read + digests)",
        total_rows,
        verify.seconds,
        total_rows as f64 / verify.seconds,
        verify.peak_rss_mb
    );
    println!(
        "best of {} interleaved runs each; row-by-row seconds are extrapolated from the {sampled}-row sample ({row_secs:.1} s)",
        migrates.len()
    );
    println!(
        "migrate reaches {:.0}% of the \\copy rate and {:.0}x the row-by-row rate",
        100.0 * migrate_rate / copy_rate,
        migrate_rate / row_rate
    );
    Ok(())
}

/// Copies a sample of rows from `from` to `to` one statement (and so one
/// transaction) per row; returns rows and seconds.
async fn row_by_row(from: &ServerTarget, to: &ServerTarget, sample: usize) -> anyhow::Result<(u64, f64)> {
    let mut src = from.connect().await?;
    let mut dst = to.connect().await?;
    let per_table = (sample / tables::EDITABLE.len()).max(1) as i64;
    let mut rows: Vec<(&str, serde_json::Value)> = Vec::new();
    let mut doc_ids: Vec<String> = Vec::new();
    for spec in tables::EDITABLE {
        let sql = if spec.name == "document_chunks" {
            "SELECT to_jsonb(t) FROM document_chunks t WHERE document_id = ANY($2) LIMIT $1"
        } else {
            match spec.name {
                "memory_cards" => "SELECT to_jsonb(t) FROM memory_cards t LIMIT $1",
                "chat_sessions" => "SELECT to_jsonb(t) FROM chat_sessions t LIMIT $1",
                "mindfile_entries" => "SELECT to_jsonb(t) FROM mindfile_entries t LIMIT $1",
                _ => "SELECT to_jsonb(t) FROM documents t LIMIT $1",
            }
        };
        for r in sqlx::query(sql).bind(per_table).bind(&doc_ids).fetch_all(&mut src).await? {
            let v: serde_json::Value = r.get(0);
            if spec.name == "documents" {
                doc_ids.push(v["id"].as_str().unwrap_or_default().to_string());
            }
            rows.push((spec.name, v));
        }
    }
    let started = Instant::now();
    for (table, row) in &rows {
        let sql = match *table {
            "memory_cards" => "INSERT INTO memory_cards SELECT * FROM jsonb_populate_record(NULL::memory_cards, $1) ON CONFLICT DO NOTHING",
            "chat_sessions" => {
                "INSERT INTO chat_sessions SELECT * FROM jsonb_populate_record(NULL::chat_sessions, $1) ON CONFLICT DO NOTHING"
            }
            "mindfile_entries" => {
                "INSERT INTO mindfile_entries SELECT * FROM jsonb_populate_record(NULL::mindfile_entries, $1) ON CONFLICT DO NOTHING"
            }
            "documents" => "INSERT INTO documents SELECT * FROM jsonb_populate_record(NULL::documents, $1) ON CONFLICT DO NOTHING",
            _ => "INSERT INTO document_chunks SELECT * FROM jsonb_populate_record(NULL::document_chunks, $1) ON CONFLICT DO NOTHING",
        };
        // BEGIN, INSERT, COMMIT: what a Python script committing each row sends.
        let mut tx = dst.begin().await?;
        sqlx::query(sql).bind(row).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = src.close().await;
    let _ = dst.close().await;
    Ok((rows.len() as u64, secs))
}

/// Runs a child to completion, returning its stdout, wall time and peak RSS.
fn measure(mut cmd: Command) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).stdin(Stdio::null()).spawn().context("start a benchmark step")?;
    let mut stdout = String::new();
    child.stdout.take().expect("piped").read_to_string(&mut stdout)?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child's pid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(waited == pid, "waiting for a benchmark step failed");
    anyhow::ensure!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "benchmark step {cmd:?} failed:\n{stdout}");
    Ok(Measured { seconds, peak_rss_mb: usage.ru_maxrss as f64 / 1024.0, stdout })
}

async fn create_database(admin: &ServerTarget, name: &str) -> anyhow::Result<()> {
    let mut conn = admin.connect().await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    let _ = conn.close().await;
    Ok(())
}

async fn drop_database(admin: &ServerTarget, name: &str) -> anyhow::Result<()> {
    let mut conn = admin.connect().await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await?;
    let _ = conn.close().await;
    Ok(())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
