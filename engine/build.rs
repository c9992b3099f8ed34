//! Rebuilds the engine when a central migration changes: `sqlx::migrate!`
//! embeds `migrations/` at compile time but does not tell Cargo to watch it
//! (sqlx's documentation asks for this line), so an edited migration could
//! otherwise ship stale.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
