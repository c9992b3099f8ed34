//! The canonical encoding of a row, so the same content hashes the same in the
//! local cache and in PostgreSQL.
//!
//! Each column value becomes JSON in one agreed form: timestamps as
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ`, JSON with object keys sorted and no spaces,
//! arrays as JSON arrays, integers as numbers. A row is the JSON array of its
//! column values in the table's column order; its digest is SHA-256 of that text.
//! Values that do not parse as their kind (a hand-typed date, broken JSON in the
//! cache) stay as they are, so they still compare unequal to anything else.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::tables::{ColumnKind, TableSpec};
use crate::timestamp;

/// Brings one value, as read from either store, to canonical form.
///
/// `value` is what the store gave: for JSON and array columns of the local cache
/// that is a string holding JSON, which is parsed here.
pub fn value(kind: ColumnKind, raw: Value, from_text_column: bool) -> Value {
    match (kind, raw) {
        (_, Value::Null) => Value::Null,
        (ColumnKind::Timestamp, Value::String(s)) => match timestamp::parse(&s) {
            Some(t) => Value::String(timestamp::format(&t)),
            None => Value::String(s),
        },
        (ColumnKind::Timestamp, Value::Number(n)) => match n.as_f64().and_then(timestamp::from_epoch) {
            Some(t) => Value::String(timestamp::format(&t)),
            None => Value::Number(n),
        },
        (ColumnKind::Json | ColumnKind::TextArray, Value::String(s)) if from_text_column => {
            serde_json::from_str(&s).unwrap_or(Value::String(s))
        }
        (ColumnKind::Integer, Value::String(s)) => s.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(s)),
        (ColumnKind::Integer, Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        (ColumnKind::Vector, Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(parsed @ Value::Array(_)) => value(ColumnKind::Vector, parsed, from_text_column),
            _ => Value::String(s),
        },
        // Vectors are f32 on both sides; printing each as f32 keeps a float that
        // went through f64 (JSON) from hashing differently.
        (ColumnKind::Vector, Value::Array(items)) => Value::String(
            items
                .iter()
                .map(|x| x.as_f64().map(|f| (f as f32).to_string()).unwrap_or_else(|| x.to_string()))
                .collect::<Vec<_>>()
                .join(","),
        ),
        (_, other) => other,
    }
}

/// Writes `v` as compact JSON with object keys in byte order.
pub fn to_text(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => out.push_str(&object_text(map)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The canonical text of a row given as an object of canonical values: keys
/// sorted, so equal rows have equal text.
pub fn object_text(row: &serde_json::Map<String, Value>) -> String {
    let mut out = String::new();
    let mut keys: Vec<&String> = row.keys().collect();
    keys.sort();
    out.push('{');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String((*k).clone()).to_string());
        out.push(':');
        write(&row[k.as_str()], &mut out);
    }
    out.push('}');
    out
}

/// SHA-256 of a row's canonical encoding; `values` are already canonical and in
/// the table's column order.
pub fn row_digest(values: &[Value]) -> [u8; 32] {
    let mut text = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        write(v, &mut text);
    }
    text.push(']');
    Sha256::digest(text.as_bytes()).into()
}

/// Accumulates the digests of a table's rows, fed in key order (byte order of
/// the id), into one checksum that two stores can compare.
#[derive(Default)]
pub struct TableChecksum {
    hasher: Sha256,
    rows: u64,
}

impl TableChecksum {
    /// Adds the next row (rows must come in byte order of their key).
    pub fn add(&mut self, digest: &[u8; 32]) {
        self.hasher.update(digest);
        self.rows += 1;
    }

    /// Number of rows added.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The checksum as hex; 32 characters are plenty to compare two copies.
    pub fn finish(self) -> String {
        hex::encode(&self.hasher.finalize()[..16])
    }
}

/// Canonical values of a row given as a JSON object keyed by column name (how
/// Postgres's `to_jsonb` returns it); columns the object lacks count as null.
pub fn row_from_object(spec: &TableSpec, row: &serde_json::Map<String, Value>) -> Vec<Value> {
    spec.columns
        .iter()
        .map(|c| value(c.kind, row.get(c.name).cloned().unwrap_or(Value::Null), false))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_compares_by_meaning_not_by_text() {
        let a = value(ColumnKind::Json, json!("{\"b\": 1, \"a\": [1, 2]}"), true);
        let b = value(ColumnKind::Json, json!({"a": [1, 2], "b": 1}), false);
        assert_eq!(to_text(&a), to_text(&b));
        assert_eq!(to_text(&a), r#"{"a":[1,2],"b":1}"#);
    }

    #[test]
    fn timestamps_in_different_forms_hash_the_same() {
        let local = vec![json!("c1"), value(ColumnKind::Timestamp, json!("2024-01-02T03:04:05.000000Z"), true)];
        let central = vec![json!("c1"), value(ColumnKind::Timestamp, json!("2024-01-02T03:04:05"), false)];
        assert_eq!(row_digest(&local), row_digest(&central));
    }

    #[test]
    fn a_changed_value_changes_the_digest() {
        let a = row_digest(&[json!("c1"), json!("hello")]);
        let b = row_digest(&[json!("c1"), json!("hello!")]);
        assert_ne!(a, b);
    }

    #[test]
    fn unparsable_values_are_kept_not_nulled() {
        assert_eq!(value(ColumnKind::Json, json!("{broken"), true), json!("{broken"));
        assert_eq!(value(ColumnKind::Timestamp, json!("soon"), true), json!("soon"));
    }
}
