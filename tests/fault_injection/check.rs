//! The checks at the end of the run: each copy (the server, every cache) read
//! back and compared row by row with the ground truth, and whether the agents
//! settled.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use super::faults::Node;
use super::writes::Truth;
use super::{FIELDS, WRITERS};
use crate::support::run_psql;

pub(crate) fn sqlite_read(cache: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3").args(["-cmd", ".timeout 20000"]).arg(cache).arg(sql).output().unwrap();
    assert!(out.status.success(), "sqlite3 read failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The rows to check, as one device or the server holds them.
pub(crate) struct Copy {
    /// Where: "server" or "device N".
    pub(crate) name: String,
    /// (card, field) -> value, for the shared cards.
    pub(crate) fields: HashMap<(usize, usize), String>,
    /// Texts of session s1's messages, in order.
    pub(crate) messages: Vec<String>,
    pub(crate) tags: Vec<String>,
    /// Ids of the cards created during the run.
    pub(crate) cards: Vec<String>,
}

pub(crate) fn shared_fields(lines: &str) -> HashMap<(usize, usize), String> {
    let mut out = HashMap::new();
    for line in lines.lines().filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split('|').collect();
        let card: usize = cells[0].trim_start_matches('c').parse().unwrap();
        for (f, value) in cells[1..].iter().enumerate() {
            out.insert((card, f), value.to_string());
        }
    }
    out
}

pub(crate) fn server_copy(url: &str) -> Copy {
    let fields = run_psql(url, "SELECT id, text, category, scope, approval FROM memory_cards WHERE id ~ '^c[0-9]+$' ORDER BY id");
    let messages = run_psql(url, "SELECT coalesce(jsonb_path_query_array(messages, '$[*].text'), '[]') FROM chat_sessions WHERE id = 's1'");
    let tags = run_psql(url, "SELECT coalesce(array_to_json(tags), '[]') FROM documents WHERE id = 'd1'");
    let cards = run_psql(url, "SELECT id FROM memory_cards WHERE id LIKE 'n-%' OR id LIKE 'bulk-%' ORDER BY id");
    Copy {
        name: "server".into(),
        fields: shared_fields(&fields),
        messages: serde_json::from_str(messages.trim()).unwrap(),
        tags: serde_json::from_str(tags.trim()).unwrap(),
        cards: cards.lines().filter(|l| !l.is_empty()).map(String::from).collect(),
    }
}

pub(crate) fn device_copy(k: usize, cache: &Path) -> Copy {
    let fields = sqlite_read(cache, "SELECT id, text, category, scope, approval FROM memory_cards WHERE id GLOB 'c[0-9]*' ORDER BY id");
    let messages = sqlite_read(
        cache,
        "SELECT json_group_array(json_extract(m.value, '$.text')) FROM chat_sessions s, json_each(s.messages) m WHERE s.id = 's1'",
    );
    let tags = sqlite_read(cache, "SELECT coalesce(tags, '[]') FROM documents WHERE id = 'd1'");
    let cards = sqlite_read(cache, "SELECT id FROM memory_cards WHERE id LIKE 'n-%' OR id LIKE 'bulk-%' ORDER BY id");
    Copy {
        name: format!("device {k}"),
        fields: shared_fields(&fields),
        messages: serde_json::from_str(messages.trim()).unwrap(),
        tags: serde_json::from_str(tags.trim()).unwrap(),
        cards: cards.lines().filter(|l| !l.is_empty()).map(String::from).collect(),
    }
}

/// Every way `copy` differs from the ground truth.
pub(crate) fn violations(truth: &Truth, copy: &Copy) -> Vec<String> {
    let mut out = Vec::new();
    let at = &copy.name;
    for ((card, field), want) in &truth.fields {
        match copy.fields.get(&(*card, *field)) {
            Some(got) if got == want => {}
            got => out.push(format!("{at}: c{card}.{} is {got:?}, its owner last wrote {want:?} (a field value lost)", FIELDS[*field])),
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for m in &copy.messages {
        *seen.entry(m.as_str()).or_default() += 1;
    }
    for (_, text) in &truth.messages {
        match seen.get(text.as_str()) {
            None => out.push(format!("{at}: chat message {text:?} lost")),
            Some(1) => {}
            Some(n) => out.push(format!("{at}: chat message {text:?} held {n} times")),
        }
    }
    let written: BTreeSet<&str> = truth.messages.iter().map(|(_, t)| t.as_str()).collect();
    for m in copy.messages.iter().filter(|m| !written.contains(m.as_str())) {
        out.push(format!("{at}: chat message {m:?} that nobody wrote"));
    }
    for w in 0..WRITERS {
        let theirs: Vec<&str> = truth.messages.iter().filter(|(x, _)| *x == w).map(|(_, t)| t.as_str()).collect();
        let held: Vec<&str> = copy.messages.iter().map(String::as_str).filter(|m| theirs.contains(m)).collect();
        if held.len() == theirs.len() && held != theirs {
            out.push(format!("{at}: writer {w}'s chat messages are out of the order they were written in"));
        }
    }
    let tags: BTreeSet<&str> = copy.tags.iter().map(String::as_str).collect();
    if tags.len() != copy.tags.len() {
        out.push(format!("{at}: a tag is held twice: {:?}", copy.tags));
    }
    for (tag, live) in &truth.tags {
        match (live, tags.contains(tag.as_str())) {
            (true, false) => out.push(format!("{at}: tag {tag} lost")),
            (false, true) => out.push(format!("{at}: tag {tag} came back after its removal")),
            _ => {}
        }
    }
    let cards: BTreeSet<&str> = copy.cards.iter().map(String::as_str).collect();
    for (id, live) in &truth.cards {
        match (live, cards.contains(id.as_str())) {
            (true, false) => out.push(format!("{at}: card {id} lost")),
            (false, true) => out.push(format!("{at}: card {id} came back after its deletion")),
            _ => {}
        }
    }
    for id in cards.iter().filter(|id| !truth.cards.contains_key(**id)) {
        out.push(format!("{at}: card {id} that nobody created"));
    }
    out
}

/// Whether every device has pushed everything and holds what the server holds.
pub(crate) fn settled(nodes: &[Node]) -> Result<(), String> {
    for (k, node) in nodes.iter().enumerate() {
        let status = node.device.status();
        let pending = status["pending_changes"].as_u64().unwrap_or(u64::MAX);
        if pending > 0 {
            return Err(format!("device {k} has {pending} changes queued"));
        }
        let (local, central) = node.device.checksums();
        if local != central {
            return Err(format!("device {k} differs from the server: {local:?} vs {central:?}"));
        }
    }
    Ok(())
}
