//! `noesis-sync setup --device-role NAME`: a least-privilege login for laptops,
//! so they need not hold the database owner's password.
//!
//! The role may read and write the synced tables and the sync bookkeeping, and
//! nothing else: no DDL, no other tables, no TEMP tables. Its changes are captured by the
//! SECURITY DEFINER triggers, so it needs no right on the changelog beyond
//! reading it. The password reaches the server only as a SCRAM-SHA-256 verifier,
//! computed here, so it never appears in server logs (as `\password` does it).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};

use super::ServerTarget;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// SCRAM iteration count; PostgreSQL's default (`scram_iterations`).
const SCRAM_ITERATIONS: u32 = 4096;

/// What was done for the role.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceRoleReport {
    /// The role's name.
    pub role: String,
    /// False when the role existed and only its password and grants were renewed.
    pub created: bool,
    /// Tables it may read and write.
    pub tables: Vec<String>,
}

/// Creates (or updates) the login role `name` with `password` and grants it
/// exactly what a syncing device needs. Run after [`super::setup`].
pub async fn create_device_role(target: &ServerTarget, name: &str, password: &Secret) -> Result<DeviceRoleReport> {
    if name.is_empty() || name.len() > 63 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Postgres {
            context: "creating the device role".into(),
            detail: format!("`{name}` is not a usable role name: use 1 to 63 letters, digits or underscores"),
            source: None,
        });
    }
    if password.expose().len() < 12 {
        return Err(Error::Postgres {
            context: "creating the device role".into(),
            detail: "the device role's password must have at least 12 characters".into(),
            source: None,
        });
    }
    let verifier = scram_verifier(password);
    let mut conn = target.connect().await?;
    let mut tx = conn.begin().await.map_err(|e| target.classify(e))?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| target.classify(e))?;
    if exists {
        // Renewing the password of a role that must still be a plain login:
        // only the password is altered, which the database owner with
        // CREATEROLE may do (naming NOSUPERUSER again would need a superuser).
        let (login, powerful): (bool, bool) = sqlx::query_as(
            "SELECT rolcanlogin, rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls OR rolreplication FROM pg_roles WHERE rolname = $1",
        )
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| target.classify(e))?;
        if powerful || !login {
            return Err(Error::Postgres {
                context: "renewing the device role".into(),
                detail: format!(
                    "the role `{name}` already exists and is not a plain login (it can log in: {login}; it has superuser, createdb, createrole, bypassrls or replication rights: {powerful}): choose another name for the device role"
                ), source: None,
            });
        }
    }
    // Role names and passwords cannot be bind parameters in DDL; format() with
    // %I and %L quotes them on the server.
    let ddl_template = if exists {
        "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)"
    } else {
        "SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD %L', $1::text, $2::text)"
    };
    let ddl: String =
        sqlx::query_scalar(ddl_template).bind(name).bind(&verifier).fetch_one(&mut *tx).await.map_err(|e| target.classify(e))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut *tx).await.map_err(|e| target.classify(e))?;

    let tables: Vec<String> = sqlx::query(
        "SELECT c.relname::text FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND c.relname = ANY($1::text[])
         ORDER BY 1",
    )
    .bind(crate::tables::all_names())
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| target.classify(e))?
    .into_iter()
    .map(|r| r.get(0))
    .collect();
    let grants: String = sqlx::query_scalar(
        "SELECT format('GRANT CONNECT ON DATABASE %I TO %I; GRANT USAGE ON SCHEMA public, noesis_sync TO %I; ', current_database(), $1::text, $1::text)
             -- No TEMP tables (setup took the right from PUBLIC): the
             -- migration stages in noesis_sync's staging tables.
             || format('REVOKE TEMPORARY ON DATABASE %I FROM %I; ', current_database(), $1::text)
             || format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I; ', (SELECT string_agg(format('public.%I', t), ', ') FROM unnest($2::text[]) t), $1::text)
             || format('GRANT SELECT ON noesis_sync.changelog, noesis_sync.server_info, noesis_sync.field_clocks, noesis_sync.row_versions TO %I; ', $1::text)
             || format('GRANT SELECT, INSERT, UPDATE ON noesis_sync.devices TO %I; GRANT SELECT, INSERT, UPDATE, DELETE ON noesis_sync.push_receipts TO %I; ', $1::text, $1::text)
             -- A conflict's versions are a record: a device adds conflicts and
             -- resolves them, and may change nothing else of one.
             || format('REVOKE UPDATE ON noesis_sync.conflicts FROM %I; GRANT SELECT, INSERT, UPDATE (resolution, resolved_at, resolved_by) ON noesis_sync.conflicts TO %I; ', $1::text, $1::text)
             || format('GRANT SELECT, INSERT, UPDATE ON noesis_sync.legacy_runs, noesis_sync.legacy_high_water, noesis_sync.legacy_rejects TO %I; ', $1::text)
             || format('GRANT SELECT, INSERT ON noesis_sync.legacy_changes TO %I; ', $1::text)",
    )
    .bind(name)
    .bind(&tables)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| target.classify(e))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants)).execute(&mut *tx).await.map_err(|e| target.classify(e))?;
    tx.commit().await.map_err(|e| target.classify(e))?;
    let _ = conn.close().await;
    Ok(DeviceRoleReport { role: name.to_string(), created: !exists, tables })
}

/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, the form
/// PostgreSQL stores (RFC 5802, RFC 7677).
fn scram_verifier(password: &Secret) -> String {
    let salt = *uuid::Uuid::new_v4().as_bytes();
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.expose().as_bytes(), &salt, SCRAM_ITERATIONS, &mut salted);
    let hmac = |key: &[u8], msg: &[u8]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(msg);
        mac.finalize().into_bytes()
    };
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    let b64 = base64::engine::general_purpose::STANDARD;
    format!("SCRAM-SHA-256${SCRAM_ITERATIONS}:{}${}:{}", b64.encode(salt), b64.encode(stored_key), b64.encode(server_key))
}
