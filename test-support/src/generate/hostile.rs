//! The hostile rows of [`super::generate`]: one of every kind of damage met in
//! real legacy stores, each with the outcome the migration must give it.

use rusqlite::{params, Transaction};
use serde_json::json;

use noesis_engine::legacy::fields::Note;

use super::{Expect, HostileRow};

fn row(table: &'static str, key: &str, what: &'static str, expect: Expect) -> HostileRow {
    HostileRow { table, key: key.to_string(), what, expect }
}

fn card_json(id: &str, text: &str) -> serde_json::Value {
    json!({"id": id, "category": "preferences", "scope": "global", "text": text, "approval": "approved", "provenance": {"reason": "chat"}})
}

/// Hostile cards, sessions and mind-file entries.
pub fn memory(tx: &Transaction<'_>, with_mindfile: bool) -> rusqlite::Result<Vec<HostileRow>> {
    use Expect::*;
    let mut out = Vec::new();
    let card = |id: &str, created: &dyn rusqlite::ToSql, approval: &str, json: &[u8]| {
        tx.execute(
            "INSERT INTO memory_cards (id, created_at, approval, json) VALUES (?1, ?2, CAST(?3 AS TEXT), CAST(?4 AS TEXT))",
            params![id, created, approval.as_bytes(), json],
        )
    };
    let iso = "2024-03-05T14:07:09";
    card("h-card-malformed", &iso, "approved", br#"{"id": "h-card-malformed", "text": "#)?;
    out.push(row("memory_cards", "h-card-malformed", "malformed JSON", Rejected));
    card("h-card-malformed-binary", &iso, "approved", b"{\"text\": \"nul \x00 and \xff\xfe")?;
    out.push(row("memory_cards", "h-card-malformed-binary", "malformed JSON with NUL and invalid UTF-8", Rejected));
    card("h-card-missing-text", &iso, "approved", br#"{"category": "preferences", "scope": "global", "provenance": {"reason": "chat"}}"#)?;
    out.push(row("memory_cards", "h-card-missing-text", "required field missing", Rejected));
    // The Noesis server's enums: a value it does not know is rejected (it
    // would stop the server's card listing), another spelling is normalised.
    let mut j = card_json("h-card-unknown-approval", "t");
    j["approval"] = json!("archived");
    card("h-card-unknown-approval", &iso, "archived", j.to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-unknown-approval", "approval the server does not know", Rejected));
    let mut j = card_json("h-card-unknown-category", "t");
    j["category"] = json!("fact");
    card("h-card-unknown-category", &iso, "approved", j.to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-unknown-category", "category the server does not know", Rejected));
    let mut j = card_json("h-card-approval-case", "t");
    j["approval"] = json!("Approved");
    card("h-card-approval-case", &iso, "Approved", j.to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-approval-case", "approval in other letter case", Imported(Some(Note::ValueNormalised))));
    let mut j = card_json("h-card-empty-text", "");
    j["text"] = json!("");
    card("h-card-empty-text", &iso, "approved", j.to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-empty-text", "empty text", Rejected));
    let mut j = card_json("h-card-provenance-no-reason", "t");
    j["provenance"] = json!({"sources": []});
    card("h-card-provenance-no-reason", &iso, "approved", j.to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-provenance-no-reason", "provenance without reason", Rejected));
    card("h-card-nul-json", &iso, "approved", card_json("h-card-nul-json", "before\u{0}after").to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-nul-json", "NUL escaped in JSON", Imported(Some(Note::NulBytesRemoved))));
    card("h-card-nul-column", &iso, "approved\0", card_json("h-card-nul-column", "x").to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-nul-column", "NUL byte in a column", Imported(Some(Note::NulBytesRemoved))));
    let mut bad =
        br#"{"category": "preferences", "scope": "global", "approval": "approved", "provenance": {"reason": "chat"}, "text": "caf"#
            .to_vec();
    bad.extend_from_slice(b"\xe9 cr\xe8me\"}");
    card("h-card-bad-utf8", &iso, "approved", &bad)?;
    out.push(row("memory_cards", "h-card-bad-utf8", "invalid UTF-8 (Latin-1)", Imported(Some(Note::InvalidUtf8Replaced))));
    let forms: [(&str, &dyn rusqlite::ToSql); 6] = [
        ("h-card-ts-naive", &"2024-03-05T14:07:09.250"),
        ("h-card-ts-offset", &"2024-03-05T14:07:09.250+00:00"),
        ("h-card-ts-z", &"2024-03-05T14:07:09.250Z"),
        ("h-card-ts-space", &"2024-03-05 14:07:09.250"),
        ("h-card-ts-epoch", &1709647629i64),
        ("h-card-ts-epoch-ms", &1709647629250i64),
    ];
    for (id, ts) in forms {
        card(id, ts, "approved", card_json(id, "time").to_string().as_bytes())?;
        out.push(row("memory_cards", id, "timestamp form", Imported(None)));
    }
    card("h-card-ts-garbage", &"yesterday", "approved", card_json("h-card-ts-garbage", "x").to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-ts-garbage", "unparsable timestamp", Rejected));
    card("h-card-huge", &iso, "approved", card_json("h-card-huge", &"big ".repeat(800_000)).to_string().as_bytes())?;
    out.push(row("memory_cards", "h-card-huge", "3 MB row", Imported(None)));
    card("h-card-array", &iso, "approved", b"[1, 2]")?;
    out.push(row("memory_cards", "h-card-array", "JSON not an object", Rejected));
    card(
        "h-card-no-provenance",
        &iso,
        "approved",
        br#"{"category": "preferences", "scope": "global", "text": "p", "approval": "approved"}"#,
    )?;
    out.push(row("memory_cards", "h-card-no-provenance", "provenance missing", Rejected));
    card(
        "h-card-provenance-text",
        &iso,
        "approved",
        br#"{"category": "preferences", "scope": "global", "text": "p", "approval": "approved", "provenance": "manual"}"#,
    )?;
    out.push(row("memory_cards", "h-card-provenance-text", "provenance not an object", Rejected));
    tx.execute("INSERT INTO memory_cards (id, created_at, approval, json) VALUES (NULL, ?1, 'approved', '{}')", [iso])?;
    out.push(row("memory_cards", &format!("rowid:{}", tx.last_insert_rowid()), "NULL id", Rejected));

    let session = |id: &str, updated: Option<&str>, messages: &[u8]| {
        tx.execute(
            "INSERT INTO chat_sessions (id, title, created_at, updated_at, messages) VALUES (?1, 'Hostile', ?2, ?3, CAST(?4 AS TEXT))",
            params![id, iso, updated, messages],
        )
    };
    session("h-session-malformed", Some(iso), br#"[{"role": "#)?;
    out.push(row("chat_sessions", "h-session-malformed", "malformed messages", Rejected));
    session("h-session-nul", Some(iso), json!([{"role": "user", "text": "a\u{0}b"}]).to_string().as_bytes())?;
    out.push(row("chat_sessions", "h-session-nul", "NUL in a message", Imported(Some(Note::NulBytesRemoved))));
    session("h-session-object", Some(iso), b"{}")?;
    out.push(row("chat_sessions", "h-session-object", "messages not a list", Rejected));
    let huge: Vec<_> = (0..40).map(|i| json!({"role": "assistant", "text": format!("{i} {}", "long answer ".repeat(4500))})).collect();
    session("h-session-huge", Some(iso), serde_json::to_string(&huge).expect("json").as_bytes())?;
    out.push(row("chat_sessions", "h-session-huge", "2 MB session", Imported(None)));
    session("h-session-no-updated", None, b"[]")?;
    out.push(row("chat_sessions", "h-session-no-updated", "updated_at missing", Imported(Some(Note::UpdatedAtFromCreatedAt))));
    tx.execute(
        "INSERT INTO chat_sessions (id, title, created_at, updated_at, messages) VALUES ('h-session-no-title', NULL, ?1, ?1, '[{\"role\": \"user\", \"text\": \"hi\"}]')",
        [iso],
    )?;
    out.push(row("chat_sessions", "h-session-no-title", "title missing", Imported(Some(Note::TitleDefaulted))));
    session("h-session-unknown-role", Some(iso), br#"[{"role": "robot", "text": "beep"}]"#)?;
    out.push(row("chat_sessions", "h-session-unknown-role", "unknown message role", Imported(Some(Note::UnknownEnumValueKept))));
    session("h-session-message-no-text", Some(iso), br#"[{"role": "user", "text": "hi"}, {"role": "assistant"}]"#)?;
    out.push(row("chat_sessions", "h-session-message-no-text", "a message without text", Rejected));

    if with_mindfile {
        tx.execute(
            "INSERT INTO mindfile_entries (id, created_at, category, json) VALUES ('h-mind-no-source', ?1, 'principles_values', ?2)",
            params![iso, json!({"text": "orphan", "updated_at": iso}).to_string()],
        )?;
        out.push(row("mindfile_entries", "h-mind-no-source", "required field missing", Rejected));
        tx.execute(
            "INSERT INTO mindfile_entries (id, created_at, category, json) VALUES ('h-mind-epoch-float', ?1, 'principles_values', ?2)",
            params![1709647629.25f64, json!({"text": "float time", "source_memory_card_id": "card-000001"}).to_string()],
        )?;
        out.push(row("mindfile_entries", "h-mind-epoch-float", "epoch float timestamp", Imported(Some(Note::UpdatedAtFromCreatedAt))));
        tx.execute(
            "INSERT INTO mindfile_entries (id, created_at, category, json) VALUES ('h-mind-unknown-category', ?1, 'values', ?2)",
            params![iso, json!({"text": "honesty", "source_memory_card_id": "card-000001", "updated_at": iso}).to_string()],
        )?;
        out.push(row("mindfile_entries", "h-mind-unknown-category", "category the server does not know", Rejected));
    }
    Ok(out)
}

/// Hostile documents and chunks.
pub fn documents(tx: &Transaction<'_>) -> rusqlite::Result<Vec<HostileRow>> {
    use Expect::*;
    let mut out = Vec::new();
    let doc = |id: &str, status: &str, json: &str| {
        tx.execute(
            "INSERT INTO documents (id, created_at, filename, filepath, file_hash, status, json) VALUES (?1, '2024-01-01 10:00:00', 'h.pdf', '/h.pdf', 'abc', ?2, ?3)",
            params![id, status, json],
        )
    };
    doc("h-doc-unknown-status", "weird", &json!({"file_type": "pdf", "file_size": 10}).to_string())?;
    out.push(row("documents", "h-doc-unknown-status", "status the server does not know", Rejected));
    doc("h-doc-status-spaced", " Indexed ", &json!({"file_type": "pdf", "file_size": 10}).to_string())?;
    out.push(row("documents", "h-doc-status-spaced", "status with spaces and capital", Imported(Some(Note::ValueNormalised))));
    doc("h-doc-unknown-type", "indexed", &json!({"file_type": "exe", "file_size": 10}).to_string())?;
    out.push(row("documents", "h-doc-unknown-type", "file type the server does not know", Rejected));
    doc("h-doc-tag-numbers", "indexed", &json!({"file_type": "pdf", "file_size": 10, "tags": [1, "a"]}).to_string())?;
    out.push(row("documents", "h-doc-tag-numbers", "non-string tags", Imported(Some(Note::TagConverted))));
    doc("h-doc-size-text", "indexed", &json!({"file_type": "pdf", "file_size": "1234"}).to_string())?;
    out.push(row("documents", "h-doc-size-text", "number as text", Imported(Some(Note::TypeConverted))));
    doc("h-doc-size-huge", "indexed", &json!({"file_type": "pdf", "file_size": 5_000_000_000i64}).to_string())?;
    out.push(row("documents", "h-doc-size-huge", "number beyond INTEGER", Rejected));
    doc("h-doc-bad-json", "indexed", "{nope")?;
    out.push(row("documents", "h-doc-bad-json", "malformed JSON", Rejected));

    let chunk = |id: &str, doc: &str, json: &[u8]| {
        tx.execute(
            "INSERT INTO document_chunks (id, document_id, chunk_index, json) VALUES (?1, ?2, 0, CAST(?3 AS TEXT))",
            params![id, doc, json],
        )
    };
    chunk("h-chunk-orphan", "doc-nowhere", br#"{"text": "lost"}"#)?;
    out.push(row("document_chunks", "h-chunk-orphan", "orphan chunk", Rejected));
    chunk("h-chunk-of-rejected-doc", "h-doc-bad-json", br#"{"text": "lost too"}"#)?;
    out.push(row("document_chunks", "h-chunk-of-rejected-doc", "chunk of a rejected document", Rejected));
    chunk("h-chunk-bad-utf8", "h-doc-status-spaced", b"{\"text\": \"na\xefve\"}")?;
    out.push(row("document_chunks", "h-chunk-bad-utf8", "invalid UTF-8", Imported(Some(Note::InvalidUtf8Replaced))));
    chunk("h-chunk-huge", "h-doc-status-spaced", json!({"text": "page ".repeat(900_000)}).to_string().as_bytes())?;
    out.push(row("document_chunks", "h-chunk-huge", "4.5 MB chunk", Imported(None)));
    Ok(out)
}
