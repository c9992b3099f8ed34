//! Reading and writing whole rows of the synced tables as canonical JSON
//! objects (the form the merge works on), and their shadow copies.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::Value;

use super::Cache;
use crate::canonical;
use crate::canonical::Row;
use crate::error::Result;
use crate::tables::{ColumnKind, TableSpec};

impl Cache {
    /// The row with key `id`, canonical; `None` when there is none.
    pub fn read_row(&self, spec: &TableSpec, id: &str) -> Result<Option<Row>> {
        read_row(&self.conn, spec, id).map_err(|e| self.error(&format!("reading {}", spec.name), e))
    }

    /// The shadow copy of a row: as this device last synced it.
    pub fn shadow(&self, spec: &TableSpec, id: &str) -> Result<Option<Row>> {
        read_shadow(&self.conn, spec, id).map_err(|e| self.error("reading a shadow copy", e))
    }
}

/// Reads one row in canonical form.
pub(crate) fn read_row(conn: &Connection, spec: &TableSpec, id: &str) -> rusqlite::Result<Option<Row>> {
    let sql = format!("SELECT {} FROM {} WHERE {} = ?1", spec.column_list(), spec.name, spec.key);
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_row([id], |r| {
        let values = super::rows::canonical_values(spec, r)?;
        Ok(spec.columns.iter().map(|c| c.name.to_string()).zip(values).collect())
    })
    .optional()
}

/// Inserts or replaces a row given in canonical form.
pub(crate) fn write_row(conn: &Connection, spec: &TableSpec, row: &Row) -> rusqlite::Result<()> {
    let values = spec.columns.iter().map(|c| sqlite_value(c.kind, row.get(c.name).unwrap_or(&Value::Null)));
    conn.prepare_cached(upsert_sql(spec))?.execute(params_from_iter(values))?;
    Ok(())
}

/// The upsert statement of a table, built once per process: pulls write it for
/// every row, and `prepare_cached` looks statements up by their text.
fn upsert_sql(spec: &TableSpec) -> &'static str {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<&'static str, &'static str>>> = std::sync::OnceLock::new();
    let mut map = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let name: &'static str = crate::tables::by_name(spec.name).map(|s| s.name).unwrap_or("");
    map.entry(name).or_insert_with(|| {
        let placeholders: Vec<String> = (1..=spec.columns.len()).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> =
            spec.columns.iter().filter(|c| c.name != spec.key).map(|c| format!("{0} = excluded.{0}", c.name)).collect();
        Box::leak(
            format!(
                "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
                spec.name,
                spec.column_list(),
                placeholders.join(", "),
                spec.key,
                updates.join(", ")
            )
            .into_boxed_str(),
        )
    })
}

/// Deletes a row.
pub(crate) fn delete_row(conn: &Connection, spec: &TableSpec, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!("DELETE FROM {} WHERE {} = ?1", spec.name, spec.key))?.execute([id])?;
    Ok(())
}

/// Reads a shadow copy.
pub(crate) fn read_shadow(conn: &Connection, spec: &TableSpec, id: &str) -> rusqlite::Result<Option<Row>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT data FROM sync_shadow WHERE table_name = ?1 AND row_id = ?2")?
        .query_row([spec.name, id], |r| r.get(0))
        .optional()?;
    Ok(text.and_then(|t| crate::deep_json::parse_row(&t).ok()).and_then(|v| match v {
        Value::Object(m) => Some(m),
        _ => None,
    }))
}

/// Sets (or, with `None`, removes) a shadow copy.
pub(crate) fn write_shadow(conn: &Connection, spec: &TableSpec, id: &str, row: Option<&Row>) -> rusqlite::Result<()> {
    write_shadow_text(conn, spec, id, row.map(canonical::object_text).as_deref())
}

/// Sets (or, with `None`, removes) a shadow copy given as canonical text.
pub(crate) fn write_shadow_text(conn: &Connection, spec: &TableSpec, id: &str, text: Option<&str>) -> rusqlite::Result<()> {
    match text {
        Some(text) => {
            conn.prepare_cached(
                "INSERT INTO sync_shadow (table_name, row_id, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT (table_name, row_id) DO UPDATE SET data = excluded.data",
            )?
            .execute(rusqlite::params![spec.name, id, text])?;
        }
        None => {
            conn.prepare_cached("DELETE FROM sync_shadow WHERE table_name = ?1 AND row_id = ?2")?.execute([spec.name, id])?;
        }
    }
    Ok(())
}

/// Like [`sqlite_value`], taking the value, so that text moves instead of
/// being copied (a pull converts every value of every row it applies).
pub(crate) fn sqlite_value_owned(kind: ColumnKind, value: Value) -> SqlValue {
    match (kind, value) {
        (ColumnKind::Text | ColumnKind::Timestamp | ColumnKind::Integer, Value::String(s)) => SqlValue::Text(s),
        (kind, value) => sqlite_value(kind, &value),
    }
}

/// A canonical value as SQLite stores it in a column of `kind`.
pub(crate) fn sqlite_value(kind: ColumnKind, value: &Value) -> SqlValue {
    match (kind, value) {
        (_, Value::Null) => SqlValue::Null,
        (ColumnKind::Json | ColumnKind::TextArray, v) => SqlValue::Text(canonical::to_text(v)),
        (ColumnKind::Vector, Value::String(s)) => {
            SqlValue::Blob(s.split(',').filter_map(|x| x.trim().parse::<f32>().ok()).flat_map(f32::to_le_bytes).collect())
        }
        (_, Value::String(s)) => SqlValue::Text(s.clone()),
        (_, Value::Number(n)) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        (_, Value::Bool(b)) => SqlValue::Integer(*b as i64),
        (_, other) => SqlValue::Text(canonical::to_text(other)),
    }
}
