//! The Noesis Desktop engine: the local cache, the central PostgreSQL schema,
//! sync and migration. It knows nothing of Tauri; the `noesis-sync` CLI, the
//! tests and the desktop shell all call it. See ARCHITECTURE.md for the map.

pub mod cache;
pub mod canonical;
pub mod central;
pub mod credentials;
pub mod data_dir;
pub mod deep_json;
pub mod error;
pub mod hlc;
pub mod legacy;
#[cfg(test)]
mod module_cycles;
pub mod private_files;
pub mod secret;
pub mod status;
pub mod sync;
pub mod tables;
pub mod timestamp;

pub use error::{Error, ErrorCode, Result};
pub use secret::{DatabaseUrl, Secret};
