//! Local values that must not be pushed as they are.
//!
//! The cache takes whatever a `sqlite3` shell or another program writes into
//! it, and canonical form keeps what it cannot read as plain text. Pushed
//! like that, the server would either refuse the value (fine: the change is
//! kept in `sync_rejected`) or, worse, read it as something else:
//! PostgreSQL takes `yesterday`, `now` or `tomorrow` as dates relative to the
//! moment of the push, and a JSON column given text that is not JSON stores
//! it as a JSON string, which the Python server then cannot read as the
//! object it expects. Such a change is held back here, with a reason naming
//! the column and the value, instead of being sent.
//!
//! A value PostgreSQL would store faithfully is held back too when the Noesis
//! server's models refuse it ([`crate::tables::contract`]): a card whose
//! category is not one of the server's five, or whose provenance has no
//! `reason`, breaks the server's listing of every card and its start-up.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};

use super::Cache;
use crate::deep_json::{self, JsonProblem};
use crate::error::Result;
use crate::tables::{ColumnKind, TableSpec};
use crate::timestamp;

/// How much of an unfit value a reason quotes.
const QUOTED_CHARS: usize = 60;

impl Cache {
    /// Why row `id` of `spec` cannot be pushed as it is, naming the first
    /// column whose value does not fit; `None` when every value fits (or
    /// there is no such row).
    pub fn unfit_value(&self, spec: &TableSpec, id: &str) -> Result<Option<String>> {
        let checked = unfit_value(&self.conn, spec, id).and_then(|unfit| match unfit {
            Some(why) => Ok(Some(why)),
            None => contract_breach(&self.conn, spec, id),
        });
        checked.map_err(|e| self.error(&format!("checking {}", spec.name), e))
    }
}

fn unfit_value(conn: &Connection, spec: &TableSpec, id: &str) -> rusqlite::Result<Option<String>> {
    let sql = format!("SELECT {} FROM {} WHERE {} = ?1", spec.column_list(), spec.name, spec.key);
    let found = conn.prepare_cached(&sql)?.query_row([id], |r| {
        for (i, column) in spec.columns.iter().enumerate() {
            if let Some(why) = misfit(column.kind, r.get_ref(i)?) {
                return Ok(Some(format!("{}.{} {why}; the change was not sent: edit the row to send it", spec.name, column.name)));
            }
        }
        Ok(None)
    });
    Ok(found.optional()?.flatten())
}

/// The columns of row `id` the Noesis server would refuse, as one reason.
fn contract_breach(conn: &Connection, spec: &TableSpec, id: &str) -> rusqlite::Result<Option<String>> {
    let Some(row) = super::row_io::read_row(conn, spec, id)? else { return Ok(None) };
    Ok(spec.breach_summary(&row).map(|listed| {
        format!("{listed}; the change was not sent, since the Noesis server could not read the row: edit the row to send it")
    }))
}

/// Why a value read from the cache does not fit a column of `kind`.
pub(crate) fn misfit(kind: ColumnKind, value: ValueRef<'_>) -> Option<String> {
    let text = match value {
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes),
        // A BLOB in a column the server holds as text or JSON would reach it
        // as the blob's hex digits: a silent change, so it waits instead.
        ValueRef::Blob(bytes) if kind != ColumnKind::Vector => {
            return Some(format!(
                "holds a BLOB of {} bytes (written by another program), which the server would receive as hex digits; write it as text",
                bytes.len()
            ));
        }
        // A fraction, or -0.0, in a whole-number column would reach the server
        // changed (cut, or as 0).
        ValueRef::Real(r) if kind == ColumnKind::Integer && (r.fract() != 0.0 || (r == 0.0 && r.is_sign_negative()) || !r.is_finite()) => {
            return Some(format!("holds the number {r:?}, which is not a whole number; the server would store it changed"));
        }
        // Other numbers: SQLite's own types, each read as the column says
        // (epoch seconds for a timestamp).
        _ => return None,
    };
    if text.contains('\0') {
        return Some(format!("holds {}, which contains a NUL character PostgreSQL cannot store", quoted(&text)));
    }
    match kind {
        ColumnKind::Timestamp if timestamp::parse(&text).is_none() => {
            Some(format!("holds {}, which is not a date and time (write it like 2025-01-31T12:00:00Z)", quoted(&text)))
        }
        ColumnKind::Integer if text.trim().parse::<i64>().is_err() => Some(format!("holds {}, which is not a whole number", quoted(&text))),
        ColumnKind::Json => match deep_json::parse(&text) {
            Err(JsonProblem::TooDeep(depth)) => {
                Some(format!("holds JSON nested {depth} levels deep; this app reads up to {} levels", deep_json::MAX_DEPTH))
            }
            Err(JsonProblem::Invalid(_)) => Some(format!("holds {}, which is not valid JSON", quoted(&text))),
            // PostgreSQL's jsonb keeps numbers as decimals, which have no
            // negative zero: -0.0 would be stored as 0.0, a silent change.
            Ok(value) if holds_negative_zero(&value) => {
                Some(format!("holds {}, which has the number -0.0 that the server would store as 0.0; write 0.0 or 0", quoted(&text)))
            }
            Ok(_) => None,
        },
        ColumnKind::TextArray => match deep_json::parse(&text) {
            Ok(serde_json::Value::Array(items)) if items.iter().all(|v| v.is_string()) => None,
            _ => Some(format!("holds {}, which is not a JSON list of strings", quoted(&text))),
        },
        _ => None,
    }
}

