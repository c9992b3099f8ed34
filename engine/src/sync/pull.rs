//! Pull: brings the server's changes into the cache.
//!
//! Reads the changelog after this device's cursor and below the horizon (see
//! [`crate::central::fetch_changes`]), fetches the current version of each
//! changed row, and applies them in one SQLite transaction per batch with
//! capture off, updating shadow copies and the cursor in the same transaction.
//! A row with a local change not yet pushed is left alone: the next push merges
//! it against the server's version, so an unpushed edit is never overwritten.
//! This device's own changes coming back are recognised (the cache already
//! holds them) and only acknowledged.
//!
//! A device with no cursor starts with a snapshot: every row, read in one
//! REPEATABLE READ transaction, and the cursor set to that snapshot's horizon.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::TryStreamExt;
use rusqlite::Connection;
use sqlx::{Acquire, PgConnection, Row as _};

use super::cancel::Cancel;
use super::merge::Row;
use crate::cache::{self, Cache, DeviceIdentity};
use crate::canonical;
use crate::central::{self, Cursor, ServerTarget};
use crate::error::Result;
use crate::tables::{self, TableSpec};

/// Changelog rows read per batch (one SQLite transaction each).
pub const PULL_BATCH: i64 = 5000;

/// `sync_state` key of the pull cursor (JSON).
const CURSOR: &str = "pull_cursor";

/// `sync_state` key: "1" when this device opted in to pulling embeddings.
pub const PULL_EMBEDDINGS: &str = "pull_embeddings";

/// `sync_state` key: set once the embeddings were loaded after opting in.
const EMBEDDINGS_LOADED: &str = "embeddings_loaded";

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PullReport {
    /// Rows written into the cache.
    pub applied: u64,
    /// Rows removed from the cache.
    pub deleted: u64,
    /// Rows left for the next push to merge (they have unpushed local edits).
    pub deferred: u64,
    /// Changes the cache already held (this device's own, or repeats).
    pub acknowledged: u64,
    /// Whether this pull started from a full snapshot.
    pub snapshot: bool,
    /// Whether the snapshot was forced because the server pruned changes this
    /// device had not read (it was silent longer than the device expiry).
    pub resynced: bool,
    /// Whether changes exist that cannot be read yet because an older
    /// transaction on the server is still running; pull again soon.
    pub waiting: bool,
}

