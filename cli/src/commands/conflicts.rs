//! `noesis-sync conflicts` and `conflicts resolve`.

use clap::{Args, Subcommand, ValueEnum};
use noesis_engine::central::ServerTarget;
use noesis_engine::sync::conflicts::{open_conflicts, resolve, Keep};
use noesis_engine::sync::{sync_once, DEFAULT_SETTLE_WAIT};
use noesis_engine::Error;

use crate::context::Context;
use crate::output::print_json;

/// Options of `conflicts`.
#[derive(Args, Debug)]
pub struct ConflictsArgs {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Keep one version of a conflicted row; the choice syncs like any edit.
    Resolve {
        /// The conflict's id, as listed.
        id: uuid::Uuid,
        /// Which version to keep.
        #[arg(long, value_enum)]
        keep: KeepArg,
    },
}

/// `--keep` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum KeepArg {
    /// The version written on this device.
    Local,
    /// The version that came from elsewhere (another device or program).
    Remote,
    /// The version sync chose (now in place).
    Winning,
    /// The version that lost.
    Losing,
}

/// Lists open conflicts, or resolves one.
pub async fn run(ctx: &Context, args: ConflictsArgs) -> anyhow::Result<()> {
    let mut cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    let target = ServerTarget::resolve(&url)?;
    let mut conn = target.connect().await?;
    match args.action {
        None => {
            let list = open_conflicts(&mut conn, &target).await?;
            if ctx.json {
                print_json(&list);
                return Ok(());
            }
            if list.is_empty() {
                println!("No open conflicts.");
            }
            for c in &list {
                println!("{}  {} {}  ({}, {})", c.id, c.table, c.row_id, c.reason, c.created_at.format("%Y-%m-%d %H:%M"));
                println!("    kept (from {}): {}", device(&c.winning_device), compact(&c.winning));
                println!("    lost (from {}): {}", device(&c.losing_device), compact(&c.losing));
            }
        }
        Some(Action::Resolve { id, keep }) => {
            let keep = match keep {
                KeepArg::Local => Keep::Local,
                KeepArg::Remote => Keep::Remote,
                KeepArg::Winning => Keep::Winning,
                KeepArg::Losing => Keep::Losing,
            };
            let record = resolve(&cache, &mut conn, &target, id, keep).await?;
            let report = sync_once(&mut cache, &target, DEFAULT_SETTLE_WAIT).await?;
            if ctx.json {
                print_json(&serde_json::json!({ "resolved": record.id, "sync": report }));
            } else {
                println!("Resolved {} on {} {}; synced.", record.id, record.table, record.row_id);
            }
        }
    }
    Ok(())
}

fn device(id: &str) -> &str {
    if id.is_empty() { "another program" } else { id }
}

fn compact(v: &Option<serde_json::Value>) -> String {
    match v {
        None => "(deleted)".into(),
        Some(v) => {
            let text = v.to_string();
            if text.chars().count() > 160 { format!("{}…", text.chars().take(160).collect::<String>()) } else { text }
        }
    }
}
