//! `noesis-sync bench-migrate`: measures `migrate` against two baselines on the
//! same generated legacy store, on the same server, in one run:
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
use clap::Args;
use noesis_engine::central::{self, ServerTarget};
use noesis_engine::legacy::generate::{generate, GenerateSpec};
use noesis_engine::tables;
use noesis_engine::{DatabaseUrl, Error};
use sqlx::{Connection, Row};

use crate::context::Context;
use crate::output::print_json;

/// Options of `bench-migrate`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Size of the store relative to issue 3's (1.0 = 100k cards, 10k sessions,
    /// 20k mind-file entries, 5k documents, 200k chunks).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Rows loaded one by one for the row-by-row baseline.
    #[arg(long, default_value_t = 3000)]
    sample: usize,
    /// Only generate the store into this folder (and its hostile rows with
    /// `--hostile`), then stop: for trying `migrate` by hand.
    #[arg(long, value_name = "DIR")]
    generate_only: Option<PathBuf>,
    /// With --generate-only: add one of every hostile row.
    #[arg(long)]
    hostile: bool,
    /// The `psql` to use for the `\copy` baseline.
    #[arg(long, env = "NOESIS_PSQL", default_value = "psql")]
    psql: PathBuf,
}

struct Measured {
    seconds: f64,
    peak_rss_mb: f64,
    stdout: String,
}

