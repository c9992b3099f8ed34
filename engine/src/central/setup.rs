//! `noesis-sync setup`: applies the central migrations, adds pgvector and the
//! embeddings table where possible, and reports what the server is and allows.

use sqlx::{Connection, PgConnection, Row};

use super::ServerTarget;
use crate::error::{Error, Result};
use crate::tables::{self, TableSpec};

/// The highest `noesis_sync.server_info.schema_version` this build understands.
pub const CLIENT_SCHEMA_VERSION: i64 = 8;

/// The lowest schema version this build can sync with: older servers need
/// `noesis-sync setup` (changelog pruning arrived in schema 2, push receipts
/// in 3: a push without them cannot tell a lost answer from a restored folder;
/// per-field clocks in 4: without them a device cannot tell which edit of a
/// field is later; the server identity in 5: without it a device moved to
/// another server would continue from a position that means nothing there).
/// Schema 6 (the migration's staging tables) is needed only to migrate
/// ([`super::staging::require_staging`]), 7 (history and trash) only to
/// list or restore versions ([`crate::sync::history`]), and 8 (the record of
/// rows changed on the way) only to migrate.
pub const REQUIRED_SCHEMA_VERSION: i64 = 5;

/// The sync protocol this build speaks; a server whose `min_client_protocol` is
/// higher refuses our pushes.
pub const PROTOCOL_VERSION: i64 = 1;

/// PostgreSQL 14: first with `CREATE OR REPLACE TRIGGER`; xid8 functions came in 13.
pub(crate) const MIN_SERVER_VERSION_NUM: i32 = 140_000;

/// Migrations of the central schema, embedded at build time.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The pgvector part, applied whenever the extension is available.
const PGVECTOR_SQL: &str = include_str!("../../../migrations/pgvector/embeddings.sql");

/// What `setup` found and did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetupReport {
    /// `SELECT version()` of the server.
    pub server_version: String,
    /// Database and user connected as.
    pub database: String,
    /// The role setup ran as.
    pub user: String,
    /// Migrations applied by this run (empty when already current).
    pub applied_migrations: Vec<String>,
    /// Schema and protocol versions after setup.
    pub schema: SchemaInfo,
    /// Whether embeddings are available.
    pub pgvector: PgvectorStatus,
    /// What the user may do.
    pub privileges: Privileges,
    /// Whether every login of the database may still create TEMP tables
    /// (setup run by someone other than the database owner could not take
    /// that right away; a device role could then use one).
    pub temp_for_every_login: bool,
}

/// Versions recorded in `noesis_sync.server_info`.
#[derive(Debug, Clone, Copy, serde::Serialize, PartialEq, Eq)]
pub struct SchemaInfo {
    /// Grows with each schema change clients must know about.
    pub schema_version: i64,
    /// Oldest client protocol still allowed to push.
    pub min_client_protocol: i64,
}

/// pgvector on this server.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PgvectorStatus {
    /// The extension is installed and the embeddings table exists.
    Installed {
        /// `pg_extension.extversion`.
        version: String,
    },
    /// The server has no pgvector files: nothing this user can do from here.
    NotAvailable {
        /// What to do about it.
        fix: String,
    },
    /// pgvector is on the server but this user may not create the extension.
    NotPermitted {
        /// What to do about it.
        fix: String,
    },
}

/// The connecting role's relevant rights.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Privileges {
    /// A superuser can do everything, including CREATE EXTENSION.
    pub superuser: bool,
    /// May create schemas in the database (needed for the first setup).
    pub can_create_schema: bool,
    /// May read and write every synced table present.
    pub can_write_tables: bool,
}

