//! Push receipts: the server's record of which of this device's ops it applied
//! and what was sent under them, written in the same transaction as the rows.
//!
//! Vocabulary:
//!   receipt      one op the server applied: its fingerprint and, for the op a
//!                row's change was sent under, the version sent.
//!   fingerprint  table, row, kind and local time stamp of an op: what tells
//!                this device's op 42 from op 42 of a restored or copied data
//!                folder that reuses the id for another edit.
//!   settled      the highest op id whose answer this device's cache took; the
//!                device tells the server on its next push, which then drops
//!                the receipts up to it.
//!
//! A change counts as applied only when a receipt with its fingerprint says
//! so, never because its op id is below a watermark: after a lost answer the
//! device learns what it sent, and merges its next edit three-way against
//! that; a data folder that is not the one that sent an op is told so, and
//! takes a new identity (see [`crate::cache::Cache::renew_device`]).

use std::collections::HashMap;

use serde_json::Value;
use sqlx::{PgConnection, Row as _};

use super::merge::Row;
use crate::cache::OutboxEntry;

/// What the server recorded of one op.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Receipt {
    pub(super) table_name: String,
    pub(super) row_id: String,
    pub(super) op: String,
    pub(super) changed_at: String,
    /// The version sent under this op: `Some(None)` for a delete, `None` when
    /// nothing was sent under it (an earlier op of a row in the same batch,
    /// or a change the server refused, which is simply sent again).
    pub(super) sent: Option<Option<Row>>,
}

impl Receipt {
    fn matches(&self, e: &OutboxEntry) -> bool {
        self.table_name == e.table_name && self.row_id == e.row_id && self.op == e.op && self.changed_at == e.changed_at
    }
}

/// What the receipts say about a batch's ops the server has seen an op id of.
#[derive(Debug, PartialEq)]
pub(super) enum Standing {
    /// They are this data folder's ops; the versions sent, by op id, for the
    /// ops a row's change went under.
    Applied(HashMap<i64, Option<Row>>),
    /// The server applied an op of this id that is not this one: the data
    /// folder was restored from a backup or copied to another machine.
    NotThisFolder(String),
}

/// What a mismatch means for the user.
pub(super) const NOT_THE_SENDER: &str = "this data folder was restored from a backup or copied from another machine";

/// Checks the ops of `entries` at or below `applied_up_to` against their
/// receipts. Pure: the caller fetched `receipts` for those op ids.
pub(super) fn standing(entries: &[OutboxEntry], applied_up_to: i64, receipts: &HashMap<i64, Receipt>) -> Standing {
    let mut sent = HashMap::new();
    for e in entries.iter().filter(|e| e.op_id <= applied_up_to) {
        match receipts.get(&e.op_id) {
            Some(r) if r.matches(e) => {
                if let Some(version) = &r.sent {
                    sent.insert(e.op_id, version.clone());
                }
            }
            Some(r) => {
                return Standing::NotThisFolder(format!(
                    "the server applied this device's change #{} to {} \"{}\" at {}, but this data folder's change #{} is to {} \"{}\" at {}: {NOT_THE_SENDER}",
                    e.op_id, r.table_name, r.row_id, r.changed_at, e.op_id, e.table_name, e.row_id, e.changed_at
                ))
            }
            None => {
                return Standing::NotThisFolder(format!(
                    "the server has seen this device's changes up to #{applied_up_to} but holds no record of change #{} to {} \"{}\": {NOT_THE_SENDER}",
                    e.op_id, e.table_name, e.row_id
                ))
            }
        }
    }
    Standing::Applied(sent)
}

/// The receipts of `op_ids` for `device`.
pub(super) async fn fetch(tx: &mut PgConnection, device: &str, op_ids: &[i64]) -> sqlx::Result<HashMap<i64, Receipt>> {
    if op_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query(
        "SELECT op_id, table_name, row_id, op, changed_at, sent FROM noesis_sync.push_receipts
         WHERE device_id = $1 AND op_id = ANY($2)",
    )
    .bind(device)
    .bind(op_ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for r in rows {
        let sent = r.get::<Option<crate::deep_json::PgJson>, _>(5).map(|j| match j.0 {
            Value::Object(row) => Some(row),
            _ => None,
        });
        found.insert(r.get::<i64, _>(0), Receipt { table_name: r.get(1), row_id: r.get(2), op: r.get(3), changed_at: r.get(4), sent });
    }
    Ok(found)
}

/// One op to record: its entry and, for the op the row's change went under,
/// the version sent.
pub(super) struct Sent<'a> {
    pub(super) entry: &'a OutboxEntry,
    pub(super) version: Option<Option<&'a Row>>,
}

