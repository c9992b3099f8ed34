//! The mind file in the local cache: entries grouped by category, each linked to
//! the memory card it was distilled from, and the user's note on an entry.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::memory_cards::FacetCount;
use super::Cache;
use crate::error::Result;
use crate::timestamp;

/// The most entries one category shows: the mind file is a curated digest,
/// typically tens to hundreds of entries.
const MAX_ENTRIES: u32 = 5000;

/// A mind-file entry, with the text of its source card when that card is here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MindfileEntry {
    /// Key.
    pub id: String,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// ISO-8601 UTC.
    pub updated_at: String,
    /// Category (`identity`, `preferences`…).
    pub category: String,
    /// The entry.
    pub text: String,
    /// The memory card it came from.
    pub source_memory_card_id: String,
    /// That card's text; `None` when the card is not in this cache (deleted, or
    /// not synced yet).
    pub source_card_text: Option<String>,
    /// The user's note.
    pub note: String,
}

const SELECT: &str = "SELECT m.id, m.created_at, m.updated_at, m.category, m.text, m.source_memory_card_id, \
                             c.text, coalesce(m.note, '') \
                      FROM mindfile_entries m LEFT JOIN memory_cards c ON c.id = m.source_memory_card_id";

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<MindfileEntry> {
    Ok(MindfileEntry {
        id: r.get(0)?,
        created_at: r.get(1)?,
        updated_at: r.get(2)?,
        category: r.get(3)?,
        text: r.get(4)?,
        source_memory_card_id: r.get(5)?,
        source_card_text: r.get(6)?,
        note: r.get(7)?,
    })
}

impl Cache {
    /// The categories of the mind file with their entry counts, alphabetically.
    pub fn mindfile_categories(&self) -> Result<Vec<FacetCount>> {
        let context = "listing mind-file categories";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT category, count(*) FROM mindfile_entries GROUP BY category ORDER BY category")
            .map_err(|e| self.error(context, e))?;
        let categories = stmt
            .query_map([], |r| Ok(FacetCount { value: r.get(0)?, count: r.get(1)? }))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(context, e))?;
        Ok(categories)
    }

    /// Entries of one category (all when `None`), by category then most recent.
    pub fn mindfile_entries(&self, category: Option<&str>) -> Result<Vec<MindfileEntry>> {
        let context = "listing mind-file entries";
        let sql = format!("{SELECT} WHERE (?1 IS NULL OR m.category = ?1) ORDER BY m.category, m.updated_at DESC, m.id LIMIT ?2");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.error(context, e))?;
        let entries = stmt
            .query_map(params![category, MAX_ENTRIES], entry)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(context, e))?;
        Ok(entries)
    }

    /// One entry.
    pub fn mindfile_entry(&self, id: &str) -> Result<Option<MindfileEntry>> {
        self.conn
            .query_row(&format!("{SELECT} WHERE m.id = ?1"), [id], entry)
            .optional()
            .map_err(|e| self.error("reading a mind-file entry", e))
    }

    /// Adds an approved card to the mind file, as the Noesis server does:
    /// the card's category and text, `source_memory_card_id` set to it. The
    /// server makes entries only from approved cards, so another card is
    /// refused with why; `None` if the card no longer exists. A card already
    /// in the mind file gives its existing entry (never two of one card).
    pub fn add_card_to_mindfile(&self, card_id: &str) -> Result<Option<MindfileEntry>> {
        let Some(card) = self.card(card_id)? else { return Ok(None) };
        if card.approval != super::memory_cards::Approval::Approved.as_str() {
            return Err(crate::error::Error::Invalid {
                detail: format!("Only an approved card goes into the mind file; this one is {}: approve it first.", card.approval),
            });
        }
        let existing: Option<String> = self
            .conn
            .query_row("SELECT id FROM mindfile_entries WHERE source_memory_card_id = ?1 LIMIT 1", [card_id], |r| r.get(0))
            .optional()
            .map_err(|e| self.error("reading the mind file", e))?;
        if let Some(id) = existing {
            return self.mindfile_entry(&id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = timestamp::now();
        self.conn
            .execute(
                "INSERT INTO mindfile_entries (id, created_at, updated_at, category, text, source_memory_card_id, note)
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5, NULL)",
                params![id, now, card.category, card.text, card.id],
            )
            .map_err(|e| self.error("adding to the mind file", e))?;
        self.mindfile_entry(&id)
    }

    /// Sets the user's note on an entry; `None` if it no longer exists.
    pub fn set_mindfile_note(&self, id: &str, note: &str) -> Result<Option<MindfileEntry>> {
        self.conn
            .execute("UPDATE mindfile_entries SET note = ?2, updated_at = ?3 WHERE id = ?1", params![id, note.trim(), timestamp::now()])
            .map_err(|e| self.error("editing a mind-file note", e))?;
        self.mindfile_entry(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_approved_card_is_added_to_the_mind_file_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let draft =
            crate::cache::CardDraft { category: "principles_values".into(), scope: "global".into(), text: "Allergic to penicillin".into() };
        let card = cache.create_card(&draft).unwrap();
        let refused = cache.add_card_to_mindfile(&card.id).unwrap_err();
        assert!(refused.to_string().contains("approve it first"), "{refused}");
        cache.set_card_approval(&card.id, crate::cache::Approval::Approved).unwrap();
        let entry = cache.add_card_to_mindfile(&card.id).unwrap().unwrap();
        assert_eq!(
            (entry.category.as_str(), entry.text.as_str(), entry.source_memory_card_id.as_str()),
            ("principles_values", "Allergic to penicillin", card.id.as_str())
        );
        assert_eq!(cache.add_card_to_mindfile(&card.id).unwrap().unwrap().id, entry.id, "a second add gives the same entry");
        assert_eq!(cache.add_card_to_mindfile("no-such-card").unwrap(), None);
    }

    #[test]
    fn entries_group_by_category_link_their_card_and_take_notes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let conn = cache.connection();
        conn.execute(
            "INSERT INTO memory_cards (id, created_at, category, scope, text, approval) VALUES ('card', '2024-01-01T00:00:00.000000Z', 'fact', 'global', 'Likes green tea', 'approved')",
            [],
        )
        .unwrap();
        let insert = "INSERT INTO mindfile_entries (id, created_at, updated_at, category, text, source_memory_card_id) VALUES (?1, '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z', ?2, ?3, ?4)";
        conn.execute(insert, params!["e1", "preferences", "Drinks green tea", "card"]).unwrap();
        conn.execute(insert, params!["e2", "identity", "Lives in Lyon", "gone"]).unwrap();

        let categories = cache.mindfile_categories().unwrap();
        assert_eq!(categories.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(), ["identity", "preferences"]);
        let prefs = cache.mindfile_entries(Some("preferences")).unwrap();
        assert_eq!(prefs.len(), 1);
        assert_eq!(prefs[0].source_card_text.as_deref(), Some("Likes green tea"), "the source card is linked");
        let all = cache.mindfile_entries(None).unwrap();
        assert_eq!(all[0].source_card_text, None, "a missing source card shows as missing, not as an error");

        let noted = cache.set_mindfile_note("e1", " ask about matcha ").unwrap().unwrap();
        assert_eq!(noted.note, "ask about matcha");
        assert_eq!(cache.outbox(10).unwrap().last().unwrap().row_id, "e1", "the note waits to sync");
        assert_eq!(cache.set_mindfile_note("nope", "x").unwrap(), None);
    }
}
