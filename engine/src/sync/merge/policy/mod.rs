//! Conflict policies, one file each, and which table uses which.

mod chat_append;
mod field_merge;
mod whole_row;

use super::{Outcome, Row, Versions};
use crate::tables::{RowMerge, TableSpec};

/// How a table merges when both sides changed a row.
pub trait Policy {
    /// Merges two changed versions of one row (neither equal to the base).
    fn merge(&self, spec: &TableSpec, base: Option<&Row>, local: &Row, remote: &Row, v: &Versions<'_>) -> Outcome;
}

/// The policy a table declares ([`crate::tables::RowMerge`]).
pub fn for_table(spec: &TableSpec) -> &'static dyn Policy {
    match spec.merge {
        RowMerge::ChatAppend => &chat_append::ChatAppend,
        RowMerge::FieldByField => &field_merge::FieldMerge,
        RowMerge::WholeRow => &whole_row::WholeRow,
    }
}
