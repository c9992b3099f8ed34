// Without this, a release build on Windows would open a console next to the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc instead of the system allocator: a pull allocates a few dozen
/// small strings per row on the task reading from Postgres and frees them on
/// the thread writing SQLite; glibc's allocator spent a fifth of both threads'
/// time on that (arena locks, consolidation), mimalloc about a third of it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    noesis_desktop::run();
}
