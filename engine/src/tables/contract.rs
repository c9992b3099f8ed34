//! The Noesis Python server's data contract: what its models accept in each
//! column, beyond the column's type.
//!
//! The server (`core/artifacts/*.py`) rebuilds every row it reads into a
//! strict model (pydantic models, Python enums) with no per-row error
//! handling, so one row it cannot read breaks a whole listing and its
//! start-up. Every door that writes to the central database (the app's forms,
//! the push, the migration) checks rows against these rules, and every door
//! that reads from it (the pull, `verify`, `status`) reports rows that break
//! them. The central schema itself stays as the server creates it: no CHECK
//! constraints it does not have.
//!
//! Vocabulary: a *rule* is what one column must hold; a *breach* is one
//! column of one row that breaks its rule; a *vocabulary* is one of the
//! server's Python enums, with the label the app shows for each value.

use serde_json::{Map, Value};

use super::{Column, ColumnKind, TableSpec};

/// One value of a server enum and the words the app shows for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Term {
    /// The value stored in the database, exactly as the server's enum has it.
    pub value: &'static str,
    /// What a person reads in the app.
    pub label: &'static str,
}

/// One of the server's Python enums.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct Vocabulary {
    /// The server's enum class, named in reasons so a reader can look it up.
    pub name: &'static str,
    /// Its values, in the server's declaration order.
    pub terms: &'static [Term],
}

const fn term(value: &'static str, label: &'static str) -> Term {
    Term { value, label }
}

/// `MemoryCategory` and `MindFileEntryCategory` (the same five values).
pub const CATEGORIES: Vocabulary = Vocabulary {
    name: "MemoryCategory",
    terms: &[
        term("principles_values", "Principles & values"),
        term("cognitive_framing", "Cognitive framing"),
        term("decision_heuristics", "Decision heuristics"),
        term("preferences", "Preferences"),
        term("vocabulary", "Vocabulary"),
    ],
};

/// `MemoryScope`.
pub const SCOPES: Vocabulary = Vocabulary { name: "MemoryScope", terms: &[term("project", "This project"), term("global", "Everywhere")] };

/// `MemoryApproval`.
pub const APPROVALS: Vocabulary =
    Vocabulary { name: "MemoryApproval", terms: &[term("pending", "Pending"), term("approved", "Approved"), term("rejected", "Rejected")] };

/// `DocumentType`.
pub const FILE_TYPES: Vocabulary = Vocabulary {
    name: "DocumentType",
    terms: &[
        term("pdf", "PDF"),
        term("docx", "Word"),
        term("txt", "Text"),
        term("md", "Markdown"),
        term("csv", "CSV"),
        term("jpg", "JPEG image"),
        term("jpeg", "JPEG image"),
        term("png", "PNG image"),
        term("svg", "SVG image"),
    ],
};

/// `DocumentStatus`.
pub const DOCUMENT_STATUSES: Vocabulary = Vocabulary {
    name: "DocumentStatus",
    terms: &[term("pending", "Pending"), term("indexing", "Indexing"), term("indexed", "Indexed"), term("error", "Error")],
};

/// Every vocabulary, for the app's labels.
pub const VOCABULARIES: [&Vocabulary; 5] = [&CATEGORIES, &SCOPES, &APPROVALS, &FILE_TYPES, &DOCUMENT_STATUSES];

/// What the server's model accepts in one column, beyond its type and
/// nullability (which [`Column::required`] gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Any value of the column's kind.
    Any,
    /// Text with at least one character (pydantic `min_length=1`).
    NonEmpty,
    /// One of a server enum's values.
    OneOf(&'static Vocabulary),
    /// `MemoryProvenance`: an object with a string `reason`, list fields that
    /// default to empty, and a `model` that is a string or null.
    Provenance,
    /// `List[ChatMessage]`: objects each with a string `role` and `text`.
    ChatMessages,
    /// The key of a row of that table (a foreign key): a row is pushed after
    /// the row it names.
    References(&'static str),
}

/// One column of one row that the server's model would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The table, for messages.
    pub table: &'static str,
    /// The column that breaks its rule.
    pub column: &'static str,
    /// What is wrong and what is allowed, in words a user can act on.
    pub problem: String,
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{} {}", self.table, self.column, self.problem)
    }
}

impl Vocabulary {
    /// Whether `value` is one of the server's values, exactly.
    pub fn contains(&self, value: &str) -> bool {
        self.terms.iter().any(|t| t.value == value)
    }

