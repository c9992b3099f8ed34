//! Which COPY format a table's batches travel in, and the binary encoder.
//!
//! *Binary* (PostgreSQL's `FORMAT binary`) spares the server most of its
//! per-row work on COPY: no scanning lines for escapes, no parsing of
//! timestamps and integers (JSONB is still parsed from its text, which the
//! binary form carries). Measured with `psql \copy` of the benchmark's rows into
//! the full central schema, binary took 19-20 s where text took 25-30 s (see
//! docs/migration.md). It needs each value's exact wire type, so a table loads
//! in binary only when the server's columns have the types the Python server
//! creates (checked once per table, [`CopyFormat::for_columns`]); otherwise it
//! falls back to text ([`super::copy_text`]), which the server converts.
//!
//! A binary COPY stream is a header, tuples and a trailer; a batch holds only
//! its tuples, so that it can be cut between rows, and the loader frames it.

use serde_json::Value;

use crate::tables::{ColumnKind, TableSpec};

/// The COPY format of one table's batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    /// PostgreSQL's text format (tab-separated, escaped).
    Text,
    /// PostgreSQL's binary format.
    Binary,
}

/// Signature, flags and header extension length of a binary COPY stream.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// End of a binary COPY stream: a tuple with -1 fields.
const BINARY_TRAILER: &[u8] = &[0xff, 0xff];

/// Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's timestamp epoch.
const POSTGRES_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

impl CopyFormat {
    /// Binary when every column has the type the binary encoder writes
    /// (`types` as `format_type` prints them, by column name), else text.
    pub fn for_columns(spec: &TableSpec, types: &[(String, String)]) -> CopyFormat {
        let matches = spec.columns.iter().all(|c| {
            let expected = match c.kind {
                ColumnKind::Text => "text",
                ColumnKind::Integer => "integer",
                ColumnKind::Timestamp => "timestamp without time zone",
                ColumnKind::Json => "jsonb",
                ColumnKind::TextArray => "text[]",
                ColumnKind::Vector => return false,
            };
            types.iter().any(|(name, ty)| name == c.name && ty == expected)
        });
        if matches {
            CopyFormat::Binary
        } else {
            CopyFormat::Text
        }
    }

    /// The `WITH (...)` clause of the COPY statement.
    pub fn copy_options(self) -> &'static str {
        match self {
            CopyFormat::Text => "",
            CopyFormat::Binary => " WITH (FORMAT binary)",
        }
    }

    /// What precedes a batch's rows in the COPY stream.
    pub fn header(self) -> &'static [u8] {
        match self {
            CopyFormat::Text => b"",
            CopyFormat::Binary => BINARY_HEADER,
        }
    }

    /// What follows a batch's rows in the COPY stream.
    pub fn trailer(self) -> &'static [u8] {
        match self {
            CopyFormat::Text => b"",
            CopyFormat::Binary => BINARY_TRAILER,
        }
    }

    /// Appends one row (canonical values in the spec's column order) to `out`;
    /// on error `out` is left as it was and the row cannot be loaded.
    pub fn encode_row(self, spec: &TableSpec, values: &[Value], out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            CopyFormat::Text => {
                super::copy_text::encode_row(spec, values, out);
                Ok(())
            }
            CopyFormat::Binary => {
                let start = out.len();
                let encoded = encode_binary_row(spec, values, out);
                if encoded.is_err() {
                    out.truncate(start);
                }
                encoded
            }
        }
    }
}

