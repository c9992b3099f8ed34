//! Importers of the documents store (`data/documents/documents.sqlite3`):
//! documents and their chunks.
//!
//! Legacy layout: `documents(id, created_at, filename, filepath, file_hash,
//! status, json)` where `json` adds `file_type, file_size, chunk_count,
//! error_message, tags, notes`; `document_chunks(id, document_id, chunk_index,
//! json)` where `json` holds `text, page_number, heading, image_caption,
//! ocr_text`. Optional fields the old server left out get the central schema's
//! defaults, as the Python server's own INSERT would.

use serde_json::Value;

use super::fields::{self, Note, Notes};
use super::importer::{outcome, Importer, Outcome, Refs, Store};
use super::raw::RawRow;
use crate::tables::{self, TableSpec};

/// `documents`.
pub struct Documents;
/// `document_chunks`.
pub struct DocumentChunks;

impl Importer for Documents {
    fn spec(&self) -> &'static TableSpec {
        tables::by_name("documents").expect("documents is a synced table")
    }
    fn store(&self) -> Store {
        Store::Documents
    }
    fn columns(&self) -> &'static [&'static str] {
        &["id", "created_at", "filename", "filepath", "file_hash", "status", "json"]
    }
    fn normalise(&self, row: &RawRow, _refs: &Refs) -> Outcome {
        let mut notes = Notes::new();
        let result = document(row, &mut notes);
        outcome(result, notes)
    }
}

fn document(row: &RawRow, notes: &mut Notes) -> Result<Vec<Value>, String> {
    let id = fields::id(row.cell("id"))?;
    let obj = fields::object(fields::cell_json(row.cell("json"), "json", notes)?, "json")?;
    let created_at = fields::required(fields::timestamp_from(&obj, "created_at", row.cell("created_at"), notes)?, "created_at")?;
    let mut text = |name: &str| fields::required(fields::text_from(&obj, name, row.cell(name), notes), name);
    let filename = text("filename")?;
    let filepath = text("filepath")?;
    let file_hash = text("file_hash")?;
    let status = text("status")?;
    let file_type = fields::required(fields::field_text(&obj, "file_type", notes), "file_type")?;
    let file_size =
        fields::required(fields::integer_value(obj.get("file_size").unwrap_or(&Value::Null), "file_size", notes)?, "file_size")?;
    let chunk_count =
        fields::integer_value(obj.get("chunk_count").unwrap_or(&Value::Null), "chunk_count", notes)?.unwrap_or(Value::from(0));
    let error_message = fields::field_text(&obj, "error_message", notes).unwrap_or_default();
    let tags = tags(obj.get("tags"), notes)?;
    let doc_notes = fields::field_text(&obj, "notes", notes).unwrap_or_default();
    Ok(vec![
        Value::String(id),
        created_at,
        Value::String(filename),
        Value::String(filepath),
        Value::String(file_type),
        file_size,
        Value::String(file_hash),
        Value::String(status),
        chunk_count,
        Value::String(error_message),
        tags,
        Value::String(doc_notes),
    ])
}

/// Tags as a list of strings; other scalars become their text (noted).
fn tags(value: Option<&Value>, notes: &mut Notes) -> Result<Value, String> {
    match value {
        None | Some(Value::Null) => Ok(Value::Array(Vec::new())),
        Some(Value::Array(items)) => Ok(Value::Array(
            items
                .iter()
                .map(|t| match t {
                    Value::String(s) => Value::String(s.clone()),
                    other => {
                        notes.push(Note::TagConverted);
                        Value::String(other.to_string())
                    }
                })
                .collect(),
        )),
        Some(Value::String(s)) => {
            notes.push(Note::TagConverted);
            Ok(Value::Array(vec![Value::String(s.clone())]))
        }
        Some(_) => Err("`tags` is neither a list nor a string".into()),
    }
}

impl Importer for DocumentChunks {
    fn spec(&self) -> &'static TableSpec {
        tables::by_name("document_chunks").expect("document_chunks is a synced table")
    }
    fn store(&self) -> Store {
        Store::Documents
    }
    fn columns(&self) -> &'static [&'static str] {
        &["id", "document_id", "chunk_index", "json"]
    }
    fn normalise(&self, row: &RawRow, refs: &Refs) -> Outcome {
        let mut notes = Notes::new();
        let result = chunk(row, refs, &mut notes);
        outcome(result, notes)
    }
}

fn chunk(row: &RawRow, refs: &Refs, notes: &mut Notes) -> Result<Vec<Value>, String> {
    let id = fields::id(row.cell("id"))?;
    let obj = fields::object(fields::cell_json(row.cell("json"), "json", notes)?, "json")?;
    let document_id = fields::required(fields::text_from(&obj, "document_id", row.cell("document_id"), notes), "document_id")?;
    if !refs.document_ids.contains(&document_id) {
        if refs.rejected_document_ids.contains(&document_id) {
            return Err(format!("its document `{document_id}` is rejected itself (both are kept in the rejects)"));
        }
        return Err("orphan chunk: its document exists neither in the legacy store nor centrally".into());
    }
    let chunk_index = fields::required(fields::integer_from(&obj, "chunk_index", row.cell("chunk_index"), notes)?, "chunk_index")?;
    let text = fields::required(fields::field_text(&obj, "text", notes), "text")?;
    let page_number =
        fields::integer_value(obj.get("page_number").unwrap_or(&Value::Null), "page_number", notes)?.unwrap_or(Value::from(0));
    let mut optional = |name: &str| Value::String(fields::field_text(&obj, name, notes).unwrap_or_default());
    let heading = optional("heading");
    let image_caption = optional("image_caption");
    let ocr_text = optional("ocr_text");
    Ok(vec![Value::String(id), Value::String(document_id), chunk_index, Value::String(text), page_number, heading, image_caption, ocr_text])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::raw::RawCell;

    fn chunk_row(doc: &str) -> RawRow {
        RawRow {
            rowid: 3,
            columns: DocumentChunks.columns(),
            cells: vec![
                RawCell::Text(b"k1".to_vec()),
                RawCell::Text(doc.as_bytes().to_vec()),
                RawCell::Integer(0),
                RawCell::Text(br#"{"text":"hello"}"#.to_vec()),
            ],
        }
    }

    #[test]
    fn a_chunk_needs_its_document() {
        let mut refs = Refs::default();
        assert!(matches!(DocumentChunks.normalise(&chunk_row("d1"), &refs), Outcome::Reject { .. }));
        refs.document_ids.insert("d1".into());
        let Outcome::Row { values, .. } = DocumentChunks.normalise(&chunk_row("d1"), &refs) else { panic!("rejected") };
        assert_eq!(values[4], Value::from(0), "a missing page number gets the schema default");
    }

    #[test]
    fn a_chunk_of_a_rejected_document_says_so_rather_than_orphan() {
        let refs = Refs { rejected_document_ids: ["d9".to_string()].into(), ..Refs::default() };
        let Outcome::Reject { reason } = DocumentChunks.normalise(&chunk_row("d9"), &refs) else { panic!("imported") };
        assert!(reason.contains("`d9` is rejected itself"), "{reason}");
        let Outcome::Reject { reason } = DocumentChunks.normalise(&chunk_row("d8"), &refs) else { panic!("imported") };
        assert!(reason.contains("orphan"), "{reason}");
    }
}
