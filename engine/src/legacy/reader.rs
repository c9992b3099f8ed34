//! Reading a legacy table out of its snapshot, in rowid order, and cutting the
//! normalised rows into batches ready for COPY (the parse side of the pipeline;
//! it runs on a blocking thread while the previous batch is being loaded).

use std::path::Path;

use rusqlite::Connection;

use super::copy_format::CopyFormat;
use super::fields::Note;
use super::importer::{normalise_for_server, Importer, Outcome, Refs};
use super::raw::{verbatim_sha256, RawCell, RawRow};
use super::snapshot::{open_read_only, sqlite_error};
use crate::error::Result;

/// A legacy row that goes to the rejects table.
#[derive(Debug, Clone)]
pub struct Reject {
    /// Its rowid in the legacy table.
    pub rowid: i64,
    /// Its id, or `rowid:N`.
    pub key: String,
    /// Why.
    pub reason: String,
    /// The row verbatim ([`RawRow::verbatim`]).
    pub raw: Vec<u8>,
    /// SHA-256 of `raw`, hex.
    pub sha256: String,
    /// Each cell exactly as stored ([`RawCell::stored_bytes`]), by column.
    pub cells: Vec<(&'static str, &'static str, Option<Vec<u8>>)>,
    /// The row parsed, but the server refused it (a constraint, a trigger, a
    /// limit): `verify` then finds it here by its id rather than by its bytes.
    pub refused_by_server: bool,
}

impl Reject {
    /// Keeps `row` with `reason`.
    pub fn of(row: &RawRow, reason: String) -> Reject {
        let raw = row.verbatim();
        let sha256 = verbatim_sha256(&raw);
        let cells = row
            .columns
            .iter()
            .zip(&row.cells)
            .map(|(column, cell)| {
                let (bytes, kind) = cell.stored_bytes();
                (*column, kind, bytes)
            })
            .collect();
        Reject { rowid: row.rowid, key: row.key(), reason, raw, sha256, cells, refused_by_server: false }
    }

    /// Bytes held, for batch sizing.
    pub fn bytes(&self) -> usize {
        self.raw.len() + self.cells.iter().map(|(_, _, b)| b.as_ref().map_or(0, Vec::len)).sum::<usize>()
    }
}

/// A legacy row imported with a change (NUL bytes removed, text repaired, a
/// value given the server's spelling): the report names it, with what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRow {
    /// Its rowid in the snapshot (batches split by it).
    pub rowid: i64,
    /// Its id, whole.
    pub id: String,
    /// What was changed.
    pub note: Note,
}

/// In `migrate --json`: `{"id", "change", "why"}`.
impl serde::Serialize for ChangedRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = serializer.serialize_struct("ChangedRow", 3)?;
        row.serialize_field("id", &self.id)?;
        row.serialize_field("change", self.note.code())?;
        row.serialize_field("why", self.note.explanation())?;
        row.end()
    }
}

/// Consecutive rows of one table, normalised.
#[derive(Debug, Default)]
pub struct Batch {
    /// COPY text of the importable rows.
    pub copy: Vec<u8>,
    /// Importable rows in `copy`.
    pub importable: u64,
    /// Their ids, in the same order.
    pub ids: Vec<String>,
    /// Their rowids, in the same order.
    pub rowids: Vec<i64>,
    /// Where each one's COPY line ends in `copy`, in the same order.
    pub row_ends: Vec<usize>,
    /// Rows that cannot be imported.
    pub rejects: Vec<Reject>,
    /// Every importable row changed on the way, once per kind of change, in
    /// rowid order: the report lists them all, and the batch's transaction
    /// records them in `noesis_sync.legacy_changes`.
    pub changed: Vec<ChangedRow>,
    /// Rowid of the last row in the batch: the high-water mark once committed.
    pub last_rowid: i64,
    /// Bytes held (COPY text and rejected rows), for batch sizing.
    pub bytes: usize,
}

