//! The one trait every legacy table importer implements, and the list of them.
//!
//! An importer knows one legacy table: which SQLite file holds it, which columns
//! to read, and how to turn one [`RawRow`] into a row of the central table (in
//! the column order of its [`TableSpec`], values in canonical form, see
//! [`crate::canonical`]) or into a reject reason. Normalising is a pure
//! function: migrate and verify both call it, on separate reads.

use std::collections::HashSet;

use serde_json::Value;

use super::fields::{Notes, Reason};
use super::raw::RawRow;
use super::server_fit;
use crate::tables::TableSpec;

/// The two legacy SQLite files of the old server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Store {
    /// `data/memory/memory_cards.sqlite3`: cards, chat sessions, mind-file.
    Memory,
    /// `data/documents/documents.sqlite3`: documents and their chunks.
    Documents,
}

impl Store {
    /// Both, in the order they are migrated.
    pub const ALL: [Store; 2] = [Store::Memory, Store::Documents];

    /// Where the old server kept the file, relative to the legacy folder.
    pub fn relative_path(self) -> &'static str {
        match self {
            Store::Memory => "data/memory/memory_cards.sqlite3",
            Store::Documents => "data/documents/documents.sqlite3",
        }
    }

    /// The snapshot's file name in the data dir.
    pub fn snapshot_name(self) -> &'static str {
        match self {
            Store::Memory => "memory_cards.sqlite3",
            Store::Documents => "documents.sqlite3",
        }
    }
}

/// What normalising a legacy row gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Importable: canonical values in the central column order, plus the
    /// changes that were needed.
    Row {
        /// Values, one per column of the table's spec.
        values: Vec<Value>,
        /// Changes made on the way (empty when imported unchanged).
        notes: Notes,
    },
    /// Not importable; the row goes verbatim to the rejects table.
    Reject {
        /// Why, in words a user understands.
        reason: Reason,
    },
}

/// Facts from outside the row that normalising needs.
#[derive(Debug, Default, Clone)]
pub struct Refs {
    /// Ids of documents that exist centrally or will be imported: a chunk whose
    /// document is neither is an orphan.
    pub document_ids: HashSet<String>,
    /// Ids of legacy documents that are themselves rejected: their chunks are
    /// rejected too, and the reason says why, instead of calling them orphans.
    pub rejected_document_ids: HashSet<String>,
}

/// One legacy table.
pub trait Importer: Send + Sync {
    /// The central table it fills.
    fn spec(&self) -> &'static TableSpec;
    /// The legacy file it reads.
    fn store(&self) -> Store;
    /// Columns read from the legacy table, the id first; a column an older
    /// store lacks reads as NULL.
    fn columns(&self) -> &'static [&'static str];
    /// The legacy row as a central row, or why not. Callers use
    /// [`normalise_for_server`], which adds the server's contract.
    fn normalise(&self, row: &RawRow, refs: &Refs) -> Outcome;
}

/// The legacy row as a central row the Noesis server can read back, or why
/// not: what migrate imports and what verify expects.
pub fn normalise_for_server(importer: &dyn Importer, row: &RawRow, refs: &Refs) -> Outcome {
    match importer.normalise(row, refs) {
        Outcome::Row { mut values, mut notes } => match server_fit::fit(importer.spec(), &mut values, &mut notes) {
            Ok(()) => Outcome::Row { values, notes },
            Err(reason) => Outcome::Reject { reason },
        },
        reject => reject,
    }
}

/// Wraps a normalising body that gathers notes and may fail.
pub fn outcome(result: Result<Vec<Value>, Reason>, notes: Notes) -> Outcome {
    match result {
        Ok(values) => Outcome::Row { values, notes },
        Err(reason) => Outcome::Reject { reason },
    }
}
