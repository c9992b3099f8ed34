//! A conflict as one device sees it: "mine" (the version this device wrote)
//! and "theirs" (the other), field by field, and which recorded version each
//! choice keeps. The app's conflict centre shows it; the rule is here so the
//! app and the CLI read a conflict alike.

use serde::{Deserialize, Serialize};

use super::conflicts::{field_sides, ConflictRecord, Keep};

/// One column of a conflicted row. Values are JSON text (`"\"a card\""`,
/// `null`, `{}`), so every column type crosses IPC alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConflictField {
    /// The column.
    pub field: String,
    /// Its value in this device's version (or the kept one, see `involves_me`).
    pub mine: String,
    /// Its value in the other version.
    pub theirs: String,
    /// Whether the two differ.
    pub differs: bool,
}

/// A conflict as the conflict centre shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConflictView {
    /// Its id, to resolve it.
    pub id: String,
    /// The table (`memory_cards`…).
    pub table: String,
    /// The row's key.
    pub row_id: String,
    /// `concurrent_edit` or `edit_vs_delete`.
    pub reason: String,
    /// When sync recorded it (ISO-8601 UTC).
    pub created_at: String,
    /// Whether this device wrote one of the versions. When not (two other
    /// devices), "mine" is the version in place and "theirs" the one set aside.
    pub involves_me: bool,
    /// Whether "mine" is the version sync kept.
    pub mine_is_winning: bool,
    /// The device that wrote "theirs" ("" for another program, such as psql or the server).
    pub their_device: String,
    /// "Mine" is a deletion.
    pub mine_deleted: bool,
    /// "Theirs" is a deletion.
    pub theirs_deleted: bool,
    /// Every column, both sides.
    pub fields: Vec<ConflictField>,
}

/// Which whole version to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum KeepVersion {
    /// This device's version (see [`ConflictView::involves_me`]).
    Mine,
    /// The other version.
    Theirs,
}

impl KeepVersion {
    /// The recorded version this choice keeps, as device `me` sees `record`
    /// (`None`, a conflict no longer open: "mine" is then the version in place).
    pub fn as_keep(self, record: Option<&ConflictRecord>, me: &str) -> Keep {
        // Not involving this device, "mine" is the version in place.
        let involves_me = record.is_some_and(|r| r.winning_device == me || r.losing_device == me);
        match (self, involves_me) {
            (KeepVersion::Mine, true) => Keep::Local,
            (KeepVersion::Theirs, true) => Keep::Remote,
            (KeepVersion::Mine, false) => Keep::Winning,
            (KeepVersion::Theirs, false) => Keep::Losing,
        }
    }
}

impl ConflictView {
    /// `record` as device `me` sees it: its own version is "mine" when it
    /// wrote one; otherwise "mine" is the version in place.
    pub fn of(record: &ConflictRecord, me: &str) -> ConflictView {
        let involves_me = record.winning_device == me || record.losing_device == me;
        let mine_is_winning = record.losing_device != me;
        let text = |v: &serde_json::Value| v.to_string();
        ConflictView {
            id: record.id.to_string(),
            table: record.table.clone(),
            row_id: record.row_id.clone(),
            reason: record.reason.clone(),
            created_at: record.created_at.to_rfc3339(),
            involves_me,
            mine_is_winning,
            their_device: if mine_is_winning { record.losing_device.clone() } else { record.winning_device.clone() },
            mine_deleted: if mine_is_winning { record.winning.is_none() } else { record.losing.is_none() },
            theirs_deleted: if mine_is_winning { record.losing.is_none() } else { record.winning.is_none() },
            fields: field_sides(record)
                .iter()
                .map(|f| {
                    let (mine, theirs) = if mine_is_winning { (&f.winning, &f.losing) } else { (&f.losing, &f.winning) };
                    ConflictField { field: f.field.clone(), mine: text(mine), theirs: text(theirs), differs: f.differs }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(winning_device: &str, losing_device: &str) -> ConflictRecord {
        ConflictRecord {
            id: uuid::Uuid::nil(),
            table: "memory_cards".into(),
            row_id: "c1".into(),
            reason: "concurrent_edit".into(),
            winning: Some(serde_json::json!({"id": "c1", "text": "kept"})),
            losing: Some(serde_json::json!({"id": "c1", "text": "set aside"})),
            winning_device: winning_device.into(),
            losing_device: losing_device.into(),
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn my_version_is_mine_whether_it_won_or_lost() {
        let lost = ConflictView::of(&record("laptop", "me"), "me");
        assert!(lost.involves_me && !lost.mine_is_winning && lost.their_device == "laptop");
        let text = lost.fields.iter().find(|f| f.field == "text").unwrap();
        assert_eq!((text.mine.as_str(), text.theirs.as_str()), ("\"set aside\"", "\"kept\""));
        assert_eq!(KeepVersion::Mine.as_keep(Some(&record("laptop", "me")), "me"), Keep::Local);

        let won = ConflictView::of(&record("me", ""), "me");
        assert!(won.mine_is_winning && won.their_device.is_empty(), "the other side was psql or the server");
    }

    #[test]
    fn between_two_other_devices_mine_is_the_version_in_place() {
        let others = record("laptop", "studio");
        let view = ConflictView::of(&others, "me");
        assert!(!view.involves_me && view.mine_is_winning);
        assert_eq!(KeepVersion::Mine.as_keep(Some(&others), "me"), Keep::Winning);
        assert_eq!(KeepVersion::Theirs.as_keep(Some(&others), "me"), Keep::Losing);
        assert_eq!(KeepVersion::Theirs.as_keep(None, "me"), Keep::Losing);
    }
}
