//! Loading one batch: COPY (straight into the central table when none of its
//! ids exists there, else into the staging table and merge), rejects and the
//! high-water mark, all in one transaction, so a kill at any moment leaves
//! either the whole batch or none of it.

use sqlx::{Connection, PgConnection, Row};

use super::copy_format::CopyFormat;
use super::merge;
use super::reader::Batch;
use crate::central::{staging, ServerTarget};
use crate::error::Result;
use crate::tables::TableSpec;

/// What happened to one batch's rows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BatchCounts {
    /// Rows not yet in Postgres (inserted, or would be in a dry run).
    pub inserted: u64,
    /// Rows already there with equal content.
    pub unchanged: u64,
    /// Rows whose id is there with different content.
    pub conflicted: u64,
    /// Of the conflicted, those where the legacy version was newer and replaced
    /// the central one (the central one is kept as the conflict's loser).
    pub legacy_won: u64,
    /// Conflict records written now (0 on a rerun: they exist already).
    pub conflicts_recorded: u64,
    /// Rows kept in the rejects table instead.
    pub rejected: u64,
}

/// Where the batch comes from, for the rejects and the high-water mark.
pub struct BatchSource<'a> {
    /// This device's id (set as `noesis.device_id` so the changelog shows who wrote).
    pub device_id: &'a str,
    /// The legacy file, as given (for the rejects table).
    pub source_file: &'a str,
    /// Keys the high-water mark: the snapshot's fingerprint under the current
    /// normalising rules ([`super::runs::resume_key`]).
    pub resume_key: &'a str,
}

/// Checks that the server has `spec`'s staging tables (setup since schema 6)
/// and returns the COPY format the central table's column types allow.
pub async fn prepare(conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec) -> Result<CopyFormat> {
    staging::require_staging(conn, target, spec).await?;
    let types: Vec<(String, String)> = sqlx::query_as(
        "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
         WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
    )
    .bind(format!("public.{}", spec.name))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(CopyFormat::for_columns(spec, &types))
}

/// Why a batch did not load.
pub enum LoadFailure {
    /// Postgres refused the data of some row in it (a value out of range, too
    /// long or invalid for its type, a constraint): narrow the batch down to
    /// that row and keep it as a reject; the rest loads.
    Refused(String),
    /// Anything else (connection, privileges, schema): the run stops, with
    /// nothing of the batch written, and resumes here.
    Failed(crate::Error),
}

/// SQLSTATE classes that blame the data rather than the server: 22 data
/// exception, 23 integrity constraint violation, 54 program limit exceeded.
fn is_refusal(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c.starts_with("22") || c.starts_with("23") || c.starts_with("54")),
        _ => false,
    }
}

/// Loads one batch; in a dry run classifies it, writes what the merge would
/// write into its own copy of the table (so the server refuses there what
/// it would refuse for real) and rolls everything back.
///
/// Fast path: when none of the batch's ids exists centrally, the rows are
/// COPYed straight into the central table (nothing to merge). Otherwise, or if
/// another writer inserts one of those ids meanwhile (unique violation: the
/// transaction is rolled back), the batch goes through staging and the merge.
pub async fn load_batch(
    conn: &mut PgConnection,
    target: &ServerTarget,
    spec: &TableSpec,
    source: &BatchSource<'_>,
    batch: &Batch,
    format: CopyFormat,
    dry_run: bool,
) -> std::result::Result<BatchCounts, LoadFailure> {
    if !dry_run && batch.importable > 0 {
        match load_direct(conn, spec, source, batch, format).await {
            Ok(Some(counts)) => return Ok(counts),
            Ok(None) => {}
            // Another writer inserted one of the ids meanwhile; or Postgres
            // refused a row, which the merge path narrows down the same way.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => {}
            Err(e) if is_refusal(&e) => {}
            Err(e) => return Err(LoadFailure::Failed(target.classify(e))),
        }
    }
    load_merged(conn, spec, source, batch, format, dry_run).await.map_err(|e| {
        if is_refusal(&e) && batch.importable > 0 {
            LoadFailure::Refused(e.as_database_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string()))
        } else {
            LoadFailure::Failed(target.classify(e))
        }
    })
}

async fn load_direct(
    conn: &mut PgConnection,
    spec: &TableSpec,
    source: &BatchSource<'_>,
    batch: &Batch,
    format: CopyFormat,
) -> sqlx::Result<Option<BatchCounts>> {
    let mut tx = conn.begin().await?;
    let existing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(merge::existing_sql(spec))).bind(&batch.ids).fetch_one(&mut *tx).await?;
    if existing > 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    set_device(&mut tx, source).await?;
    send_copy(&mut tx, &merge::copy_direct_sql(spec, format), batch, format).await?;
    finish(&mut tx, spec, source, batch).await?;
    tx.commit().await?;
    Ok(Some(BatchCounts { inserted: batch.importable, rejected: batch.rejects.len() as u64, ..Default::default() }))
}

