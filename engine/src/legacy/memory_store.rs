//! Importers of the memory store (`data/memory/memory_cards.sqlite3`): memory
//! cards, chat sessions and mind-file entries.
//!
//! Legacy layout: `memory_cards(id, created_at, approval, json)` with the whole
//! card in `json`; `chat_sessions(id, title, created_at, updated_at, messages)`
//! with a JSON array of messages; `mindfile_entries(id, created_at, category,
//! json)`, absent in older stores. Table columns win over the same field in the
//! JSON (they are what the old server queried); the JSON fills the rest.

use serde_json::{Map, Value};

use super::fields::{self, Note, Notes};
use super::importer::{outcome, Importer, Outcome, Refs, Store};
use super::raw::RawRow;
use crate::tables::{self, TableSpec};

/// Message roles the app knows.
const ROLES: &[&str] = &["user", "assistant", "system", "tool"];

/// `memory_cards`.
pub struct MemoryCards;
/// `chat_sessions`.
pub struct ChatSessions;
/// `mindfile_entries`.
pub struct MindfileEntries;

impl Importer for MemoryCards {
    fn spec(&self) -> &'static TableSpec {
        tables::by_name("memory_cards").expect("memory_cards is a synced table")
    }
    fn store(&self) -> Store {
        Store::Memory
    }
    fn columns(&self) -> &'static [&'static str] {
        &["id", "created_at", "approval", "json"]
    }
    fn normalise(&self, row: &RawRow, _refs: &Refs) -> Outcome {
        let mut notes = Notes::new();
        let result = card(row, &mut notes);
        outcome(result, notes)
    }
}

fn card(row: &RawRow, notes: &mut Notes) -> Result<Vec<Value>, String> {
    let id = fields::id(row.cell("id"))?;
    let obj = fields::object(fields::cell_json(row.cell("json"), "json", notes)?, "json")?;
    let created_at = fields::required(fields::timestamp_from(&obj, "created_at", row.cell("created_at"), notes)?, "created_at")?;
    let category = fields::required(fields::field_text(&obj, "category", notes), "category")?;
    let scope = fields::required(fields::field_text(&obj, "scope", notes), "scope")?;
    let text = fields::required(fields::field_text(&obj, "text", notes), "text")?;
    let approval = fields::required(fields::text_from(&obj, "approval", row.cell("approval"), notes), "approval")?;
    let approved_at = fields::timestamp_value(obj.get("approved_at").unwrap_or(&Value::Null), "approved_at")?;
    let rejected_at = fields::timestamp_value(obj.get("rejected_at").unwrap_or(&Value::Null), "rejected_at")?;
    // A missing provenance stays missing: the server's contract check
    // (server_fit) rejects the row rather than inventing one.
    let provenance = match obj.get("provenance") {
        None | Some(Value::Null) => Value::Null,
        Some(p @ Value::Object(_)) => p.clone(),
        // The Python server reads provenance as an object of named fields.
        Some(other) => return Err(format!("field `provenance` holds {}, not an object", fields::json_kind(other))),
    };
    Ok(vec![
        Value::String(id),
        created_at,
        Value::String(category),
        Value::String(scope),
        Value::String(text),
        Value::String(approval),
        approved_at.unwrap_or(Value::Null),
        rejected_at.unwrap_or(Value::Null),
        provenance,
    ])
}

impl Importer for ChatSessions {
    fn spec(&self) -> &'static TableSpec {
        tables::by_name("chat_sessions").expect("chat_sessions is a synced table")
    }
    fn store(&self) -> Store {
        Store::Memory
    }
    fn columns(&self) -> &'static [&'static str] {
        &["id", "title", "created_at", "updated_at", "messages"]
    }
    fn normalise(&self, row: &RawRow, _refs: &Refs) -> Outcome {
        let mut notes = Notes::new();
        let result = session(row, &mut notes);
        outcome(result, notes)
    }
}

