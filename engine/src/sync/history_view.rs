//! History and trash as the app shows them: values as JSON text (so every
//! column type crosses IPC alike, as in [`super::conflict_view`]), the fields
//! each version changed marked, and what to show without the server: the
//! last listing this device read ([`Cache::seen_history`]), saying when.

use serde::{Deserialize, Serialize};

use super::history::{self, Replaced, RowHistory, RowVersion, VersionRef};
use crate::cache::Cache;
use crate::central::ServerTarget;
use crate::error::{Error, ErrorCode, Result};
use crate::tables::{self, TableSpec};

/// One column of a kept version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VersionField {
    /// The column.
    pub field: String,
    /// Its value in this version, as JSON text.
    pub value: String,
    /// Whether the edit that replaced this version changed it.
    pub changed: bool,
}

/// One earlier version of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VersionView {
    /// What to restore it by: its number (decimal text: it can exceed a JS
    /// number's exact range on a long-lived server), or `conflict:ID` for a
    /// conflict's losing version.
    pub version: String,
    /// Edited after it, deleted as it was, or set aside by a conflict.
    pub kind: Replaced,
    /// When (ISO-8601 UTC).
    pub replaced_at: String,
    /// Which device did it, or "Noesis server / another program".
    pub by: String,
    /// A line saying what the row was (its title, file name or text).
    pub title: String,
    /// Every column; the changed ones marked.
    pub fields: Vec<VersionField>,
}

/// A row's history as the History panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HistoryView {
    /// The table.
    pub table: String,
    /// The row's key.
    pub row_id: String,
    /// Whether the row is deleted on the server (then it is in the trash).
    pub deleted: bool,
    /// Earlier versions, newest first.
    pub versions: Vec<VersionView>,
    /// Open conflicts on the row (their losing versions are in the conflict
    /// centre, not here: they never reached the server's table).
    pub open_conflicts: u32,
    /// `None`: read from the server now. Otherwise the server could not be
    /// reached and this is what the device read then (ISO-8601 UTC): newer
    /// versions need the server.
    pub offline_since: Option<String>,
}

/// A deleted row, as the Trash lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrashItem {
    /// The table.
    pub table: String,
    /// The row's key.
    pub row_id: String,
    /// The version it was deleted as: what it was, who deleted it and when.
    pub last: VersionView,
}

/// The Trash: deleted rows, newest deletion first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrashView {
    /// The rows.
    pub items: Vec<TrashItem>,
    /// As in [`HistoryView::offline_since`]; `""` when this device never read
    /// the Trash.
    pub offline_since: Option<String>,
}

/// The most deleted rows the Trash lists (newest deletions first).
pub const TRASH_SHOWN: i64 = 500;

/// The history of row `id` of `table`, from the server when it answers (and
/// kept for offline use), else the last one this device read.
pub async fn row_history(cache: &Cache, target: Option<&ServerTarget>, table: &str, id: &str) -> Result<HistoryView> {
    let fetched = fetch_row_history(target, table, id).await?;
    row_history_or_seen(cache, table, id, fetched)
}

/// The history of row `id` of `table` from the server; `None` when it cannot
/// be reached (or none is configured). Touches no cache, so the app runs it
/// off its cache connection and keeps the result with
/// [`row_history_or_seen`] on that connection (a write by another connection
/// would make every view reload).
pub async fn fetch_row_history(target: Option<&ServerTarget>, table: &str, id: &str) -> Result<Option<HistoryView>> {
    let spec = history::spec_of(table)?;
    on_server(target, async |conn, target| Ok(HistoryView::of(spec, &history::history(conn, target, spec, id).await?))).await
}

/// `fetched` kept as the last history read of the row, or, when the server
/// could not be reached (`None`), the last one kept, saying when.
pub fn row_history_or_seen(cache: &Cache, table: &str, id: &str, fetched: Option<HistoryView>) -> Result<HistoryView> {
    if let Some(view) = fetched {
        cache.remember_history(table, id, &to_json(&view))?;
        return Ok(view);
    }
    match cache.seen_history(table, id)? {
        Some((json, seen_at)) => Ok(HistoryView { offline_since: Some(seen_at), ..from_json(&json)? }),
        None => Err(Error::Invalid {
            detail: "History is kept by the server, which cannot be reached now, and this device has not opened this item's history before: try again when online.".into(),
        }),
    }
}

/// The Trash, from the server when it answers (kept for offline use), else
/// the last one this device read.
pub async fn trash(cache: &Cache, target: Option<&ServerTarget>) -> Result<TrashView> {
    let fetched = fetch_trash(target).await?;
    trash_or_seen(cache, fetched)
}

/// The Trash from the server; `None` when it cannot be reached (see
/// [`fetch_row_history`]).
pub async fn fetch_trash(target: Option<&ServerTarget>) -> Result<Option<TrashView>> {
    on_server(target, async |conn, target| {
        let deleted = history::trash(conn, target, &tables::with_history(), TRASH_SHOWN).await?;
        let items = deleted
            .iter()
            .map(|v| Ok(TrashItem { table: v.table.clone(), row_id: v.row_id.clone(), last: version_view(history::spec_of(&v.table)?, v) }))
            .collect::<Result<Vec<_>>>()?;
        Ok(TrashView { items, offline_since: None })
    })
    .await
}

