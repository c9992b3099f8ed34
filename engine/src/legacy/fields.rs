//! Turning legacy cells and JSON fields into values the central columns accept,
//! noting every change made on the way. Pure functions, no I/O.
//!
//! Vocabulary: a *note* is a change made to import a row faithfully (NUL bytes
//! removed, invalid UTF-8 replaced, an unknown message role kept as is); a
//! *reject reason* says why a row cannot be imported at all.

use serde_json::{Map, Value};

use crate::timestamp;

use super::raw::RawCell;

/// Changes made while importing a row, by kind; counted per table in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// NUL bytes removed from text or JSON strings (PostgreSQL refuses them).
    NulBytesRemoved,
    /// Bytes that were not UTF-8 replaced with U+FFFD.
    InvalidUtf8Replaced,
    /// A chat message role other than the usual ones, kept unchanged (the
    /// Noesis server takes any text as a role).
    UnknownEnumValueKept,
    /// An enum value written another way (other letter case, spaces for
    /// underscores, surrounding white space) given the server's spelling.
    ValueNormalised,
    /// A missing `updated_at` set to `created_at`.
    UpdatedAtFromCreatedAt,
    /// A missing chat title set to the empty text (the app shows "Untitled"):
    /// the conversation matters more than its title, and the column is NOT NULL.
    TitleDefaulted,
    /// A number given as text, or text given as a number, converted.
    TypeConverted,
    /// A non-string tag turned into its text.
    TagConverted,
}

impl Note {
    /// Every kind of change, to read one back from its name.
    pub const ALL: [Note; 8] = [
        Note::NulBytesRemoved,
        Note::InvalidUtf8Replaced,
        Note::UnknownEnumValueKept,
        Note::ValueNormalised,
        Note::UpdatedAtFromCreatedAt,
        Note::TitleDefaulted,
        Note::TypeConverted,
        Note::TagConverted,
    ];

    /// The note of that name ([`Note::code`]), if it is one.
    pub fn from_code(code: &str) -> Option<Note> {
        Note::ALL.into_iter().find(|n| n.code() == code)
    }

    /// The note's name in reports and in `noesis_sync.legacy_changes`.
    pub fn code(self) -> &'static str {
        match self {
            Note::NulBytesRemoved => "nul_bytes_removed",
            Note::InvalidUtf8Replaced => "invalid_utf8_replaced",
            Note::UnknownEnumValueKept => "unknown_enum_value_kept",
            Note::ValueNormalised => "value_normalised",
            Note::UpdatedAtFromCreatedAt => "updated_at_from_created_at",
            Note::TitleDefaulted => "title_defaulted",
            Note::TypeConverted => "type_converted",
            Note::TagConverted => "tag_converted",
        }
    }

    /// What was changed and why, for the person reading the report.
    pub fn explanation(self) -> &'static str {
        match self {
            Note::NulBytesRemoved => "NUL characters removed from its text: PostgreSQL cannot store them",
            Note::InvalidUtf8Replaced => "bytes that were not valid UTF-8 replaced by \u{FFFD}: PostgreSQL text must be UTF-8",
            Note::UnknownEnumValueKept => {
                "a chat message role other than the usual ones, kept as written: the Noesis server accepts any role"
            }
            Note::ValueNormalised => "a value written another way (letter case, spaces) given the spelling the Noesis server reads",
            Note::UpdatedAtFromCreatedAt => "no last-changed time: set to its creation time",
            Note::TitleDefaulted => "no title: left empty (the app shows \u{201C}Untitled\u{201D})",
            Note::TypeConverted => "a number stored as text, or text stored as a number, converted to the column's type",
            Note::TagConverted => "a tag that was not text turned into its text",
        }
    }
}

/// Notes gathered while normalising one row.
pub type Notes = Vec<Note>;

/// Why a row cannot be imported.
pub type Reason = String;

/// Decodes TEXT bytes: invalid UTF-8 replaced, NUL bytes removed, both noted.
pub fn clean_text(bytes: &[u8], notes: &mut Notes) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            notes.push(Note::InvalidUtf8Replaced);
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    strip_nul(text, notes)
}

fn strip_nul(text: String, notes: &mut Notes) -> String {
    if text.contains('\0') {
        notes.push(Note::NulBytesRemoved);
        text.replace('\0', "")
    } else {
        text
    }
}