async fn load_merged(
    conn: &mut PgConnection,
    spec: &TableSpec,
    source: &BatchSource<'_>,
    batch: &Batch,
    format: CopyFormat,
    dry_run: bool,
) -> sqlx::Result<BatchCounts> {
    let mut tx = conn.begin().await?;
    set_device(&mut tx, source).await?;
    let mut counts = BatchCounts { rejected: batch.rejects.len() as u64, ..Default::default() };
    if batch.importable > 0 {
        send_copy(&mut tx, &merge::copy_sql(spec, format), batch, format).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(merge::analyze_staging_sql(spec))).execute(&mut *tx).await?;
        // A dry run writes into its copy of the table rather than merging and
        // rolling back: a rolled-back batch of documents would leave the
        // chunks of a later batch without the rows they reference, and writes
        // to the central tables, even undone, fire the change capture (its
        // sequence moves) and hold back every device's pull while they run.
        let sql = if dry_run { merge::dry_run_sql(spec) } else { merge::merge_sql(spec) };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if !dry_run {
            query = query.bind(source.device_id);
        }
        let row = query.fetch_one(&mut *tx).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(merge::clear_staging_sql(spec))).execute(&mut *tx).await?;
        let n = |i: usize| row.get::<i64, _>(i) as u64;
        counts.inserted = n(0);
        counts.unchanged = n(1);
        counts.conflicted = n(2);
        counts.legacy_won = n(3);
        if !dry_run {
            counts.inserted = n(4);
            counts.conflicts_recorded = n(5);
        }
    }
    if dry_run {
        tx.rollback().await?;
        return Ok(counts);
    }
    finish(&mut tx, spec, source, batch).await?;
    tx.commit().await?;
    Ok(counts)
}

/// COPYs the batch's rows, framed as `format` requires.
async fn send_copy(conn: &mut PgConnection, sql: &str, batch: &Batch, format: CopyFormat) -> sqlx::Result<()> {
    let mut copy = conn.copy_in_raw(sql).await?;
    if !format.header().is_empty() {
        copy.send(format.header()).await?;
    }
    copy.send(batch.copy.as_slice()).await?;
    if !format.trailer().is_empty() {
        copy.send(format.trailer()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// Marks the transaction's writes as this device's in the changelog.
async fn set_device(conn: &mut PgConnection, source: &BatchSource<'_>) -> sqlx::Result<()> {
    sqlx::query("SELECT set_config('noesis.device_id', $1, true)").bind(source.device_id).execute(&mut *conn).await?;
    Ok(())
}

/// The rejects, the rows changed on the way and the high-water mark, in the
/// batch's transaction.
async fn finish(conn: &mut PgConnection, spec: &TableSpec, source: &BatchSource<'_>, batch: &Batch) -> sqlx::Result<()> {
    // Rejects are few: one statement each keeps the per-cell arrays simple.
    for reject in &batch.rejects {
        sqlx::query(
            "INSERT INTO noesis_sync.legacy_rejects
                 (device_id, source_file, table_name, row_key, reason, raw, raw_sha256, cell_columns, cell_types, cells, refused_by_server)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (device_id, source_file, table_name, row_key, raw_sha256) DO NOTHING",
        )
        .bind(source.device_id)
        .bind(source.source_file)
        .bind(spec.name)
        .bind(&reject.key)
        .bind(reject.reason.replace('\0', ""))
        .bind(&reject.raw)
        .bind(&reject.sha256)
        .bind(reject.cells.iter().map(|(column, _, _)| *column).collect::<Vec<_>>())
        .bind(reject.cells.iter().map(|(_, kind, _)| *kind).collect::<Vec<_>>())
        .bind(reject.cells.iter().map(|(_, _, bytes)| bytes.clone()).collect::<Vec<_>>())
        .bind(reject.refused_by_server)
        .execute(&mut *conn)
        .await?;
    }
    if !batch.changed.is_empty() {
        sqlx::query(
            "INSERT INTO noesis_sync.legacy_changes (device_id, source_file, table_name, row_key, change)
             SELECT $1, $2, $3, k, c FROM unnest($4::text[], $5::text[]) AS u(k, c)
             ON CONFLICT DO NOTHING",
        )
        .bind(source.device_id)
        .bind(source.source_file)
        .bind(spec.name)
        .bind(batch.changed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>())
        .bind(batch.changed.iter().map(|c| c.note.code()).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO noesis_sync.legacy_high_water (source_fingerprint, table_name, last_rowid) VALUES ($1, $2, $3)
         ON CONFLICT (source_fingerprint, table_name)
         DO UPDATE SET last_rowid = GREATEST(noesis_sync.legacy_high_water.last_rowid, EXCLUDED.last_rowid), updated_at = now()",
    )
    .bind(source.resume_key)
    .bind(spec.name)
    .bind(batch.last_rowid)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
