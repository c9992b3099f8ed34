//! Regenerates `ui/src/bindings.ts` after a command or event changed.

fn main() {
    let path = noesis_desktop::bindings::default_path();
    if let Err(e) = noesis_desktop::bindings::export(&path) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}
