//! The synced tables: one module per table, each declaring its columns once.
//!
//! Both stores hold the same tables with the same column names. The central
//! types are PostgreSQL's (TIMESTAMP, JSONB, TEXT[]); in the local cache JSON
//! and arrays are TEXT holding JSON, and timestamps are ISO-8601 UTC text. The
//! [`ColumnKind`] of a column says how to move a value between the two and how
//! to encode it canonically, so that both sides of a row hash the same.

mod chat_sessions;
mod document_chunks;
mod documents;
mod embeddings;
mod memory_cards;
mod mindfile_entries;

/// How a column's values are typed and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Plain text.
    Text,
    /// A 32-bit or 64-bit integer.
    Integer,
    /// A point in time without zone, meaning UTC.
    Timestamp,
    /// Any JSON value (JSONB centrally, TEXT locally).
    Json,
    /// A list of strings (TEXT[] centrally, a JSON array in TEXT locally).
    TextArray,
    /// A pgvector embedding (vector(768) centrally, f32 little-endian BLOB locally).
    Vector,
}

/// One column of a synced table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its name, the same in both stores.
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnKind,
    /// Whether the Python server's schema declares it NOT NULL.
    pub required: bool,
}

/// A synced table.
#[derive(Debug)]
pub struct TableSpec {
    /// Its name, the same in both stores.
    pub name: &'static str,
    /// The primary key column (a TEXT id).
    pub key: &'static str,
    /// All columns in the Python server's order, key included.
    pub columns: &'static [Column],
    /// Whether local edits are pushed. Embeddings are computed by the server and
    /// only pulled.
    pub pushed: bool,
}

impl TableSpec {
    /// The column of that name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Comma-separated column names, for SELECT and INSERT lists.
    pub fn column_list(&self) -> String {
        self.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
    }
}

const fn col(name: &'static str, kind: ColumnKind, required: bool) -> Column {
    Column { name, kind, required }
}

/// The tables users edit, in dependency order (a chunk's document comes first).
pub const EDITABLE: [&TableSpec; 5] = [
    &memory_cards::SPEC,
    &chat_sessions::SPEC,
    &mindfile_entries::SPEC,
    &documents::SPEC,
    &document_chunks::SPEC,
];

/// The pgvector table, present only where the server has pgvector.
pub const EMBEDDINGS: &TableSpec = &embeddings::SPEC;

/// Every synced table by name.
pub fn by_name(name: &str) -> Option<&'static TableSpec> {
    EDITABLE.iter().copied().chain([EMBEDDINGS]).find(|t| t.name == name)
}