/// Applies the central schema and reports; safe to run any number of times, on an
/// empty database or on one the Python server already filled.
pub async fn setup(target: &ServerTarget) -> Result<SetupReport> {
    let mut conn = target.connect().await?;
    let server_version: String = scalar(&mut conn, target, "SELECT version()").await?;
    let version_num: String = scalar(&mut conn, target, "SHOW server_version_num").await?;
    if version_num.parse::<i32>().unwrap_or(0) < MIN_SERVER_VERSION_NUM {
        return Err(Error::ServerTooOld { host: target.url().host().into(), port: target.url().port(), version: server_version });
    }
    if let Some(info) = schema_info(&mut conn, target).await? {
        refuse_newer(target, info)?;
    }

    let before = applied_versions(&mut conn, target).await?;
    // `run_direct` rather than `run`: `run` goes through `Acquire`, whose
    // lifetime bound makes `setup`'s future not `Send` (the desktop app needs it).
    MIGRATOR.run_direct(None, &mut conn, false).await.map_err(|e| migrate_error(target, e))?;
    let applied_migrations = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !before.contains(&m.version))
        .map(|m| format!("{} {}", m.version, m.description))
        .collect();

    // All of this build's migrations are in: the schema is this build's version.
    sqlx::query("UPDATE noesis_sync.server_info SET schema_version = GREATEST(schema_version, $1), updated_at = now()")
        .bind(CLIENT_SCHEMA_VERSION as i32)
        .execute(&mut conn)
        .await
        .map_err(|e| target.classify(e))?;
    let pgvector = ensure_pgvector(&mut conn, target).await?;
    let synced: Vec<&TableSpec> = tables::EDITABLE.iter().copied().chain([tables::EMBEDDINGS]).collect();
    super::install_capture(&mut conn, target, &synced).await?;
    super::staging::install_staging(&mut conn, target, &synced).await?;
    let temp_for_every_login = super::staging::revoke_public_temp(&mut conn, target).await?;
    let schema = schema_info(&mut conn, target).await?.expect("the migrations create server_info");
    let privileges = privileges(&mut conn, target).await?;
    let database: String = scalar(&mut conn, target, "SELECT current_database()").await?;
    let user: String = scalar(&mut conn, target, "SELECT current_user::text").await?;
    let _ = conn.close().await;
    Ok(SetupReport { server_version, database, user, applied_migrations, schema, pgvector, privileges, temp_for_every_login })
}

/// Checks that the server has the sync schema and that this build understands it
/// (what every command but `setup` needs before it touches the server).
pub async fn check_schema(conn: &mut PgConnection, target: &ServerTarget) -> Result<SchemaInfo> {
    match schema_info(conn, target).await? {
        Some(info) if info.schema_version < REQUIRED_SCHEMA_VERSION => Err(Error::SchemaOutdated {
            host: target.url().host().into(),
            port: target.url().port(),
            server: info.schema_version,
            required: REQUIRED_SCHEMA_VERSION,
        }),
        Some(info) => {
            refuse_newer(target, info)?;
            Ok(info)
        }
        None => {
            Err(Error::SchemaMissing { host: target.url().host().into(), port: target.url().port(), database: target.url().database() })
        }
    }
}

/// Sets how long a device may stay silent before pruning stops waiting for it
/// (it then resyncs fully when it returns).
pub async fn set_device_expiry(target: &ServerTarget, days: u32) -> Result<()> {
    let mut conn = target.connect().await?;
    sqlx::query("UPDATE noesis_sync.server_info SET device_expiry = make_interval(days => $1), updated_at = now()")
        .bind(days as i32)
        .execute(&mut conn)
        .await
        .map_err(|e| target.classify(e))?;
    let _ = conn.close().await;
    Ok(())
}

/// Sets how long the server keeps replaced versions (`None`: for ever, the
/// default). Older ones go when devices next prune.
pub async fn set_history_days(target: &ServerTarget, days: Option<u32>) -> Result<()> {
    let mut conn = target.connect().await?;
    sqlx::query("UPDATE noesis_sync.server_info SET history_days = $1, updated_at = now()")
        .bind(days.map(|d| d as i32))
        .execute(&mut conn)
        .await
        .map_err(|e| target.classify(e))?;
    let _ = conn.close().await;
    Ok(())
}

fn refuse_newer(target: &ServerTarget, info: SchemaInfo) -> Result<()> {
    if info.schema_version > CLIENT_SCHEMA_VERSION || info.min_client_protocol > PROTOCOL_VERSION {
        return Err(Error::ClientTooOld {
            host: target.url().host().into(),
            port: target.url().port(),
            server: info.schema_version.max(info.min_client_protocol),
            client: CLIENT_SCHEMA_VERSION,
        });
    }
    Ok(())
}

