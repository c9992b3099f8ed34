//! JSON read from either store at any nesting depth the cache can hold.
//!
//! serde_json refuses documents nested deeper than 128 levels ("recursion
//! limit exceeded"), and the driver's jsonb decoding with it, while
//! PostgreSQL accepts thousands: one such value typed in psql stopped every
//! device's pull, and a local one was held back as "not valid JSON". Values
//! are read here up to [`MAX_DEPTH`] levels instead, the limit of SQLite's
//! JSON functions, which the cache's search and chat views use on the same
//! columns. A deeper value is refused naming its depth: set aside on a pull,
//! held back with that reason on a push, rejected with it by the migration.
//!
//! The depth is measured by one scan of the text before parsing, so the
//! parser's recursion is bounded; serde_json's own limit is lifted for it.

use serde::Deserialize;
use serde_json::Value;
use sqlx::postgres::{PgValueFormat, PgValueRef};
use sqlx::{Decode, Postgres, Type, ValueRef};

/// Levels of nesting a JSON value may have (SQLite's `JSON_MAX_DEPTH`).
pub const MAX_DEPTH: usize = 1000;

/// A whole row read as JSON (`to_jsonb(t)`) is one level deeper than its
/// deepest column.
const ROW_DEPTH: usize = MAX_DEPTH + 1;

/// Why a text was not read as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Nested deeper than this app reads.
    TooDeep(usize),
    /// Not JSON at all (serde_json's message).
    Invalid(String),
}

impl std::fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonProblem::TooDeep(depth) => {
                write!(f, "JSON nested {depth} levels deep, deeper than the {MAX_DEPTH} this app reads")
            }
            JsonProblem::Invalid(why) => write!(f, "not valid JSON ({why})"),
        }
    }
}

impl std::error::Error for JsonProblem {}

/// Parses a column value of up to [`MAX_DEPTH`] levels.
pub fn parse(text: &str) -> Result<Value, JsonProblem> {
    parse_bounded(text.as_bytes(), MAX_DEPTH)
}

/// Parses a whole row's JSON (a shadow copy, a sent version): one level more
/// than a column.
pub fn parse_row(text: &str) -> Result<Value, JsonProblem> {
    parse_bounded(text.as_bytes(), ROW_DEPTH)
}

fn parse_bounded(bytes: &[u8], limit: usize) -> Result<Value, JsonProblem> {
    let depth = nesting_depth(bytes);
    if depth > limit {
        return Err(JsonProblem::TooDeep(depth));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let value = Value::deserialize(&mut de).map_err(|e| JsonProblem::Invalid(e.to_string()))?;
    de.end().map_err(|e| JsonProblem::Invalid(e.to_string()))?;
    Ok(value)
}

/// The deepest nesting of arrays and objects in `bytes`, outside strings;
/// for text that is not JSON, a bound on what a parser would recurse into.
fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A json or jsonb value from PostgreSQL, read with [`parse`]'s depth (one
/// more for a whole row), where the driver's own decoding stops at 128.
#[derive(Debug, Clone, PartialEq)]
pub struct PgJson(pub Value);

impl Type<Postgres> for PgJson {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <Value as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <Value as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for PgJson {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let binary_jsonb = value.format() == PgValueFormat::Binary && *value.type_info() == <Value as Type<Postgres>>::type_info();
        let mut bytes = value.as_bytes()?;
        if binary_jsonb {
            // jsonb's binary form is a version byte, then the JSON text.
            match bytes.split_first() {
                Some((1, text)) => bytes = text,
                _ => return Err("unsupported jsonb format version (expected 1)".into()),
            }
        }
        Ok(PgJson(parse_bounded(bytes, ROW_DEPTH)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn json_up_to_sqlites_depth_is_read_and_deeper_is_refused_by_its_depth() {
        let deep = parse(&nested(MAX_DEPTH)).expect("1000 levels");
        assert_eq!(deep.to_string(), nested(MAX_DEPTH));
        assert_eq!(parse(&nested(MAX_DEPTH + 1)), Err(JsonProblem::TooDeep(MAX_DEPTH + 1)));
        assert!(JsonProblem::TooDeep(5000).to_string().contains("5000 levels"));
    }

    #[test]
    fn brackets_inside_strings_do_not_count_and_broken_json_is_invalid() {
        let text = format!(r#"{{"a": "{}\"[", "b": [1]}}"#, "[".repeat(5000));
        assert_eq!(parse(&text).unwrap()["b"][0], 1);
        assert!(matches!(parse("{not json"), Err(JsonProblem::Invalid(_))));
        assert!(matches!(parse("[1] [2]"), Err(JsonProblem::Invalid(_))), "trailing text");
    }
}
