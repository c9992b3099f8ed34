//! Embeddings: 768-dimension vectors the server computes for retrieval.

use super::{col, ColumnKind::*, EditedAt, RowMerge, Search, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "embeddings",
    key: "doc_id",
    pushed: false,
    merge: RowMerge::WholeRow,
    search: Search::None,
    edited_at: EditedAt::Unknown,
    keeps_history: false,
    columns: &[
        col("doc_id", Text, true),
        col("embedding", Vector, true),
        col("text", Text, true),
        col("metadata", Json, true),
        col("source_type", Text, true),
        col("created_at", Timestamp, false),
    ],
};