pub(crate) async fn schema_info(conn: &mut PgConnection, target: &ServerTarget) -> Result<Option<SchemaInfo>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('noesis_sync.server_info') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    if !exists {
        return Ok(None);
    }
    let row = sqlx::query("SELECT schema_version::int8, min_client_protocol::int8 FROM noesis_sync.server_info")
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    Ok(row.map(|r| SchemaInfo { schema_version: r.get(0), min_client_protocol: r.get(1) }))
}

pub(crate) async fn applied_versions(conn: &mut PgConnection, target: &ServerTarget) -> Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&mut *conn).await.map_err(|e| target.classify(e))
}

/// Creates the extension if it can, then the embeddings table; reports precisely
/// why not otherwise. Everything but embeddings works without it.
/// How to install pgvector on a server that lacks it (setup and the wizard's diagnosis).
pub(crate) fn pgvector_install_fix(host: &str) -> String {
    format!(
        "pgvector is not installed on {host}: install it on the server (Debian/Ubuntu: `apt install postgresql-NN-pgvector`, NN being the PostgreSQL major version; macOS: `brew install pgvector`; Docker: use the pgvector/pgvector:pg16 image), then apply the schema again. Everything except embeddings works meanwhile."
    )
}

async fn ensure_pgvector(conn: &mut PgConnection, target: &ServerTarget) -> Result<PgvectorStatus> {
    let host = format!("{}:{}", target.url().host(), target.url().port());
    let available: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    if !available {
        return Ok(PgvectorStatus::NotAvailable { fix: pgvector_install_fix(&host) });
    }
    if let Err(e) = sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS vector").execute(&mut *conn).await {
        return match target.classify(e) {
            Error::PrivilegeMissing { .. } => Ok(PgvectorStatus::NotPermitted {
                fix: format!(
                    "pgvector is installed on {host} but user `{}` may not create the extension: run `CREATE EXTENSION vector;` in database `{}` as a superuser (or the database owner on PostgreSQL 13+ when pgvector is trusted), then run `noesis-sync setup` again. Everything except embeddings works meanwhile.",
                    target.url().user(),
                    target.url().database()
                ),
            }),
            other => Err(other),
        };
    }
    // One simple-query string runs as one implicit transaction: all or nothing.
    // (An explicit `conn.begin()` here would make `setup`'s future not `Send`,
    // which the desktop app's commands need.)
    sqlx::raw_sql(PGVECTOR_SQL).execute(&mut *conn).await.map_err(|e| target.classify(e))?;
    let version: String = sqlx::query_scalar("SELECT extversion::text FROM pg_extension WHERE extname = 'vector'")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| target.classify(e))?;
    Ok(PgvectorStatus::Installed { version })
}

pub(crate) async fn privileges(conn: &mut PgConnection, target: &ServerTarget) -> Result<Privileges> {
    let row = sqlx::query(
        "SELECT r.rolsuper,
                has_database_privilege(current_database(), 'CREATE'),
                coalesce(bool_and(has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE')), false)
         FROM pg_roles r
         LEFT JOIN pg_class c ON c.relnamespace = 'public'::regnamespace
              AND c.relname = ANY($1::text[])
              AND c.relkind = 'r'
         WHERE r.rolname = current_user
         GROUP BY r.rolsuper",
    )
    .bind(tables::all_names())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| target.classify(e))?;
    Ok(Privileges { superuser: row.get(0), can_create_schema: row.get(1), can_write_tables: row.get(2) })
}

async fn scalar(conn: &mut PgConnection, target: &ServerTarget, sql: &'static str) -> Result<String> {
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.map_err(|e| target.classify(e))
}

fn migrate_error(target: &ServerTarget, e: sqlx::migrate::MigrateError) -> Error {
    use sqlx::migrate::MigrateError;
    match e {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => target.classify(inner),
        MigrateError::VersionMissing(v) => {
            Error::ClientTooOld { host: target.url().host().into(), port: target.url().port(), server: v, client: CLIENT_SCHEMA_VERSION }
        }
        other => Error::Postgres { context: "applying the central schema".into(), detail: other.to_string(), source: None },
    }
}
