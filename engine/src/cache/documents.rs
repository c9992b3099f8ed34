//! Documents and their chunks in the local cache. Documents are ingested by the
//! server (parsing, OCR, chunking); here a user reads them, their status and
//! chunks, and edits what is theirs: tags and notes.
//!
//! `tags` is TEXT holding a JSON array of strings (TEXT[] on the server); a
//! malformed value reads as no tags.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::Cache;
use crate::error::Result;

/// The most documents listed at once: a personal library, not an archive.
const MAX_DOCUMENTS: u32 = 10_000;

/// The largest run of chunks one call returns; long books are read in pages.
pub const MAX_CHUNKS: u32 = 500;

/// A document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Document {
    /// Key.
    pub id: String,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// File name as uploaded.
    pub filename: String,
    /// Where the server keeps it.
    pub filepath: String,
    /// `pdf`, `md`…
    pub file_type: String,
    /// Bytes.
    pub file_size: f64,
    /// Content hash.
    pub file_hash: String,
    /// Ingestion status (`ready`, `processing`, `error`…).
    pub status: String,
    /// Chunks the server cut it into.
    pub chunk_count: u32,
    /// Why ingestion failed, when it did.
    pub error_message: String,
    /// The user's tags.
    pub tags: Vec<String>,
    /// The user's notes.
    pub notes: String,
}

/// A passage of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DocumentChunk {
    /// Key.
    pub id: String,
    /// The document.
    pub document_id: String,
    /// Position in the document, from 0.
    pub chunk_index: u32,
    /// The passage.
    pub text: String,
    /// Page it starts on (0 when unknown).
    pub page_number: u32,
    /// Section heading above it.
    pub heading: String,
    /// Caption of an image in it.
    pub image_caption: String,
    /// Text recognised in an image.
    pub ocr_text: String,
}

const SELECT: &str = "SELECT id, created_at, filename, filepath, file_type, file_size, file_hash, status, \
                             coalesce(chunk_count, 0), coalesce(error_message, ''), coalesce(tags, '[]'), coalesce(notes, '') \
                      FROM documents";

fn document(r: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
    let tags: String = r.get(10)?;
    Ok(Document {
        id: r.get(0)?,
        created_at: r.get(1)?,
        filename: r.get(2)?,
        filepath: r.get(3)?,
        file_type: r.get(4)?,
        file_size: r.get::<_, i64>(5)? as f64,
        file_hash: r.get(6)?,
        status: r.get(7)?,
        chunk_count: r.get(8)?,
        error_message: r.get(9)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        notes: r.get(11)?,
    })
}

impl Cache {
    /// Documents, newest first.
    pub fn documents(&self) -> Result<Vec<Document>> {
        let context = "listing documents";
        let mut stmt =
            self.conn.prepare_cached(&format!("{SELECT} ORDER BY created_at DESC, id LIMIT ?1")).map_err(|e| self.error(context, e))?;
        let documents = stmt
            .query_map([MAX_DOCUMENTS], document)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(context, e))?;
        Ok(documents)
    }

    /// One document.
    pub fn document(&self, id: &str) -> Result<Option<Document>> {
        self.conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], document).optional().map_err(|e| self.error("reading a document", e))
    }

    /// Replaces a document's tags (trimmed, empty ones and repeats dropped) and
    /// notes; `None` if it no longer exists.
    pub fn update_document(&self, id: &str, tags: &[String], notes: &str) -> Result<Option<Document>> {
        let mut clean: Vec<&str> = Vec::new();
        for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            if !clean.contains(&tag) {
                clean.push(tag);
            }
        }
        let tags = serde_json::to_string(&clean).expect("a list of strings serialises");
        self.conn
            .execute("UPDATE documents SET tags = ?2, notes = ?3 WHERE id = ?1", params![id, tags, notes.trim()])
            .map_err(|e| self.error("editing a document", e))?;
        self.document(id)
    }

    /// Up to `limit` chunks of a document in order, from `from_index` on.
    pub fn document_chunks(&self, document_id: &str, from_index: u32, limit: u32) -> Result<Vec<DocumentChunk>> {
        let context = "reading document chunks";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, document_id, chunk_index, text, coalesce(page_number, 0), coalesce(heading, ''), \
                        coalesce(image_caption, ''), coalesce(ocr_text, '') \
                 FROM document_chunks WHERE document_id = ?1 AND chunk_index >= ?2 ORDER BY chunk_index LIMIT ?3",
            )
            .map_err(|e| self.error(context, e))?;
        let chunks = stmt
            .query_map(params![document_id, from_index, limit.clamp(1, MAX_CHUNKS)], |r| {
                Ok(DocumentChunk {
                    id: r.get(0)?,
                    document_id: r.get(1)?,
                    chunk_index: r.get(2)?,
                    text: r.get(3)?,
                    page_number: r.get(4)?,
                    heading: r.get(5)?,
                    image_caption: r.get(6)?,
                    ocr_text: r.get(7)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(context, e))?;
        Ok(chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_with_document() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let conn = cache.connection();
        conn.execute(
            "INSERT INTO documents (id, created_at, filename, filepath, file_type, file_size, file_hash, status, chunk_count, tags) \
             VALUES ('d', '2024-01-01T00:00:00.000000Z', 'paper.pdf', '/srv/paper.pdf', 'pdf', 123456, 'abc', 'indexed', 3, '[\"physics\"]')",
            [],
        )
        .unwrap();
        for i in [2, 0, 1] {
            conn.execute(
                "INSERT INTO document_chunks (id, document_id, chunk_index, text, page_number) VALUES (?1, 'd', ?2, ?3, ?2)",
                params![format!("d-{i}"), i, format!("passage {i}")],
            )
            .unwrap();
        }
        (dir, cache)
    }

    #[test]
    fn documents_list_with_status_size_and_tags() {
        let (_dir, cache) = cache_with_document();
        let docs = cache.documents().unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!((docs[0].status.as_str(), docs[0].file_size, docs[0].chunk_count), ("indexed", 123456.0, 3));
        assert_eq!(docs[0].tags, ["physics"]);
    }

    #[test]
    fn chunks_read_in_order_and_in_pages() {
        let (_dir, cache) = cache_with_document();
        let first = cache.document_chunks("d", 0, 2).unwrap();
        assert_eq!(first.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), ["passage 0", "passage 1"]);
        let rest = cache.document_chunks("d", 2, 2).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].page_number, 2);
    }

    #[test]
    fn tags_and_notes_are_cleaned_saved_and_captured() {
        let (_dir, cache) = cache_with_document();
        let tags = vec![" physics ".to_string(), "".into(), "reading list".into(), "physics".into()];
        let doc = cache.update_document("d", &tags, " read chapter 2 ").unwrap().unwrap();
        assert_eq!(doc.tags, ["physics", "reading list"], "blank and repeated tags are dropped");
        assert_eq!(doc.notes, "read chapter 2");
        assert_eq!(cache.outbox(100).unwrap().last().unwrap().op, "U");
        assert_eq!(cache.update_document("nope", &[], "").unwrap(), None);
    }
}
