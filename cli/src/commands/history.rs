//! `noesis-sync history`, `restore`, `trash` and `undelete`: the versions the
//! server kept of a row, and putting one back (an ordinary edit, synced at
//! once).

use clap::Args;
use noesis_engine::central::ServerTarget;
use noesis_engine::sync::history::{self, Replaced, RowVersion, VersionRef};
use noesis_engine::sync::{sync_once, DEFAULT_SETTLE_WAIT};
use noesis_engine::tables::{self, TableSpec};
use noesis_engine::Error;

use crate::context::Context;
use crate::output::{print_json, terminal_safe};

/// Options of `history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// memory_cards, mindfile_entries, chat_sessions or documents.
    table: String,
    /// The row's id.
    id: String,
}

/// Options of `restore`.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// memory_cards, mindfile_entries, chat_sessions or documents.
    table: String,
    /// The row's id.
    id: String,
    /// The version to put back, as `history` lists it: a number, or
    /// `conflict:ID` for a version that lost a conflict.
    #[arg(long, value_parser = version_ref)]
    version: VersionRef,
}

/// Options of `trash`.
#[derive(Args, Debug)]
pub struct TrashArgs {
    /// Only this table (default: all four that keep history).
    table: Option<String>,
    /// At most this many rows, newest deletion first.
    #[arg(long, default_value_t = 200)]
    limit: i64,
}

/// Options of `undelete`.
#[derive(Args, Debug)]
pub struct UndeleteArgs {
    /// memory_cards, mindfile_entries, chat_sessions or documents.
    table: String,
    /// The deleted row's id, as `trash` lists it.
    id: String,
}

/// Lists a row's versions, newest first.
pub async fn history(ctx: &Context, args: HistoryArgs) -> anyhow::Result<()> {
    let spec = table(&args.table)?;
    let (_, target) = server(ctx)?;
    let mut conn = target.connect().await?;
    let story = history::history(&mut conn, &target, spec, &args.id).await?;
    if ctx.json {
        print_json(&story);
        return Ok(());
    }
    let id = terminal_safe(&args.id);
    match &story.current {
        Some(_) => println!("{} {id}: on the server now, {} earlier version(s).", spec.name, story.versions.len()),
        None => println!("{} {id}: deleted on the server, {} earlier version(s).", spec.name, story.versions.len()),
    }
    for v in &story.versions {
        println!("{}", describe(v));
    }
    if !story.versions.is_empty() {
        println!("Put one back: noesis-sync restore {} {id} --version N", spec.name);
    }
    Ok(())
}

/// Puts an earlier version back and syncs.
pub async fn restore(ctx: &Context, args: RestoreArgs) -> anyhow::Result<()> {
    let spec = table(&args.table)?;
    let (mut cache, target) = server(ctx)?;
    let mut conn = target.connect().await?;
    let version = history::restore(&cache, &mut conn, &target, spec, &args.id, args.version).await?;
    drop(conn);
    finish(ctx, &mut cache, &target, "restored", &version).await
}

/// Lists the rows deleted on the server and not back.
pub async fn trash(ctx: &Context, args: TrashArgs) -> anyhow::Result<()> {
    let specs: Vec<&TableSpec> = match &args.table {
        Some(name) => vec![table(name)?],
        None => tables::with_history(),
    };
    let (_, target) = server(ctx)?;
    let mut conn = target.connect().await?;
    let deleted = history::trash(&mut conn, &target, &specs, args.limit.max(0)).await?;
    if ctx.json {
        print_json(&deleted);
        return Ok(());
    }
    if deleted.is_empty() {
        println!("The trash is empty.");
        return Ok(());
    }
    for v in &deleted {
        println!("{} {}  {}", v.table, terminal_safe(&v.row_id), describe(v).trim_start());
    }
    println!("Bring one back: noesis-sync undelete TABLE ID");
    Ok(())
}

/// Brings a deleted row back as it was and syncs.
pub async fn undelete(ctx: &Context, args: UndeleteArgs) -> anyhow::Result<()> {
    let spec = table(&args.table)?;
    let (mut cache, target) = server(ctx)?;
    let mut conn = target.connect().await?;
    let version = history::undelete(&cache, &mut conn, &target, spec, &args.id).await?;
    drop(conn);
    finish(ctx, &mut cache, &target, "undeleted", &version).await
}

async fn finish(
    ctx: &Context,
    cache: &mut noesis_engine::cache::Cache,
    target: &ServerTarget,
    what: &str,
    version: &RowVersion,
) -> anyhow::Result<()> {
    let report = sync_once(cache, target, DEFAULT_SETTLE_WAIT).await?;
    if ctx.json {
        print_json(&serde_json::json!({ what: version, "sync": report }));
    } else {
        println!(
            "{} {} {} as of version {}; synced.",
            capitalised(what),
            version.table,
            terminal_safe(&version.row_id),
            reference(version)
        );
    }
    Ok(())
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// One version on a line: how to name it, when, who, what replaced it.
fn describe(v: &RowVersion) -> String {
    let what = match v.replaced {
        Replaced::Edited => format!("edited ({})", v.changed.join(", ")),
        Replaced::Deleted => "deleted".to_string(),
        Replaced::LostConflict => format!("lost a conflict ({} differ from the winner), written", v.changed.join(", ")),
    };
    format!("  version {}  {}  {} by {}", reference(v), v.replaced_at.format("%Y-%m-%d %H:%M:%S"), what, terminal_safe(&v.by))
}

/// How `restore --version` names `v`.
fn reference(v: &RowVersion) -> VersionRef {
    match v.conflict {
        Some(id) => VersionRef::ConflictLoser(id),
        None => VersionRef::Kept(v.version),
    }
}

fn version_ref(text: &str) -> Result<VersionRef, String> {
    VersionRef::parse(text).ok_or_else(|| format!("`{text}` is not a version: give a number or conflict:ID, as `history` lists them"))
}

fn table(name: &str) -> anyhow::Result<&'static TableSpec> {
    // The name is echoed in the message: escaped, as everything printed.
    Ok(history::spec_of(&terminal_safe(name))?)
}

fn server(ctx: &Context) -> anyhow::Result<(noesis_engine::cache::Cache, ServerTarget)> {
    let cache = ctx.cache()?;
    let url = ctx.server_url(Some(&cache))?.ok_or(Error::NoServerConfigured)?;
    let target = ServerTarget::resolve(&url)?;
    Ok((cache, target))
}
