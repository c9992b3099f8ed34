//! `noesis-sync sync`: one push + pull cycle.

use clap::Args;
use noesis_engine::cache::{HeldDecision, HeldDeletions, HeldDirection, MASS_DELETE_MIN};
use noesis_engine::central::ServerTarget;
use noesis_engine::sync::{sync_once, DEFAULT_SETTLE_WAIT};
use noesis_engine::Error;

use crate::context::Context;
use crate::output::{print_json, terminal_safe};

/// Options of `sync`.
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// When changes are held back by an older transaction still running on
    /// the server, keep pulling for up to this many seconds (0: do not wait).
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_SETTLE_WAIT.as_secs())]
    wait: u64,
    /// Carry out mass deletions: rows held back because a deletion would
    /// remove more than half of a table here (and more than 50) are deleted,
    /// here and on the server, and this device's pending deletions are sent.
    #[arg(long, conflicts_with = "keep_held_rows")]
    allow_mass_delete: bool,
    /// Undo held mass deletions instead: rows the server deleted are pushed
    /// back to it; rows deleted here are put back from the server's version.
    #[arg(long)]
    keep_held_rows: bool,
}

/// Runs one cycle (repeated while changes wait, up to `--wait`) and prints
/// what moved.
pub async fn run(ctx: &Context, args: SyncArgs) -> anyhow::Result<()> {
    let mut cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    let target = ServerTarget::resolve(&url)?;
    let wait = std::time::Duration::from_secs(args.wait);
    let decision = match (args.allow_mass_delete, args.keep_held_rows) {
        (true, _) => Some(HeldDecision::Delete),
        (_, true) => Some(HeldDecision::Keep),
        _ => None,
    };
    if let Some(decision) = decision {
        cache.resolve_held_deletions(None, decision)?;
    }
    if decision == Some(HeldDecision::Delete) {
        cache.allow_pending_deletions()?;
    }
    let mut report = sync_once(&mut cache, &target, wait).await?;
    // What this sync held in turn (the server's deletions it just read) is
    // decided by the same word, and sent in a second cycle.
    if let Some(decision) = decision {
        if cache.resolve_held_deletions(None, decision)? > 0 {
            let again = sync_once(&mut cache, &target, wait).await?;
            report = again.after(report);
        }
    }
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
    print_held(&cache.held_deletions()?);
    if p.conflicts > 0 {
        println!("Review conflicts with: noesis-sync conflicts");
    }
    if p.rejected > 0 {
        println!("Changes not accepted (refused by the server, or holding a value it would misread) are kept in the cache's sync_rejected table with the reason; edit the row to send it again.");
    }
    Ok(())
}

/// Lists held mass deletions and the two ways out (also used by `status`).
pub fn print_held(held: &[HeldDeletions]) {
    for h in held {
        let who = match h.direction {
            HeldDirection::Pull => "deleted on the server, still here",
            HeldDirection::Push => "deleted here, still on the server",
        };
        let more = if h.rows > h.sample.len() as u64 { ", ..." } else { "" };
        println!(
            "Held:    {} {} row(s) {who}: more than half of the table (and more than {MASS_DELETE_MIN}), so nothing was deleted ({}{more})",
            h.rows,
            h.table_name,
            terminal_safe(&h.sample.join(", "))
        );
    }
    if !held.is_empty() {
        println!("         Delete them everywhere: noesis-sync sync --allow-mass-delete; keep them everywhere: noesis-sync sync --keep-held-rows");
    }
}
