//! Memory cards: facts and preferences the assistant proposed and the user
//! approved or rejected.

use super::contract::{APPROVALS, CATEGORIES, SCOPES};
use super::{col, ColumnKind::*, EditedAt, RowMerge, Rule::*, Search, TableSpec};

/// Columns as the Python server declares them.
pub const SPEC: TableSpec = TableSpec {
    name: "memory_cards",
    key: "id",
    pushed: true,
    merge: RowMerge::FieldByField,
    search: Search::Columns(&["text", "category"]),
    edited_at: EditedAt::Latest(&["created_at", "approved_at", "rejected_at"]),
    keeps_history: true,
    columns: &[
        col("id", Text, true),
        col("created_at", Timestamp, true),
        col("category", Text, true).with(OneOf(&CATEGORIES)),
        col("scope", Text, true).with(OneOf(&SCOPES)),
        col("text", Text, true).with(NonEmpty),
        col("approval", Text, true).with(OneOf(&APPROVALS)),
        col("approved_at", Timestamp, false),
        col("rejected_at", Timestamp, false),
        col("provenance", Json, true).with(Provenance),
    ],
};