    /// The server's value `value` stands for when the meaning is unambiguous
    /// and nothing is lost: other letter case, surrounding white space,
    /// spaces or hyphens for underscores (`" Approved "`, `"Decision
    /// heuristics"`). `None` when it stands for no value or is one already.
    pub fn normalise(&self, value: &str) -> Option<&'static str> {
        if self.contains(value) {
            return None;
        }
        let folded: String = value.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_lowercase() }).collect();
        self.terms.iter().find(|t| t.value == folded).map(|t| t.value)
    }

    /// The label of `value`, or the value itself when it is none of the
    /// server's (a row the pull marked as breaking the contract).
    pub fn label<'a>(&self, value: &'a str) -> &'a str {
        self.terms.iter().find(|t| t.value == value).map(|t| t.label).unwrap_or(value)
    }

    fn allowed(&self) -> String {
        self.terms.iter().map(|t| t.value).collect::<Vec<_>>().join(", ")
    }
}

impl TableSpec {
    /// Every column of `row` (canonical form) that the server's model would
    /// refuse, in column order. A column missing from `row` counts as NULL.
    pub fn breaches(&self, row: &Map<String, Value>) -> Vec<Breach> {
        self.breaches_in(self.columns.iter().map(|c| row.get(c.name).unwrap_or(&Value::Null)))
    }

    /// [`Self::breaches`] of a row given as values in column order (as the
    /// pull reads them), without building a map.
    pub fn breaches_of_values(&self, values: &[Value]) -> Vec<Breach> {
        self.breaches_in(values.iter())
    }

    fn breaches_in<'v>(&self, values: impl Iterator<Item = &'v Value>) -> Vec<Breach> {
        self.columns
            .iter()
            .zip(values)
            .filter_map(|(c, value)| c.breach(value).map(|problem| Breach { table: self.name, column: c.name, problem }))
            .collect()
    }

    /// Every breach of `row` as one sentence ("memory_cards.category is
    /// \"fact\", …; memory_cards.provenance …"), or `None` when the server
    /// can read it: what a reason shown to a user says.
    pub fn breach_summary(&self, row: &Map<String, Value>) -> Option<String> {
        summary(self.breaches(row))
    }

    /// [`Self::breach_summary`] of a row given as values in column order.
    pub fn breach_summary_of_values(&self, values: &[Value]) -> Option<String> {
        summary(self.breaches_of_values(values))
    }

    /// The columns that name a row of another table, with that table.
    pub fn references(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.columns.iter().filter_map(|c| match c.rule {
            Rule::References(table) => Some((c.name, table)),
            _ => None,
        })
    }
}

