// Without this, a release build on Windows would open a console next to the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    noesis_desktop::run();
}
