//! Reading and writing whole rows of the central tables as canonical JSON
//! objects (the form the merge works on), and the clock of a row's last edit.

use std::collections::HashMap;

use sqlx::{PgConnection, Row as _};

use crate::canonical;
use crate::canonical::Row;
use crate::deep_json::PgJson;
use crate::hlc::Hlc;
use crate::tables::TableSpec;

/// The current rows with these keys (absent keys: no such row).
pub async fn fetch_rows(conn: &mut PgConnection, spec: &TableSpec, ids: &[String]) -> sqlx::Result<HashMap<String, Row>> {
    let sql = format!("SELECT to_jsonb(t) FROM {} t WHERE t.{} = ANY($1)", spec.name, spec.key);
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids).fetch_all(&mut *conn).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        // try_get: a value the driver cannot decode is an error, not a panic.
        if let Some(row) = row_from_json(spec, r.try_get::<PgJson, _>(0)?.0) {
            out.insert(key_of(spec, &row), row);
        }
    }
    Ok(out)
}

/// The current row with this key, locked until the transaction ends so no other
/// writer can slip in between the merge and the write.
pub async fn fetch_row_for_update(conn: &mut PgConnection, spec: &TableSpec, id: &str) -> sqlx::Result<Option<Row>> {
    let sql = format!("SELECT to_jsonb(t) FROM {} t WHERE t.{} = $1 FOR UPDATE", spec.name, spec.key);
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    match row {
        Some(r) => Ok(row_from_json(spec, r.try_get::<PgJson, _>(0)?.0)),
        None => Ok(None),
    }
}

/// Inserts or updates a row. Only the columns we know are written, so columns a
/// newer server added keep their values.
pub async fn upsert_row(conn: &mut PgConnection, spec: &TableSpec, row: &Row) -> sqlx::Result<()> {
    let columns = spec.column_list();
    let updates: Vec<String> = spec.columns.iter().filter(|c| c.name != spec.key).map(|c| format!("{0} = EXCLUDED.{0}", c.name)).collect();
    let sql = format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{table}, $1)
         ON CONFLICT ({key}) DO UPDATE SET {updates}",
        table = spec.name,
        key = spec.key,
        updates = updates.join(", ")
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(serde_json::Value::Object(row.clone())).execute(&mut *conn).await?;
    Ok(())
}

/// Deletes a row.
pub async fn delete_row(conn: &mut PgConnection, spec: &TableSpec, id: &str) -> sqlx::Result<()> {
    let sql = format!("DELETE FROM {} WHERE {} = $1", spec.name, spec.key);
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// The clock of the row's last change in the changelog: the device's clock when
/// a device wrote it, else the server time of the write. The epoch when the
/// changelog has nothing on the row (written before setup, or pruned).
pub async fn last_clock(conn: &mut PgConnection, spec: &TableSpec, id: &str) -> sqlx::Result<Hlc> {
    let row = sqlx::query(
        "SELECT hlc, (extract(epoch FROM changed_at) * 1000)::int8, device_id FROM noesis_sync.changelog
         WHERE table_name = $1 AND row_id = $2 ORDER BY change_id DESC LIMIT 1",
    )
    .bind(spec.name)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => {
            let hlc: Option<String> = r.get(0);
            hlc.as_deref().and_then(Hlc::parse).unwrap_or_else(|| Hlc::new(r.get::<i64, _>(1).max(0) as u64, 0, r.get::<String, _>(2)))
        }
        None => Hlc::new(0, 0, ""),
    })
}

/// The clock of each field's last edit on the server, for the fields edited
/// since the row was created (`noesis_sync.field_clocks`): the writing device's
/// clock, else the server time of the write and the writer's device id (empty
/// for the Python server and psql). A field missing here takes the row's clock.
pub async fn field_clocks(conn: &mut PgConnection, spec: &TableSpec, id: &str) -> sqlx::Result<crate::hlc::FieldClocks> {
    let rows = sqlx::query(
        "SELECT field, hlc, (extract(epoch FROM changed_at) * 1000)::int8, device_id FROM noesis_sync.field_clocks
         WHERE table_name = $1 AND row_id = $2",
    )
    .bind(spec.name)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let hlc: Option<String> = r.get(1);
            let clock =
                hlc.as_deref().and_then(Hlc::parse).unwrap_or_else(|| Hlc::new(r.get::<i64, _>(2).max(0) as u64, 0, r.get::<String, _>(3)));
            (r.get::<String, _>(0), clock)
        })
        .collect())
}

/// A row as Postgres's `to_jsonb(t)` returns it, in canonical form; `None` for
/// anything but an object.
pub fn row_from_json(spec: &TableSpec, value: serde_json::Value) -> Option<Row> {
    match value {
        serde_json::Value::Object(map) => {
            let values = canonical::row_from_object(spec, &map);
            Some(spec.columns.iter().map(|c| c.name.to_string()).zip(values).collect())
        }
        _ => None,
    }
}

fn key_of(spec: &TableSpec, row: &Row) -> String {
    row.get(spec.key).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}
