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
        Some(engine) => (engine.code().as_str(), engine.to_string()),
        None => ("other", format!("{e:#}")),
    };
    if json {
        print_json(&serde_json::json!({ "error": { "code": code, "message": message } }));
    }
    eprintln!("error: {message}");
}

/// `text` made harmless for a terminal: control characters (an ESC that
/// starts a terminal escape sequence, a carriage return that overprints a
/// line) and the bidirectional overrides that reorder what is shown are
/// written as `\u{..}`. Row ids and reasons come from data any program may
/// have written.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_in_data_do_not_reach_the_terminal() {
        assert_eq!(terminal_safe("card\u{1b}[2J\rok"), "card\\u{1b}[2J\\u{d}ok");
        assert_eq!(terminal_safe("abc\u{202E}fed"), "abc\\u{202e}fed");
        assert_eq!(terminal_safe("plain id-1 ünïcode"), "plain id-1 ünïcode");
    }
}