/// Pulls until the cache has everything below the horizon.
pub async fn pull(
    cache: &mut Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    device: &DeviceIdentity,
    cancel: &Cancel,
) -> Result<PullReport> {
    let mut report = PullReport::default();
    let pruned = pruned_point(conn, target).await?;
    let known = cursor(cache)?;
    if known.is_some_and(|c| c < pruned) {
        tracing::warn!("the server pruned changes this device never read; resyncing from a full snapshot");
        report.resynced = true;
    }
    let with_embeddings = cache.state(PULL_EMBEDDINGS)?.as_deref() == Some("1") && central_has_embeddings(conn, target).await?;
    let mut cursor = match known.filter(|c| *c >= pruned) {
        Some(c) => c,
        None => {
            report.snapshot = true;
            let mut specs = tables::EDITABLE.to_vec();
            if with_embeddings {
                specs.push(tables::EMBEDDINGS);
            }
            let c = snapshot(cache, conn, target, &specs, &mut report).await?;
            if cancel.is_cancelled() {
                // Incomplete: no cursor is kept, the next start loads it again.
                return Ok(report);
            }
            cache.set_state(CURSOR, &serde_json::to_string(&c).expect("a cursor serialises"))?;
            if with_embeddings {
                cache.set_state(EMBEDDINGS_LOADED, "1")?;
            }
            c
        }
    };
    if with_embeddings && cache.state(EMBEDDINGS_LOADED)?.is_none() {
        // Opted in after the first sync: load them all once; later changes
        // arrive through the changelog like any other.
        snapshot(cache, conn, target, &[tables::EMBEDDINGS], &mut report).await?;
        cache.set_state(EMBEDDINGS_LOADED, "1")?;
    }
    let wanted = |spec: &TableSpec| spec.pushed || (with_embeddings && spec.name == tables::EMBEDDINGS.name);
    while !cancel.is_cancelled() {
        let changes = central::fetch_changes(conn, target, cursor, PULL_BATCH).await?;
        let Some(last) = changes.last().map(|c| c.cursor) else { break };
        let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for c in &changes {
            if tables::by_name(&c.table_name).is_some_and(wanted) {
                ids.entry(c.table_name.as_str()).or_default().push(c.row_id.clone());
            }
        }
        let mut current: Vec<(&'static TableSpec, Vec<String>, HashMap<String, Row>)> = Vec::new();
        for (table, mut row_ids) in ids {
            row_ids.sort();
            row_ids.dedup();
            let spec = tables::by_name(table).expect("filtered above");
            let rows = central::fetch_rows(conn, spec, &row_ids).await.map_err(|e| target.classify(e))?;
            current.push((spec, row_ids, rows));
        }
        let cursor_text = serde_json::to_string(&last).expect("a cursor serialises");
        cache.without_capture(|tx| {
            let pending = pending_rows(tx)?;
            for (spec, row_ids, rows) in &current {
                for id in row_ids {
                    apply(tx, spec, id, rows.get(id), &pending, &mut report)?;
                }
            }
            set_cursor(tx, &cursor_text)
        })?;
        cursor = last;
    }
    report.waiting = !cancel.is_cancelled() && changes_beyond(conn, target, cursor).await?;
    record_cursor(conn, target, device, cursor).await?;
    Ok(report)
}

/// Whether the changelog holds changes after `cursor` (necessarily above the
/// horizon once a pull has read everything below it).
async fn changes_beyond(conn: &mut PgConnection, target: &ServerTarget, cursor: Cursor) -> Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM noesis_sync.changelog WHERE (xid, change_id) > ($1::text::xid8, $2))")
        .bind(cursor.xid.to_string())
        .bind(cursor.change_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))
}

/// Below this point the server deleted its changelog.
async fn pruned_point(conn: &mut PgConnection, target: &ServerTarget) -> Result<Cursor> {
    let row = sqlx::query("SELECT pruned_xid::text, pruned_change_id FROM noesis_sync.server_info")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    Ok(Cursor { xid: row.get::<String, _>(0).parse().unwrap_or(0), change_id: row.get(1) })
}

