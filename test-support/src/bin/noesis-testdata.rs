//! `noesis-testdata DIR [--hostile] [--scale F]`: writes a generated legacy
//! store into DIR (`data/memory/…`, `data/documents/…`), for the desktop
//! app's end-to-end tests and for trying `migrate` by hand. Never shipped.

use std::path::PathBuf;
use std::process::ExitCode;

use noesis_test_support::generate::{generate, GenerateSpec};

const USAGE: &str = "usage: noesis-testdata DIR [--hostile] [--scale F]   (F: 1.0 = 100k cards, 10k sessions, 20k mind-file entries, 5k documents, 200k chunks)";

fn main() -> ExitCode {
    let mut dir = None;
    let (mut hostile, mut scale) = (false, 1.0);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--hostile" => hostile = true,
            "--scale" => match args.next().and_then(|v| v.parse::<f64>().ok()) {
                Some(v) if v > 0.0 => scale = v,
                _ => return usage("--scale needs a positive number"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if dir.is_none() && !arg.starts_with('-') => dir = Some(PathBuf::from(arg)),
            other => return usage(&format!("unexpected argument {other:?}")),
        }
    }
    let Some(dir) = dir else { return usage("name the folder to write the store into") };
    match generate(&dir, &GenerateSpec { hostile, ..GenerateSpec::scaled(scale) }) {
        Ok(generated) => {
            println!("generated {} and {}", generated.memory.display(), generated.documents.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("noesis-testdata: cannot write the store into {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("noesis-testdata: {problem}\n{USAGE}");
    ExitCode::from(2)
}
