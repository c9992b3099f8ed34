//! Builds the Tauri context with an explicit permission for each app command
//! (`allow-<command>`): without an app manifest Tauri lets every window call
//! every app command; with one, the webview may call only what
//! `capabilities/default.json` grants. The commands are read from the one
//! list in `src/lib.rs` (`collect_commands!`), so they are declared once; a
//! unit test checks the capability grants exactly them.

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=capabilities");
    println!("cargo:rerun-if-changed=app_commands.rs");
    let source = std::fs::read_to_string("src/lib.rs").expect("src/lib.rs is readable");
    let commands: &'static [&'static str] = Box::leak(
        app_commands(&source).into_iter().map(|c| &*Box::leak(c.into_boxed_str())).collect::<Vec<&'static str>>().into_boxed_slice(),
    );
    let manifest = tauri_build::AppManifest::new().commands(commands);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("the Tauri build step succeeds");
}

include!("app_commands.rs");
