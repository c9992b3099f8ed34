//! Mind-file entries: curated statements, each derived from a memory card.

use super::{col, ColumnKind::*, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "mindfile_entries",
    key: "id",
    pushed: true,
    columns: &[
        col("id", Text, true),
        col("created_at", Timestamp, true),
        col("updated_at", Timestamp, true),
        col("category", Text, true),
        col("text", Text, true),
        col("source_memory_card_id", Text, true),
        col("note", Text, false),
    ],
};
