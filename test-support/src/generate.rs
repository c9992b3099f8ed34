//! A generator of legacy stores shaped like the old server's, for tests and the
//! benchmark: realistic rows in bulk, plus (optionally) one of every hostile row
//! met in the wild, each listed with the outcome the migration must give it.
//!
//! Row ids are deterministic (`card-000042`), so two stores generated with
//! different `variant`s overlap: rows whose index is a multiple of three differ
//! in content and are newer in the higher variant, the others are identical.
//! That is how a second machine's store looks.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};
use serde_json::json;

use noesis_engine::legacy::fields::Note;
use noesis_engine::legacy::Store;

mod hostile;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateSpec {
    /// Memory cards.
    pub cards: usize,
    /// Chat sessions.
    pub sessions: usize,
    /// Messages in each session.
    pub messages_per_session: usize,
    /// Mind-file entries.
    pub mindfile: usize,
    /// Documents.
    pub documents: usize,
    /// Chunks, spread over the documents.
    pub chunks: usize,
    /// Add the hostile rows.
    pub hostile: bool,
    /// Create the `mindfile_entries` table (older stores lack it).
    pub with_mindfile_table: bool,
    /// Which machine's edits: see the module docs.
    pub variant: u64,
}

impl GenerateSpec {
    /// The benchmark store (issue 3's: 100k cards, 10k sessions, 20k
    /// mind-file entries, 5k documents, 200k chunks) times `factor`, at
    /// least one row of each.
    pub fn scaled(factor: f64) -> Self {
        let mut spec = Self::benchmark();
        let scale = |n: usize| ((n as f64 * factor).round() as usize).max(1);
        spec.cards = scale(spec.cards);
        spec.sessions = scale(spec.sessions);
        spec.mindfile = scale(spec.mindfile);
        spec.documents = scale(spec.documents);
        spec.chunks = scale(spec.chunks);
        spec
    }

    /// A few rows of each kind plus every hostile row: fast enough for tests.
    pub fn small() -> Self {
        Self {
            cards: 60,
            sessions: 12,
            messages_per_session: 4,
            mindfile: 20,
            documents: 6,
            chunks: 30,
            hostile: true,
            with_mindfile_table: true,
            variant: 0,
        }
    }

    /// The benchmark's store: the sizes issue 3 asks for.
    pub fn benchmark() -> Self {
        Self {
            cards: 100_000,
            sessions: 10_000,
            messages_per_session: 8,
            mindfile: 20_000,
            documents: 5_000,
            chunks: 200_000,
            hostile: false,
            with_mindfile_table: true,
            variant: 0,
        }
    }
}

/// What the migration must do with a hostile row.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Imported; with this change noted, if any.
    Imported(Option<Note>),
    /// Kept verbatim in the rejects table.
    Rejected,
}

/// A hostile row and its expected outcome.
#[derive(Debug, Clone)]
pub struct HostileRow {
    /// Central table name.
    pub table: &'static str,
    /// The row's key (`RawRow::key`).
    pub key: String,
    /// What it is.
    pub what: &'static str,
    /// What must happen.
    pub expect: Expect,
}

/// The generated store.
#[derive(Debug, Clone)]
pub struct Generated {
    /// `data/memory/memory_cards.sqlite3`.
    pub memory: PathBuf,
    /// `data/documents/documents.sqlite3`.
    pub documents: PathBuf,
    /// The hostile rows written.
    pub hostile: Vec<HostileRow>,
}

const MEMORY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS memory_cards (id TEXT PRIMARY KEY, created_at TEXT, approval TEXT, json TEXT);
CREATE TABLE IF NOT EXISTS chat_sessions (id TEXT PRIMARY KEY, title TEXT, created_at TEXT, updated_at TEXT, messages TEXT);";
const MINDFILE_SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS mindfile_entries (id TEXT PRIMARY KEY, created_at TEXT, category TEXT, json TEXT);";
const DOCUMENTS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, created_at TEXT, filename TEXT, filepath TEXT, file_hash TEXT, status TEXT, json TEXT);
CREATE TABLE IF NOT EXISTS document_chunks (id TEXT PRIMARY KEY, document_id TEXT, chunk_index INTEGER, json TEXT);";

/// Words for plausible text (deterministic, no randomness needed).
const WORDS: &[&str] = &[
    "the", "user", "prefers", "tea", "over", "coffee", "in", "mornings", "project", "deadline", "is", "friday", "likes", "hiking", "with",
    "family", "notes", "about", "rust", "postgres", "sync", "meeting", "budget", "travel",
];

fn text(seed: usize, words: usize) -> String {
    (0..words).map(|i| WORDS[(seed.wrapping_mul(31) + i * 7 + i * i) % WORDS.len()]).collect::<Vec<_>>().join(" ")
}