/// Rows with local changes not yet pushed: a pull leaves them to the next
/// push, which merges them with the server's version.
fn pending_rows(tx: &Connection) -> rusqlite::Result<HashSet<(String, String)>> {
    tx.prepare_cached("SELECT DISTINCT table_name, row_id FROM sync_outbox")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Applies the server's version of one row (`None`: the server has none).
///
/// A row without pending changes holds exactly its shadow copy, so comparing
/// the server's version with the shadow's canonical text tells whether there is
/// anything to write, without reading the row itself.
fn apply(
    tx: &Connection,
    spec: &TableSpec,
    id: &str,
    remote: Option<&Row>,
    pending: &HashSet<(String, String)>,
    report: &mut PullReport,
) -> rusqlite::Result<()> {
    if !pending.is_empty() && pending.contains(&(spec.name.to_string(), id.to_string())) {
        report.deferred += 1;
        return Ok(());
    }
    let remote_text = remote.map(canonical::object_text);
    if cache::read_shadow_text(tx, spec, id)? == remote_text {
        report.acknowledged += 1;
        return Ok(());
    }
    match remote {
        Some(row) => {
            cache::write_row(tx, spec, row)?;
            report.applied += 1;
        }
        None => {
            cache::delete_row(tx, spec, id)?;
            report.deleted += 1;
        }
    }
    cache::write_shadow_text(tx, spec, id, remote_text.as_deref())
}

/// Loads every row of `specs` from one consistent snapshot and returns that
/// snapshot's horizon, the cursor to continue from. Local rows the server does
/// not have, and that have no pending change, are removed.
async fn snapshot(
    cache: &mut Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    specs: &[&'static TableSpec],
    report: &mut PullReport,
) -> Result<Cursor> {
    let classify = |e: sqlx::Error| target.classify(e);
    let mut tx = conn.begin().await.map_err(classify)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await.map_err(classify)?;
    let horizon: String = sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
    for &spec in specs {
        let sql = format!("SELECT to_jsonb(t) FROM {} t", spec.name);
        let mut seen: HashSet<String> = HashSet::new();
        let mut batch: Vec<Row> = Vec::with_capacity(PULL_BATCH as usize);
        {
            let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
            while let Some(r) = stream.try_next().await.map_err(classify)? {
                if let Some(row) = central::row_from_json(spec, r.get::<serde_json::Value, _>(0)) {
                    seen.insert(row.get(spec.key).and_then(|v| v.as_str()).unwrap_or_default().to_string());
                    batch.push(row);
                }
                if batch.len() as i64 >= PULL_BATCH {
                    apply_snapshot_batch(cache, spec, std::mem::take(&mut batch), report)?;
                }
            }
        }
        apply_snapshot_batch(cache, spec, batch, report)?;
        remove_absent(cache, spec, &seen, report)?;
    }
    tx.commit().await.map_err(classify)?;
    Ok(Cursor { xid: horizon.parse().unwrap_or(0), change_id: 0 })
}

async fn central_has_embeddings(conn: &mut PgConnection, target: &ServerTarget) -> Result<bool> {
    sqlx::query_scalar("SELECT to_regclass('public.embeddings') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))
}


fn apply_snapshot_batch(cache: &mut Cache, spec: &TableSpec, rows: Vec<Row>, report: &mut PullReport) -> Result<()> {
    cache.without_capture(|tx| {
        let pending = pending_rows(tx)?;
        for row in &rows {
            let id = row.get(spec.key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            apply(tx, spec, &id, Some(row), &pending, report)?;
        }
        Ok(())
    })
}

fn remove_absent(cache: &mut Cache, spec: &TableSpec, seen: &HashSet<String>, report: &mut PullReport) -> Result<()> {
    cache.without_capture(|tx| {
        let ids: Vec<String> = tx
            .prepare(&format!("SELECT {} FROM {}", spec.key, spec.name))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let pending = pending_rows(tx)?;
        for id in ids.iter().filter(|id| !seen.contains(*id)) {
            apply(tx, spec, id, None, &pending, report)?;
        }
        Ok(())
    })
}

/// This device's pull cursor; `None` before the first pull.
pub fn cursor(cache: &Cache) -> Result<Option<Cursor>> {
    Ok(cache.state(CURSOR)?.and_then(|t| serde_json::from_str(&t).ok()))
}

fn set_cursor(tx: &Connection, text: &str) -> rusqlite::Result<()> {
    cache::write_state(tx, CURSOR, text)
}

/// Opts this device in or out of pulling embeddings (768 floats each, possibly
/// hundreds of thousands: opt-in). Opting out removes the local copies.
pub fn set_pull_embeddings(cache: &mut Cache, on: bool) -> Result<()> {
    cache.without_capture(|tx| {
        if on {
            cache::write_state(tx, PULL_EMBEDDINGS, "1")?;
        } else {
            tx.execute("DELETE FROM sync_state WHERE key IN (?1, ?2)", [PULL_EMBEDDINGS, EMBEDDINGS_LOADED])?;
            tx.execute("DELETE FROM embeddings", [])?;
            tx.execute("DELETE FROM sync_shadow WHERE table_name = 'embeddings'", [])?;
        }
        Ok(())
    })
}

/// Tells the server how far this device has read (for pruning the changelog).
async fn record_cursor(conn: &mut PgConnection, target: &ServerTarget, device: &DeviceIdentity, cursor: Cursor) -> Result<()> {
    sqlx::query(
        "INSERT INTO noesis_sync.devices (device_id, name, cursor_xid, cursor_change_id) VALUES ($1, $2, $3::text::xid8, $4)
         ON CONFLICT (device_id) DO UPDATE SET cursor_xid = EXCLUDED.cursor_xid, cursor_change_id = EXCLUDED.cursor_change_id, last_seen = now()",
    )
    .bind(device.id.to_string())
    .bind(&device.name)
    .bind(cursor.xid.to_string())
    .bind(cursor.change_id)
    .execute(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(())
}
