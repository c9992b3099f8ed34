//! The synced tables: one module per table, each declaring its columns once.
//!
//! Both stores hold the same tables with the same column names. The central
//! types are PostgreSQL's (TIMESTAMP, JSONB, TEXT[]); in the local cache JSON
//! and arrays are TEXT holding JSON, and timestamps are ISO-8601 UTC text. The
//! [`ColumnKind`] of a column says how to move a value between the two and how
//! to encode it canonically, so that both sides of a row hash the same.

mod chat_sessions;
pub mod contract;
mod document_chunks;
mod documents;
mod embeddings;
mod memory_cards;
mod mindfile_entries;

pub use contract::{Breach, Rule, Term, Vocabulary};

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
    /// What the Python server's model accepts in it (see [`contract`]).
    pub rule: Rule,
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
    /// How a row both sides changed is merged.
    pub merge: RowMerge,
    /// What the local full-text index covers.
    pub search: Search,
    /// The legacy migration's "last edited" time of a row, for deciding
    /// between a legacy row and the central one with the same id.
    pub edited_at: EditedAt,
    /// Whether the server keeps every version an edit or delete replaced
    /// (history and trash, migration 20). Derived data (chunks, embeddings)
    /// keeps none: the server recomputes it.
    pub keeps_history: bool,
}

/// How a table's rows merge when both sides changed one
/// (`sync::merge::policy::for_table`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowMerge {
    /// Field by field, the later edit of each field winning (lists of
    /// strings as sets: adds and removes of both sides kept). Keeps
    /// per-field clocks in both stores.
    FieldByField,
    /// As [`RowMerge::FieldByField`], and the `messages` list keeps the
    /// messages both sides appended.
    ChatAppend,
    /// The whole row, the later edit winning: derived data (chunks, embeddings).
    WholeRow,
}

/// What a table's local full-text index (FTS5, `<table>_fts`) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// No index.
    None,
    /// These text columns, read from the table (an external-content index).
    Columns(&'static [&'static str]),
    /// The title and the texts of the messages inside the `messages` JSON
    /// (an index of its own, keyed by the session's rowid).
    ChatMessages,
}

/// Which columns say when a legacy row was last edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditedAt {
    /// The latest of these timestamp columns.
    Latest(&'static [&'static str]),
    /// No time of its own: the central row is kept.
    Unknown,
}

impl TableSpec {
    /// Whether rows merge field by field (and so keep per-field clocks).
    pub fn merges_by_field(&self) -> bool {
        self.merge != RowMerge::WholeRow
    }

    /// The column of that name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Comma-separated column names, for SELECT and INSERT lists.
    pub fn column_list(&self) -> String {
        self.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
    }
}

/// The timestamp a NULL in a required timestamp column is shown as: the epoch,
/// plainly "no date", rather than an invented recent time.
pub const NULL_TIMESTAMP_STAND_IN: &str = "1970-01-01T00:00:00.000000Z";

impl Column {
    /// What a NULL the server holds in this column becomes in canonical form,
    /// so in the local cache: itself, unless the column is required. The
    /// Python server may have created its tables with looser columns than the
    /// schema here declares (`CREATE TABLE IF NOT EXISTS` keeps its own), and
    /// one NULL there must not make every pull of this device fail on the
    /// cache's NOT NULL. Every reader of central rows applies the same rule,
    /// so both sides hash and merge alike; the server row is left as it is
    /// until the row is edited.
    pub fn null_stand_in(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        if !self.required {
            return Value::Null;
        }
        match self.kind {
            ColumnKind::Text => json!(""),
            ColumnKind::Integer => json!(0),
            ColumnKind::Timestamp => json!(NULL_TIMESTAMP_STAND_IN),
            // The app reads any JSON that is not the shape it expects (chat
            // messages that are not a list) as empty.
            ColumnKind::Json => json!({}),
            ColumnKind::TextArray => json!([]),
            ColumnKind::Vector => Value::Null,
        }
    }
}

const fn col(name: &'static str, kind: ColumnKind, required: bool) -> Column {
    Column { name, kind, required, rule: Rule::Any }
}

impl Column {
    /// The same column with the server's rule for its values.
    const fn with(self, rule: Rule) -> Column {
        Column { rule, ..self }
    }
}

/// The tables users edit, in dependency order (a chunk's document comes first).
pub const EDITABLE: [&TableSpec; 5] =
    [&memory_cards::SPEC, &chat_sessions::SPEC, &mindfile_entries::SPEC, &documents::SPEC, &document_chunks::SPEC];

/// The pgvector table, present only where the server has pgvector.
pub const EMBEDDINGS: &TableSpec = &embeddings::SPEC;

/// The names of every synced table, for SQL that lists them (bound as an
/// array, never written out by hand).
pub fn all_names() -> Vec<&'static str> {
    EDITABLE.iter().copied().chain([EMBEDDINGS]).map(|t| t.name).collect()
}

/// The tables whose replaced versions the server keeps (history and trash).
pub fn with_history() -> Vec<&'static TableSpec> {
    EDITABLE.iter().copied().filter(|t| t.keeps_history).collect()
}

/// Every synced table by name.
pub fn by_name(name: &str) -> Option<&'static TableSpec> {
    EDITABLE.iter().copied().chain([EMBEDDINGS]).find(|t| t.name == name)
}
