//! Test data for the engine's tests and the benchmarks: generated legacy
//! stores (`generate`), with one row of every kind of damage met in the
//! field when asked. A dev-dependency only, so none of it ships to users.

pub mod generate;
