//! The writers of the fault-injection run and their ground truth: the
//! `sqlite3` writer on each device's cache and the psql writer on the server,
//! each write logged only once it succeeded.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use noesis_engine::tables::contract::{APPROVALS, CATEGORIES, SCOPES};

use super::faults::Node;
use super::{owner, Rng, CARDS, FIELDS, SERVER_WRITER, WRITERS};
use crate::support::device::card_sql;

/// Every write that succeeded, in the order it was made.
#[derive(Default)]
pub(crate) struct Truth {
    /// The last value written to each (card, field).
    pub(crate) fields: HashMap<(usize, usize), String>,
    /// Chat messages appended to session `s1`: (writer, text).
    pub(crate) messages: Vec<(usize, String)>,
    /// Tags of document `d1` and whether they are still meant to be there.
    pub(crate) tags: BTreeMap<String, bool>,
    /// Cards created during the run and whether they are still meant to exist.
    pub(crate) cards: BTreeMap<String, bool>,
    /// Writes per kind.
    pub(crate) counts: BTreeMap<&'static str, u64>,
}

/// Runs SQL on a cache in the `sqlite3` shell, waiting for the agent's locks;
/// whether it succeeded (a write that failed is not in the ground truth).
pub(crate) fn sqlite_write(cache: &Path, sql: &str) -> bool {
    let out =
        Command::new("sqlite3").args(["-cmd", ".timeout 20000"]).arg(cache).arg(sql).output().expect("the sqlite3 shell is installed");
    if !out.status.success() {
        eprintln!("sqlite3 write failed (not counted): {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    out.status.success()
}

/// Runs one statement in `psql`; whether it succeeded (PostgreSQL may pick
/// it as a deadlock's victim and roll it back, as it would the Python server's).
pub(crate) fn psql_write(url: &str, sql: &str) -> bool {
    let out =
        Command::new(crate::support::psql()).args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]).output().expect("run psql");
    if !out.status.success() {
        eprintln!("psql write failed (not counted): {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    out.status.success()
}

/// A value for field `field`: unique text, or one of the Noesis server's terms.
pub(crate) fn field_value(rng: &mut Rng, field: usize, n: u64, writer: usize) -> String {
    let vocabulary = match FIELDS[field] {
        "text" => return format!("w{writer} edit {n}"),
        "category" => &CATEGORIES,
        "scope" => &SCOPES,
        _ => &APPROVALS,
    };
    vocabulary.terms[rng.below(vocabulary.terms.len())].value.to_string()
}

/// The run's writers and their ground truth.
pub(crate) struct Writers {
    pub(crate) rng: Rng,
    pub(crate) truth: Truth,
    /// Writes made so far (for unique values).
    pub(crate) n: u64,
}

impl Writers {
    /// Runs `sql` as writer `w`: on its device's cache, or on the server.
    pub(crate) fn write(&mut self, nodes: &[Node], url: &str, w: usize, sql: &str) -> bool {
        if w == SERVER_WRITER {
            psql_write(url, sql)
        } else {
            sqlite_write(&nodes[w].device.cache_path(), sql)
        }
    }

    /// One random write by one random writer, logged if it succeeded.
    pub(crate) fn one(&mut self, nodes: &[Node], url: &str) {
        self.n += 1;
        let n = self.n;
        let w = self.rng.below(WRITERS);
        let on_server = w == SERVER_WRITER;
        match self.rng.below(10) {
            0..=3 => {
                let (card, field) = loop {
                    let (c, f) = (self.rng.below(CARDS), self.rng.below(FIELDS.len()));
                    if owner(c, f) == w {
                        break (c, f);
                    }
                };
                let value = field_value(&mut self.rng, field, n, w);
                if self.write(nodes, url, w, &format!("UPDATE memory_cards SET {} = '{value}' WHERE id = 'c{card}'", FIELDS[field])) {
                    self.truth.fields.insert((card, field), value);
                    *self.truth.counts.entry("field edits").or_default() += 1;
                }
            }
            4..=6 => {
                let text = format!("w{w} message {n}");
                let sql = if on_server {
                    format!("UPDATE chat_sessions SET messages = messages || jsonb_build_array(jsonb_build_object('role', 'assistant', 'text', '{text}')) WHERE id = 's1'")
                } else {
                    format!("UPDATE chat_sessions SET messages = json_insert(messages, '$[#]', json_object('role', 'user', 'text', '{text}')) WHERE id = 's1'")
                };
                if self.write(nodes, url, w, &sql) {
                    self.truth.messages.push((w, text));
                    *self.truth.counts.entry("chat messages").or_default() += 1;
                }
            }
            7 | 8 => {
                // Add a tag, or remove one this writer added.
                let own: Vec<String> =
                    self.truth.tags.iter().filter(|(t, live)| **live && t.starts_with(&format!("w{w}-"))).map(|(t, _)| t.clone()).collect();
                if !own.is_empty() && self.rng.chance(300) {
                    let tag = &own[self.rng.below(own.len())];
                    let sql = if on_server {
                        format!("UPDATE documents SET tags = array_remove(tags, '{tag}') WHERE id = 'd1'")
                    } else {
                        format!("UPDATE documents SET tags = (SELECT json_group_array(value) FROM json_each(documents.tags) WHERE value <> '{tag}') WHERE id = 'd1'")
                    };
                    if self.write(nodes, url, w, &sql) {
                        self.truth.tags.insert(tag.clone(), false);
                        *self.truth.counts.entry("tag removals").or_default() += 1;
                    }
                } else {
                    let tag = format!("w{w}-{n}");
                    let sql = if on_server {
                        format!("UPDATE documents SET tags = array_append(tags, '{tag}') WHERE id = 'd1'")
                    } else {
                        format!("UPDATE documents SET tags = json_insert(coalesce(tags, '[]'), '$[#]', '{tag}') WHERE id = 'd1'")
                    };
                    if self.write(nodes, url, w, &sql) {
                        self.truth.tags.insert(tag, true);
                        *self.truth.counts.entry("tags added").or_default() += 1;
                    }
                }
            }
            _ => {
                // Create a card, or delete one this writer created.
                let own: Vec<String> = self
                    .truth
                    .cards
                    .iter()
                    .filter(|(id, live)| **live && id.starts_with(&format!("n-w{w}-")))
                    .map(|(id, _)| id.clone())
                    .collect();
                if !own.is_empty() && self.rng.chance(250) {
                    let id = &own[self.rng.below(own.len())];
                    if self.write(nodes, url, w, &format!("DELETE FROM memory_cards WHERE id = '{id}'")) {
                        self.truth.cards.insert(id.clone(), false);
                        *self.truth.counts.entry("cards deleted").or_default() += 1;
                    }
                } else {
                    let id = format!("n-w{w}-{n}");
                    if self.write(nodes, url, w, &card_sql(&id, &format!("created by w{w}"))) {
                        self.truth.cards.insert(id, true);
                        *self.truth.counts.entry("cards created").or_default() += 1;
                    }
                }
            }
        }
    }
}
