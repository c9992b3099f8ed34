//! `noesis-sync status`.

use noesis_engine::status::status;

use crate::context::Context;
use crate::output::{print_json, terminal_safe};

/// Changes not accepted listed with their reasons; the newest come first.
const SHOWN_REJECTED: usize = 20;

/// Prints device, cache and server status.
pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let cache = ctx.cache()?;
    let target = match ctx.server_url(Some(&cache))? {
        Some(url) => Some(noesis_engine::central::ServerTarget::resolve(&url)?),
        None => None,
    };
    let report = status(&cache, target.as_ref()).await?;
    if ctx.json {
        print_json(&report);
        return Ok(());
    }
    println!("Device:   {} ({})", report.device.name, report.device.id);
    println!("Cache:    {}", report.cache_path);
    println!("Pending:  {} local change(s) not yet pushed", report.pending_changes);
    match report.last_sync {
        Some(at) => println!("Synced:   last sync finished {}", at.format("%Y-%m-%d %H:%M:%S UTC")),
        None => println!("Synced:   never on this data folder"),
    }
    if let Some(renewal) = &report.identity_renewal {
        println!("Identity: took a new device identity at {} (was {}), nothing lost: {}", renewal.at, renewal.previous_id, renewal.reason);
    }
    super::sync::print_held(&report.held_deletions);
    if report.rejected_changes > 0 {
        println!(
            "Not accepted: {} local change(s), refused by the server or held back; edit the row to send it again:",
            report.rejected_changes
        );
        for change in cache.rejected_changes(SHOWN_REJECTED)? {
            println!("  {} {}: {}", change.table_name, terminal_safe(&change.row_id), terminal_safe(&change.reason));
        }
        if report.rejected_changes > SHOWN_REJECTED as u64 {
            println!("  ... and {} more (all of them: the cache's sync_rejected table)", report.rejected_changes - SHOWN_REJECTED as u64);
        }
    }
    if report.unreadable_central_rows > 0 {
        println!(
            "Unreadable: {} server row(s) the Noesis server cannot read back (written by psql or an older tool); correct them on the server, or edit them here and sync:",
            report.unreadable_central_rows
        );
        for row in &report.unreadable_central {
            println!("  {} {}: {}", row.table_name, terminal_safe(&row.row_id), terminal_safe(&row.reason));
        }
        if report.unreadable_central_rows > report.unreadable_central.len() as u64 {
            println!(
                "  ... and {} more (all of them: the cache's central_unreadable table)",
                report.unreadable_central_rows - report.unreadable_central.len() as u64
            );
        }
    }
    match &report.server {
        None => println!("Server:   none configured (working from the local cache only)"),
        Some(s) => match (&s.schema, &s.error) {
            (Some(schema), _) => println!(
                "Server:   {} reachable, schema version {}, {} open conflict(s)",
                s.url,
                schema.schema_version,
                s.open_conflicts.unwrap_or(0)
            ),
            (_, Some(e)) => println!("Server:   {} {}: {}", s.url, if s.reachable { "unusable" } else { "unreachable" }, e.message),
            _ => println!("Server:   {}", s.url),
        },
    }
    println!();
    println!("{:<18} {:>10} {:<34} {:>10} {:<34}", "table", "local", "local checksum", "server", "server checksum");
    for t in &report.tables {
        println!(
            "{:<18} {:>10} {:<34} {:>10} {:<34}",
            t.table,
            t.local_rows,
            t.local_checksum,
            t.central_rows.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            t.central_checksum.clone().unwrap_or_else(|| "-".into()),
        );
    }
    Ok(())
}
