//! The first-run migration's staging tables on the server, installed by
//! `setup` from each table's declaration, and the TEMP right they replace.
//!
//! A batch that cannot be COPYed straight into its central table waits in
//! `noesis_sync.stage_<table>` for the merge, and a dry run writes into
//! `noesis_sync.dry_<table>`. They are UNLOGGED tables shared by every
//! session, each row visible only to the transaction that wrote it (migration
//! 19), so the migration needs no TEMP table and no login needs the right to
//! create one.

use sqlx::PgConnection;

use super::ServerTarget;
use crate::error::{Error, Result};
use crate::tables::TableSpec;

/// The schema version that brought the staging tables: a migration against
/// an older server asks for `setup` instead of failing on a missing table.
pub const STAGING_SCHEMA_VERSION: i64 = 6;

/// The schema version that brought `noesis_sync.legacy_changes`, where a
/// migration records the rows it changed on the way.
pub const LEGACY_CHANGES_SCHEMA_VERSION: i64 = 8;

/// The staging table of `spec`'s central table.
pub fn stage_table(spec: &TableSpec) -> String {
    format!("noesis_sync.stage_{}", spec.name)
}

/// The dry run's stand-in for `spec`'s central table.
pub fn dry_table(spec: &TableSpec) -> String {
    format!("noesis_sync.dry_{}", spec.name)
}

/// (Re)creates the staging tables of each of `specs` whose central table
/// exists. They hold no committed rows, so recreating them loses nothing and
/// lets them follow a central table whose columns changed.
pub async fn install_staging(conn: &mut PgConnection, target: &ServerTarget, specs: &[&TableSpec]) -> Result<()> {
    for spec in specs {
        sqlx::query("SELECT noesis_sync.install_staging(t, $2) FROM to_regclass(format('public.%I', $1::text)) t WHERE t IS NOT NULL")
            .bind(spec.name)
            .bind(spec.key)
            .execute(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
    }
    Ok(())
}

/// Takes from PUBLIC the right to create TEMP tables in this database, which
/// nothing of Noesis needs any more: a device role could use one to stand in
/// for a synced table. The database owner keeps it. Returns whether PUBLIC
/// still has it afterwards (setup not run by the owner, whose REVOKE is then
/// only a warning on the server), for the report.
pub async fn revoke_public_temp(conn: &mut PgConnection, target: &ServerTarget) -> Result<bool> {
    let revoke: String = sqlx::query_scalar("SELECT format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database())")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(revoke)).execute(&mut *conn).await.map_err(|e| target.classify(e))?;
    public_has_temp(conn, target).await
}

/// Whether every login of this database may create TEMP tables.
pub(crate) async fn public_has_temp(conn: &mut PgConnection, target: &ServerTarget) -> Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                        WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'TEMPORARY')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| target.classify(e))
}

/// Fails with "run setup" when the server predates the staging tables of
/// `spec` or the record of changed rows (schema 5 or 7, or a setup that has
/// not been run since the upgrade), and
/// has them rebuilt when the central table's columns or CHECKs changed since.
pub async fn require_staging(conn: &mut PgConnection, target: &ServerTarget, spec: &TableSpec) -> Result<()> {
    let (present, changes_recorded): (bool, bool) = sqlx::query_as(
        "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL, to_regclass('noesis_sync.legacy_changes') IS NOT NULL",
    )
    .bind(stage_table(spec))
    .bind(dry_table(spec))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    if present && changes_recorded {
        // Rebuilt, by the owner's function, if the central table changed
        // since setup: staging and the dry run meet today's constraints.
        sqlx::query("SELECT noesis_sync.follow_central_table(to_regclass($1))")
            .bind(format!("public.{}", spec.name))
            .execute(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
        return Ok(());
    }
    // Migration 19 brought the tables; a server without them is older. (The
    // migration checked the schema exists before it got here.)
    let server: i64 = sqlx::query_scalar("SELECT schema_version::int8 FROM noesis_sync.server_info")
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?
        .unwrap_or(0);
    let required = if present { LEGACY_CHANGES_SCHEMA_VERSION } else { STAGING_SCHEMA_VERSION };
    Err(Error::SchemaOutdated { host: target.url().host().into(), port: target.url().port(), server: server.min(required - 1), required })
}