/// Whether a JSON number anywhere in `value` is a negative zero (`-0`,
/// `-0.0`, `-0e5`).
fn holds_negative_zero(value: &serde_json::Value) -> bool {
    match value {
        // serde_json reads `-0` as the float -0.0 too.
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()),
        serde_json::Value::Array(items) => items.iter().any(holds_negative_zero),
        serde_json::Value::Object(fields) => fields.values().any(holds_negative_zero),
        _ => false,
    }
}

/// A value for a message: quoted, NULs shown as `\0`, long ones cut.
fn quoted(text: &str) -> String {
    let shown: String = text.chars().take(QUOTED_CHARS).collect::<String>().replace('\0', "\\0");
    let more = if text.chars().count() > QUOTED_CHARS { "..." } else { "" };
    format!("\"{shown}{more}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: ColumnKind, text: &str) -> Option<String> {
        misfit(kind, ValueRef::Text(text.as_bytes()))
    }

    #[test]
    fn values_postgres_would_read_as_something_else_do_not_fit() {
        for bad in ["yesterday", "now", "tomorrow", "the day after tomorrow", "31/01/2025"] {
            let why = check(ColumnKind::Timestamp, bad).unwrap_or_else(|| panic!("{bad} passed as a timestamp"));
            assert!(why.contains(bad) && why.contains("date and time"), "{why}");
        }
        assert!(check(ColumnKind::Json, "{not json").unwrap().contains("not valid JSON"));
        let zero = check(ColumnKind::Json, r#"{"reason": "x", "sources": [{"score": -0.0}]}"#).unwrap();
        assert!(zero.contains("-0.0") && zero.contains("0.0"), "{zero}");
        assert!(check(ColumnKind::Json, r#"{"n": -0}"#).is_some(), "an integer -0 is a negative zero too");
        assert_eq!(check(ColumnKind::Json, r#"{"n": 0.0, "m": -1.5}"#), None);
        assert!(check(ColumnKind::TextArray, r#"["a", 1]"#).unwrap().contains("list of strings"));
        assert!(check(ColumnKind::TextArray, "a,b").is_some());
        assert!(check(ColumnKind::Integer, "twelve").is_some());
        let nul = check(ColumnKind::Text, "a\0b").unwrap();
        assert!(nul.contains("\"a\\0b\"") && nul.contains("NUL"), "{nul}");
    }

    #[test]
    fn values_the_server_would_store_changed_do_not_fit() {
        let blob = misfit(ColumnKind::Text, ValueRef::Blob(b"\xc0\xff\xee")).unwrap();
        assert!(blob.contains("BLOB of 3 bytes") && blob.contains("hex"), "{blob}");
        assert!(misfit(ColumnKind::Json, ValueRef::Blob(b"{}")).is_some());
        assert_eq!(misfit(ColumnKind::Vector, ValueRef::Blob(&[0, 0, 128, 62])), None, "vectors are blobs");
        assert!(misfit(ColumnKind::Integer, ValueRef::Real(-0.0)).unwrap().contains("-0.0"));
        assert!(misfit(ColumnKind::Integer, ValueRef::Real(2.5)).is_some());
        assert_eq!(misfit(ColumnKind::Integer, ValueRef::Real(3.0)), None, "a whole number stored as REAL is sent as it is");
        assert_eq!(misfit(ColumnKind::Timestamp, ValueRef::Real(1735689600.5)), None, "epoch seconds");
    }

    #[test]
    fn every_form_the_cache_and_the_python_server_use_fits() {
        for good in ["2025-01-31T12:00:00Z", "2025-01-31 12:00:00", "2025-01-31T12:00:00.123456+02:00", "2025-01-31", "1735689600"] {
            assert_eq!(check(ColumnKind::Timestamp, good), None, "{good}");
        }
        assert_eq!(check(ColumnKind::Json, r#"{"a": [1, "x"]}"#), None);
        assert_eq!(check(ColumnKind::Json, r#""a JSON string""#), None);
        assert_eq!(check(ColumnKind::TextArray, r#"["a", "b"]"#), None);
        assert_eq!(check(ColumnKind::Integer, " 42 "), None);
        assert_eq!(check(ColumnKind::Text, "any text at all, even 'yesterday'"), None);
        assert_eq!(misfit(ColumnKind::Timestamp, ValueRef::Integer(1_735_689_600)), None);
    }

    #[test]
    fn long_values_are_cut_in_the_reason() {
        let why = check(ColumnKind::Json, &"x".repeat(500)).unwrap();
        assert!(why.len() < 150 && why.contains("..."), "{why}");
    }
}
