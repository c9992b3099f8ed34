//! The snapshot: a device with no cursor (new, or resyncing after the server
//! pruned changes it never read) reads every row in one REPEATABLE READ
//! transaction and continues from that snapshot's horizon.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use sqlx::{Acquire, PgConnection, Row as _};

use super::batch::{apply_batch, Batch, PulledRow, TableRows};
use super::pipeline::Applier;
use super::{PullReport, PULL_BATCH};
use crate::cache::{self, Cache};
use crate::central::{self, Cursor, ServerTarget};
use crate::error::Result;
use crate::tables::TableSpec;

/// Loads every row of `specs` from one consistent snapshot and returns that
/// snapshot's horizon, the cursor to continue from. Local rows the server does
/// not have, and that have no pending change, are removed.
pub(super) async fn snapshot(
    cache: &mut Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    specs: &[&'static TableSpec],
    report: &mut PullReport,
) -> Result<Cursor> {
    let classify = |e: sqlx::Error| target.classify(e);
    let mut tx = conn.begin().await.map_err(classify)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await.map_err(classify)?;
    let horizon: String =
        sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").fetch_one(&mut *tx).await.map_err(classify)?;
    for &spec in specs {
        let sql = format!("SELECT {} FROM {} t", central::select_list(spec), spec.name);
        let mut seen: HashSet<String> = HashSet::new();
        let mut rows = TableRows::default();
        let mut unusual: Vec<String> = Vec::new();
        // Full batches are applied on their own thread while the stream goes
        // on (see `pipeline`): a new device's first sync is the largest pull.
        let mut applier: Option<Applier> = None;
        {
            let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
            while let Some(r) = stream.try_next().await.map_err(classify)? {
                match central::decode_row(spec, &r) {
                    Ok(Some(values)) => {
                        let id = central::key_of(spec, &values);
                        seen.insert(id.clone());
                        rows.rows.insert(id.clone(), PulledRow::new(spec, values));
                        rows.ids.push(id);
                    }
                    Ok(None) => unusual.push(r.try_get(spec.key).map_err(classify)?),
                    Err(e) => {
                        // Set aside, not a reason to stop: see central::unreadable_value.
                        let reason = central::unreadable_value(&e).ok_or_else(|| classify(e))?;
                        let id: String = r.try_get(spec.key).map_err(classify)?;
                        tracing::warn!(table = spec.name, id = %id.escape_debug(), "set aside a server row this app cannot read: {reason}");
                        seen.insert(id.clone());
                        rows.unreadable.insert(id.clone(), reason);
                        rows.ids.push(id);
                    }
                }
                if rows.ids.len() as i64 >= PULL_BATCH {
                    let applying = match &applier {
                        Some(a) => a,
                        None => applier.insert(Applier::start(cache)?),
                    };
                    if !applying.send(batch_of(spec, std::mem::take(&mut rows))).await {
                        break;
                    }
                }
            }
        }
        if let Some(a) = applier {
            report.add_counts(&a.finish().await?);
        }
        // Rows with values only to_jsonb prints faithfully (see central::pull_rows).
        for chunk in unusual.chunks(PULL_BATCH as usize) {
            for (id, row) in central::fetch_rows(&mut tx, spec, chunk).await.map_err(classify)? {
                let values = central::values_of(spec, row);
                seen.insert(id.clone());
                rows.rows.insert(id.clone(), PulledRow::new(spec, values));
                rows.ids.push(id);
            }
        }
        apply_rows(cache, spec, rows, report)?;
        remove_absent(cache, spec, &seen, report)?;
    }
    tx.commit().await.map_err(classify)?;
    Ok(Cursor { xid: horizon.parse().unwrap_or(0), change_id: 0 })
}

fn apply_rows(cache: &mut Cache, spec: &'static TableSpec, rows: TableRows, report: &mut PullReport) -> Result<()> {
    apply_batch(cache, &batch_of(spec, rows), report)
}

/// A snapshot batch of one table's rows (keys sorted, each once).
fn batch_of(spec: &'static TableSpec, mut rows: TableRows) -> Batch {
    rows.ids.sort();
    rows.ids.dedup();
    Batch { tables: vec![(spec, rows)], cursor: None, changes: 0, ..Batch::default() }
}

fn remove_absent(cache: &mut Cache, spec: &'static TableSpec, seen: &HashSet<String>, report: &mut PullReport) -> Result<()> {
    let ids: Vec<String> = {
        let conn = cache.connection();
        let mut stmt = conn.prepare(&format!("SELECT {} FROM {}", spec.key, spec.name)).map_err(|e| cache.error("reading keys", e))?;
        let ids = stmt.query_map([], |r| r.get(0)).and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>());
        ids.map_err(|e| cache.error("reading keys", e))?
    };
    let rows_here = ids.len() as u64;
    let gone: Vec<String> = ids.into_iter().filter(|id| !seen.contains(id)).collect();
    // An emptied server table (TRUNCATE, a restore of an empty database) is
    // not read as "delete everything here": the guard holds the deletions.
    let hold = cache::is_mass_deletion(gone.len() as u64, rows_here);
    if hold {
        tracing::warn!(
            table = spec.name,
            rows = gone.len(),
            of = rows_here,
            "the server lacks most of this table's rows: holding their deletion"
        );
    }
    for chunk in gone.chunks(PULL_BATCH as usize) {
        let mut batch = batch_of(spec, TableRows { ids: chunk.to_vec(), ..TableRows::default() });
        if hold {
            batch.hold_deletions.insert(spec.name);
        }
        apply_batch(cache, &batch, report)?;
    }
    Ok(())
}
