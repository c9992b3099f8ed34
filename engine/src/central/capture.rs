//! Change capture on the central tables, installed by `setup` from each
//! table's declaration ([`crate::tables::TableSpec`]): the changelog's
//! statement triggers on every synced table, and the per-field clocks on
//! every table merged field by field, and the history triggers on every
//! table that keeps history. The SQL functions that do the work are
//! the migrations' (`noesis_sync.install_statement_capture`,
//! `noesis_sync.install_field_clocks`, `noesis_sync.install_history`); which tables get them is decided
//! here, so a table added to the declarations is captured without a
//! migration that lists it.

use sqlx::PgConnection;

use super::ServerTarget;
use crate::error::Result;
use crate::tables::TableSpec;

/// Installs capture on each of `specs` whose table exists in `public`
/// (embeddings only where pgvector is); the names of the tables done.
/// Idempotent: triggers are created or replaced.
pub async fn install_capture(conn: &mut PgConnection, target: &ServerTarget, specs: &[&TableSpec]) -> Result<Vec<&'static str>> {
    let mut done = Vec::new();
    for spec in specs {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass(format('public.%I', $1::text)) IS NOT NULL")
            .bind(spec.name)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
        if !exists {
            continue;
        }
        sqlx::query("SELECT noesis_sync.install_statement_capture(format('public.%I', $1::text)::regclass, $2)")
            .bind(spec.name)
            .bind(spec.key)
            .execute(&mut *conn)
            .await
            .map_err(|e| target.classify(e))?;
        if spec.merges_by_field() {
            sqlx::query("SELECT noesis_sync.install_field_clocks(format('public.%I', $1::text)::regclass)")
                .bind(spec.name)
                .execute(&mut *conn)
                .await
                .map_err(|e| target.classify(e))?;
        }
        if spec.keeps_history {
            sqlx::query("SELECT noesis_sync.install_history(format('public.%I', $1::text)::regclass, $2)")
                .bind(spec.name)
                .bind(spec.key)
                .execute(&mut *conn)
                .await
                .map_err(|e| target.classify(e))?;
        }
        done.push(spec.name);
    }
    Ok(done)
}
