//! Which outbox changes a push sends, and in what order: one per row (its
//! current content, whatever the edits were), parents before children.

use std::collections::HashMap;

use super::Pending;
use crate::cache::OutboxEntry;
use crate::tables;
use crate::timestamp;

/// Folds outbox entries into one pending change per row (the row's current
/// content is what gets pushed, whatever the sequence of edits was).
pub(super) fn fold(entries: &[OutboxEntry]) -> Vec<Pending> {
    let mut latest: HashMap<(&str, &str), &OutboxEntry> = HashMap::new();
    for e in entries {
        latest.insert((e.table_name.as_str(), e.row_id.as_str()), e);
    }
    let mut pending: Vec<Pending> = latest
        .into_values()
        .filter_map(|e| {
            let spec = tables::by_name(&e.table_name).filter(|s| s.pushed)?;
            let millis = timestamp::parse(&e.changed_at).map(|t| t.and_utc().timestamp_millis().max(0) as u64).unwrap_or(0);
            Some(Pending { spec, row_id: e.row_id.clone(), last_op_id: e.op_id, changed_at_millis: millis, deleted: e.op == "D" })
        })
        .collect();
    pending.sort_by_key(send_order);
    pending
}

/// The order rows go in within a batch: writes parents first (a document
/// before its chunks, whatever order they were edited in), then deletes
/// children first; by op id within a table.
fn send_order(p: &Pending) -> (bool, i64, i64) {
    let rank = tables::EDITABLE.iter().position(|t| t.name == p.spec.name).unwrap_or(usize::MAX) as i64;
    (p.deleted, if p.deleted { -rank } else { rank }, p.last_op_id)
}