fn session(row: &RawRow, notes: &mut Notes) -> Result<Vec<Value>, String> {
    let id = fields::id(row.cell("id"))?;
    let title = fields::cell_text(row.cell("title"), notes).unwrap_or_else(|| {
        notes.push(Note::TitleDefaulted);
        String::new()
    });
    let none = Map::new();
    let created_at = fields::required(fields::timestamp_from(&none, "created_at", row.cell("created_at"), notes)?, "created_at")?;
    let updated_at = match fields::timestamp_from(&none, "updated_at", row.cell("updated_at"), notes)? {
        Some(t) => t,
        None => {
            notes.push(Note::UpdatedAtFromCreatedAt);
            created_at.clone()
        }
    };
    let messages = fields::cell_json(row.cell("messages"), "messages", notes)?;
    let Value::Array(items) = &messages else {
        return Err("column `messages` holds JSON that is not an array".into());
    };
    for item in items {
        if let Some(role) = item.get("role").and_then(Value::as_str) {
            fields::check_enum(role, ROLES, notes);
        }
    }
    Ok(vec![Value::String(id), Value::String(title), created_at, updated_at, messages])
}

impl Importer for MindfileEntries {
    fn spec(&self) -> &'static TableSpec {
        tables::by_name("mindfile_entries").expect("mindfile_entries is a synced table")
    }
    fn store(&self) -> Store {
        Store::Memory
    }
    fn columns(&self) -> &'static [&'static str] {
        &["id", "created_at", "category", "json"]
    }
    fn normalise(&self, row: &RawRow, _refs: &Refs) -> Outcome {
        let mut notes = Notes::new();
        let result = entry(row, &mut notes);
        outcome(result, notes)
    }
}

fn entry(row: &RawRow, notes: &mut Notes) -> Result<Vec<Value>, String> {
    let id = fields::id(row.cell("id"))?;
    let obj = fields::object(fields::cell_json(row.cell("json"), "json", notes)?, "json")?;
    let created_at = fields::required(fields::timestamp_from(&obj, "created_at", row.cell("created_at"), notes)?, "created_at")?;
    let updated_at = match fields::timestamp_value(obj.get("updated_at").unwrap_or(&Value::Null), "updated_at")? {
        Some(t) => t,
        None => {
            notes.push(Note::UpdatedAtFromCreatedAt);
            created_at.clone()
        }
    };
    let category = fields::required(fields::text_from(&obj, "category", row.cell("category"), notes), "category")?;
    let text = fields::required(fields::field_text(&obj, "text", notes), "text")?;
    let source = fields::required(fields::field_text(&obj, "source_memory_card_id", notes), "source_memory_card_id")?;
    let note = fields::field_text(&obj, "note", notes).unwrap_or_default();
    Ok(vec![
        Value::String(id),
        created_at,
        updated_at,
        Value::String(category),
        Value::String(text),
        Value::String(source),
        Value::String(note),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::raw::RawCell;
    use serde_json::json;

    fn card_row(json: &str) -> RawRow {
        RawRow {
            rowid: 1,
            columns: MemoryCards.columns(),
            cells: vec![
                RawCell::Text(b"c1".to_vec()),
                RawCell::Text(b"2024-01-02 03:04:05".to_vec()),
                RawCell::Text(b"approved".to_vec()),
                RawCell::Text(json.as_bytes().to_vec()),
            ],
        }
    }

    #[test]
    fn a_clean_card_maps_onto_the_central_columns() {
        let row = card_row(
            r#"{"id":"c1","category":"fact","scope":"global","text":"likes tea","approval":"approved","approved_at":"2024-01-03T00:00:00Z","provenance":{"reason":"chat"}}"#,
        );
        let Outcome::Row { values, notes } = MemoryCards.normalise(&row, &Refs::default()) else { panic!("rejected") };
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(values[1], json!("2024-01-02T03:04:05.000000Z"));
        assert_eq!(values[4], json!("likes tea"));
        assert_eq!(values[6], json!("2024-01-03T00:00:00.000000Z"));
        assert_eq!(values[8], json!({"reason": "chat"}));
    }

    #[test]
    fn broken_or_incomplete_cards_are_rejected_with_a_reason() {
        for (json, why) in [
            ("{\"text\": ", "not valid JSON"),
            ("{\"category\":\"f\",\"scope\":\"g\"}", "`text`"),
            ("[1]", "holds an array, not a JSON object"),
            (
                r#"{"category":"fact","scope":"global","text":"t","approval":"approved","provenance":"manual"}"#,
                "`provenance` holds a string, not an object",
            ),
        ] {
            match MemoryCards.normalise(&card_row(json), &Refs::default()) {
                Outcome::Reject { reason } => assert!(reason.contains(why), "{reason}"),
                other => panic!("{json} imported: {other:?}"),
            }
        }
    }
}