/// Records `ops` as applied for `device`, replacing receipts of the same ids
/// (a refused change sent again).
pub(super) async fn record(tx: &mut PgConnection, device: &str, ops: &[Sent<'_>]) -> sqlx::Result<()> {
    if ops.is_empty() {
        return Ok(());
    }
    let mut op_ids = Vec::with_capacity(ops.len());
    let (mut tables, mut rows, mut kinds, mut times, mut sent) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in ops {
        op_ids.push(s.entry.op_id);
        tables.push(s.entry.table_name.as_str());
        rows.push(s.entry.row_id.as_str());
        kinds.push(s.entry.op.as_str());
        times.push(s.entry.changed_at.as_str());
        sent.push(s.version.map(|v| v.map_or(Value::Null, |r| Value::Object(r.clone()))));
    }
    sqlx::query(
        "INSERT INTO noesis_sync.push_receipts (device_id, op_id, table_name, row_id, op, changed_at, sent)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
         ON CONFLICT (device_id, op_id) DO UPDATE SET table_name = EXCLUDED.table_name, row_id = EXCLUDED.row_id,
             op = EXCLUDED.op, changed_at = EXCLUDED.changed_at, sent = EXCLUDED.sent, applied_at = now()",
    )
    .bind(device)
    .bind(&op_ids)
    .bind(&tables)
    .bind(&rows)
    .bind(&kinds)
    .bind(&times)
    .bind(&sent)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes this device's word that its cache settled every op up to `settled`:
/// their receipts are no longer needed, and a data folder presenting a lower
/// figure later is not the one that said it.
pub(super) async fn confirm_settled(tx: &mut PgConnection, device: &str, settled: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE noesis_sync.devices SET settled_op_id = GREATEST(settled_op_id, $2) WHERE device_id = $1")
        .bind(device)
        .bind(settled)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM noesis_sync.push_receipts WHERE device_id = $1 AND op_id <= $2")
        .bind(device)
        .bind(settled)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(op_id: i64, row_id: &str, changed_at: &str) -> OutboxEntry {
        OutboxEntry { op_id, table_name: "memory_cards".into(), row_id: row_id.into(), op: "U".into(), changed_at: changed_at.into() }
    }

    fn receipt_of(e: &OutboxEntry, sent: Option<Option<Row>>) -> Receipt {
        Receipt { table_name: e.table_name.clone(), row_id: e.row_id.clone(), op: e.op.clone(), changed_at: e.changed_at.clone(), sent }
    }

    fn row(text: &str) -> Row {
        json!({ "id": "c", "text": text }).as_object().unwrap().clone()
    }

    #[test]
    fn a_retried_batch_learns_what_it_sent() {
        let ops = [entry(1, "c", "2026-01-01T00:00:00.001Z"), entry(2, "d", "2026-01-01T00:00:00.002Z")];
        let receipts = HashMap::from([(1, receipt_of(&ops[0], Some(Some(row("t0"))))), (2, receipt_of(&ops[1], Some(None)))]);
        assert_eq!(standing(&ops, 2, &receipts), Standing::Applied(HashMap::from([(1, Some(row("t0"))), (2, None)])));
    }

    #[test]
    fn ops_above_what_the_server_saw_need_no_receipt() {
        let ops = [entry(5, "c", "2026-01-01T00:00:00.005Z")];
        assert_eq!(standing(&ops, 4, &HashMap::new()), Standing::Applied(HashMap::new()));
    }

    #[test]
    fn an_op_id_reused_for_another_edit_is_not_taken_as_sent() {
        // Restored from a backup: op 2 was r-2 when sent, is r-4 now.
        let sent = entry(2, "r-2", "2026-01-01T00:00:02.000Z");
        let now = entry(2, "r-4", "2026-01-02T00:00:00.000Z");
        let receipts = HashMap::from([(2, receipt_of(&sent, Some(Some(row("r-2")))))]);
        assert!(matches!(standing(&[now], 3, &receipts), Standing::NotThisFolder(why) if why.contains("r-4")));
    }

    #[test]
    fn an_op_the_server_counted_but_never_recorded_is_not_taken_as_sent() {
        let ops = [entry(2, "r-4", "2026-01-02T00:00:00.000Z")];
        assert!(matches!(standing(&ops, 3, &HashMap::new()), Standing::NotThisFolder(_)));
    }

    #[test]
    fn the_same_row_edited_at_another_moment_is_another_op() {
        let sent = entry(7, "c", "2026-01-01T00:00:00.001Z");
        let clone = entry(7, "c", "2026-01-01T00:00:00.002Z");
        let receipts = HashMap::from([(7, receipt_of(&sent, None))]);
        assert!(matches!(standing(&[clone], 7, &receipts), Standing::NotThisFolder(_)));
    }
}
