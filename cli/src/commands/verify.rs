//! `noesis-sync verify`: checks that every legacy row is in Postgres (equal
//! content), in a migration conflict, or in the rejects table.

use std::path::PathBuf;

use clap::Args;
use noesis_engine::central::ServerTarget;
use noesis_engine::legacy::{self, VerifyReport};
use noesis_engine::Error;

use crate::context::Context;
use crate::output::print_json;
use crate::progress_bars;

/// Options of `verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The old Noesis project root, as given to `migrate`.
    #[arg(long, value_name = "DIR", value_parser = super::legacy_folder)]
    legacy_dir: PathBuf,
}

/// Verifies and prints the per-table table; fails unless every row is accounted for.
pub async fn run(ctx: &Context, args: VerifyArgs) -> anyhow::Result<()> {
    let cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    drop(cache);
    let target = ServerTarget::resolve(&url)?;
    let report = legacy::verify(&target, &args.legacy_dir, &progress_bars::sink(ctx.json)).await?;
    if ctx.json {
        print_json(&report);
        if !report.ok {
            // The report already says why; a second JSON document would break parsers.
            std::process::exit(1);
        }
    } else {
        print_verification(&report);
    }
    if !report.ok {
        anyhow::bail!("verification failed: some legacy rows are neither in Postgres with equal content, nor in conflicts, nor in rejects; run `noesis-sync migrate --legacy-dir {}` to import them", args.legacy_dir.display());
    }
    Ok(())
}

/// The per-table verification table.
pub fn print_verification(report: &VerifyReport) {
    println!(
        "{:<18} {:>9} {:>9} {:>12} {:>10} {:>8} {:>10}",
        "verify", "source", "matching", "in_conflicts", "in_rejects", "missing", "mismatched"
    );
    for t in &report.tables {
        println!(
            "{:<18} {:>9} {:>9} {:>12} {:>10} {:>8} {:>10}",
            t.table, t.source_rows, t.matching, t.in_conflicts, t.in_rejects, t.missing, t.mismatched
        );
        if !t.unaccounted_ids.is_empty() {
            println!("{:<18}   unaccounted ids: {}", "", t.unaccounted_ids.join(", "));
        }
    }
    println!("{}", if report.ok { "verification: every legacy row is accounted for" } else { "verification: FAILED" });
}
