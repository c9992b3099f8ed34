//! Sync between the local cache and the central PostgreSQL.
//!
//! A cycle pushes the outbox (merging against the server's current row inside
//! one Postgres transaction per batch), then pulls the changelog after this
//! device's cursor and below the horizon (applying to the cache with capture
//! off). Merge decisions are pure functions in [`merge`] and [`policy`]; the I/O
//! around them is in [`push`], [`pull`] and [`cycle`].

pub mod agent;
mod backoff;
mod cancel;
pub mod conflict_view;
pub mod conflicts;
pub mod cycle;
pub mod history;
pub mod history_view;
pub use crate::hlc;
pub mod merge;
pub mod pull;
pub mod push;
mod receipts;
mod refusal;
pub mod status;
mod watch;

#[cfg(test)]
mod merge_tests;

pub use agent::{start as start_agent, AgentConfig, AgentHandle};
pub use cancel::Cancel;
pub use cycle::{sync_on, sync_once, SyncReport, DEFAULT_SETTLE_WAIT};
pub use hlc::Hlc;
pub use merge::{merge, Conflict, ConflictReason, FieldClocks, Outcome, Row, Side, Versions};
pub use status::{SyncState, SyncStatus};
