//! `verify`: re-reads the legacy sources and accounts for every row.
//!
//! Each source row is normalised again (the same pure importer migrate uses)
//! and its digest over the canonical encoding ([`crate::canonical`]) is compared
//! with the digest of the central row of the same id, read back through
//! `to_jsonb`, so JSON compares by meaning, not by text. A row is accounted for
//! when it is *matching* (central equal), *in conflicts* (it lost a migration
//! conflict and is kept as the losing version) or *in rejects* (kept verbatim,
//! same bytes). Anything else is *missing* or *mismatched*, and verify fails.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use sqlx::{PgConnection, Row};

use super::importer::{self, Importer, Outcome, Refs, Store};
use super::progress::{ProgressEvent, ProgressSink};
use super::raw::verbatim_sha256;
use super::reader;
use super::refs;
use super::snapshot::Snapshot;
use crate::canonical;
use crate::central::ServerTarget;
use crate::error::{Error, Result};
use crate::tables::TableSpec;

/// Source rows compared per round trip to Postgres.
const VERIFY_BATCH: usize = 1000;

/// Source bytes compared per round trip: bounds memory when rows are large
/// (central rows come back as JSON of about the same size).
const VERIFY_BATCH_BYTES: usize = 16 << 20;

/// How many ids of unaccounted rows a report lists, per table.
const SAMPLE_IDS: usize = 20;

/// Verification of one table.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct VerifyTable {
    /// Central table name.
    pub table: String,
    /// Rows in the legacy source.
    pub source_rows: u64,
    /// Present centrally with equal content.
    pub matching: u64,
    /// Kept as the losing version of a migration conflict.
    pub in_conflicts: u64,
    /// Kept verbatim in the rejects table.
    pub in_rejects: u64,
    /// Not found anywhere.
    pub missing: u64,
    /// Present centrally with different content and not in conflicts.
    pub mismatched: u64,
    /// Some ids of missing or mismatched rows, to look at.
    pub unaccounted_ids: Vec<String>,
}

impl VerifyTable {
    /// Whether every source row is accounted for.
    pub fn ok(&self) -> bool {
        self.missing == 0 && self.mismatched == 0
    }
}

/// Verification of all sources.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct VerifyReport {
    /// One entry per legacy table present.
    pub tables: Vec<VerifyTable>,
    /// True only when every row of every table is accounted for.
    pub ok: bool,
}

enum Item {
    Row { id: String, digest: [u8; 32] },
    Reject { key: String, sha256: String },
}

/// Verifies every table of the given snapshots against the central database.
pub async fn verify_snapshots(target: &ServerTarget, snapshots: &[Snapshot], progress: &ProgressSink) -> Result<VerifyReport> {
    let mut conn = target.connect().await?;
    crate::central::check_schema(&mut conn, target).await?;
    let documents = snapshots.iter().find(|s| s.store == Store::Documents);
    let refs = Arc::new(refs::collect(&mut conn, target, documents).await?);
    let mut report = VerifyReport { ok: true, ..Default::default() };
    for importer in super::importers() {
        let Some(snapshot) = snapshots.iter().find(|s| s.store == importer.store()) else { continue };
        progress(ProgressEvent::Step { message: format!("verifying {}", importer.spec().name) });
        let table = verify_table(&mut conn, target, importer, snapshot, refs.clone()).await?;
        report.ok &= table.ok();
        report.tables.push(table);
    }
    Ok(report)
}

async fn verify_table(
    conn: &mut PgConnection,
    target: &ServerTarget,
    importer: &'static dyn Importer,
    snapshot: &Snapshot,
    refs: Arc<Refs>,
) -> Result<VerifyTable> {
    let spec = importer.spec();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Item>>(2);
    let path = snapshot.path.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(VERIFY_BATCH);
        let mut open = true;
        let mut bytes = 0usize;
        reader::scan(&path, importer, 0, |row| {
            bytes += row.cells.iter().map(|c| c.len()).sum::<usize>();
            chunk.push(match importer::normalise_for_server(importer, &row, &refs) {
                Outcome::Row { values, .. } => Item::Row { id: row.key(), digest: legacy_digest(importer.spec(), values) },
                Outcome::Reject { .. } => Item::Reject { key: row.key(), sha256: verbatim_sha256(&row.verbatim()) },
            });
            if chunk.len() >= VERIFY_BATCH || bytes >= VERIFY_BATCH_BYTES {
                bytes = 0;
                open = tx.blocking_send(std::mem::take(&mut chunk)).is_ok();
            }
            open
        })?;
        if open && !chunk.is_empty() {
            let _ = tx.blocking_send(chunk);
        }
        Ok::<_, Error>(())
    });
    let mut table = VerifyTable { table: spec.name.into(), ..Default::default() };
    let mut failure = None;
    while let Some(items) = rx.recv().await {
        if let Err(e) = check(conn, target, spec, &items, &mut table).await {
            failure = Some(e);
            break;
        }
    }
    drop(rx);
    let parsed = parser.await.map_err(|e| Error::Postgres { context: "verifying".into(), detail: e.to_string(), source: None })?;
    if let Some(e) = failure {
        return Err(e);
    }
    parsed?;
    Ok(table)
}

