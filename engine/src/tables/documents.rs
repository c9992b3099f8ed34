//! Documents: uploaded files and their processing status; the text lives in
//! their chunks.

use super::contract::{DOCUMENT_STATUSES, FILE_TYPES};
use super::{col, ColumnKind::*, EditedAt, RowMerge, Rule::*, Search, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "documents",
    key: "id",
    pushed: true,
    merge: RowMerge::FieldByField,
    search: Search::Columns(&["filename", "notes"]),
    edited_at: EditedAt::Latest(&["created_at"]),
    keeps_history: true,
    columns: &[
        col("id", Text, true),
        col("created_at", Timestamp, true),
        col("filename", Text, true),
        col("filepath", Text, true),
        col("file_type", Text, true).with(OneOf(&FILE_TYPES)),
        col("file_size", Integer, true),
        col("file_hash", Text, true),
        col("status", Text, true).with(OneOf(&DOCUMENT_STATUSES)),
        col("chunk_count", Integer, false),
        col("error_message", Text, false),
        col("tags", TextArray, false),
        col("notes", Text, false),
    ],
};
