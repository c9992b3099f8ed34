//! `noesis-sync migrate`: the first-run import of the old server's SQLite stores.

use std::path::PathBuf;

use clap::Args;
use noesis_engine::central::ServerTarget;
use noesis_engine::legacy::{self, BatchLimits, MigrateOptions, MigrateReport};
use noesis_engine::Error;

use crate::context::Context;
use crate::output::print_json;
use crate::progress_bars;

use super::verify::print_verification;

/// Options of `migrate`.
#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The old Noesis project root (holding data/memory/memory_cards.sqlite3 and
    /// data/documents/documents.sqlite3). Its files are only read.
    #[arg(long, value_name = "DIR", value_parser = super::legacy_folder)]
    legacy_dir: PathBuf,
    /// Report per table what would be inserted, left unchanged, conflicted or
    /// rejected, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// After the first pass, keep watching the legacy stores and import new and
    /// changed rows within seconds (bridge mode). Ctrl-C stops.
    #[arg(long, conflicts_with = "dry_run")]
    watch: bool,
    /// Skip the verification that normally ends the run (benchmarks).
    #[arg(long, hide = true)]
    no_verify: bool,
    /// Do not fill this device's cache from the server at the end (for a
    /// machine that only migrates and never runs the app).
    #[arg(long)]
    no_seed_cache: bool,
    /// Rows per batch (one Postgres transaction each).
    #[arg(long, hide = true, default_value_t = legacy::DEFAULT_BATCH_ROWS)]
    batch_rows: u64,
}

/// Runs the migration (or bridge mode) and prints the report.
pub async fn run(ctx: &Context, args: MigrateArgs) -> anyhow::Result<()> {
    let cache = ctx.cache()?;
    let device = cache.device()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    let target = ServerTarget::resolve(&url)?;
    drop(cache);
    let mut options = MigrateOptions::new(args.legacy_dir.clone(), ctx.data_dir.clone());
    options.dry_run = args.dry_run;
    options.verify = !args.no_verify && !args.watch;
    options.seed_cache = !args.no_seed_cache;
    options.limits = BatchLimits { rows: args.batch_rows.max(1), ..options.limits };
    let progress = progress_bars::sink(ctx.json);

    if args.watch {
        let json = ctx.json;
        // Listen for Ctrl-C from the start (not only once the first pass is
        // done), so an early Ctrl-C also stops cleanly.
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop_tx.send(());
        });
        let stop = async {
            let _ = stop_rx.await;
        };
        legacy::watch::watch(&target, &device, &options, &progress, |report| print_pass(report, json), stop).await?;
        if !json {
            eprintln!("stopped watching {}", args.legacy_dir.display());
        }
        return Ok(());
    }

    let report = legacy::migrate(&target, &device, &options, &progress).await?;
    let verified = report.verification.as_ref().is_none_or(|v| v.ok);
    if ctx.json {
        print_json(&report);
        if !verified {
            // The report already says why; a second JSON document would break parsers.
            std::process::exit(1);
        }
    } else {
        print_report(&report);
    }
    if let Some(v) = &report.verification {
        if !v.ok {
            anyhow::bail!("verification failed: some legacy rows are neither in Postgres nor in the rejects table (see the table above); run `noesis-sync migrate` again, then `noesis-sync verify`");
        }
    }
    Ok(())
}

fn print_pass(report: &MigrateReport, json: bool) {
    if json {
        match serde_json::to_string(report) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("error: cannot encode the report: {e}"),
        }
    } else {
        let read: u64 = report.tables.iter().map(|t| t.read).sum();
        let inserted: u64 = report.tables.iter().map(|t| t.counts.inserted).sum();
        let conflicted: u64 = report.tables.iter().map(|t| t.counts.conflicted).sum();
        let rejected: u64 = report.tables.iter().map(|t| t.counts.rejected).sum();
        println!(
            "bridge pass: {read} new or changed row(s) read, {inserted} inserted, {conflicted} conflicted, {rejected} rejected in {:.1} s",
            report.seconds
        );
    }
}

fn print_report(report: &MigrateReport) {
    for source in &report.sources {
        if source.found {
            println!("source:  {} ({} bytes)", source.path, source.bytes.unwrap_or(0));
        } else {
            println!("source:  {} not found, skipped", source.path);
        }
    }
    if report.dry_run {
        println!("dry run: nothing was written; the counts say what a real run would do");
    }
    println!();
    println!("{:<18} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}", "table", "read", "inserted", "unchanged", "conflicted", "rejected", "changed");
    for t in &report.tables {
        let changed: u64 = t.changes.values().sum();
        println!(
            "{:<18} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
            t.table, t.read, t.counts.inserted, t.counts.unchanged, t.counts.conflicted, t.counts.rejected, changed
        );
        for refused in &t.refused_samples {
            println!("{:<18}   {}: {}", "", refused.id, refused.reason);
        }
        if t.resumed_after > 0 {
            println!("{:<18} rows up to rowid {} were already merged by an earlier run of this same store content", "", t.resumed_after);
        }
        for (note, n) in &t.changes {
            println!("{:<18}   {n} imported with a change: {}", "", note.explanation());
            let ids: Vec<&str> = t.changed_rows.iter().filter(|c| c.note == *note).map(|c| c.id.as_str()).collect();
            for line in ids.chunks(4) {
                println!("{:<18}     {}", "", line.join("  "));
            }
        }
    }
    let conflicts: u64 = report.tables.iter().map(|t| t.counts.conflicts_recorded).sum();
    if conflicts > 0 {
        println!("\n{conflicts} conflict(s) recorded: the newer version is in place, the other is kept in noesis_sync.conflicts (reason 'migration') and can be restored");
    }
    let rejected: u64 = report.tables.iter().map(|t| t.counts.rejected).sum();
    if rejected > 0 {
        let verb = if report.dry_run { "would be" } else { "are" };
        println!("{rejected} row(s) {verb} kept verbatim in noesis_sync.legacy_rejects with the reason");
    }
    if let Some(v) = &report.verification {
        println!();
        print_verification(v);
    }
    if let Some(seed) = &report.cache_seeded {
        println!("\nthis device's cache now holds the server's data ({} row(s) pulled); the app shows it at once", seed.pull.applied);
    }
    println!("\ntook {:.1} s", report.seconds);
}
