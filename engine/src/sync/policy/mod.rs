//! Conflict policies, one file each, and which table uses which.

mod chat_append;
mod field_merge;
mod whole_row;

use super::merge::{Outcome, Row, Versions};
use crate::tables::TableSpec;

/// How a table merges when both sides changed a row.
pub trait Policy {
    /// Merges two changed versions of one row (neither equal to the base).
    fn merge(&self, spec: &TableSpec, base: Option<&Row>, local: &Row, remote: &Row, v: &Versions<'_>) -> Outcome;
}

/// The policy of a table: memory cards, mind-file entries and documents merge
/// field by field (document tags as sets); chat sessions also keep the
/// messages both sides appended; chunks and embeddings are replaced whole.
pub fn for_table(spec: &TableSpec) -> &'static dyn Policy {
    match spec.name {
        "chat_sessions" => &chat_append::ChatAppend,
        _ if !merges_by_field(spec) => &whole_row::WholeRow,
        _ => &field_merge::FieldMerge,
    }
}

/// Whether a table's rows merge field by field (and so keep per-field clocks):
/// all but those replaced whole.
pub fn merges_by_field(spec: &TableSpec) -> bool {
    !matches!(spec.name, "document_chunks" | "embeddings")
}
