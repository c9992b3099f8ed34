//! Reading rows of the synced tables out of the cache in canonical form, for the
//! per-table checksums that let two devices and the server be compared.

use rusqlite::types::ValueRef;
use serde_json::Value;

use super::Cache;
use crate::canonical::{self, TableChecksum};
use crate::error::Result;
use crate::tables::{ColumnKind, TableSpec};

impl Cache {
    /// Row count and content checksum of one table, rows in byte order of the key
    /// (SQLite's BINARY collation, the same order as Postgres's `COLLATE "C"`).
    pub fn table_checksum(&self, spec: &TableSpec) -> Result<(u64, String)> {
        let sql = format!("SELECT {} FROM {} ORDER BY {}", spec.column_list(), spec.name, spec.key);
        let context = format!("reading {}", spec.name);
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.error(&context, e))?;
        let mut rows = stmt.query([]).map_err(|e| self.error(&context, e))?;
        let mut checksum = TableChecksum::default();
        while let Some(row) = rows.next().map_err(|e| self.error(&context, e))? {
            let values = canonical_values(spec, row).map_err(|e| self.error(&context, e))?;
            checksum.add(&canonical::row_digest(&values));
        }
        Ok((checksum.rows(), checksum.finish()))
    }
}

/// The canonical values of a row selected with `spec.column_list()`, in column
/// order: what checksums hash and what the merge compares.
pub(crate) fn canonical_values(spec: &TableSpec, row: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<Value>> {
    spec.columns
        .iter()
        .enumerate()
        .map(|(i, column)| Ok(canonical::value(column.kind, to_json(column.kind, row.get_ref(i)?), true)))
        .collect()
}

/// A SQLite value as JSON; a vector BLOB becomes its list of floats.
pub(crate) fn to_json(kind: ColumnKind, value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) if kind == ColumnKind::Vector => {
            Value::Array(b.chunks_exact(4).map(|c| Value::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)).collect())
        }
        ValueRef::Blob(b) => Value::String(hex::encode(b)),
    }
}
