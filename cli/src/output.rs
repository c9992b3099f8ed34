//! Printing results as text or JSON, and errors with their stable codes.

use noesis_engine::Error;

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot encode the result as JSON: {e}"),
    }
}

/// Reports an error: `{"error": {"code", "message"}}` on stdout with `--json`
/// (scripts parse stdout), always a human line on stderr.
pub fn print_error(e: &anyhow::Error, json: bool) {
    let (code, message) = match e.downcast_ref::<Error>() {
        Some(engine) => (engine.code(), engine.to_string()),
        None => ("other", format!("{e:#}")),
    };
    if json {
        print_json(&serde_json::json!({ "error": { "code": code, "message": message } }));
    }
    eprintln!("error: {message}");
}
