//! Push: sends the outbox to the server in batches, one Postgres transaction
//! per batch.
//!
//! For each changed row the server's current version is locked and compared
//! with the shadow copy: unchanged since this device last saw it, the local
//! version is written; changed, the two are merged ([`super::merge`]) and a
//! losing version is kept in `noesis_sync.conflicts`. In the same transaction
//! the server records a receipt per op, with the version sent (see
//! [`super::receipts`]), so a batch retried after a lost answer applies
//! nothing twice and learns what it had sent, and a restored or copied data
//! folder is told its op ids are not its own. Then, in one SQLite transaction,
//! the cache takes the merged rows, shadow copies and the now-empty outbox.

mod queue;
mod server_write;

use std::collections::HashMap;

use sqlx::{Acquire, PgConnection};

use super::cancel::Cancel;
use super::hlc::Hlc;
use super::merge::{merge, Row, Versions};
use super::receipts::{self, Standing};
use super::refusal::{judge, WriteFailure};
use crate::cache::{self, Cache, DeviceIdentity, OutboxEntry};
use crate::central::{self, ServerTarget};
use crate::error::Result;
use crate::tables::TableSpec;
use queue::fold;
use server_write::{record_conflict, write};

/// Outbox entries sent per Postgres transaction: large enough to amortise the
/// round trips, small enough that a lost connection repeats little work.
pub const PUSH_BATCH: usize = 500;

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    /// Rows written to the server.
    pub written: u64,
    /// Of those, rows merged with a concurrent server change.
    pub merged: u64,
    /// Conflicts recorded (a version lost).
    pub conflicts: u64,
    /// Rows the server already had from an earlier, unacknowledged attempt.
    pub acknowledged: u64,
    /// Rows the server refused, or held back because a value would not reach
    /// it as written (see [`Cache::unfit_value`]); kept locally in `sync_rejected`.
    pub rejected: u64,
    /// Rows that name a row the server does not have yet (a chunk before its
    /// document): kept in `sync_rejected` and sent again once that row is there.
    pub waiting: u64,
    /// Why this data folder took a new device identity during the push (it was
    /// restored from a backup or copied to another machine), if it did.
    pub identity_renewed: Option<String>,
    /// Rows deleted here whose deletion was not sent: it would remove most of
    /// a table, so it waits for the user's word (see [`Cache::held_deletions`]).
    pub held: u64,
}

impl PushReport {
    /// Folds a later push into this one, for a caller that pushed again.
    pub fn absorb(&mut self, later: PushReport) {
        self.written += later.written;
        self.merged += later.merged;
        self.conflicts += later.conflicts;
        self.acknowledged += later.acknowledged;
        self.rejected += later.rejected;
        self.waiting += later.waiting;
        self.held += later.held;
        if later.identity_renewed.is_some() {
            self.identity_renewed = later.identity_renewed;
        }
    }
}

/// One row's pending change, the outbox entries folded together.
struct Pending {
    spec: &'static TableSpec,
    row_id: String,
    last_op_id: i64,
    changed_at_millis: u64,
    deleted: bool,
}

/// What the server ended with for one row, for the cache bookkeeping.
struct Settled {
    spec: &'static TableSpec,
    row_id: String,
    last_op_id: i64,
    central: Option<Row>,
    /// The local version this push read and sent (None when it sent nothing:
    /// an earlier attempt had). If the row was edited again while the push
    /// was in flight, that newer edit was made on top of this version, not of
    /// `central`, so this becomes the shadow: the next push then merges the
    /// server's changes into the newer edit instead of reverting them.
    sent: Option<Option<Row>>,
    rejection: Option<Rejection>,
}

