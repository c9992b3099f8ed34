//! Document chunks: the text of a document cut into retrievable pieces.

use super::{col, ColumnKind::*, EditedAt, RowMerge, Rule::*, Search, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "document_chunks",
    key: "id",
    pushed: true,
    merge: RowMerge::WholeRow,
    search: Search::Columns(&["text", "heading"]),
    edited_at: EditedAt::Unknown,
    keeps_history: false,
    columns: &[
        col("id", Text, true),
        col("document_id", Text, true).with(References("documents")),
        col("chunk_index", Integer, true),
        col("text", Text, true),
        col("page_number", Integer, false),
        col("heading", Text, false),
        col("image_caption", Text, false),
        col("ocr_text", Text, false),
    ],
};
