//! What the engine's, CLI's and desktop app's tests and the benchmarks share:
//! generated legacy stores (`generate`), with one row of every kind of damage
//! met in the field when asked, and the real `psql` client (`psql`). A
//! dev-dependency only, so none of it ships to users.

pub mod generate;
pub mod psql;
