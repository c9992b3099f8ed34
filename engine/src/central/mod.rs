//! The central PostgreSQL: connecting, setting up the schema (migrations,
//! pgvector, change capture), device roles, reading the changelog, and content
//! checksums for comparing with a device; the wizard's server form, connection
//! diagnosis and schema preview.

mod capture;
mod changelog;
mod cleartext_probe;
mod connect;
mod device_role;
mod diagnose;
mod plan;
mod pull_rows;
pub mod related;
mod row_io;
mod rows;
mod server_form;
mod setup;
pub(crate) mod staging;

pub use capture::install_capture;
pub use changelog::{fetch_changed_rows, fetch_changes, Change, ChangedRow, Cursor};
pub use connect::{ServerTarget, CONNECT_TIMEOUT};
pub use device_role::{create_device_role, DeviceRoleReport};
pub use diagnose::{diagnose, server_too_old, unencrypted_warning, Diagnosis, Finding, Problem, PROBE_TIMEOUT};
pub use plan::{schema_plan, PlannedChange, SchemaPlan};
pub use pull_rows::{decode_row, fetch_canonical_rows, key_of, select_list, unreadable_value, values_of, CanonicalValues};
pub use row_io::{delete_row, fetch_row_for_update, fetch_rows, field_clocks, last_clock, row_from_json, upsert_row};
pub use rows::table_checksum;
pub use server_form::{ServerForm, TlsMode};
pub use setup::{
    check_schema, set_device_expiry, set_history_days, setup, PgvectorStatus, Privileges, SchemaInfo, SetupReport, CLIENT_SCHEMA_VERSION,
    PROTOCOL_VERSION,
};
