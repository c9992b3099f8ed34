//! The set-based merge of a staged batch into a central table.
//!
//! Each staged legacy row is classified against the central row of the same id:
//! *new* (no central row: inserted), *unchanged* (every column equal, JSON by
//! meaning since JSONB compares that way), or *conflicted* (same id, different
//! content). A conflict is decided like a sync conflict: the version whose own
//! timestamps are newer wins (ties keep the central row, so nothing already
//! shared is clobbered), and the other is recorded in `noesis_sync.conflicts`
//! with reason `migration` so the user can restore it. A rerun finds the same
//! conflict already recorded and records nothing twice.
//!
//! The statements are built from the table's static column catalogue only;
//! every value travels as a parameter or through COPY.

use super::copy_format::CopyFormat;
use crate::central::staging;
use crate::tables::{EditedAt, TableSpec};

/// The expression giving a row's "last edited" time, for deciding conflicts.
fn newer_expression(spec: &TableSpec, alias: &str) -> String {
    match spec.edited_at {
        EditedAt::Latest([column]) => format!("{alias}.{column}"),
        EditedAt::Latest(columns) => {
            format!("GREATEST({})", columns.iter().map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", "))
        }
        // Chunks carry no time of their own: the central one is kept.
        EditedAt::Unknown => "NULL::timestamp".to_string(),
    }
}

/// The staged rows of this transaction, as a relation of the central
/// table's columns plus `stage_xact`. Row-level security already limits a
/// non-superuser to them; the filter keeps a superuser's merge to them too.
fn staged_rows(spec: &TableSpec) -> String {
    format!("(SELECT * FROM {} WHERE stage_xact = pg_current_xact_id())", staging::stage_table(spec))
}

/// A staged row as JSON, as the central table's `to_jsonb` would give it.
const STAGED_JSON: &str = "(to_jsonb(s) - 'stage_xact')";

/// `COPY <staging> (<columns>) FROM STDIN`, in `format`.
pub fn copy_sql(spec: &TableSpec, format: CopyFormat) -> String {
    format!("COPY {} ({}) FROM STDIN{}", staging::stage_table(spec), spec.column_list(), format.copy_options())
}

/// `COPY <central table> (<columns>) FROM STDIN`: the fast path, for a batch
/// none of whose ids exist centrally (the common case of a first migration).
pub fn copy_direct_sql(spec: &TableSpec, format: CopyFormat) -> String {
    format!("COPY public.{} ({}) FROM STDIN{}", spec.name, spec.column_list(), format.copy_options())
}

/// How many of the ids in `$1` exist centrally (decides the fast path).
pub fn existing_sql(spec: &TableSpec) -> String {
    format!("SELECT count(*) FROM public.{t} WHERE {k} = ANY($1)", t = spec.name, k = spec.key)
}

/// Refreshes the planner's statistics of the staging table, so the merge joins
/// by index instead of scanning the whole central table for every batch
/// (through the server's function: ANALYZE needs the table's owner).
pub fn analyze_staging_sql(spec: &TableSpec) -> String {
    format!("SELECT noesis_sync.analyze_staging('{}')", staging::stage_table(spec))
}

/// Removes this transaction's staged rows before it commits, so the shared
/// staging table holds none between batches.
pub fn clear_staging_sql(spec: &TableSpec) -> String {
    format!("DELETE FROM {} WHERE stage_xact = pg_current_xact_id()", staging::stage_table(spec))
}

/// The classification every merge starts with, as the CTE `c` (per staged row:
/// is_new, differs, legacy_newer). Row JSON is only built later, for conflicts.
fn classify_cte(spec: &TableSpec) -> String {
    let cols: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let s_cols = cols.iter().map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ");
    let t_cols = cols.iter().map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "c AS MATERIALIZED (
            SELECT s.{key} AS id, t.{key} IS NULL AS is_new,
                   (t.{key} IS NOT NULL AND ({s_cols}) IS DISTINCT FROM ({t_cols})) AS differs,
                   COALESCE({newer_s} > {newer_t}, false) AS legacy_newer
            FROM {stage} s LEFT JOIN public.{table} t ON t.{key} = s.{key})",
        stage = staged_rows(spec),
        key = spec.key,
        table = spec.name,
        newer_s = newer_expression(spec, "s"),
        newer_t = newer_expression(spec, "t"),
    )
}

