//! Encoding normalised rows in PostgreSQL's COPY text format.
//!
//! One line per row, columns separated by tabs, `\N` for NULL, and backslash,
//! tab, newline and carriage return escaped. Values were validated in Rust
//! already (one bad value would abort a whole COPY), so every line loads.

use serde_json::Value;

use crate::tables::{ColumnKind, TableSpec};

/// Appends one row (canonical values in the spec's column order) to `out`.
pub fn encode_row(spec: &TableSpec, values: &[Value], out: &mut Vec<u8>) {
    for (i, (column, value)) in spec.columns.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match (column.kind, value) {
            (_, Value::Null) => out.extend_from_slice(b"\\N"),
            (ColumnKind::Timestamp, Value::String(s)) => escape(s.trim_end_matches('Z'), out),
            (ColumnKind::Json, v) => escape(&v.to_string(), out),
            (ColumnKind::TextArray, Value::Array(items)) => escape(&array_literal(items), out),
            (_, Value::String(s)) => escape(s, out),
            (_, other) => escape(&other.to_string(), out),
        }
    }
    out.push(b'\n');
}

/// `{"a","b\"c"}`: a PostgreSQL array literal with every element quoted.
fn array_literal(items: &[Value]) -> String {
    let mut s = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let text = match item {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        s.push('"');
        for ch in text.chars() {
            if ch == '"' || ch == '\\' {
                s.push('\\');
            }
            s.push(ch);
        }
        s.push('"');
    }
    s.push('}');
    s
}

fn escape(text: &str, out: &mut Vec<u8>) {
    for &b in text.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_and_arrays_are_escaped() {
        let spec = crate::tables::by_name("documents").unwrap();
        let values = vec![
            json!("d\t1"),
            json!("2024-01-01T00:00:00.000000Z"),
            json!("a\\b\nc"),
            json!("p"),
            json!("pdf"),
            json!(3),
            json!("h"),
            json!("ready"),
            Value::Null,
            json!(""),
            json!(["x\"y", "z"]),
            json!(""),
        ];
        let mut out = Vec::new();
        encode_row(spec, &values, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "d\\t1\t2024-01-01T00:00:00.000000\ta\\\\b\\nc\tp\tpdf\t3\th\tready\t\\N\t\t{\"x\\\\\"y\",\"z\"}\t\n"
        );
    }
}
