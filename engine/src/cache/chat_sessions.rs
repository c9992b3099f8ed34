//! Chat sessions in the local cache: a list with a preview of the last message
//! and the message count, one session with its messages, rename and delete.
//!
//! `messages` is a JSON array written by the Python server, each element an
//! object with at least `role` and `text` (extra keys such as `model` are kept
//! untouched). A malformed array shows as an empty session, never an error.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Cache;
use crate::error::Result;
use crate::timestamp;

/// Longest preview sent to the list: two lines of a wide sidebar.
const PREVIEW_CHARS: usize = 160;

/// A session as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChatSessionSummary {
    /// Key.
    pub id: String,
    /// Title.
    pub title: String,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// ISO-8601 UTC; the list is ordered by it, most recent first.
    pub updated_at: String,
    /// Number of messages.
    pub message_count: u32,
    /// The start of the last message's text.
    pub preview: String,
}

/// One message of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChatMessage {
    /// `user`, `assistant`, `system`…; empty when the message has none.
    pub role: String,
    /// What was said.
    pub text: String,
    /// The model that answered, when recorded.
    pub model: Option<String>,
}

/// A session with its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChatSession {
    /// The list fields.
    pub summary: ChatSessionSummary,
    /// The messages, in order.
    pub messages: Vec<ChatMessage>,
}

/// The `messages` column as an array, or `[]` when it is not valid JSON.
const MESSAGES: &str = "CASE WHEN json_valid(messages) AND json_type(messages) = 'array' THEN messages ELSE '[]' END";

fn summary_sql(filter: &str) -> String {
    format!(
        "SELECT id, title, created_at, updated_at, json_array_length({MESSAGES}), \
                coalesce(json_extract({MESSAGES}, '$[#-1].text'), '') \
         FROM chat_sessions {filter}"
    )
}

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChatSessionSummary> {
    let preview: String = r.get(5)?;
    Ok(ChatSessionSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        message_count: r.get(4)?,
        preview: shorten(&preview, PREVIEW_CHARS),
    })
}

/// The first `max` characters of `text` on one line, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", one_line[..cut].trim_end()),
        None => one_line,
    }
}

fn message(value: &Value) -> ChatMessage {
    let text_of = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    ChatMessage {
        role: text_of("role").unwrap_or_default(),
        text: text_of("text").or_else(|| text_of("content")).unwrap_or_default(),
        model: text_of("model"),
    }
}

impl Cache {
    /// Sessions, most recently updated first, at most `limit`.
    pub fn chat_sessions(&self, limit: u32) -> Result<Vec<ChatSessionSummary>> {
        let context = "listing chat sessions";
        let mut stmt =
            self.conn.prepare_cached(&summary_sql("ORDER BY updated_at DESC, id DESC LIMIT ?1")).map_err(|e| self.error(context, e))?;
        let sessions = stmt
            .query_map([limit], summary)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.error(context, e))?;
        Ok(sessions)
    }

    /// One session with its messages.
    pub fn chat_session(&self, id: &str) -> Result<Option<ChatSession>> {
        let context = "reading a chat session";
        let Some(summary) =
            self.conn.query_row(&summary_sql("WHERE id = ?1"), [id], summary).optional().map_err(|e| self.error(context, e))?
        else {
            return Ok(None);
        };
        let raw: String = self
            .conn
            .query_row(&format!("SELECT {MESSAGES} FROM chat_sessions WHERE id = ?1"), [id], |r| r.get(0))
            .map_err(|e| self.error(context, e))?;
        let messages = match crate::deep_json::parse(&raw) {
            Ok(Value::Array(items)) => items.iter().map(message).collect(),
            _ => Vec::new(),
        };
        Ok(Some(ChatSession { summary, messages }))
    }

    /// Renames a session (and marks it updated); `None` if it no longer exists.
    pub fn rename_chat_session(&self, id: &str, title: &str) -> Result<Option<ChatSessionSummary>> {
        self.conn
            .execute("UPDATE chat_sessions SET title = ?2, updated_at = ?3 WHERE id = ?1", params![id, title.trim(), timestamp::now()])
            .map_err(|e| self.error("renaming a chat session", e))?;
        Ok(self.chat_session(id)?.map(|s| s.summary))
    }

    /// Deletes a session; whether it existed.
    pub fn delete_chat_session(&self, id: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM chat_sessions WHERE id = ?1", [id])
            .map(|n| n > 0)
            .map_err(|e| self.error("deleting a chat session", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_with_sessions() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let insert = "INSERT INTO chat_sessions (id, title, created_at, updated_at, messages) VALUES (?1, ?2, ?3, ?3, ?4)";
        let conn = cache.connection();
        conn.execute(
            insert,
            params![
                "old",
                "Old chat",
                "2024-01-01T00:00:00.000000Z",
                r#"[{"role":"user","text":"hello"},{"role":"assistant","text":"hi   there\nfriend","model":"qwen"}]"#
            ],
        )
        .unwrap();
        conn.execute(insert, params!["new", "New chat", "2024-02-01T00:00:00.000000Z", "[]"]).unwrap();
        conn.execute(insert, params!["broken", "Broken", "2023-01-01T00:00:00.000000Z", "not json"]).unwrap();
        (dir, cache)
    }

    #[test]
    fn the_list_shows_newest_first_with_count_and_last_message() {
        let (_dir, cache) = cache_with_sessions();
        let list = cache.chat_sessions(10).unwrap();
        let ids: Vec<_> = list.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["new", "old", "broken"]);
        assert_eq!((list[1].message_count, list[1].preview.as_str()), (2, "hi there friend"));
        assert_eq!((list[2].message_count, list[2].preview.as_str()), (0, ""), "a malformed session lists as empty");
    }

    #[test]
    fn a_session_reads_with_roles_and_models() {
        let (_dir, cache) = cache_with_sessions();
        let session = cache.chat_session("old").unwrap().unwrap();
        assert_eq!(session.messages.len(), 2);
        assert_eq!(session.messages[0], ChatMessage { role: "user".into(), text: "hello".into(), model: None });
        assert_eq!(session.messages[1].model.as_deref(), Some("qwen"));
        assert!(cache.chat_session("broken").unwrap().unwrap().messages.is_empty());
        assert_eq!(cache.chat_session("missing").unwrap(), None);
    }

    #[test]
    fn rename_and_delete_are_captured_for_sync() {
        let (_dir, cache) = cache_with_sessions();
        let renamed = cache.rename_chat_session("old", " Greetings ").unwrap().unwrap();
        assert_eq!(renamed.title, "Greetings");
        assert_eq!(cache.chat_sessions(1).unwrap()[0].id, "old", "a renamed session moves to the top");
        assert!(cache.delete_chat_session("new").unwrap());
        assert_eq!(cache.chat_sessions(10).unwrap().len(), 2);
        let ops: Vec<_> = cache.outbox(10).unwrap().into_iter().map(|e| e.op).collect();
        assert_eq!(ops[ops.len() - 2..], ["U".to_string(), "D".to_string()]);
    }

    #[test]
    fn previews_are_cut_at_a_character_boundary() {
        assert_eq!(shorten("ééé", 2), "éé…");
        assert_eq!(shorten("short", 10), "short");
    }
}