impl Batch {
    /// Legacy rows in the batch.
    pub fn rows(&self) -> u64 {
        self.importable + self.rejects.len() as u64
    }

    /// Cuts the batch in two halves of importable rows, in rowid order, so a
    /// batch Postgres refused can be narrowed down to the rows it refuses.
    /// Each half is a valid batch: the first ends at its last row's rowid
    /// (its high-water mark), the second keeps the original end.
    pub fn split(mut self) -> (Batch, Batch) {
        let n = self.ids.len() / 2;
        let cut_rowid = self.rowids[n - 1];
        let cut_byte = self.row_ends[n - 1];
        let (early, late): (Vec<Reject>, Vec<Reject>) = std::mem::take(&mut self.rejects).into_iter().partition(|r| r.rowid <= cut_rowid);
        let late_copy = self.copy.split_off(cut_byte);
        let second = Batch {
            importable: self.importable - n as u64,
            ids: self.ids.split_off(n),
            rowids: self.rowids.split_off(n),
            row_ends: self.row_ends.split_off(n).into_iter().map(|end| end - cut_byte).collect(),
            bytes: late_copy.len() + late.iter().map(Reject::bytes).sum::<usize>(),
            copy: late_copy,
            rejects: late,
            changed: self.changed.split_off(self.changed.partition_point(|c| c.rowid <= cut_rowid)),
            last_rowid: self.last_rowid,
        };
        self.importable = n as u64;
        self.rejects = early;
        self.last_rowid = cut_rowid.max(self.rejects.last().map_or(cut_rowid, |r| r.rowid));
        self.bytes = self.copy.len() + self.rejects.iter().map(Reject::bytes).sum::<usize>();
        (self, second)
    }

    /// Turns a batch whose only importable row Postgres refused into one that
    /// keeps that row, verbatim, in the rejects with Postgres's reason.
    pub fn refuse_only_row(mut self, reason: String, row: &RawRow) -> Batch {
        let reject = Reject { refused_by_server: true, ..Reject::of(row, reason) };
        self.bytes += reject.bytes();
        let at = self.rejects.partition_point(|r| r.rowid < row.rowid);
        self.rejects.insert(at, reject);
        self.bytes -= self.copy.len();
        self.copy.clear();
        self.ids.clear();
        self.rowids.clear();
        self.row_ends.clear();
        self.changed.retain(|c| c.rowid != row.rowid);
        self.importable = 0;
        self
    }
}

/// Whether the snapshot has the importer's table (mind-file entries are absent
/// in older stores).
pub fn has_table(conn: &Connection, importer: &dyn Importer) -> bool {
    conn.query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [importer.spec().name], |_| Ok(())).is_ok()
}