/// A cell as text (numbers converted and noted); `None` for NULL.
pub fn cell_text(cell: &RawCell, notes: &mut Notes) -> Option<String> {
    match cell {
        RawCell::Null => None,
        RawCell::Text(b) => Some(clean_text(b, notes)),
        RawCell::Blob(b) => Some(clean_text(b, notes)),
        RawCell::Integer(i) => {
            notes.push(Note::TypeConverted);
            Some(i.to_string())
        }
        RawCell::Real(f) => {
            notes.push(Note::TypeConverted);
            Some(f.to_string())
        }
    }
}

/// A cell holding a JSON document, parsed, with NUL characters removed from
/// every string and key.
pub fn cell_json(cell: &RawCell, column: &str, notes: &mut Notes) -> Result<Value, Reason> {
    let text = match cell {
        RawCell::Null => return Err(format!("column `{column}` is NULL")),
        RawCell::Text(b) | RawCell::Blob(b) => {
            let mut local = Notes::new();
            let text = match std::str::from_utf8(b) {
                Ok(s) => s.to_string(),
                Err(_) => {
                    local.push(Note::InvalidUtf8Replaced);
                    String::from_utf8_lossy(b).into_owned()
                }
            };
            notes.extend(local);
            text
        }
        RawCell::Integer(_) | RawCell::Real(_) => return Err(format!("column `{column}` holds a number, not JSON")),
    };
    let mut value: Value = crate::deep_json::parse(&text).map_err(|e| format!("column `{column}` is {e}"))?;
    if strip_nul_json(&mut value) {
        notes.push(Note::NulBytesRemoved);
    }
    Ok(value)
}

/// Removes NUL characters from all strings and keys; true when any was found.
pub fn strip_nul_json(value: &mut Value) -> bool {
    match value {
        Value::String(s) if s.contains('\0') => {
            *s = s.replace('\0', "");
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |acc, v| strip_nul_json(v) | acc),
        Value::Object(map) => {
            let mut found = false;
            if map.keys().any(|k| k.contains('\0')) {
                let old = std::mem::take(map);
                for (k, v) in old {
                    map.insert(k.replace('\0', ""), v);
                }
                found = true;
            }
            map.values_mut().fold(found, |acc, v| strip_nul_json(v) | acc)
        }
        _ => false,
    }
}

/// A JSON object's field as text: strings as they are, numbers and booleans as
/// their text (noted); `None` when absent or null.
pub fn field_text(obj: &Map<String, Value>, name: &str, notes: &mut Notes) -> Option<String> {
    match obj.get(name)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other @ (Value::Number(_) | Value::Bool(_)) => {
            notes.push(Note::TypeConverted);
            Some(other.to_string())
        }
        other => {
            notes.push(Note::TypeConverted);
            Some(other.to_string())
        }
    }
}

/// The first present value among a JSON field and a table column, as text.
pub fn text_from(obj: &Map<String, Value>, field: &str, cell: &RawCell, notes: &mut Notes) -> Option<String> {
    cell_text(cell, notes).or_else(|| field_text(obj, field, notes))
}

/// Requires a value, or says which is missing.
pub fn required<T>(value: Option<T>, name: &str) -> Result<T, Reason> {
    value.ok_or_else(|| format!("required field `{name}` is missing"))
}

/// Oldest and newest years PostgreSQL's TIMESTAMP and the app both handle.
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// A timestamp in any form met in the wild (ISO with `T` or space, with or
/// without zone, epoch seconds or milliseconds), as the canonical UTC text.
pub fn timestamp_value(value: &Value, name: &str) -> Result<Option<Value>, Reason> {
    let parsed = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => timestamp::parse(s),
        Value::Number(n) => n.as_f64().and_then(timestamp::from_epoch),
        _ => None,
    };
    match parsed {
        Some(t) if YEARS.contains(&chrono::Datelike::year(&t)) => Ok(Some(Value::String(timestamp::format(&t)))),
        _ => Err(format!("`{name}` is not a recognisable time")),
    }
}

/// A cell as a JSON value for [`timestamp_value`] (text decoded, numbers kept).
pub fn cell_value(cell: &RawCell, notes: &mut Notes) -> Value {
    match cell {
        RawCell::Null => Value::Null,
        RawCell::Integer(i) => Value::from(*i),
        RawCell::Real(f) => serde_json::Number::from_f64(*f).map(Value::Number).unwrap_or(Value::Null),
        RawCell::Text(b) | RawCell::Blob(b) => Value::String(clean_text(b, notes)),
    }
}

/// A timestamp from a JSON field, else from a table column.
pub fn timestamp_from(obj: &Map<String, Value>, field: &str, cell: &RawCell, notes: &mut Notes) -> Result<Option<Value>, Reason> {
    let from_cell = cell_value(cell, notes);
    if !from_cell.is_null() {
        return timestamp_value(&from_cell, field);
    }
    timestamp_value(obj.get(field).unwrap_or(&Value::Null), field)
}

