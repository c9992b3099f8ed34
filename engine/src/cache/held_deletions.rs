//! The mass-deletion guard: deletions that would empty most of a table on
//! this device are held, not applied, until the user decides.
//!
//! A `DELETE FROM memory_cards` run by mistake on the server, a TRUNCATE, a
//! restore of an empty database, or a script that empties the local cache
//! would otherwise spread to every copy within a second. So a pull or a push
//! that would delete more than half of a table's rows here, and more than
//! [`MASS_DELETE_MIN`], holds all of that table's deletions in
//! `sync_held_deletions` (see `migrations/0007_held_deletions.sql`) and goes on
//! with everything else. Nothing is lost while they wait: a row the server
//! deleted stays here; a row deleted here stays on the server and in this
//! device's shadow copy. [`Cache::resolve_held_deletions`] then deletes them
//! everywhere, or keeps them everywhere.

use rusqlite::{params, Connection, OptionalExtension};

use super::Cache;
use crate::error::Result;
use crate::tables::{self, TableSpec};

/// Deletions at or below this count never trip the guard: tidying up a few
/// dozen rows is ordinary.
pub const MASS_DELETE_MIN: u64 = 50;

/// Whether deleting `deletions` of the `rows` a table has here is a mass
/// deletion: more than [`MASS_DELETE_MIN`] and more than half.
pub fn is_mass_deletion(deletions: u64, rows: u64) -> bool {
    deletions > MASS_DELETE_MIN && deletions * 2 > rows
}

/// Which side deleted the held rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldDirection {
    /// The server deleted them; this device still has them.
    Pull,
    /// This device deleted them; the server still has them.
    Push,
}

impl HeldDirection {
    fn as_str(self) -> &'static str {
        match self {
            HeldDirection::Pull => "pull",
            HeldDirection::Push => "push",
        }
    }
}

/// The held deletions of one table and direction, for `status` and the app.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeldDeletions {
    /// The table.
    pub table_name: String,
    /// Who deleted them.
    pub direction: HeldDirection,
    /// How many rows.
    pub rows: u64,
    /// A few of their keys, to recognise what would go.
    pub sample: Vec<String>,
}

/// What the user decided about held deletions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldDecision {
    /// Delete them here and on the server.
    Delete,
    /// Keep them: a row the server deleted is pushed back to it; a row
    /// deleted here is put back from the server's version.
    Keep,
}

/// `sync_state` key: local deletions up to this op id were allowed by the
/// user, so the push guard does not hold them again.
const ALLOWED_UP_TO: &str = "mass_delete_allowed_up_to";

/// How many keys [`HeldDeletions::sample`] lists.
const SAMPLE: usize = 5;

impl Cache {
    /// The deletions held back, by table and direction.
    pub fn held_deletions(&self) -> Result<Vec<HeldDeletions>> {
        let read = || -> rusqlite::Result<Vec<HeldDeletions>> {
            let mut groups: Vec<HeldDeletions> = self
                .conn
                .prepare("SELECT table_name, direction, count(*) FROM sync_held_deletions GROUP BY table_name, direction ORDER BY table_name, direction")?
                .query_map([], |r| {
                    let direction = if r.get::<_, String>(1)? == "push" { HeldDirection::Push } else { HeldDirection::Pull };
                    Ok(HeldDeletions { table_name: r.get(0)?, direction, rows: r.get::<_, i64>(2)? as u64, sample: Vec::new() })
                })?
                .collect::<rusqlite::Result<_>>()?;
            for g in &mut groups {
                g.sample = self
                    .conn
                    .prepare("SELECT row_id FROM sync_held_deletions WHERE table_name = ?1 AND direction = ?2 ORDER BY row_id LIMIT ?3")?
                    .query_map(params![g.table_name, g.direction.as_str(), SAMPLE as i64], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
            }
            Ok(groups)
        };
        read().map_err(|e| self.error("reading held deletions", e))
    }

    /// Carries out the user's decision on the held deletions of `table` (all
    /// tables with `None`); the next sync sends what it queues. Returns the
    /// number of rows decided. Deleting also allows this device's other
    /// pending deletions, so a push does not hold them again.
    pub fn resolve_held_deletions(&mut self, table: Option<&str>, decision: HeldDecision) -> Result<u64> {
        self.without_capture(|tx| {
            let held: Vec<(String, String, String)> = tx
                .prepare("SELECT table_name, row_id, direction FROM sync_held_deletions WHERE ?1 IS NULL OR table_name = ?1")?
                .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (name, id, direction) in &held {
                let Some(spec) = tables::by_name(name) else { continue };
                resolve_one(tx, spec, id, direction == "push", decision)?;
            }
            tx.execute("DELETE FROM sync_held_deletions WHERE ?1 IS NULL OR table_name = ?1", [table])?;
            if decision == HeldDecision::Delete {
                allow_pending_deletions(tx)?;
            }
            Ok(held.len() as u64)
        })
    }

    /// Allows the deletions now waiting in the outbox past the push guard
    /// (`sync --allow-mass-delete` before any sync held them).
    pub fn allow_pending_deletions(&mut self) -> Result<()> {
        self.without_capture(|tx| allow_pending_deletions(tx))
    }

    /// Holds this device's mass deletions before a push: for each table where
    /// the outbox would delete a mass of the rows the server has, the delete
    /// entries leave the outbox for `sync_held_deletions`. Returns how many.
    pub(crate) fn hold_local_mass_deletions(&mut self) -> Result<u64> {
        self.without_capture(|tx| {
            let allowed: i64 = allowed_up_to(tx)?;
            let mut held = 0;
            for spec in tables::EDITABLE {
                let gone: Vec<String> = tx
                    .prepare_cached(&format!(
                        "SELECT o.row_id FROM sync_outbox o
                         WHERE o.table_name = ?1 AND o.op = 'D' AND o.op_id > ?2
                           AND o.op_id = (SELECT max(op_id) FROM sync_outbox l WHERE l.table_name = o.table_name AND l.row_id = o.row_id)
                           AND EXISTS (SELECT 1 FROM sync_shadow s WHERE s.table_name = o.table_name AND s.row_id = o.row_id)
                           AND NOT EXISTS (SELECT 1 FROM {} t WHERE t.{} = o.row_id)",
                        spec.name, spec.key
                    ))?
                    .query_map(params![spec.name, allowed], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                if gone.is_empty() {
                    continue;
                }
                let remaining: i64 = tx.query_row(&format!("SELECT count(*) FROM {}", spec.name), [], |r| r.get(0))?;
                if !is_mass_deletion(gone.len() as u64, remaining as u64 + gone.len() as u64) {
                    continue;
                }
                for id in &gone {
                    hold(tx, spec.name, id, HeldDirection::Push)?;
                    tx.prepare_cached("DELETE FROM sync_outbox WHERE table_name = ?1 AND row_id = ?2")?
                        .execute([spec.name, id.as_str()])?;
                }
                tracing::warn!(table = spec.name, rows = gone.len(), "held back a mass deletion made on this device");
                held += gone.len() as u64;
            }
            Ok(held)
        })
    }
}

/// Whether any deletion is held (the pull skips its bookkeeping otherwise).
pub(crate) fn any_held(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM sync_held_deletions)", [], |r| r.get(0))
}

/// Whether this row's deletion is held.
pub(crate) fn is_held(conn: &Connection, table: &str, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM sync_held_deletions WHERE table_name = ?1 AND row_id = ?2)")?
        .query_row([table, id], |r| r.get(0))
}