fn summary(breaches: Vec<Breach>) -> Option<String> {
    (!breaches.is_empty()).then(|| breaches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
}

impl Column {
    /// What is wrong with `value` (canonical form) for the server, or `None`.
    pub fn breach(&self, value: &Value) -> Option<String> {
        if value.is_null() {
            return self.required.then(|| "is missing (NULL), and the Noesis server requires a value".to_string());
        }
        if let Some(problem) = kind_breach(self.kind, value) {
            return Some(problem);
        }
        match (self.rule, value) {
            (Rule::Any | Rule::References(_), _) => None,
            (Rule::NonEmpty, Value::String(s)) if s.is_empty() => Some("is empty, and the Noesis server requires text".into()),
            (Rule::NonEmpty, _) => None,
            (Rule::OneOf(vocabulary), Value::String(s)) if vocabulary.contains(s) => None,
            (Rule::OneOf(vocabulary), v) => Some(format!(
                "is {}, which the Noesis server does not accept; allowed: {} ({})",
                shown(v),
                vocabulary.allowed(),
                vocabulary.name
            )),
            (Rule::Provenance, v) => provenance_breach(v),
            (Rule::ChatMessages, v) => messages_breach(v),
        }
    }
}

/// A value that is not of its column's kind: canonical form keeps what it
/// cannot read as it found it (a string), so the type shows here.
fn kind_breach(kind: ColumnKind, value: &Value) -> Option<String> {
    let fits = match kind {
        ColumnKind::Text => value.is_string(),
        ColumnKind::Timestamp => value.as_str().is_some_and(|s| crate::timestamp::parse(s).is_some()),
        ColumnKind::Integer => value.is_i64(),
        ColumnKind::Json | ColumnKind::Vector => true,
        ColumnKind::TextArray => value.as_array().is_some_and(|items| items.iter().all(Value::is_string)),
    };
    let expected = match kind {
        ColumnKind::Text => "text",
        ColumnKind::Timestamp => "a date and time",
        ColumnKind::Integer => "a whole number",
        ColumnKind::TextArray => "a list of strings",
        ColumnKind::Json | ColumnKind::Vector => "",
    };
    (!fits).then(|| format!("is {}, and the Noesis server needs {expected}", shown(value)))
}

fn provenance_breach(value: &Value) -> Option<String> {
    let Value::Object(fields) = value else {
        return Some(format!("is {}, and the Noesis server needs an object with a \"reason\"", shown(value)));
    };
    match fields.get("reason") {
        Some(Value::String(_)) => {}
        None | Some(Value::Null) => return Some("has no \"reason\", which the Noesis server requires (say why the card exists)".into()),
        Some(other) => return Some(format!("has a \"reason\" of {}, and the Noesis server needs text", shown(other))),
    }
    let list_of = |name: &str, item: fn(&Value) -> bool, what: &str| match fields.get(name) {
        None => None,
        Some(Value::Array(items)) if items.iter().all(item) => None,
        Some(other) => Some(format!("has \"{name}\" {}, and the Noesis server needs a list of {what}", shown(other))),
    };
    list_of("derived_from_artifact_ids", Value::is_string, "strings")
        .or_else(|| list_of("sources", Value::is_object, "objects"))
        .or_else(|| list_of("tools_used", Value::is_string, "strings"))
        .or_else(|| match fields.get("model") {
            None | Some(Value::Null | Value::String(_)) => None,
            Some(other) => Some(format!("has \"model\" {}, and the Noesis server needs text or null", shown(other))),
        })
}

fn messages_breach(value: &Value) -> Option<String> {
    let Value::Array(messages) = value else {
        return Some(format!("is {}, and the Noesis server needs a list of messages", shown(value)));
    };
    messages.iter().enumerate().find_map(|(i, m)| message_breach(m).map(|p| format!("message {}: {p}", i + 1)))
}

fn message_breach(message: &Value) -> Option<String> {
    let Value::Object(fields) = message else {
        return Some(format!("is {}, and the Noesis server needs an object with \"role\" and \"text\"", shown(message)));
    };
    let field = |name: &str, fits: fn(&Value) -> bool, required: bool, what: &str| match fields.get(name) {
        None if !required => None,
        Some(v) if fits(v) => None,
        None => Some(format!("has no \"{name}\", which the Noesis server requires")),
        Some(v) => Some(format!("has \"{name}\" {}, and the Noesis server needs {what}", shown(v))),
    };
    let optional_text = |v: &Value| v.is_null() || v.is_string();
    let list_of_objects = |v: &Value| v.as_array().is_some_and(|items| items.iter().all(Value::is_object));
    field("role", Value::is_string, true, "text")
        .or_else(|| field("text", Value::is_string, true, "text"))
        .or_else(|| field("model", optional_text, false, "text or null"))
        .or_else(|| field("processing_time", |v| v.is_null() || v.is_number(), false, "a number or null"))
        .or_else(|| field("retrieved_context", list_of_objects, false, "a list of objects"))
        .or_else(|| field("session_id", optional_text, false, "text or null"))
        .or_else(|| field("proposed_memories", list_of_objects, false, "a list of objects"))
        .or_else(|| field("reasoning", optional_text, false, "text or null"))
}

/// How much of a value a breach quotes.
const QUOTED_CHARS: usize = 60;

/// A value for a message: JSON, long ones cut.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > QUOTED_CHARS {
        format!("{}...", text.chars().take(QUOTED_CHARS).collect::<String>())
    } else {
        text
    }
}

