//! Memory cards: facts and preferences the assistant proposed and the user
//! approved or rejected.

use super::{col, ColumnKind::*, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "memory_cards",
    key: "id",
    pushed: true,
    columns: &[
        col("id", Text, true),
        col("created_at", Timestamp, true),
        col("category", Text, true),
        col("scope", Text, true),
        col("text", Text, true),
        col("approval", Text, true),
        col("approved_at", Timestamp, false),
        col("rejected_at", Timestamp, false),
        col("provenance", Json, true),
    ],
};
