//! A legacy SQLite row exactly as stored, before any interpretation.
//!
//! Legacy stores were written by Python's `sqlite3`, which happily stores NUL
//! bytes, invalid UTF-8 and any type in any column. A [`RawRow`] keeps each cell
//! as SQLite gave it (text as bytes, unchecked), so that a row that cannot be
//! imported can still be kept verbatim in the rejects table.

use rusqlite::types::ValueRef;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// One cell, as SQLite stored it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawCell {
    /// SQL NULL.
    Null,
    /// An INTEGER.
    Integer(i64),
    /// A REAL.
    Real(f64),
    /// TEXT, as bytes: not necessarily UTF-8, possibly with NUL bytes.
    Text(Vec<u8>),
    /// A BLOB.
    Blob(Vec<u8>),
}

impl RawCell {
    /// Copies a cell out of a SQLite row.
    pub fn from_sqlite(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => RawCell::Null,
            ValueRef::Integer(i) => RawCell::Integer(i),
            ValueRef::Real(f) => RawCell::Real(f),
            ValueRef::Text(t) => RawCell::Text(t.to_vec()),
            ValueRef::Blob(b) => RawCell::Blob(b.to_vec()),
        }
    }

    /// The cell as SQLite stored it: TEXT and BLOB bytes untouched, numbers as
    /// decimal text, NULL as `None`; with its storage class.
    pub fn stored_bytes(&self) -> (Option<Vec<u8>>, &'static str) {
        match self {
            RawCell::Null => (None, "null"),
            RawCell::Integer(i) => (Some(i.to_string().into_bytes()), "integer"),
            RawCell::Real(f) => (Some(f.to_string().into_bytes()), "real"),
            RawCell::Text(b) => (Some(b.clone()), "text"),
            RawCell::Blob(b) => (Some(b.clone()), "blob"),
        }
    }

    /// Bytes held, for batch sizing.
    pub fn len(&self) -> usize {
        match self {
            RawCell::Text(b) | RawCell::Blob(b) => b.len(),
            _ => 8,
        }
    }

    /// Whether the cell holds nothing (NULL).
    pub fn is_empty(&self) -> bool {
        matches!(self, RawCell::Null)
    }
}

/// One legacy row: its SQLite rowid (the resume position) and its cells in the
/// order of the importer's column list.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// SQLite's rowid; rows are read in rowid order.
    pub rowid: i64,
    /// Column names, parallel to `cells`.
    pub columns: &'static [&'static str],
    /// The cells.
    pub cells: Vec<RawCell>,
}

impl RawRow {
    /// The cell of a column (NULL when the legacy table lacks it).
    pub fn cell(&self, column: &str) -> &RawCell {
        self.columns.iter().position(|c| *c == column).map(|i| &self.cells[i]).unwrap_or(&RawCell::Null)
    }

    /// The key this row is known by in reports and in the rejects table: its id
    /// when that is clean text, otherwise `rowid:N`.
    pub fn key(&self) -> String {
        match self.cells.first() {
            Some(RawCell::Text(b)) if !b.is_empty() && !b.contains(&0) => match std::str::from_utf8(b) {
                Ok(s) => s.to_string(),
                Err(_) => format!("rowid:{}", self.rowid),
            },
            Some(RawCell::Integer(i)) => i.to_string(),
            _ => format!("rowid:{}", self.rowid),
        }
    }

    /// The row as lossless bytes: a JSON object of its columns where TEXT that is
    /// valid UTF-8 is a string (NUL bytes escaped as `\u0000`), and other TEXT and
    /// BLOBs are `{"$hex": "..."}` (BLOBs also carry `"$blob": true`).
    pub fn verbatim(&self) -> Vec<u8> {
        let mut map = Map::new();
        map.insert("$rowid".into(), Value::from(self.rowid));
        for (name, cell) in self.columns.iter().zip(&self.cells) {
            let v = match cell {
                RawCell::Null => Value::Null,
                RawCell::Integer(i) => Value::from(*i),
                RawCell::Real(f) => serde_json::Number::from_f64(*f).map(Value::Number).unwrap_or(Value::String(f.to_string())),
                RawCell::Text(b) => match std::str::from_utf8(b) {
                    Ok(s) => Value::String(s.to_string()),
                    Err(_) => serde_json::json!({ "$hex": hex::encode(b) }),
                },
                RawCell::Blob(b) => serde_json::json!({ "$hex": hex::encode(b), "$blob": true }),
            };
            map.insert((*name).to_string(), v);
        }
        serde_json::to_vec(&Value::Object(map)).expect("a JSON map always serialises")
    }
}

/// SHA-256 (hex) of a rejected row's verbatim bytes, how verify finds it again.
pub fn verbatim_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_keeps_nul_bytes_and_invalid_utf8() {
        let row = RawRow {
            rowid: 7,
            columns: &["id", "json"],
            cells: vec![RawCell::Text(b"a\0b".to_vec()), RawCell::Text(vec![0xff, 0xfe, b'x'])],
        };
        let v: Value = serde_json::from_slice(&row.verbatim()).unwrap();
        assert_eq!(v["id"], "a\u{0}b");
        assert_eq!(v["json"]["$hex"], "fffe78");
        assert_eq!(row.key(), "rowid:7", "an id with a NUL byte is not used as a key");
    }
}
