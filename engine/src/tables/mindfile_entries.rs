//! Mind-file entries: curated statements, each derived from a memory card.

use super::contract::CATEGORIES;
use super::{col, ColumnKind::*, EditedAt, RowMerge, Rule::*, Search, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "mindfile_entries",
    key: "id",
    pushed: true,
    merge: RowMerge::FieldByField,
    search: Search::Columns(&["text", "note"]),
    edited_at: EditedAt::Latest(&["updated_at"]),
    keeps_history: true,
    columns: &[
        col("id", Text, true),
        col("created_at", Timestamp, true),
        col("updated_at", Timestamp, true),
        col("category", Text, true).with(OneOf(&CATEGORIES)),
        col("text", Text, true).with(NonEmpty),
        col("source_memory_card_id", Text, true).with(NonEmpty),
        col("note", Text, false),
    ],
};