/// `SELECT rowid, <columns> ... WHERE rowid > ?1 ORDER BY rowid`, with `NULL` for
/// columns an older store lacks. Identifiers come from the importer's static
/// list, checked against the table's actual columns.
fn select_sql(conn: &Connection, importer: &dyn Importer) -> rusqlite::Result<String> {
    let table = importer.spec().name;
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let present: Vec<String> = stmt.query_map([table], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let list: Vec<String> = importer
        .columns()
        .iter()
        .map(|c| if present.iter().any(|p| p == c) { format!("\"{c}\"") } else { format!("NULL AS \"{c}\"") })
        .collect();
    Ok(format!("SELECT rowid, {} FROM \"{table}\" WHERE rowid > ?1 ORDER BY rowid", list.join(", ")))
}

/// Rows after `after_rowid`, or 0 when the table is absent.
pub fn count(path: &Path, importer: &dyn Importer, after_rowid: i64) -> Result<u64> {
    let conn = open_read_only(path)?;
    if !has_table(&conn, importer) {
        return Ok(0);
    }
    let sql = format!("SELECT count(*) FROM \"{}\" WHERE rowid > ?1", importer.spec().name);
    conn.query_row(&sql, [after_rowid], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(|e| sqlite_error(path, "counting rows", e))
}

/// Calls `each` with every row after `after_rowid`, in rowid order; stops early
/// when it returns false.
pub fn scan(path: &Path, importer: &dyn Importer, after_rowid: i64, mut each: impl FnMut(RawRow) -> bool) -> Result<()> {
    let conn = open_read_only(path)?;
    if !has_table(&conn, importer) {
        return Ok(());
    }
    let context = format!("reading {}", importer.spec().name);
    let sql = select_sql(&conn, importer).map_err(|e| sqlite_error(path, &context, e))?;
    let mut stmt = conn.prepare(&sql).map_err(|e| sqlite_error(path, &context, e))?;
    let mut rows = stmt.query([after_rowid]).map_err(|e| sqlite_error(path, &context, e))?;
    let columns = importer.columns();
    while let Some(row) = rows.next().map_err(|e| sqlite_error(path, &context, e))? {
        let rowid: i64 = row.get(0).map_err(|e| sqlite_error(path, &context, e))?;
        let mut cells = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            cells.push(RawCell::from_sqlite(row.get_ref(i + 1).map_err(|e| sqlite_error(path, &context, e))?));
        }
        if !each(RawRow { rowid, columns, cells }) {
            break;
        }
    }
    Ok(())
}

/// The row with `rowid`, as stored (to keep a row Postgres refused verbatim).
pub fn read_row(path: &Path, importer: &dyn Importer, rowid: i64) -> Result<Option<RawRow>> {
    let mut found = None;
    scan(path, importer, rowid - 1, |row| {
        if row.rowid == rowid {
            found = Some(row);
        }
        false
    })?;
    Ok(found)
}

/// Limits of one batch: whichever is reached first closes it. Together with the
/// channel's capacity they bound the memory a migration needs.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// Rows per batch (and per Postgres transaction).
    pub rows: u64,
    /// Bytes of COPY text per batch.
    pub bytes: usize,
}

/// Reads the table after `after_rowid`, normalises each row and hands full
/// batches to `send` (which blocks while the loader is busy; returning false
/// stops the read).
pub fn read_batches(
    path: &Path,
    importer: &dyn Importer,
    refs: &Refs,
    after_rowid: i64,
    limits: BatchLimits,
    format: CopyFormat,
    mut send: impl FnMut(Batch) -> bool,
) -> Result<()> {
    let spec = importer.spec();
    let mut batch = Batch::default();
    let mut open = true;
    scan(path, importer, after_rowid, |row| {
        batch.last_rowid = row.rowid;
        let before = batch.copy.len();
        // A row COPY cannot carry (a value of the wrong type for its column:
        // not expected after normalising) is rejected like one that does not parse.
        let outcome = match normalise_for_server(importer, &row, refs) {
            Outcome::Row { values, notes } => match format.encode_row(spec, &values, &mut batch.copy) {
                Ok(()) => Outcome::Row { values, notes },
                Err(reason) => Outcome::Reject { reason },
            },
            reject => reject,
        };
        match outcome {
            Outcome::Row { values, notes } => {
                batch.ids.push(match values.first() {
                    Some(serde_json::Value::String(id)) => id.clone(),
                    _ => row.key(),
                });
                batch.rowids.push(row.rowid);
                batch.row_ends.push(batch.copy.len());
                batch.bytes += batch.copy.len() - before;
                batch.importable += 1;
                let id = batch.ids.last().cloned().unwrap_or_default();
                let mut notes = notes;
                notes.sort_unstable();
                notes.dedup();
                batch.changed.extend(notes.into_iter().map(|note| ChangedRow { rowid: row.rowid, id: id.clone(), note }));
            }
            Outcome::Reject { reason } => {
                let reject = Reject::of(&row, reason);
                batch.bytes += reject.bytes();
                batch.rejects.push(reject);
            }
        }
        if batch.rows() >= limits.rows || batch.bytes >= limits.bytes {
            open = send(std::mem::take(&mut batch));
        }
        open
    })?;
    if open && batch.rows() > 0 {
        send(batch);
    }
    Ok(())
}
