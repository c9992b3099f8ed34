//! The engine and CLI integration tests: one test binary (linked once, one
//! process sharing its test servers' connections), a module per subject.
//! Run one subject with `cargo test -p noesis-sync --test integration
//! SUBJECT::`, e.g. `sync_faults::`.

mod support;

mod agent_idle;
mod agent_pause;
mod central_schema;
mod cli_setup;
mod fault_injection;
mod history;
mod local_cache;
mod migrate_hostile;
mod migrate_resume;
mod migrate_safety;
mod migrate_watch;
mod related;
mod security;
mod server_contract;
mod sync_acknowledgement;
mod sync_bulk_pull;
mod sync_chat_merge;
mod sync_convergence;
mod sync_devices;
mod sync_faults;
mod sync_field_clocks;
mod sync_mass_delete;
mod sync_push_order;
mod sync_refusals;
mod sync_resync;
mod wizard_engine;
