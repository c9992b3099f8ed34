//! Chat sessions: a title and the whole message list as one JSON array.

use super::{col, ColumnKind::*, EditedAt, RowMerge, Rule::*, Search, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "chat_sessions",
    key: "id",
    pushed: true,
    merge: RowMerge::ChatAppend,
    search: Search::ChatMessages,
    edited_at: EditedAt::Latest(&["updated_at"]),
    keeps_history: true,
    columns: &[
        col("id", Text, true),
        col("title", Text, true),
        col("created_at", Timestamp, true),
        col("updated_at", Timestamp, true),
        col("messages", Json, true).with(ChatMessages),
    ],
};