/// Holds one row's deletion.
pub(crate) fn hold(conn: &Connection, table: &str, id: &str, direction: HeldDirection) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO sync_held_deletions (table_name, row_id, direction) VALUES (?1, ?2, ?3)")?.execute([
        table,
        id,
        direction.as_str(),
    ])?;
    Ok(())
}

/// Forgets a held deletion the row has outlived (the server wrote it again,
/// or an edit here was pushed).
pub(crate) fn release(conn: &Connection, table: &str, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sync_held_deletions WHERE table_name = ?1 AND row_id = ?2")?.execute([table, id])?;
    Ok(())
}

fn allowed_up_to(conn: &Connection) -> rusqlite::Result<i64> {
    let text: Option<String> = conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [ALLOWED_UP_TO], |r| r.get(0)).optional()?;
    Ok(text.and_then(|t| t.parse().ok()).unwrap_or(0))
}

fn allow_pending_deletions(tx: &Connection) -> rusqlite::Result<()> {
    let last: Option<i64> = tx.query_row("SELECT max(op_id) FROM sync_outbox", [], |r| r.get(0))?;
    if let Some(last) = last {
        super::write_state(tx, ALLOWED_UP_TO, &last.max(allowed_up_to(tx)?).to_string())?;
    }
    Ok(())
}

fn queue(tx: &Connection, table: &str, id: &str, op: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO sync_outbox (table_name, row_id, op) VALUES (?1, ?2, ?3)")?.execute([table, id, op])?;
    Ok(())
}

fn resolve_one(tx: &Connection, spec: &TableSpec, id: &str, deleted_here: bool, decision: HeldDecision) -> rusqlite::Result<()> {
    match (deleted_here, decision) {
        // The server deleted it: delete it here too.
        (false, HeldDecision::Delete) => {
            super::delete_row(tx, spec, id)?;
            super::write_shadow(tx, spec, id, None)?;
            super::note_central(tx, spec.name, id, None)?;
        }
        // The server deleted it: send it back as a new row (no shadow copy:
        // the merge then takes it whole instead of agreeing with the delete).
        (false, HeldDecision::Keep) => {
            super::write_shadow(tx, spec, id, None)?;
            let exists: bool =
                tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {} WHERE {} = ?1)", spec.name, spec.key), [id], |r| r.get(0))?;
            if exists {
                queue(tx, spec.name, id, "I")?;
            }
        }
        // Deleted here: send the deletion.
        (true, HeldDecision::Delete) => queue(tx, spec.name, id, "D")?,
        // Deleted here: put back the server's version, as last synced,
        // unless the row was written again meanwhile.
        (true, HeldDecision::Keep) => {
            let exists: bool =
                tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {} WHERE {} = ?1)", spec.name, spec.key), [id], |r| r.get(0))?;
            if !exists {
                if let Some(row) = super::row_io::read_shadow(tx, spec, id)? {
                    super::write_row(tx, spec, &row)?;
                }
            }
        }
    }
    Ok(())
}