/// Counts the dry run reports: `new, unchanged, conflicted, legacy_newer`.
/// The rows the merge would write (new ones, and those a newer legacy
/// version would replace) go into [`staging::dry_table`] instead of the central table,
/// so a row the server refuses (a CHECK constraint, a value too long) fails
/// this statement as it would fail the merge; the caller rolls back either way.
pub fn dry_run_sql(spec: &TableSpec) -> String {
    let list = spec.column_list();
    let s_cols = spec.columns.iter().map(|c| format!("s.{}", c.name)).collect::<Vec<_>>().join(", ");
    format!(
        "WITH {cte},
         w AS (
            INSERT INTO {dry} ({list})
            SELECT {s_cols} FROM {stage} s JOIN c ON c.id = s.{key} WHERE c.is_new OR (c.differs AND c.legacy_newer)
            ON CONFLICT DO NOTHING RETURNING 1)
         SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new AND NOT differs),
                count(*) FILTER (WHERE differs), count(*) FILTER (WHERE differs AND legacy_newer),
                (SELECT count(*) FROM w)
         FROM c",
        cte = classify_cte(spec),
        dry = staging::dry_table(spec),
        stage = staged_rows(spec),
        key = spec.key,
    )
}

/// The merge: inserts new rows, replaces central rows a newer legacy row beats,
/// records conflicts not recorded before. `$1` is this device's id. Returns
/// `new, unchanged, conflicted, legacy_newer, inserted, conflicts_recorded`.
/// All CTEs see the table as it was before the statement, so `rec` reads the
/// central version that `upd` replaces.
pub fn merge_sql(spec: &TableSpec) -> String {
    let cols: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let list = cols.join(", ");
    let s_cols = cols.iter().map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "WITH {cte},
         ins AS (
            INSERT INTO public.{table} ({list})
            SELECT {s_cols} FROM {stage} s JOIN c ON c.id = s.{key} WHERE c.is_new
            ON CONFLICT ({key}) DO NOTHING RETURNING 1),
         upd AS (
            UPDATE public.{table} t SET ({list}) = ({s_cols})
            FROM {stage} s JOIN c ON c.id = s.{key}
            WHERE t.{key} = s.{key} AND c.differs AND c.legacy_newer RETURNING 1),
         rec AS (
            INSERT INTO noesis_sync.conflicts
                (table_name, row_id, reason, winning_version, losing_version, winning_device, losing_device, detected_by)
            SELECT '{table}', c.id, 'migration',
                   CASE WHEN c.legacy_newer THEN {staged_json} ELSE to_jsonb(t) END,
                   CASE WHEN c.legacy_newer THEN to_jsonb(t) ELSE {staged_json} END,
                   CASE WHEN c.legacy_newer THEN $1 ELSE '' END,
                   CASE WHEN c.legacy_newer THEN '' ELSE $1 END,
                   $1
            FROM c JOIN {stage} s ON s.{key} = c.id JOIN public.{table} t ON t.{key} = c.id
            WHERE c.differs AND NOT EXISTS (
                SELECT 1 FROM noesis_sync.conflicts k
                WHERE k.table_name = '{table}' AND k.row_id = c.id AND k.reason = 'migration'
                  AND k.losing_version = {staged_json})
            RETURNING 1)
         SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new AND NOT differs),
                count(*) FILTER (WHERE differs), count(*) FILTER (WHERE differs AND legacy_newer),
                (SELECT count(*) FROM ins), (SELECT count(*) FROM rec)
         FROM c",
        cte = classify_cte(spec),
        stage = staged_rows(spec),
        table = spec.name,
        key = spec.key,
        staged_json = STAGED_JSON,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_statements_name_only_catalogue_columns() {
        for spec in crate::tables::EDITABLE {
            let sql = merge_sql(spec);
            assert!(sql.contains(&format!("public.{}", spec.name)));
            assert!(sql.contains("$1") && !sql.contains("$2"), "the device id is the only parameter");
        }
    }

    #[test]
    fn a_dry_run_writes_only_into_its_session_copy() {
        for spec in crate::tables::EDITABLE {
            let sql = dry_run_sql(spec);
            assert!(sql.contains(&format!("INSERT INTO noesis_sync.dry_{} ", spec.name)), "{sql}");
            assert!(
                !sql.contains(&format!("INTO public.{}", spec.name)) && !sql.contains("UPDATE") && !sql.contains("noesis_sync.conflicts"),
                "a dry run must not write central tables: {sql}"
            );
        }
    }
}