/// Why a change was not written, and the local version kept with it.
struct Rejection {
    reason: String,
    local: Option<Row>,
    /// The row (table, id) it waits for, when that is why.
    waits_for: Option<(&'static str, String)>,
}

impl Settled {
    /// A change not written: the server refused it, or it was held back
    /// (see [`Cache::unfit_value`]); the local version is kept with the reason.
    fn refused(p: Pending, central: Option<Row>, rejection: Rejection) -> Self {
        Settled { spec: p.spec, row_id: p.row_id, last_op_id: p.last_op_id, central, sent: None, rejection: Some(rejection) }
    }
}

/// Pushes the whole outbox. Changes waiting for a row the server now has
/// (see [`Cache::requeue_waiting`]) are queued first, and once more at the end
/// for those whose row went in a later batch of this push.
///
/// When the server shows this data folder is not the one that sent this
/// device id's earlier changes, the folder takes a new identity
/// ([`Cache::renew_device`]) and pushes its whole outbox under it: nothing is
/// taken as already sent, and the merge keeps what the server has.
pub async fn push(
    cache: &mut Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    device: &DeviceIdentity,
    cancel: &Cancel,
) -> Result<PushReport> {
    let mut report = PushReport::default();
    let mut device = device.clone();
    report.held = cache.hold_local_mass_deletions()?;
    let unpushable = cache.set_aside_unpushable_ids()?;
    if unpushable > 0 {
        tracing::warn!(rows = unpushable, "set aside local changes whose id cannot be sent (see status)");
        report.rejected += unpushable as u64;
    }
    cache.requeue_waiting()?;
    let mut requeued_at_end = false;
    while !cancel.is_cancelled() {
        let entries = cache.outbox(PUSH_BATCH)?;
        let Some(max_op_id) = entries.last().map(|e| e.op_id) else {
            if !requeued_at_end && report.waiting > 0 {
                requeued_at_end = true;
                if cache.requeue_waiting()? > 0 {
                    continue;
                }
            }
            break;
        };
        if let Some(reason) = push_batch(cache, conn, target, &device, &entries, max_op_id, &mut report).await? {
            if report.identity_renewed.is_some() {
                // A fresh id the server already disowns: not a restore, a bug.
                return Err(crate::error::Error::Postgres {
                    context: "pushing under a new device id".into(),
                    detail: reason,
                    source: None,
                });
            }
            device = cache.renew_device(&reason)?;
            report.identity_renewed = Some(reason);
        }
    }
    Ok(report)
}

async fn push_batch(
    cache: &mut Cache,
    conn: &mut PgConnection,
    target: &ServerTarget,
    device: &DeviceIdentity,
    entries: &[OutboxEntry],
    max_op_id: i64,
    report: &mut PushReport,
) -> Result<Option<String>> {
    let pending = fold(entries);
    let settled_here = cache.settled_op_id()?;
    let me = device.id.to_string();
    let mut last_clock = cache.state(LAST_CLOCK)?.as_deref().and_then(Hlc::parse);
    let classify = |e: sqlx::Error| target.classify(e);

    let mut tx = conn.begin().await.map_err(classify)?;
    sqlx::query("SELECT set_config('noesis.device_id', $1, true)").bind(&me).execute(&mut *tx).await.map_err(classify)?;
    let (applied_up_to, settled_there): (i64, i64) = sqlx::query_as(
        "INSERT INTO noesis_sync.devices (device_id, name, protocol_version) VALUES ($1, $2, $3)
         ON CONFLICT (device_id) DO UPDATE SET name = EXCLUDED.name, protocol_version = EXCLUDED.protocol_version, last_seen = now()
         RETURNING last_op_id, settled_op_id",
    )
    .bind(&me)
    .bind(&device.name)
    .bind(central::PROTOCOL_VERSION as i32)
    .fetch_one(&mut *tx)
    .await
    .map_err(classify)?;
    if settled_here < settled_there {
        return Ok(Some(format!(
            "this data folder has settled this device's changes up to #{settled_here}, the server had its word for #{settled_there}: {}",
            receipts::NOT_THE_SENDER
        )));
    }
    let seen: Vec<i64> = entries.iter().filter(|e| e.op_id <= applied_up_to).map(|e| e.op_id).collect();
    let sent_before = match receipts::standing(entries, applied_up_to, &receipts::fetch(&mut tx, &me, &seen).await.map_err(classify)?) {
        Standing::Applied(sent) => sent,
        Standing::NotThisFolder(reason) => return Ok(Some(reason)),
    };
    receipts::confirm_settled(&mut tx, &me, settled_here).await.map_err(classify)?;
    // A row with a newer edit than the one whose answer was lost: that edit
    // was made on the version then sent, not on the shadow copy from before,
    // so the sent version is the base its merge starts from (else whatever
    // others changed in between, a tag they removed, reads as this device's).
    let mut sent_base: HashMap<(&str, &str), &Option<Row>> = HashMap::new();
    for e in entries {
        if let Some(version) = sent_before.get(&e.op_id) {
            sent_base.insert((e.table_name.as_str(), e.row_id.as_str()), version);
        }
    }

    let mut settled = Vec::with_capacity(pending.len());
    for p in pending {
        let remote = match central::fetch_row_for_update(&mut tx, p.spec, &p.row_id).await {
            Ok(remote) => remote,
            Err(e) => match central::unreadable_value(&e) {
                // The server's version cannot be read here: this change waits,
                // kept with the reason, and the rest of the batch goes on.
                Some(reason) => {
                    report.rejected += 1;
                    let local = cache.read_row(p.spec, &p.row_id)?;
                    let reason = format!(
                        "the server's version of this row cannot be merged: {reason}; correct it on the server, then edit the row here"
                    );
                    settled.push(Settled::refused(p, None, Rejection { reason, local, waits_for: None }));
                    continue;
                }
                None => return Err(classify(e)),
            },
        };
        if let Some(sent) = sent_before.get(&p.last_op_id) {
            // Sent before, answer lost: the server has it (or its merge), and
            // the receipt says what was sent, for a newer edit's next merge.
            report.acknowledged += 1;
            let sent = Some(sent.clone());
            settled.push(Settled { spec: p.spec, row_id: p.row_id, last_op_id: p.last_op_id, central: remote, sent, rejection: None });
            continue;
        }
        let local = cache.read_row(p.spec, &p.row_id)?;
        let unfit = if local.is_some() { cache.unfit_value(p.spec, &p.row_id)? } else { None };
        if let Some(reason) = unfit {
            report.rejected += 1;
            // Logs name tables, ids and columns, never values: the reason
            // (which quotes the value) is kept in sync_rejected for `status`.
            tracing::warn!(table = p.spec.name, id = %p.row_id.escape_debug(), "a local change was held back (see `noesis-sync status`)");
            settled.push(Settled::refused(p, remote, Rejection { reason, local, waits_for: None }));
            continue;
        }
        let base = match sent_base.get(&(p.spec.name, p.row_id.as_str())) {
            Some(sent) => (*sent).clone(),
            None => cache.shadow(p.spec, &p.row_id)?,
        };
        let remote_clock = central::last_clock(&mut tx, p.spec, &p.row_id).await.map_err(classify)?;
        let local_clock = Hlc::next_after(last_clock.as_ref(), p.changed_at_millis, &me);
        last_clock = Some(local_clock.clone());
        // This device's own edit time of each field, sent with the row so the
        // server keeps each field's clock; the server's, only when both sides
        // changed the row (the merge then compares field by field).
        let local_fields = cache.field_edit_clocks(p.spec, &p.row_id, &me)?;
        let both_changed = local.is_some() && remote.is_some() && base != local && base != remote && local != remote;
        let remote_fields =
            if both_changed { Some(central::field_clocks(&mut tx, p.spec, &p.row_id).await.map_err(classify)?) } else { None };
        let outcome = merge(
            p.spec,
            Versions {
                base: base.as_ref(),
                local: local.as_ref(),
                remote: remote.as_ref(),
                local_clock: &local_clock,
                remote_clock: &remote_clock,
                local_fields: Some(&local_fields),
                remote_fields: remote_fields.as_ref(),
            },
        );
        let written = write(&mut tx, p.spec, &p.row_id, &outcome, remote.as_ref(), p.last_op_id, &local_clock, &local_fields).await;
        match written {
            Ok(true) => {
                report.written += 1;
                if remote != base {
                    report.merged += 1;
                }
            }
            Ok(false) => {}
            Err(e) => {
                let rejection = match judge(&e) {
                    // The server could not take it now; nothing of this batch is kept.
                    WriteFailure::Transient => return Err(target.classify(e)),
                    WriteFailure::WaitsForReference => {
                        report.waiting += 1;
                        let waits_for = missing_reference(p.spec, local.as_ref());
                        let reason = match &waits_for {
                            Some((table, id)) => format!(
                                "waits for {table} row \"{id}\", which the server does not have yet; it is sent once that row is there"
                            ),
                            None => target.classify(e).to_string(),
                        };
                        tracing::info!(table = p.spec.name, id = %p.row_id.escape_debug(), waits_for = ?waits_for, "a local change waits for a row it names");
                        Rejection { reason, local, waits_for }
                    }
                    WriteFailure::Refused => {
                        report.rejected += 1;
                        let code = e.as_database_error().and_then(|d| d.code()).map(|c| c.to_string()).unwrap_or_default();
                        let reason = target.classify(e).to_string();
                        tracing::warn!(table = p.spec.name, id = %p.row_id.escape_debug(), sqlstate = %code, "the server refused a local change (see `noesis-sync status`)");
                        Rejection { reason, local, waits_for: None }
                    }
                };
                settled.push(Settled::refused(p, remote, rejection));
                continue;
            }
        }
        if let Some(conflict) = &outcome.conflict {
            report.conflicts += 1;
            record_conflict(&mut tx, p.spec, &p.row_id, base.as_ref(), &outcome, conflict, &me, &remote_clock.device)
                .await
                .map_err(classify)?;
        }
        settled.push(Settled {
            spec: p.spec,
            row_id: p.row_id,
            last_op_id: p.last_op_id,
            central: outcome.row,
            sent: Some(local),
            rejection: None,
        });
    }
    let sent_now: HashMap<(&str, &str), Option<&Row>> = settled
        .iter()
        .filter(|s| s.rejection.is_none() && !sent_before.contains_key(&s.last_op_id))
        .filter_map(|s| Some(((s.spec.name, s.row_id.as_str()), s.sent.as_ref()?.as_ref())))
        .collect();
    let ops: Vec<receipts::Sent<'_>> = entries
        .iter()
        .filter(|e| !sent_before.contains_key(&e.op_id))
        .map(|e| {
            let last = settled.iter().any(|s| s.last_op_id == e.op_id);
            let version = if last { sent_now.get(&(e.table_name.as_str(), e.row_id.as_str())).copied() } else { None };
            receipts::Sent { entry: e, version }
        })
        .collect();
    receipts::record(&mut tx, &me, &ops).await.map_err(classify)?;
    sqlx::query("UPDATE noesis_sync.devices SET last_op_id = GREATEST(last_op_id, $2), last_seen = now() WHERE device_id = $1")
        .bind(&me)
        .bind(max_op_id)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
    tx.commit().await.map_err(classify)?;

    let clock_text = last_clock.map(|c| c.to_string());
    cache.without_capture(|tx| {
        for s in &settled {
            let newer_edit: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM sync_outbox WHERE table_name = ?1 AND row_id = ?2 AND op_id > ?3)")?
                .query_row(rusqlite::params![s.spec.name, s.row_id, max_op_id], |r| r.get(0))?;
            if let Some(rejection) = &s.rejection {
                let data = rejection.local.as_ref().map(|r| crate::canonical::to_text(&serde_json::Value::Object(r.clone())));
                let (waits_table, waits_row) = match &rejection.waits_for {
                    Some((table, id)) => (Some(*table), Some(id.as_str())),
                    None => (None, None),
                };
                tx.prepare_cached(
                    "INSERT INTO sync_rejected (table_name, row_id, op_id, reason, data, waits_for_table, waits_for_row)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (table_name, row_id) DO UPDATE SET op_id = excluded.op_id, reason = excluded.reason,
                         data = excluded.data, waits_for_table = excluded.waits_for_table,
                         waits_for_row = excluded.waits_for_row, rejected_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                )?
                .execute(rusqlite::params![
                    s.spec.name,
                    s.row_id,
                    s.last_op_id,
                    rejection.reason,
                    data,
                    waits_table,
                    waits_row
                ])?;
                continue;
            }
            tx.prepare_cached("DELETE FROM sync_rejected WHERE table_name = ?1 AND row_id = ?2")?.execute([s.spec.name, &s.row_id])?;
            // A row whose deletion was held, edited here and pushed back.
            cache::release_held_deletion(tx, s.spec.name, &s.row_id)?;
            // A newer local edit made during the push stays; it goes next
            // batch, merged against the version it was made on.
            let shadow = match (&s.sent, newer_edit) {
                (Some(sent), true) => sent.as_ref(),
                _ => s.central.as_ref(),
            };
            cache::write_shadow(tx, s.spec, &s.row_id, shadow)?;
            cache::note_central(tx, s.spec.name, &s.row_id, cache::central_reason(s.spec, s.central.as_ref()).as_deref())?;
            if !newer_edit {
                cache::forget_field_edits(tx, s.spec.name, &s.row_id)?;
                match &s.central {
                    Some(row) => cache::write_row(tx, s.spec, row)?,
                    None => cache::delete_row(tx, s.spec, &s.row_id)?,
                }
            }
        }
        tx.execute("DELETE FROM sync_outbox WHERE op_id <= ?1", [max_op_id])?;
        cache::write_state(tx, cache::SETTLED_OP_ID, &max_op_id.to_string())?;
        if let Some(clock) = &clock_text {
            cache::write_state(tx, LAST_CLOCK, clock)?;
        }
        Ok(())
    })?;
    Ok(None)
}

/// `sync_state` key of the last clock this device issued.
const LAST_CLOCK: &str = "last_clock";

/// The first row `local` names that the server lacks, as (table, id): the
/// reason a foreign-key refusal gives, and what the change waits for.
fn missing_reference(spec: &TableSpec, local: Option<&Row>) -> Option<(&'static str, String)> {
    let local = local?;
    spec.references().find_map(|(column, table)| local.get(column)?.as_str().map(|id| (table, id.to_string())))
}
