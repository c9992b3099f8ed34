//! The push's writes on the server: a row (or its deletion) under this
//! device's op id and clocks, and a conflict record.

use sqlx::{Acquire, PgConnection};

use crate::central;
use crate::hlc::{FieldClocks, Hlc};
use crate::sync::merge::{Conflict, Outcome, Row, Side};
use crate::tables::TableSpec;

/// Writes the outcome unless the server already holds it; `true` when written.
/// Runs in a savepoint so a refused row does not abort the batch.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write(
    tx: &mut PgConnection,
    spec: &TableSpec,
    row_id: &str,
    outcome: &Outcome,
    remote: Option<&Row>,
    op_id: i64,
    clock: &Hlc,
    fields: &FieldClocks,
) -> sqlx::Result<bool> {
    if outcome.row.as_ref() == remote {
        return Ok(false);
    }
    let mut savepoint = tx.begin().await?;
    let field_hlcs: serde_json::Map<String, serde_json::Value> = fields.iter().map(|(f, c)| (f.clone(), c.to_string().into())).collect();
    sqlx::query(
        "SELECT set_config('noesis.op_id', $1, true), set_config('noesis.hlc', $2, true), set_config('noesis.field_hlcs', $3, true)",
    )
    .bind(op_id.to_string())
    .bind(clock.to_string())
    .bind(serde_json::Value::Object(field_hlcs).to_string())
    .execute(&mut *savepoint)
    .await?;
    match &outcome.row {
        Some(row) => central::upsert_row(&mut savepoint, spec, row).await?,
        None => central::delete_row(&mut savepoint, spec, row_id).await?,
    }
    savepoint.commit().await?;
    Ok(true)
}

/// Records a conflict: both versions, the base, and which device wrote each.
#[allow(clippy::too_many_arguments)]
pub(super) async fn record_conflict(
    tx: &mut PgConnection,
    spec: &TableSpec,
    row_id: &str,
    base: Option<&Row>,
    outcome: &Outcome,
    conflict: &Conflict,
    me: &str,
    remote_device: &str,
) -> sqlx::Result<()> {
    let (winning_device, losing_device) = match conflict.loser {
        Side::Local => (remote_device, me),
        Side::Remote => (me, remote_device),
    };
    let json = |r: Option<&Row>| r.map(|r| serde_json::Value::Object(r.clone()));
    sqlx::query(
        "INSERT INTO noesis_sync.conflicts
            (table_name, row_id, reason, base_version, winning_version, losing_version, winning_device, losing_device, detected_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(spec.name)
    .bind(row_id)
    .bind(conflict.reason.as_str())
    .bind(json(base))
    .bind(json(outcome.row.as_ref()))
    .bind(json(conflict.losing.as_ref()))
    .bind(winning_device)
    .bind(losing_device)
    .bind(me)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