fn encode_binary_row(spec: &TableSpec, values: &[Value], out: &mut Vec<u8>) -> Result<(), String> {
    out.extend_from_slice(&(spec.columns.len() as i16).to_be_bytes());
    for (column, value) in spec.columns.iter().zip(values) {
        if value.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        match (column.kind, value) {
            (ColumnKind::Timestamp, Value::String(s)) => out.extend_from_slice(&timestamp_micros(s, column.name)?.to_be_bytes()),
            (ColumnKind::Integer, v) => {
                let n = v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
                let n = n.and_then(|n| i32::try_from(n).ok()).ok_or_else(|| format!("`{}` is not an INTEGER", column.name))?;
                out.extend_from_slice(&n.to_be_bytes());
            }
            (ColumnKind::Json, v) => {
                // jsonb's binary form: version 1, then the JSON text.
                out.push(1);
                serde_json::to_writer(&mut *out, v).map_err(|e| e.to_string())?;
            }
            (ColumnKind::TextArray, Value::Array(items)) => text_array(items, out),
            (ColumnKind::Text, Value::String(s)) => out.extend_from_slice(s.as_bytes()),
            (ColumnKind::Text, other) => out.extend_from_slice(other.to_string().as_bytes()),
            _ => return Err(format!("`{}` has a value of the wrong type for its column", column.name)),
        }
        let len = i32::try_from(out.len() - at - 4).map_err(|_| format!("`{}` is larger than 2 GB", column.name))?;
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// A canonical timestamp (`2024-03-05T14:07:09.250000Z`, UTC) as PostgreSQL's
/// binary TIMESTAMP: microseconds since 2000-01-01.
fn timestamp_micros(text: &str, column: &str) -> Result<i64, String> {
    let t = crate::timestamp::parse(text).ok_or_else(|| format!("`{column}` is not a recognisable time"))?;
    let micros = t.and_utc().timestamp_micros();
    Ok(micros - POSTGRES_EPOCH_UNIX_MICROS)
}

/// A one-dimensional TEXT[] in binary: dimensions, no-NULL flag, element type
/// (25 = text), then for the one dimension its length and lower bound 1, then
/// the elements. An empty array has no dimension.
fn text_array(items: &[Value], out: &mut Vec<u8>) {
    let ndim: i32 = if items.is_empty() { 0 } else { 1 };
    out.extend_from_slice(&ndim.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&25u32.to_be_bytes());
    if ndim == 1 {
        out.extend_from_slice(&(items.len() as i32).to_be_bytes());
        out.extend_from_slice(&1i32.to_be_bytes());
    }
    for item in items {
        let text = match item {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        out.extend_from_slice(&(text.len() as i32).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(row: &[u8], mut at: usize, index: usize) -> Option<&[u8]> {
        for i in 0..=index {
            let len = i32::from_be_bytes(row[at..at + 4].try_into().unwrap());
            at += 4;
            if i == index {
                return (len >= 0).then(|| &row[at..at + len as usize]);
            }
            at += len.max(0) as usize;
        }
        None
    }

    #[test]
    fn binary_rows_carry_each_value_in_its_wire_type() {
        let spec = crate::tables::by_name("documents").unwrap();
        let values = vec![
            json!("d\t1"),
            json!("2000-01-01T00:00:01.500000Z"),
            json!("a"),
            json!("p"),
            json!("pdf"),
            json!(3),
            json!("h"),
            json!("ready"),
            Value::Null,
            json!(""),
            json!(["x", "yz"]),
            json!(""),
        ];
        let mut out = Vec::new();
        CopyFormat::Binary.encode_row(spec, &values, &mut out).unwrap();
        assert_eq!(&out[..2], &12i16.to_be_bytes(), "field count");
        assert_eq!(field(&out, 2, 0), Some(&b"d\t1"[..]), "text travels unescaped");
        assert_eq!(field(&out, 2, 1), Some(&1_500_000i64.to_be_bytes()[..]), "1.5 s after PostgreSQL's epoch");
        assert_eq!(field(&out, 2, 5), Some(&3i32.to_be_bytes()[..]));
        assert_eq!(field(&out, 2, 8), None, "NULL");
        let array = field(&out, 2, 10).unwrap();
        assert_eq!(&array[..20], &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 2, 0, 0, 0, 1]);
        assert_eq!(&array[20..], &[0, 0, 0, 1, b'x', 0, 0, 0, 2, b'y', b'z']);
    }

    #[test]
    fn a_value_of_the_wrong_type_leaves_the_batch_as_it_was() {
        let spec = crate::tables::by_name("documents").unwrap();
        let mut values = vec![json!(""); 12];
        values[1] = json!("2024-01-01T00:00:00Z");
        values[5] = json!("not a number");
        values[10] = json!([]);
        let mut out = b"earlier rows".to_vec();
        assert!(CopyFormat::Binary.encode_row(spec, &values, &mut out).is_err());
        assert_eq!(out, b"earlier rows");
    }

    #[test]
    fn binary_only_when_every_column_has_the_expected_type() {
        let spec = crate::tables::by_name("memory_cards").unwrap();
        let expected = |c: &crate::tables::Column| match c.kind {
            ColumnKind::Timestamp => "timestamp without time zone",
            ColumnKind::Json => "jsonb",
            _ => "text",
        };
        let mut types: Vec<(String, String)> = spec.columns.iter().map(|c| (c.name.to_string(), expected(c).to_string())).collect();
        assert_eq!(CopyFormat::for_columns(spec, &types), CopyFormat::Binary);
        types[1].1 = "timestamp with time zone".into();
        assert_eq!(
            CopyFormat::for_columns(spec, &types),
            CopyFormat::Text,
            "a column changed on the server: text, which the server converts"
        );
    }
}
