//! `noesis-sync sync`: one push + pull cycle.

use noesis_engine::central::ServerTarget;
use clap::Args;
use noesis_engine::sync::{sync_once, DEFAULT_SETTLE_WAIT};
use noesis_engine::Error;

use crate::context::Context;
use crate::output::print_json;

/// Options of `sync`.
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// When changes are held back by an older transaction still running on
    /// the server, keep pulling for up to this many seconds (0: do not wait).
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_SETTLE_WAIT.as_secs())]
    wait: u64,
}

/// Runs one cycle (repeated while changes wait, up to `--wait`) and prints
/// what moved.
pub async fn run(ctx: &Context, args: SyncArgs) -> anyhow::Result<()> {
    let mut cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    let target = ServerTarget::resolve(&url)?;
    let report = sync_once(&mut cache, &target, std::time::Duration::from_secs(args.wait)).await?;
    if ctx.json {
        print_json(&report);
        return Ok(());
    }
    let (p, q) = (&report.push, &report.pull);
    println!(
        "Pushed:  {} row(s) ({} merged with changes from elsewhere, {} conflict(s), {} not accepted{})",
        p.written,
        p.merged,
        p.conflicts,
        p.rejected,
        if p.waiting > 0 { format!(", {} waiting for a row they name", p.waiting) } else { String::new() }
    );
    println!(
        "Pulled:  {} row(s) updated, {} deleted{}{}",
        q.applied,
        q.deleted,
        if q.deferred > 0 { format!(", {} left for the next push to merge", q.deferred) } else { String::new() },
        if q.snapshot { " (first sync: full copy of the server)" } else { "" }
    );
    if let Some(why) = &p.identity_renewed {
        println!("Identity: this data folder took a new device identity and sent all its changes under it, so none was lost ({why})");
    }
    if q.waiting {
        println!("Waiting: newer changes still wait for an older transaction on the server to finish; the agent picks them up, or run sync again (or with a longer --wait).");
    }
    if p.conflicts > 0 {
        println!("Review conflicts with: noesis-sync conflicts");
    }
    if p.rejected > 0 {
        println!("Changes not accepted (refused by the server, or holding a value it would misread) are kept in the cache's sync_rejected table with the reason; edit the row to send it again.");
    }
    Ok(())
}
