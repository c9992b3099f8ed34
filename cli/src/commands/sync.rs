//! `noesis-sync sync`: one push + pull cycle.

use noesis_engine::central::ServerTarget;
use noesis_engine::sync::sync_once;
use noesis_engine::Error;

use crate::context::Context;
use crate::output::print_json;

/// Runs one cycle and prints what moved.
pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let mut cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    let target = ServerTarget::resolve(&url)?;
    let report = sync_once(&mut cache, &target).await?;
    if ctx.json {
        print_json(&report);
        return Ok(());
    }
    let (p, q) = (&report.push, &report.pull);
    println!(
        "Pushed:  {} row(s) ({} merged with changes from elsewhere, {} conflict(s), {} refused by the server)",
        p.written, p.merged, p.conflicts, p.rejected
    );
    println!(
        "Pulled:  {} row(s) updated, {} deleted{}{}",
        q.applied,
        q.deleted,
        if q.deferred > 0 { format!(", {} left for the next push to merge", q.deferred) } else { String::new() },
        if q.snapshot { " (first sync: full copy of the server)" } else { "" }
    );
    if q.waiting {
        println!("Waiting: newer changes wait for an older transaction on the server to finish; the agent picks them up, or run sync again.");
    }
    if p.conflicts > 0 {
        println!("Review conflicts with: noesis-sync conflicts");
    }
    if p.rejected > 0 {
        println!("Refused changes are kept in the cache's sync_rejected table with the reason; edit the row to retry.");
    }
    Ok(())
}