/// The provenance of a card a person wrote in the app: the server requires a
/// `reason`, and the lists say no model, tool or document proposed it.
pub fn hand_written_provenance() -> Value {
    serde_json::json!({
        "reason": "Written in Noesis Desktop",
        "derived_from_artifact_ids": [],
        "sources": [],
        "tools_used": [],
        "model": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables;
    use serde_json::json;

    fn card(overrides: Value) -> Map<String, Value> {
        let mut row = json!({
            "id": "c1", "created_at": "2025-01-31T12:00:00.000000Z", "category": "preferences", "scope": "project",
            "text": "Prefers short answers", "approval": "pending", "approved_at": null, "rejected_at": null,
            "provenance": hand_written_provenance(),
        });
        row.as_object_mut().unwrap().extend(overrides.as_object().unwrap().clone());
        row.as_object().unwrap().clone()
    }

    fn problems(table: &str, row: &Map<String, Value>) -> Vec<String> {
        tables::by_name(table).unwrap().breaches(row).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_card_the_server_reads_breaks_nothing() {
        assert_eq!(problems("memory_cards", &card(json!({}))), Vec::<String>::new());
        let from_the_server = json!({"reason": "user said so", "sources": [{"chunk": "d1:3"}], "model": "qwen2.5:14b"});
        assert_eq!(problems("memory_cards", &card(json!({"provenance": from_the_server, "scope": "global"}))), Vec::<String>::new());
    }

    #[test]
    fn values_the_server_refuses_are_named_with_what_is_allowed() {
        let cases = [
            (json!({"category": "fact"}), "memory_cards.category is \"fact\"", "principles_values, cognitive_framing"),
            (json!({"scope": "work"}), "memory_cards.scope is \"work\"", "project, global"),
            (json!({"approval": "archived"}), "memory_cards.approval is \"archived\"", "pending, approved, rejected"),
            (json!({"text": ""}), "memory_cards.text is empty", "requires text"),
            (json!({"provenance": {}}), "memory_cards.provenance has no \"reason\"", "requires"),
            (json!({"provenance": {"source": "noesis-desktop"}}), "has no \"reason\"", ""),
            (json!({"provenance": "manual"}), "memory_cards.provenance is \"manual\"", "object"),
            (json!({"provenance": {"reason": "x", "tools_used": [1]}}), "\"tools_used\" [1]", "list of strings"),
            (json!({"created_at": "yesterday"}), "memory_cards.created_at is \"yesterday\"", "date and time"),
            (json!({"category": null}), "memory_cards.category is missing", "requires a value"),
        ];
        for (overrides, what, allowed) in cases {
            let found = problems("memory_cards", &card(overrides.clone()));
            assert_eq!(found.len(), 1, "{overrides}: {found:?}");
            assert!(found[0].contains(what) && found[0].contains(allowed), "{overrides}: {}", found[0]);
        }
    }

    #[test]
    fn chat_messages_need_a_role_and_text() {
        let session = |messages: Value| {
            json!({"id": "s1", "title": "", "created_at": "2025-01-31T12:00:00.000000Z",
                   "updated_at": "2025-01-31T12:00:00.000000Z", "messages": messages})
            .as_object()
            .unwrap()
            .clone()
        };
        let good = json!([{"role": "user", "text": "hi"}, {"role": "assistant", "text": "hello", "model": "qwen2.5:14b",
                           "processing_time": 1.5, "retrieved_context": [], "proposed_memories": [{"text": "x"}]}]);
        assert_eq!(problems("chat_sessions", &session(good)), Vec::<String>::new());
        let no_text = problems("chat_sessions", &session(json!([{"role": "user", "text": "a"}, {"role": "user"}])));
        assert!(no_text[0].contains("message 2") && no_text[0].contains("\"text\""), "{no_text:?}");
        assert!(problems("chat_sessions", &session(json!({})))[0].contains("list of messages"));
        assert!(problems("chat_sessions", &session(json!([{"role": 1, "text": "a"}])))[0].contains("\"role\" 1"));
    }

    #[test]
    fn documents_need_the_servers_file_types_and_statuses() {
        let doc = |file_type: &str, status: &str| {
            json!({"id": "d1", "created_at": "2025-01-31T12:00:00.000000Z", "filename": "a.pdf", "filepath": "/a.pdf",
                   "file_type": file_type, "file_size": 10, "file_hash": "h", "status": status, "chunk_count": 0,
                   "error_message": "", "tags": ["x"], "notes": ""})
            .as_object()
            .unwrap()
            .clone()
        };
        assert_eq!(problems("documents", &doc("pdf", "indexed")), Vec::<String>::new());
        assert!(problems("documents", &doc("PDF", "indexed"))[0].contains("DocumentType"));
        assert!(problems("documents", &doc("pdf", "done"))[0].contains("pending, indexing, indexed, error"));
    }

    #[test]
    fn unambiguous_spellings_normalise_and_others_do_not() {
        assert_eq!(APPROVALS.normalise(" Approved "), Some("approved"));
        assert_eq!(CATEGORIES.normalise("Decision heuristics"), Some("decision_heuristics"));
        assert_eq!(CATEGORIES.normalise("cognitive-framing"), Some("cognitive_framing"));
        assert_eq!(APPROVALS.normalise("approved"), None);
        assert_eq!(APPROVALS.normalise("archived"), None);
        assert_eq!(CATEGORIES.normalise("fact"), None);
    }

    #[test]
    fn chunks_are_pushed_after_the_document_they_name() {
        let chunks = tables::by_name("document_chunks").unwrap();
        assert_eq!(chunks.references().collect::<Vec<_>>(), vec![("document_id", "documents")]);
        assert_eq!(tables::by_name("memory_cards").unwrap().references().count(), 0);
    }

    #[test]
    fn every_vocabulary_has_a_label_for_each_value() {
        for vocabulary in VOCABULARIES {
            for t in vocabulary.terms {
                assert!(!t.label.is_empty() && !t.label.contains('_'), "{}: {}", vocabulary.name, t.value);
            }
        }
        assert_eq!(CATEGORIES.label("principles_values"), "Principles & values");
        assert_eq!(CATEGORIES.label("fact"), "fact");
    }
}
