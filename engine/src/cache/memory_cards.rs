//! Memory cards in the local cache: the row type, keyset pages for long lists,
//! filters, full-text search, and the edits a user makes (create, edit,
//! approve / reject, delete). Writes are plain SQL: the capture triggers put
//! each one in the outbox for sync.
//!
//! Vocabulary: a *page* is a run of cards in list order (newest first); its
//! *cursor* is the last card's `(created_at, id)`, from which the next page
//! starts, so reading page 500 costs the same as page 1 (no OFFSET scan).

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Cache;
use crate::error::{Error, Result};
use crate::timestamp;

/// The largest page a caller may ask for: a screenful is ~30 rows, and 500
/// keeps one IPC message well under a megabyte even with long cards.
pub const MAX_PAGE: u32 = 500;

/// A memory card as stored (central columns; `provenance` is JSON text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MemoryCard {
    /// Key (the Python server uses UUIDs, but any text is allowed).
    pub id: String,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// One of the server's `MemoryCategory` values, such as `preferences`.
    pub category: String,
    /// Free text such as `global` or a project name.
    pub scope: String,
    /// What the card says.
    pub text: String,
    /// `pending`, `approved` or `rejected` (other values from older servers are kept).
    pub approval: String,
    /// When it was approved.
    pub approved_at: Option<String>,
    /// When it was rejected.
    pub rejected_at: Option<String>,
    /// Where it came from, as JSON text.
    pub provenance: String,
}

/// Which cards a list shows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only this scope.
    pub scope: Option<String>,
    /// Only this approval state.
    pub approval: Option<String>,
}

/// Where the next page starts: the last card of the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardCursor {
    /// That card's `created_at`.
    pub created_at: String,
    /// That card's id, which breaks ties between cards created in the same microsecond.
    pub id: String,
}

/// One page of a card list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardPage {
    /// The cards, newest first.
    pub cards: Vec<MemoryCard>,
    /// Cursor of the next page; `None` at the end of the list.
    pub next: Option<CardCursor>,
}

/// What a user types into a new or edited card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardDraft {
    /// Category.
    pub category: String,
    /// Scope.
    pub scope: String,
    /// Text.
    pub text: String,
}

/// A user's verdict on a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Not decided (also how new cards start).
    Pending,
    /// Keep: the assistant may use it.
    Approved,
    /// Discard: kept for the record, not used.
    Rejected,
}

impl Approval {
    /// The value stored in `memory_cards.approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Pending => "pending",
            Approval::Approved => "approved",
            Approval::Rejected => "rejected",
        }
    }
}

/// A value of a filterable column and how many cards have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FacetCount {
    /// The value.
    pub value: String,
    /// Cards with it.
    pub count: u32,
}

/// The values the card filters offer, with counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardFacets {
    /// Categories.
    pub categories: Vec<FacetCount>,
    /// Scopes.
    pub scopes: Vec<FacetCount>,
    /// Approval states.
    pub approvals: Vec<FacetCount>,
}

const COLUMNS: &str = "id, created_at, category, scope, text, approval, approved_at, rejected_at, provenance";

/// Refuses a draft the Noesis server could not read back (a category or
/// scope outside its enums, empty text), naming the field and what is
/// allowed, so a form never writes a card that would stop the server.
fn check_draft(draft: &CardDraft) -> Result<()> {
    let spec = crate::tables::by_name("memory_cards").expect("memory_cards is a synced table");
    let problems: Vec<String> = [("category", &draft.category), ("scope", &draft.scope), ("text", &draft.text)]
        .into_iter()
        .filter_map(|(name, value)| {
            let column = spec.column(name).expect("memory_cards declares the draft's columns");
            column.breach(&serde_json::Value::String(value.trim().to_string())).map(|p| format!("{name} {p}"))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid { detail: format!("The card was not saved: {}.", problems.join("; ")) })
    }
}

fn card(r: &Row<'_>) -> rusqlite::Result<MemoryCard> {
    Ok(MemoryCard {
        id: r.get(0)?,
        created_at: r.get(1)?,
        category: r.get(2)?,
        scope: r.get(3)?,
        text: r.get(4)?,
        approval: r.get(5)?,
        approved_at: r.get(6)?,
        rejected_at: r.get(7)?,
        provenance: r.get(8)?,
    })
}