async fn check(conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec, items: &[Item], out: &mut VerifyTable) -> Result<()> {
    let classify = |e| target.classify(e);
    let ids: Vec<String> = items.iter().filter_map(|i| if let Item::Row { id, .. } = i { Some(id.clone()) } else { None }).collect();
    let keys: Vec<String> = items.iter().filter_map(|i| if let Item::Reject { key, .. } = i { Some(key.clone()) } else { None }).collect();
    let mut central: HashMap<String, [u8; 32]> = HashMap::new();
    let mut losers: HashMap<String, Vec<[u8; 32]>> = HashMap::new();
    if !ids.is_empty() {
        let sql = format!("SELECT t.{key}, to_jsonb(t) FROM public.{table} t WHERE t.{key} = ANY($1)", key = spec.key, table = spec.name);
        for row in sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&ids).fetch_all(&mut *conn).await.map_err(classify)? {
            central.insert(row.get(0), central_digest(spec, row.get(1)));
        }
        let rows = sqlx::query(
            "SELECT row_id, losing_version FROM noesis_sync.conflicts
             WHERE table_name = $1 AND reason = 'migration' AND row_id = ANY($2) AND losing_version IS NOT NULL",
        )
        .bind(spec.name)
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
        for row in rows {
            losers.entry(row.get(0)).or_default().push(central_digest(spec, row.get(1)));
        }
    }
    // Rows that parse but that Postgres refused are in the rejects too (the
    // migration narrowed their batch down to them and marked them so).
    let refused: std::collections::HashSet<String> = {
        let absent: Vec<&String> = ids.iter().filter(|id| !central.contains_key(*id) && !losers.contains_key(*id)).collect();
        if absent.is_empty() {
            Default::default()
        } else {
            sqlx::query_scalar(
                "SELECT row_key FROM noesis_sync.legacy_rejects WHERE table_name = $1 AND row_key = ANY($2) AND refused_by_server",
            )
            .bind(spec.name)
            .bind(absent)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
            .into_iter()
            .collect()
        }
    };
    let mut rejected: HashMap<String, Vec<String>> = HashMap::new();
    if !keys.is_empty() {
        let rows = sqlx::query("SELECT row_key, raw_sha256 FROM noesis_sync.legacy_rejects WHERE table_name = $1 AND row_key = ANY($2)")
            .bind(spec.name)
            .bind(&keys)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?;
        for row in rows {
            rejected.entry(row.get(0)).or_default().push(row.get(1));
        }
    }
    for item in items {
        out.source_rows += 1;
        let (accounted, id) = match item {
            Item::Row { id, digest } => match central.get(id) {
                Some(d) if d == digest => {
                    out.matching += 1;
                    (true, id)
                }
                found => {
                    if losers.get(id).is_some_and(|l| l.contains(digest)) {
                        out.in_conflicts += 1;
                        (true, id)
                    } else if found.is_none() && refused.contains(id) {
                        out.in_rejects += 1;
                        (true, id)
                    } else {
                        if found.is_some() {
                            out.mismatched += 1
                        } else {
                            out.missing += 1
                        }
                        (false, id)
                    }
                }
            },
            Item::Reject { key, sha256 } => {
                if rejected.get(key).is_some_and(|s| s.contains(sha256)) {
                    out.in_rejects += 1;
                    (true, key)
                } else {
                    out.missing += 1;
                    (false, key)
                }
            }
        };
        if !accounted && out.unaccounted_ids.len() < SAMPLE_IDS {
            out.unaccounted_ids.push(id.clone());
        }
    }
    Ok(())
}

/// Digest of a normalised legacy row.
fn legacy_digest(spec: &TableSpec, values: Vec<Value>) -> [u8; 32] {
    let values: Vec<Value> = spec.columns.iter().zip(values).map(|(c, v)| numbers_by_meaning(canonical::value(c.kind, v, false))).collect();
    canonical::row_digest(&values)
}

/// Digest of a central row given as `to_jsonb` of it.
fn central_digest(spec: &TableSpec, object: Value) -> [u8; 32] {
    let values = match object {
        Value::Object(map) => canonical::row_from_object(spec, &map),
        _ => Vec::new(),
    };
    canonical::row_digest(&values.into_iter().map(numbers_by_meaning).collect::<Vec<_>>())
}

/// JSONB prints `100.0` back as written but `1e2` as `100`; comparing numbers by
/// value (integral floats as integers) makes both sides agree.
fn numbers_by_meaning(v: Value) -> Value {
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_by_meaning).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, numbers_by_meaning(v))).collect()),
        other => other,
    }
}
