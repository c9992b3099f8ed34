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

/// A row as a JSON object of canonical column values.
pub type Row = serde_json::Map<String, Value>;

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
            crate::deep_json::parse(&s).unwrap_or(Value::String(s))
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
            items.iter().map(|x| x.as_f64().map(|f| (f as f32).to_string()).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>().join(","),
        ),
        (_, other) => other,
    }
}

/// Writes `v` as compact JSON with object keys in byte order.
pub fn to_text(v: &Value) -> String {
    let mut out = Vec::new();
    write(v, &mut out);
    into_text(out)
}

/// Appends `v` to `out`. Works on bytes and serialises leaves straight into
/// them: a pull writes the canonical text of every row it applies, and
/// formatting each leaf into a `String` of its own was a third of that work.
fn write(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => write_object(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        other => write_leaf(other, out),
    }
}

fn write_leaf<T: serde::Serialize + ?Sized>(leaf: &T, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, leaf).expect("JSON values and strings serialise into memory");
}

fn write_object(map: &serde_json::Map<String, Value>, out: &mut Vec<u8>) {
    let mut keys: Vec<&String> = map.keys().collect();
    // serde_json's map is usually already in byte order (a BTreeMap), but not
    // with its preserve_order feature, which another crate may switch on.
    if !keys.is_sorted() {
        keys.sort();
    }
    out.push(b'{');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_leaf(k.as_str(), out);
        out.push(b':');
        write(&map[k.as_str()], out);
    }
    out.push(b'}');
}

/// The text of bytes this module wrote (always UTF-8: serde_json output and
/// ASCII punctuation).
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("canonical JSON is UTF-8")
}

/// The canonical text of a row given as an object of canonical values: keys
/// sorted, so equal rows have equal text.
pub fn object_text(row: &serde_json::Map<String, Value>) -> String {
    let mut out = Vec::new();
    write_object(row, &mut out);
    into_text(out)
}

/// The canonical text of a row given as canonical values in the table's
/// column order: the same text as [`object_text`] of the row as an object, so
/// a pull can write shadow copies without building a map per row.
pub fn row_text(spec: &TableSpec, values: &[Value]) -> String {
    let mut order: Vec<usize> = (0..spec.columns.len()).collect();
    order.sort_by_key(|&i| spec.columns[i].name);
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    for (n, &i) in order.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_leaf(spec.columns[i].name, &mut out);
        out.push(b':');
        write(values.get(i).unwrap_or(&Value::Null), &mut out);
    }
    out.push(b'}');
    into_text(out)
}

/// SHA-256 of a row's canonical encoding; `values` are already canonical and in
/// the table's column order.
pub fn row_digest(values: &[Value]) -> [u8; 32] {
    let mut text = vec![b'['];
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        write(v, &mut text);
    }
    text.push(b']');
    Sha256::digest(&text).into()
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
/// Postgres's `to_jsonb` returns it); columns the object lacks count as null,
/// and a null in a required column becomes its [`crate::tables::Column::null_stand_in`].
pub fn row_from_object(spec: &TableSpec, row: &serde_json::Map<String, Value>) -> Vec<Value> {
    spec.columns
        .iter()
        .map(|c| match row.get(c.name) {
            None | Some(Value::Null) => c.null_stand_in(),
            Some(v) => value(c.kind, v.clone(), false),
        })
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
    fn row_text_is_the_object_text_of_the_same_row() {
        let spec = crate::tables::by_name("memory_cards").unwrap();
        let values = vec![
            json!("c\"1\u{1}é"),
            json!("2024-01-02T03:04:05.000000Z"),
            json!("fact"),
            json!("global"),
            json!("line\nbreak"),
            json!("pending"),
            Value::Null,
            Value::Null,
            json!({"z": [1, {"b": 2, "a": null}], "a": "x"}),
        ];
        let object: serde_json::Map<String, Value> = spec.columns.iter().map(|c| c.name.to_string()).zip(values.iter().cloned()).collect();
        assert_eq!(row_text(spec, &values), object_text(&object));
    }

    #[test]
    fn unparsable_values_are_kept_not_nulled() {
        assert_eq!(value(ColumnKind::Json, json!("{broken"), true), json!("{broken"));
        assert_eq!(value(ColumnKind::Timestamp, json!("soon"), true), json!("soon"));
    }
}
