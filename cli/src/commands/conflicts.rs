//! `noesis-sync conflicts` and `conflicts resolve`.

use clap::{Args, Subcommand, ValueEnum};
use noesis_engine::central::ServerTarget;
use noesis_engine::sync::conflicts::{field_sides, open_conflicts, resolve, ConflictRecord, Keep};
use noesis_engine::sync::{sync_once, DEFAULT_SETTLE_WAIT};
use noesis_engine::Error;

use crate::context::Context;
use crate::output::{print_json, terminal_safe};

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
            let me = cache.device()?.id.to_string();
            for c in &list {
                print!("{}", describe(c, &me));
            }
            if !list.is_empty() {
                println!("Keep one version: noesis-sync conflicts resolve ID --keep local|remote (local: this device's).");
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
                println!("Resolved {} on {} {}; synced.", record.id, record.table, terminal_safe(&record.row_id));
            }
        }
    }
    Ok(())
}

/// One conflict for a terminal: who wrote each version, then only the fields
/// that differ, each with both values (the rows can be long; the difference
/// is what the user decides on).
fn describe(c: &ConflictRecord, me: &str) -> String {
    let mut out =
        format!("{}  {} {}  ({}, {})\n", c.id, c.table, terminal_safe(&c.row_id), c.reason, c.created_at.format("%Y-%m-%d %H:%M"));
    out += &format!("    kept: {}\n    lost: {}\n", author(&c.winning_device, me, &c.winning), author(&c.losing_device, me, &c.losing));
    if c.winning.is_some() && c.losing.is_some() {
        for f in field_sides(c).iter().filter(|f| f.differs) {
            out += &format!("    {}:\n      kept {}\n      lost {}\n", f.field, shown(&f.winning), shown(&f.losing));
        }
    }
    out
}

/// Who wrote a version, and whether it deleted the row.
fn author(device: &str, me: &str, version: &Option<serde_json::Value>) -> String {
    let who = match device {
        "" => "another program (the Python server, psql)".to_string(),
        d if d == me => format!("this device ({d})"),
        d => format!("device {d}"),
    };
    if version.is_none() {
        format!("{who}, which deleted the row")
    } else {
        who
    }
}

/// A field's value on one line, cut when long.
fn shown(v: &serde_json::Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_conflict_names_this_device_and_shows_only_the_fields_that_differ() {
        let row = |text: &str| serde_json::json!({"id": "c1", "category": "fact", "text": text, "provenance": {"long": "x".repeat(300)}});
        let c = ConflictRecord {
            id: uuid::Uuid::nil(),
            table: "memory_cards".into(),
            row_id: "c1".into(),
            reason: "concurrent_edit".into(),
            created_at: "2025-01-01T00:00:00Z".parse().unwrap(),
            winning_device: "dev-b".into(),
            losing_device: "dev-a".into(),
            winning: Some(row("B version")),
            losing: Some(row("A version")),
        };
        let text = describe(&c, "dev-a");
        assert!(text.contains("kept: device dev-b\n    lost: this device (dev-a)"), "{text}");
        assert!(text.contains("    text:\n      kept \"B version\"\n      lost \"A version\""), "{text}");
        assert!(!text.contains("category") && !text.contains("provenance"), "equal fields are not listed: {text}");
        let deleted = describe(&ConflictRecord { winning_device: String::new(), winning: None, ..c }, "dev-a");
        assert!(deleted.contains("kept: another program (the Python server, psql), which deleted the row"), "{deleted}");
    }
}
