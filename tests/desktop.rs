//! The desktop app's Rust tests: one test binary, a module per subject.
//! `desktop_support` (Tauri's mock runtime) stays here rather than in the
//! test-support crate: it depends on Tauri, which the engine's tests must not
//! build.

mod desktop_support;

mod desktop_commands;
mod desktop_wizard;