/// An integer that fits PostgreSQL's INTEGER; numbers given as text are
/// converted (noted).
pub fn integer_value(value: &Value, name: &str, notes: &mut Notes) -> Result<Option<Value>, Reason> {
    let n = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        },
        Value::String(s) => {
            notes.push(Note::TypeConverted);
            s.trim().parse::<i64>().ok()
        }
        _ => None,
    };
    match n {
        Some(i) if i32::try_from(i).is_ok() => Ok(Some(Value::from(i))),
        Some(_) => Err(format!("`{name}` does not fit the central INTEGER column")),
        None => Err(format!("`{name}` is not an integer")),
    }
}

/// A cell as a JSON value for [`integer_value`].
pub fn integer_from(obj: &Map<String, Value>, field: &str, cell: &RawCell, notes: &mut Notes) -> Result<Option<Value>, Reason> {
    let from_cell = cell_value(cell, notes);
    if !from_cell.is_null() {
        return integer_value(&from_cell, field, notes);
    }
    integer_value(obj.get(field).unwrap_or(&Value::Null), field, notes)
}

/// Notes an enum value outside `known` (kept as is: the app shows it verbatim).
pub fn check_enum(value: &str, known: &[&str], notes: &mut Notes) {
    if !known.contains(&value) {
        notes.push(Note::UnknownEnumValueKept);
    }
}

/// "a string", "an array", ...: names a JSON value's kind in a reject reason.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The row's JSON document must be an object.
pub fn object(value: Value, column: &str) -> Result<Map<String, Value>, Reason> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(format!("column `{column}` holds {}, not a JSON object", json_kind(&other))),
    }
}

/// The id column: clean, non-empty text, or the row is rejected (an id is never
/// altered, or two rows could merge into one).
pub fn id(cell: &RawCell) -> Result<String, Reason> {
    match cell {
        RawCell::Text(b) if !b.is_empty() && !b.contains(&0) => {
            std::str::from_utf8(b).map(str::to_string).map_err(|_| "the id is not valid UTF-8".to_string())
        }
        RawCell::Integer(i) => Ok(i.to_string()),
        RawCell::Null => Err("the id is NULL".into()),
        _ => Err("the id is empty, binary or contains NUL bytes".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_note_is_named_in_reports_as_serde_names_it_and_explained() {
        for note in Note::ALL {
            assert_eq!(serde_json::to_value(note).unwrap(), note.code(), "the JSON report and legacy_changes use one name");
            assert_eq!(Note::from_code(note.code()), Some(note));
            assert!(note.explanation().len() > 20, "{note:?} says what changed and why");
        }
    }
    use serde_json::json;

    #[test]
    fn nul_bytes_and_bad_utf8_are_cleaned_and_noted() {
        let mut notes = Notes::new();
        assert_eq!(clean_text(b"a\0b\xffc", &mut notes), "ab\u{fffd}c");
        assert_eq!(notes, vec![Note::InvalidUtf8Replaced, Note::NulBytesRemoved]);
    }

    #[test]
    fn json_strings_and_keys_lose_nul_characters() {
        let mut notes = Notes::new();
        let v = cell_json(&RawCell::Text(br#"{"a\u0000":["x\u0000y"]}"#.to_vec()), "json", &mut notes).unwrap();
        assert_eq!(v, json!({"a": ["xy"]}));
        assert_eq!(notes, vec![Note::NulBytesRemoved]);
    }

    #[test]
    fn every_timestamp_form_is_accepted_and_garbage_is_a_reason() {
        for v in [
            json!("2024-03-05T14:07:09"),
            json!("2024-03-05 14:07:09"),
            json!("2024-03-05T14:07:09Z"),
            json!("2024-03-05T14:07:09+00:00"),
            json!(1709647629),
            json!(1709647629000i64),
        ] {
            assert_eq!(timestamp_value(&v, "t").unwrap(), Some(json!("2024-03-05T14:07:09.000000Z")), "{v}");
        }
        assert!(timestamp_value(&json!("yesterday"), "t").is_err());
        assert!(timestamp_value(&json!(1e300), "t").is_err());
    }

    #[test]
    fn integers_must_fit_postgres_integer() {
        let mut notes = Notes::new();
        assert_eq!(integer_value(&json!("12"), "n", &mut notes).unwrap(), Some(json!(12)));
        assert!(integer_value(&json!(5_000_000_000i64), "n", &mut notes).is_err());
        assert!(integer_value(&json!(1.5), "n", &mut notes).is_err());
    }
}