/// Runs the benchmark and prints the comparison.
pub async fn run(ctx: &Context, args: BenchArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.generate_only {
        let spec = GenerateSpec { hostile: args.hostile, ..scaled(args.scale) };
        let generated = generate(dir, &spec)?;
        println!("generated {} and {}", generated.memory.display(), generated.documents.display());
        return Ok(());
    }
    let url = ctx.server_url(None)?.ok_or(Error::NoServerConfigured)?;
    let admin = ServerTarget::resolve(&url)?;
    let work = std::env::temp_dir().join(format!("noesis-bench-{}", uuid::Uuid::new_v4().simple()));
    let result = bench(ctx, &args, &admin, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn bench(ctx: &Context, args: &BenchArgs, admin: &ServerTarget, work: &Path) -> anyhow::Result<()> {
    let spec = scaled(args.scale);
    let legacy = work.join("legacy");
    let gen_started = Instant::now();
    {
        let (legacy, spec) = (legacy.clone(), spec.clone());
        tokio::task::spawn_blocking(move || generate(&legacy, &spec)).await??;
    }
    let store_mb = (file_size(&legacy.join("data/memory/memory_cards.sqlite3")) + file_size(&legacy.join("data/documents/documents.sqlite3"))) as f64 / 1e6;
    let total_rows = (spec.cards + spec.sessions + spec.mindfile + spec.documents + spec.chunks) as u64;
    eprintln!("generated {total_rows} legacy rows ({store_mb:.0} MB) in {:.1} s", gen_started.elapsed().as_secs_f64());

    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let names = [format!("noesis_bench_{tag}_migrate"), format!("noesis_bench_{tag}_copy"), format!("noesis_bench_{tag}_rows")];
    for name in &names {
        create_database(admin, name).await?;
    }
    let outcome = compare(ctx, args, admin, work, &legacy, &names, total_rows, store_mb).await;
    for name in &names {
        let _ = drop_database(admin, name).await;
    }
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn compare(
    ctx: &Context,
    args: &BenchArgs,
    admin: &ServerTarget,
    work: &Path,
    legacy: &Path,
    names: &[String; 3],
    total_rows: u64,
    store_mb: f64,
) -> anyhow::Result<()> {
    let urls: Vec<DatabaseUrl> = names.iter().map(|n| admin.url().with_database(n)).collect();
    let targets: Vec<ServerTarget> = urls.iter().map(|u| ServerTarget::exact(u.with_password(admin.url().password().cloned()))).collect();
    for t in &targets {
        central::setup(t).await?;
    }
    // Children get the URL without its password and the password in PGPASSWORD,
    // so it never appears on a command line.
    let full_url = |t: &ServerTarget| t.url().to_string().replace(":***@", "@");
    let password = admin.url().password().map(|p| p.expose().to_string()).unwrap_or_default();

    // 1. migrate, as a child process (its own peak RSS), without the verify step.
    eprintln!("migrate ...");
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(&exe);
    cmd.args(["--json", "--database-url", &full_url(&targets[0]), "--data-dir"])
        .arg(work.join("device"))
        .args(["migrate", "--no-verify", "--legacy-dir"])
        .arg(legacy);
    cmd.env("PGPASSWORD", &password);
    let migrate = measure(cmd)?;
    let report: serde_json::Value = serde_json::from_str(&migrate.stdout).context("migrate's JSON report")?;
    let migrated: u64 = report["tables"].as_array().map(|t| t.iter().map(|t| t["inserted"].as_u64().unwrap_or(0)).sum()).unwrap_or(0);

    eprintln!("verify ...");
    let mut cmd = Command::new(&exe);
    cmd.args(["--json", "--database-url", &full_url(&targets[0]), "--data-dir"])
        .arg(work.join("device"))
        .args(["verify", "--legacy-dir"])
        .arg(legacy);
    cmd.env("PGPASSWORD", &password);
    let verify = measure(cmd)?;

    // 2. psql \copy of the same rows: exported from the migrated database first.
    eprintln!("psql \\copy ...");
    let order = ["memory_cards", "chat_sessions", "mindfile_entries", "documents", "document_chunks"];
    let mut export = String::new();
    let mut import = String::new();
    for t in order {
        let file = work.join(format!("{t}.copy"));
        export.push_str(&format!("\\copy {t} TO '{}'\n", file.display()));
        import.push_str(&format!("\\copy {t} FROM '{}'\n", file.display()));
    }
    std::fs::write(work.join("export.sql"), export)?;
    std::fs::write(work.join("import.sql"), import)?;
    let psql = |url: String, script: PathBuf| {
        let mut cmd = Command::new(&args.psql);
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"]).arg(script).env("PGPASSWORD", &password);
        cmd
    };
    measure(psql(full_url(&targets[0]), work.join("export.sql")))?;
    let copy = measure(psql(full_url(&targets[1]), work.join("import.sql")))?;

    // 3. Row by row, one transaction per row, on a sample.
    eprintln!("row-by-row sample ...");
    let (sampled, row_secs) = row_by_row(&targets[0], &targets[2], args.sample).await?;
    let row_rate = sampled as f64 / row_secs;

    let migrate_rate = total_rows as f64 / migrate.seconds;
    let copy_rate = total_rows as f64 / copy.seconds;
    let summary = serde_json::json!({
        "rows": total_rows,
        "store_mb": store_mb,
        "migrate": { "inserted": migrated, "seconds": migrate.seconds, "rows_per_sec": migrate_rate, "peak_rss_mb": migrate.peak_rss_mb },
        "verify": { "seconds": verify.seconds, "rows_per_sec": total_rows as f64 / verify.seconds, "peak_rss_mb": verify.peak_rss_mb },
        "psql_copy": { "seconds": copy.seconds, "rows_per_sec": copy_rate, "peak_rss_mb": copy.peak_rss_mb },
        "row_by_row": { "sampled_rows": sampled, "sample_seconds": row_secs, "rows_per_sec": row_rate, "extrapolated_seconds": total_rows as f64 / row_rate },
        "migrate_vs_copy_percent": 100.0 * migrate_rate / copy_rate,
        "migrate_vs_row_by_row_factor": migrate_rate / row_rate,
    });
    if ctx.json {
        print_json(&summary);
        return Ok(());
    }
    println!("legacy store: {total_rows} rows, {store_mb:.0} MB (cards, sessions with messages, mind-file, documents, chunks)");
    println!("{:<44} {:>10} {:>10} {:>12} {:>12}", "method", "rows", "seconds", "rows/s", "peak RSS");
    println!("{:<44} {:>10} {:>10.1} {:>12.0} {:>9.0} MB", "noesis-sync migrate (snapshot+COPY+merge)", total_rows, migrate.seconds, migrate_rate, migrate.peak_rss_mb);
    println!("{:<44} {:>10} {:>10.1} {:>12.0} {:>9.0} MB", "psql \\copy of the same rows", total_rows, copy.seconds, copy_rate, copy.peak_rss_mb);
    println!(
        "{:<44} {:>10} {:>10.1} {:>12.0} {:>12}",
        format!("row-by-row INSERT, 1 tx/row (sample {sampled})"),
        total_rows,
        total_rows as f64 / row_rate,
        row_rate,
        "n/a"
    );
    println!("{:<44} {:>10} {:>10.1} {:>12.0} {:>9.0} MB", "noesis-sync verify (re-read + digests)", total_rows, verify.seconds, total_rows as f64 / verify.seconds, verify.peak_rss_mb);
    println!("row-by-row seconds are extrapolated from the {sampled}-row sample ({row_secs:.1} s)");
    println!("migrate reaches {:.0}% of the \\copy rate and {:.0}x the row-by-row rate", 100.0 * migrate_rate / copy_rate, migrate_rate / row_rate);
    Ok(())
}

/// The benchmark store, scaled.
fn scaled(factor: f64) -> GenerateSpec {
    let mut spec = GenerateSpec::benchmark();
    let scale = |n: usize| ((n as f64 * factor).round() as usize).max(1);
    spec.cards = scale(spec.cards);
    spec.sessions = scale(spec.sessions);
    spec.mindfile = scale(spec.mindfile);
    spec.documents = scale(spec.documents);
    spec.chunks = scale(spec.chunks);
    spec
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
            "chat_sessions" => "INSERT INTO chat_sessions SELECT * FROM jsonb_populate_record(NULL::chat_sessions, $1) ON CONFLICT DO NOTHING",
            "mindfile_entries" => "INSERT INTO mindfile_entries SELECT * FROM jsonb_populate_record(NULL::mindfile_entries, $1) ON CONFLICT DO NOTHING",
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