impl Cache {
    /// One page of cards matching `filter`, newest first, starting after `after`.
    pub fn cards_page(&self, filter: &CardFilter, after: Option<&CardCursor>, limit: u32) -> Result<CardPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let sql = format!(
            "SELECT {COLUMNS} FROM memory_cards \
             WHERE (?1 IS NULL OR category = ?1) AND (?2 IS NULL OR scope = ?2) AND (?3 IS NULL OR approval = ?3) \
               AND (?4 IS NULL OR (created_at, id) < (?4, ?5)) \
             ORDER BY created_at DESC, id DESC LIMIT ?6"
        );
        let context = "listing memory cards";
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.error(context, e))?;
        let cards = stmt
            .query_map(
                params![filter.category, filter.scope, filter.approval, after.map(|c| &c.created_at), after.map(|c| &c.id), limit],
                card,
            )
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(context, e))?;
        let next = (cards.len() == limit as usize)
            .then(|| cards.last().map(|c| CardCursor { created_at: c.created_at.clone(), id: c.id.clone() }))
            .flatten();
        Ok(CardPage { cards, next })
    }

    /// How many cards match `filter`.
    pub fn card_count(&self, filter: &CardFilter) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT count(*) FROM memory_cards \
                 WHERE (?1 IS NULL OR category = ?1) AND (?2 IS NULL OR scope = ?2) AND (?3 IS NULL OR approval = ?3)",
                params![filter.category, filter.scope, filter.approval],
                |r| r.get(0),
            )
            .map_err(|e| self.error("counting memory cards", e))
    }

    /// Cards whose text or category contain every word of `text` (the last as
    /// a prefix), best match first, within `filter`.
    pub fn search_cards(&self, text: &str, filter: &CardFilter, limit: u32) -> Result<Vec<MemoryCard>> {
        let Some(query) = super::search::fts_query(text) else { return Ok(Vec::new()) };
        let sql = format!(
            "SELECT {} FROM memory_cards_fts JOIN memory_cards c ON c.rowid = memory_cards_fts.rowid \
             WHERE memory_cards_fts MATCH ?1 \
               AND (?2 IS NULL OR c.category = ?2) AND (?3 IS NULL OR c.scope = ?3) AND (?4 IS NULL OR c.approval = ?4) \
             ORDER BY bm25(memory_cards_fts) LIMIT ?5",
            COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ")
        );
        let context = "searching memory cards";
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.error(context, e))?;
        let cards = stmt
            .query_map(params![query, filter.category, filter.scope, filter.approval, limit.clamp(1, MAX_PAGE)], card)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(context, e))?;
        Ok(cards)
    }

    /// How many cards [`Cache::search_cards`] would find without its limit:
    /// the count the list shows, so "200 matches" is never a page length.
    pub fn count_card_matches(&self, text: &str, filter: &CardFilter) -> Result<u32> {
        let Some(query) = super::search::fts_query(text) else { return Ok(0) };
        let context = "counting matching memory cards";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM memory_cards_fts JOIN memory_cards c ON c.rowid = memory_cards_fts.rowid \
                 WHERE memory_cards_fts MATCH ?1 \
                   AND (?2 IS NULL OR c.category = ?2) AND (?3 IS NULL OR c.scope = ?3) AND (?4 IS NULL OR c.approval = ?4)",
            )
            .map_err(|e| self.error(context, e))?;
        stmt.query_row(params![query, filter.category, filter.scope, filter.approval], |r| r.get(0)).map_err(|e| self.error(context, e))
    }

    /// One card.
    pub fn card(&self, id: &str) -> Result<Option<MemoryCard>> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM memory_cards WHERE id = ?1"), [id], card)
            .optional()
            .map_err(|e| self.error("reading a memory card", e))
    }

    /// The categories, scopes and approval states present, most used first.
    pub fn card_facets(&self) -> Result<CardFacets> {
        let facet = |column: &str| -> Result<Vec<FacetCount>> {
            let sql = format!("SELECT {column}, count(*) FROM memory_cards GROUP BY {column} ORDER BY count(*) DESC, {column}");
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.error("listing card filters", e))?;
            let values = stmt
                .query_map([], |r| Ok(FacetCount { value: r.get(0)?, count: r.get(1)? }))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| self.error("listing card filters", e))?;
            Ok(values)
        };
        Ok(CardFacets { categories: facet("category")?, scopes: facet("scope")?, approvals: facet("approval")? })
    }

    /// Creates a pending card with a new UUID, as the Python server would.
    pub fn create_card(&self, draft: &CardDraft) -> Result<MemoryCard> {
        check_draft(draft)?;
        let provenance = crate::tables::contract::hand_written_provenance().to_string();
        let id = Uuid::new_v4().to_string();
        self.conn
            .execute(
                "INSERT INTO memory_cards (id, created_at, category, scope, text, approval, provenance) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
                params![id, timestamp::now(), draft.category.trim(), draft.scope.trim(), draft.text.trim(), provenance],
            )
            .map_err(|e| self.error("creating a memory card", e))?;
        self.card(&id).map(|c| c.expect("the card was just inserted"))
    }

    /// Changes a card's category, scope and text; `None` if it no longer exists.
    pub fn update_card(&self, id: &str, draft: &CardDraft) -> Result<Option<MemoryCard>> {
        check_draft(draft)?;
        self.conn
            .execute(
                "UPDATE memory_cards SET category = ?2, scope = ?3, text = ?4 WHERE id = ?1",
                params![id, draft.category.trim(), draft.scope.trim(), draft.text.trim()],
            )
            .map_err(|e| self.error("editing a memory card", e))?;
        self.card(id)
    }

    /// Records a verdict and when it was given (clearing the other timestamp);
    /// `None` if the card no longer exists.
    pub fn set_card_approval(&self, id: &str, approval: Approval) -> Result<Option<MemoryCard>> {
        let now = timestamp::now();
        let (approved_at, rejected_at) = match approval {
            Approval::Pending => (None, None),
            Approval::Approved => (Some(now), None),
            Approval::Rejected => (None, Some(now)),
        };
        self.conn
            .execute(
                "UPDATE memory_cards SET approval = ?2, approved_at = ?3, rejected_at = ?4 WHERE id = ?1",
                params![id, approval.as_str(), approved_at, rejected_at],
            )
            .map_err(|e| self.error("approving a memory card", e))?;
        self.card(id)
    }

    /// Deletes a card; whether it existed.
    pub fn delete_card(&self, id: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM memory_cards WHERE id = ?1", [id])
            .map(|n| n > 0)
            .map_err(|e| self.error("deleting a memory card", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        (dir, cache)
    }

    fn draft(category: &str, text: &str) -> CardDraft {
        CardDraft { category: category.into(), scope: "global".into(), text: text.into() }
    }

    fn insert(cache: &Cache, id: &str, created_at: &str, category: &str, approval: &str) {
        cache
            .connection()
            .execute(
                "INSERT INTO memory_cards (id, created_at, category, scope, text, approval) VALUES (?1, ?2, ?3, 'global', ?1, ?4)",
                params![id, created_at, category, approval],
            )
            .unwrap();
    }

    #[test]
    fn pages_walk_the_whole_list_newest_first_without_gaps_or_repeats() {
        let (_dir, cache) = cache();
        // Two cards share a timestamp: the id must break the tie so neither is skipped.
        for (i, at) in ["01", "02", "02", "03", "04", "05", "06"].iter().enumerate() {
            insert(&cache, &format!("c{i}"), &format!("2024-01-{at}T00:00:00.000000Z"), "vocabulary", "pending");
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = cache.cards_page(&CardFilter::default(), after.as_ref(), 3).unwrap();
            seen.extend(page.cards.iter().map(|c| c.id.clone()));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["c6", "c5", "c4", "c3", "c2", "c1", "c0"], "scrolling shows every card once, newest first");
    }

    #[test]
    fn filters_narrow_the_list_and_the_count() {
        let (_dir, cache) = cache();
        insert(&cache, "a", "2024-01-01T00:00:00.000000Z", "vocabulary", "approved");
        insert(&cache, "b", "2024-01-02T00:00:00.000000Z", "preferences", "pending");
        insert(&cache, "c", "2024-01-03T00:00:00.000000Z", "vocabulary", "pending");
        let words = CardFilter { category: Some("vocabulary".into()), ..Default::default() };
        let ids: Vec<_> = cache.cards_page(&words, None, 50).unwrap().cards.into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["c", "a"]);
        assert_eq!(cache.card_count(&words).unwrap(), 2);
        let pending_words = CardFilter { approval: Some("pending".into()), ..words };
        assert_eq!(cache.card_count(&pending_words).unwrap(), 1);
        let facets = cache.card_facets().unwrap();
        assert_eq!(facets.categories[0], FacetCount { value: "vocabulary".into(), count: 2 }, "most used category first");
        assert_eq!(facets.approvals.len(), 2);
    }

    #[test]
    fn a_created_card_is_pending_findable_and_waits_in_the_outbox() {
        let (_dir, cache) = cache();
        let card = cache.create_card(&draft("preferences", "  The cat is called Miso  ")).unwrap();
        assert_eq!(card.approval, "pending");
        assert_eq!(card.text, "The cat is called Miso", "surrounding spaces are trimmed");
        assert!(Uuid::parse_str(&card.id).is_ok());
        let found = cache.search_cards("cat mi", &CardFilter::default(), 10).unwrap();
        assert_eq!(found, vec![card.clone()], "search as you type finds it by a word prefix");
        assert_eq!(cache.pending_count().unwrap(), 1);
        assert_eq!(cache.outbox(10).unwrap()[0].row_id, card.id);
    }

    #[test]
    fn the_match_count_is_every_match_not_the_page_shown() {
        let (_dir, cache) = cache();
        for i in 0..5 {
            cache.create_card(&draft("preferences", &format!("Answer latency budget {i}: keep replies short"))).unwrap();
        }
        cache.create_card(&draft("vocabulary", "latency: the delay before an answer starts")).unwrap();
        cache.create_card(&draft("vocabulary", "throughput")).unwrap();
        assert_eq!(cache.search_cards("latency", &CardFilter::default(), 2).unwrap().len(), 2, "one page of matches");
        assert_eq!(cache.count_card_matches("latency", &CardFilter::default()).unwrap(), 6, "and the true number of them");
        let words = CardFilter { category: Some("vocabulary".into()), ..Default::default() };
        assert_eq!(cache.count_card_matches("laten", &words).unwrap(), 1, "within the filter, the last word a prefix");
        assert_eq!(cache.count_card_matches("  ", &words).unwrap(), 0);
    }

    #[test]
    fn edits_approval_and_delete_land_in_the_cache() {
        let (_dir, cache) = cache();
        let card = cache.create_card(&draft("vocabulary", "old text")).unwrap();
        let edited = cache.update_card(&card.id, &draft("preferences", "new text")).unwrap().unwrap();
        assert_eq!((edited.category.as_str(), edited.text.as_str()), ("preferences", "new text"));
        assert!(cache.search_cards("old", &CardFilter::default(), 10).unwrap().is_empty(), "old words no longer match");
        assert_eq!(cache.count_card_matches("old", &CardFilter::default()).unwrap(), 0);

        let approved = cache.set_card_approval(&card.id, Approval::Approved).unwrap().unwrap();
        assert_eq!(approved.approval, "approved");
        assert!(approved.approved_at.is_some() && approved.rejected_at.is_none());
        let rejected = cache.set_card_approval(&card.id, Approval::Rejected).unwrap().unwrap();
        assert!(rejected.approved_at.is_none() && rejected.rejected_at.is_some());

        assert!(cache.delete_card(&card.id).unwrap());
        assert!(!cache.delete_card(&card.id).unwrap(), "deleting twice reports nothing was there");
        assert_eq!(cache.card(&card.id).unwrap(), None);
        assert_eq!(cache.update_card(&card.id, &draft("preferences", "y")).unwrap(), None);
    }

    #[test]
    fn a_new_card_says_it_was_written_by_hand_and_a_value_the_server_refuses_is_not_saved() {
        let (_dir, cache) = cache();
        let card = cache.create_card(&draft("decision_heuristics", "Sleep on big decisions")).unwrap();
        let provenance: serde_json::Value = serde_json::from_str(&card.provenance).unwrap();
        assert_eq!(provenance["reason"], "Written in Noesis Desktop");
        assert_eq!(provenance["model"], serde_json::Value::Null);

        let refused = cache.create_card(&draft("fact", "The cat is called Miso")).unwrap_err().to_string();
        assert!(refused.contains("category") && refused.contains("principles_values"), "{refused}");
        let empty = cache.update_card(&card.id, &draft("preferences", "   ")).unwrap_err().to_string();
        assert!(empty.contains("text is empty"), "{empty}");
        assert_eq!(cache.card(&card.id).unwrap().unwrap().text, "Sleep on big decisions", "the refused edit changed nothing");
        assert_eq!(cache.card_count(&CardFilter::default()).unwrap(), 1);
    }
}