/// `fetched` kept as the last Trash read, or the last one kept when the
/// server could not be reached (empty, `offline_since` "", if none was).
pub fn trash_or_seen(cache: &Cache, fetched: Option<TrashView>) -> Result<TrashView> {
    if let Some(view) = fetched {
        cache.remember_trash(&to_json(&view))?;
        return Ok(view);
    }
    match cache.seen_trash()? {
        Some((json, seen_at)) => Ok(TrashView { offline_since: Some(seen_at), ..from_json(&json)? }),
        None => Ok(TrashView { items: Vec::new(), offline_since: Some(String::new()) }),
    }
}

/// `read` on a connection to `target`; `None` when there is no server or it
/// cannot be reached, whether at connecting or while reading.
async fn on_server<T>(
    target: Option<&ServerTarget>,
    read: impl AsyncFnOnce(&mut sqlx::PgConnection, &ServerTarget) -> Result<T>,
) -> Result<Option<T>> {
    let Some(target) = target else { return Ok(None) };
    let result = match target.connect().await {
        Ok(mut conn) => read(&mut conn, target).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_offline(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Parses a [`VersionView::version`].
pub fn parse_version(text: &str) -> Result<VersionRef> {
    VersionRef::parse(text).ok_or_else(|| Error::Invalid { detail: format!("`{text}` is not a version (a number, or conflict:ID).") })
}

impl HistoryView {
    /// The view of a row's story.
    pub fn of(spec: &TableSpec, story: &RowHistory) -> Self {
        HistoryView {
            table: story.table.clone(),
            row_id: story.row_id.clone(),
            deleted: story.current.is_none(),
            versions: story.versions.iter().map(|v| version_view(spec, v)).collect(),
            open_conflicts: u32::try_from(story.conflicts.len()).unwrap_or(u32::MAX),
            offline_since: None,
        }
    }
}

fn version_view(spec: &TableSpec, v: &RowVersion) -> VersionView {
    let value = |name: &str| v.row.get(name).cloned().unwrap_or(serde_json::Value::Null);
    VersionView {
        version: match v.conflict {
            Some(id) => VersionRef::ConflictLoser(id).to_string(),
            None => VersionRef::Kept(v.version).to_string(),
        },
        kind: v.replaced,
        replaced_at: v.replaced_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        by: v.by.clone(),
        title: title_of(&v.row).unwrap_or_else(|| v.row_id.clone()),
        fields: spec
            .columns
            .iter()
            .map(|c| VersionField {
                field: c.name.to_string(),
                value: value(c.name).to_string(),
                changed: v.replaced != Replaced::Deleted && v.changed.iter().any(|f| f == c.name),
            })
            .collect(),
    }
}

/// What a row is called: its title, file name or text, on one line.
fn title_of(row: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    ["title", "filename", "text"]
        .iter()
        .filter_map(|c| row.get(*c).and_then(|v| v.as_str()))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|s| !s.is_empty())
        .map(|s| if s.chars().count() > 140 { format!("{}…", s.chars().take(140).collect::<String>()) } else { s })
}

/// Whether `e` means the server cannot be reached now (show what was seen).
fn is_offline(e: &Error) -> bool {
    matches!(e.code(), ErrorCode::Unreachable | ErrorCode::Tls)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn from_json<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|e| Error::Invalid { detail: format!("the history this device kept cannot be read ({e}): open it again when online") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_version_shows_every_field_and_marks_those_its_replacement_changed() {
        let spec = tables::by_name("memory_cards").unwrap();
        let v = RowVersion {
            version: 7,
            conflict: None,
            table: "memory_cards".into(),
            row_id: "c1".into(),
            replaced: Replaced::Edited,
            replaced_at: chrono::Utc::now(),
            device_id: String::new(),
            by: history::NO_DEVICE.into(),
            row: json!({"id": "c1", "text": "Prefers  short\nanswers", "approval": "pending"}).as_object().unwrap().clone(),
            changed: vec!["text".into()],
        };
        let view = version_view(spec, &v);
        assert_eq!(view.title, "Prefers short answers");
        assert_eq!(view.fields.len(), spec.columns.len());
        let changed: Vec<&str> = view.fields.iter().filter(|f| f.changed).map(|f| f.field.as_str()).collect();
        assert_eq!(changed, ["text"]);
        assert_eq!(view.fields.iter().find(|f| f.field == "approval").unwrap().value, "\"pending\"");
    }

    #[test]
    fn tables_without_history_are_refused_by_name() {
        let refused = history::spec_of("document_chunks").unwrap_err().to_string();
        assert!(refused.contains("choose memory_cards, chat_sessions, mindfile_entries, documents"), "{refused}");
        assert!(history::spec_of("chat_sessions").is_ok());
    }
}
