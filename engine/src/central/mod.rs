//! The central PostgreSQL: connecting, setting up the schema (migrations,
//! pgvector, change capture), device roles, reading the changelog, and content
//! checksums for comparing with a device.

mod changelog;
mod connect;
mod device_role;
pub mod related;
mod row_io;
mod rows;
mod setup;

pub use changelog::{fetch_changes, Change, Cursor};
pub use connect::{ServerTarget, CONNECT_TIMEOUT};
pub use device_role::{create_device_role, DeviceRoleReport};
pub use row_io::{delete_row, fetch_row_for_update, fetch_rows, last_clock, row_from_json, upsert_row};
pub use rows::table_checksum;
pub use setup::{
    check_schema, set_device_expiry, setup, PgvectorStatus, Privileges, SchemaInfo, SetupReport, CLIENT_SCHEMA_VERSION,
    PROTOCOL_VERSION,
};