fn time(seconds: u64) -> String {
    let t = chrono::DateTime::from_timestamp(1_700_000_000 + seconds as i64, 0).expect("in range").naive_utc();
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Writes the stores under `legacy_dir/data/...` (adding to existing ones).
pub fn generate(legacy_dir: &Path, spec: &GenerateSpec) -> rusqlite::Result<Generated> {
    let memory = legacy_dir.join(Store::Memory.relative_path());
    let documents = legacy_dir.join(Store::Documents.relative_path());
    for p in [&memory, &documents] {
        std::fs::create_dir_all(p.parent().expect("has a folder")).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    }
    let mut hostile = Vec::new();
    let mut conn = Connection::open(&memory)?;
    conn.execute_batch(MEMORY_SCHEMA)?;
    if spec.with_mindfile_table {
        conn.execute_batch(MINDFILE_SCHEMA)?;
    }
    let tx = conn.transaction()?;
    let v = spec.variant;
    let edited = |i: usize| v > 0 && i.is_multiple_of(3);
    {
        let mut card = tx.prepare("INSERT INTO memory_cards (id, created_at, approval, json) VALUES (?1, ?2, ?3, ?4)")?;
        for i in 0..spec.cards {
            let id = format!("card-{i:06}");
            let created = time(i as u64 * 60);
            let approval = ["approved", "pending", "rejected"][i % 3];
            let body = if edited(i) { format!("{} (edited on machine {v})", text(i, 12)) } else { text(i, 12) };
            let approved_at = (approval == "approved").then(|| time(i as u64 * 60 + 3600 + if edited(i) { v * 86_400 } else { 0 }));
            let category = ["preferences", "principles_values", "decision_heuristics"][i % 3];
            let json = json!({"id": id, "created_at": created, "category": category, "scope": "global",
                "text": body, "approval": approval, "approved_at": approved_at, "rejected_at": null,
                "provenance": {"reason": "chat", "derived_from_artifact_ids": [format!("a{i}")], "sources": [], "tools_used": [], "model": "llama3"}});
            card.execute(params![id, created, approval, json.to_string()])?;
        }
        let mut session =
            tx.prepare("INSERT INTO chat_sessions (id, title, created_at, updated_at, messages) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for i in 0..spec.sessions {
            let id = format!("session-{i:06}");
            let messages: Vec<_> = (0..spec.messages_per_session)
                .map(|m| json!({"role": if m % 2 == 0 { "user" } else { "assistant" }, "text": text(i + m, 25), "model": "llama3",
                    "processing_time": 0.5 + m as f64, "retrieved_context": [], "session_id": id, "proposed_memories": [], "reasoning": null}))
                .collect();
            let title = if edited(i) { format!("Session {i} v{v}") } else { format!("Session {i}") };
            let updated = time(i as u64 * 600 + 300 + if edited(i) { v * 86_400 } else { 0 });
            session.execute(params![id, title, time(i as u64 * 600), updated, serde_json::to_string(&messages).expect("json")])?;
        }
        if spec.with_mindfile_table {
            let mut entry = tx.prepare("INSERT INTO mindfile_entries (id, created_at, category, json) VALUES (?1, ?2, ?3, ?4)")?;
            for i in 0..spec.mindfile {
                let id = format!("mind-{i:06}");
                let json = json!({"id": id, "created_at": time(i as u64 * 90), "updated_at": time(i as u64 * 90 + 10 + if edited(i) { v * 86_400 } else { 0 }),
                    "category": "principles_values", "text": if edited(i) { format!("{} v{v}", text(i, 10)) } else { text(i, 10) },
                    "source_memory_card_id": format!("card-{:06}", i % spec.cards.max(1)), "note": ""});
                entry.execute(params![id, time(i as u64 * 90), "principles_values", json.to_string()])?;
            }
        }
        if spec.hostile {
            hostile.extend(hostile::memory(&tx, spec.with_mindfile_table)?);
        }
    }
    tx.commit()?;
    drop(conn);

    let mut conn = Connection::open(&documents)?;
    conn.execute_batch(DOCUMENTS_SCHEMA)?;
    let tx = conn.transaction()?;
    {
        let mut doc = tx.prepare(
            "INSERT INTO documents (id, created_at, filename, filepath, file_hash, status, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for i in 0..spec.documents {
            let id = format!("doc-{i:05}");
            let per_doc = spec.chunks / spec.documents.max(1);
            let json = json!({"id": id, "file_type": "pdf", "file_size": 10_000 + i, "chunk_count": per_doc, "error_message": "",
                "tags": ["work", format!("t{}", i % 7)], "notes": if edited(i) { format!("edited v{v}") } else { String::new() }});
            let created = time(i as u64 * 1000 + if edited(i) { v * 86_400 } else { 0 });
            doc.execute(params![
                id,
                created,
                format!("file{i}.pdf"),
                format!("/docs/file{i}.pdf"),
                format!("{:064x}", i),
                "indexed",
                json.to_string()
            ])?;
        }
        let mut chunk = tx.prepare("INSERT INTO document_chunks (id, document_id, chunk_index, json) VALUES (?1, ?2, ?3, ?4)")?;
        for i in 0..spec.chunks {
            let d = i % spec.documents.max(1);
            let json = json!({"text": text(i, 150), "page_number": i / 10, "heading": format!("Part {}", i % 5), "image_caption": "", "ocr_text": ""});
            chunk.execute(params![format!("chunk-{i:07}"), format!("doc-{d:05}"), (i / spec.documents.max(1)) as i64, json.to_string()])?;
        }
        if spec.hostile {
            hostile.extend(hostile::documents(&tx)?);
        }
    }
    tx.commit()?;
    Ok(Generated { memory, documents, hostile })
}
