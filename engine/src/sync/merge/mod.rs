//! Deciding what a row becomes when this device's version and the server's may
//! both have changed since the version both last agreed on (the shadow copy).
//! Pure functions: rows in, row and conflict out, no I/O.
//!
//! Vocabulary:
//!   base    the shadow copy, `None` when this device never synced the row.
//!   local   this device's row, `None` when deleted here.
//!   remote  the server's row, `None` when absent there (deleted or never there).
//!   clock   the hybrid logical clock of each side's last edit; the later wins.

pub mod policy;

use super::hlc::Hlc;
use crate::tables::TableSpec;

pub use crate::canonical::Row;
pub use crate::hlc::FieldClocks;

/// Which side a version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// This device.
    Local,
    /// The server (another device or program).
    Remote,
}

/// Why a conflict was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictReason {
    /// The same field changed on both sides to different values.
    ConcurrentEdit,
    /// One side edited the row, the other deleted it; the edit won.
    EditVersusDelete,
}

impl ConflictReason {
    /// The value stored in `noesis_sync.conflicts.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictReason::ConcurrentEdit => "concurrent_edit",
            ConflictReason::EditVersusDelete => "edit_vs_delete",
        }
    }
}

/// A losing version kept so the user can restore it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Why.
    pub reason: ConflictReason,
    /// Whose version lost.
    pub loser: Side,
    /// The losing version (`None`: the losing side had deleted the row).
    pub losing: Option<Row>,
    /// The fields that were decided by the clock.
    pub fields: Vec<String>,
}

/// What the row becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The merged row; `None` when it ends deleted.
    pub row: Option<Row>,
    /// The losing version, when something had to lose.
    pub conflict: Option<Conflict>,
}

/// One row's versions and clocks.
#[derive(Debug, Clone, Copy)]
pub struct Versions<'a> {
    /// The shadow copy.
    pub base: Option<&'a Row>,
    /// This device's version.
    pub local: Option<&'a Row>,
    /// The server's version.
    pub remote: Option<&'a Row>,
    /// Clock of this device's edit.
    pub local_clock: &'a Hlc,
    /// Clock of the server version's last edit.
    pub remote_clock: &'a Hlc,
    /// Clocks of this device's edits of single fields (see [`FieldClocks`]).
    pub local_fields: Option<&'a FieldClocks>,
    /// Clocks of the server's edits of single fields.
    pub remote_fields: Option<&'a FieldClocks>,
}

impl Versions<'_> {
    /// The side whose edit is later.
    pub fn later(&self) -> Side {
        if self.local_clock > self.remote_clock {
            Side::Local
        } else {
            Side::Remote
        }
    }

    /// The side whose edit of `field` is later: each side's clock of that
    /// field's own edit, or its row clock when it has none.
    pub fn later_for(&self, field: &str) -> Side {
        let local = self.local_fields.and_then(|f| f.get(field)).unwrap_or(self.local_clock);
        let remote = self.remote_fields.and_then(|f| f.get(field)).unwrap_or(self.remote_clock);
        if local > remote {
            Side::Local
        } else {
            Side::Remote
        }
    }
}

/// Merges the versions of one row of `spec`.
pub fn merge(spec: &TableSpec, v: Versions<'_>) -> Outcome {
    let same = |a: Option<&Row>, b: Option<&Row>| a == b;
    if same(v.local, v.remote) {
        return Outcome { row: v.remote.cloned(), conflict: None };
    }
    if same(v.base, v.remote) {
        return Outcome { row: v.local.cloned(), conflict: None };
    }
    if same(v.base, v.local) {
        return Outcome { row: v.remote.cloned(), conflict: None };
    }
    match (v.local, v.remote) {
        (Some(local), Some(remote)) => policy::for_table(spec).merge(spec, v.base, local, remote, &v),
        // Edit against delete: the edit wins, nothing typed is lost.
        (Some(local), None) => Outcome {
            row: Some(local.clone()),
            conflict: v.base.map(|_| Conflict {
                reason: ConflictReason::EditVersusDelete,
                loser: Side::Remote,
                losing: None,
                fields: Vec::new(),
            }),
        },
        (None, Some(remote)) => Outcome {
            row: Some(remote.clone()),
            conflict: Some(Conflict { reason: ConflictReason::EditVersusDelete, loser: Side::Local, losing: None, fields: Vec::new() }),
        },
        (None, None) => Outcome { row: None, conflict: None },
    }
}
